// RV64F: single-precision instructions with static rounding modes and fflags, plus NaN boxing.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"
typedef u32 FT;
#define SUF "s"
#define MV_TO_F "fmv.w.x"
#define MV_TO_X "fmv.x.w"
#define LD "flw"
#define ST "fsw"
#define HEX h32
static const u64 V[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f800001, 0x3fc00000, 0x40400000,
    0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7fa00000, 0x00000001, 0x807fffff,
    0x00800000, 0x7f7fffff, 0x3eaaaaab, 0x4f000000,
};
#include "fp_common.h"

int main(void) {
  common_tests();
  u64 r, fl;
  pr("== NaN boxing\n");
  // A single loaded with flw / fmv.w.x is NaN-boxed in the 64-bit register.
  __asm__ volatile("fmv.w.x ft0, %1\n\tfmv.x.d %0, ft0" : "=r"(r) : "r"(0x3f800000UL) : "ft0");
  pr("fmv.w.x then fmv.x.d "); h64(r); nl();
  fmem[0] = 0x40490fdb;
  __asm__ volatile("flw ft0, 0(%1)\n\tfmv.x.d %0, ft0" : "=r"(r) : "r"(fmem) : "ft0");
  pr("flw then fmv.x.d "); h64(r); nl();
  // Improperly boxed inputs read as the canonical NaN.
  static const u64 BOX[] = {0x000000003f800000UL, 0xfffffffe3f800000UL, 0xffffffff3f800000UL};
  for (unsigned i = 0; i < 3; i++) {
    __asm__ volatile("fmv.d.x ft0, %2\n\tfmv.w.x ft1, %3\n\tfsflags zero\n\t"
                     "fadd.s ft2, ft0, ft1\n\tfrflags %1\n\tfmv.x.w %0, ft2"
                     : "=&r"(r), "=&r"(fl) : "r"(BOX[i]), "r"(0x3f800000UL) : "ft0", "ft1", "ft2");
    pr("fadd.s boxed "); h64(BOX[i]); pr(" + 1.0 ="); res(r, fl); nl();
    __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.x.w %0, ft0" : "=r"(r) : "r"(BOX[i]) : "ft0");
    pr("fmv.x.w of "); h64(BOX[i]); sp(); h64(r); nl();
    __asm__ volatile("fmv.d.x ft0, %1\n\tfclass.s %0, ft0" : "=r"(r) : "r"(BOX[i]) : "ft0");
    pr("fclass.s of "); h64(BOX[i]); sp(); h64(r); nl();
    __asm__ volatile("fmv.d.x ft0, %1\n\tfsgnj.s ft1, ft0, ft0\n\tfmv.x.d %0, ft1"
                     : "=r"(r) : "r"(BOX[i]) : "ft0", "ft1");
    pr("fsgnj.s of "); h64(BOX[i]); sp(); h64(r); nl();
  }
  // fmv.x.w sign-extends bit 31.
  __asm__ volatile("fmv.w.x ft0, %1\n\tfmv.x.w %0, ft0" : "=r"(r) : "r"(0xbf800000UL) : "ft0");
  pr("fmv.x.w sign-extends "); h64(r); nl();
  return 0;
}
