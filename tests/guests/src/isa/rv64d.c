// RV64D: double-precision instructions with static rounding modes and fflags, plus
// fcvt.s.d / fcvt.d.s conversions.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"
typedef u64 FT;
#define SUF "d"
#define MV_TO_F "fmv.d.x"
#define MV_TO_X "fmv.x.d"
#define LD "fld"
#define ST "fsd"
#define HEX h64
#define FROM_W_EXACT 1
static const u64 V[] = {
    0x0000000000000000UL, 0x8000000000000000UL, 0x3ff0000000000000UL, 0xbff0000000000000UL,
    0x3ff0000000000001UL, 0x3ff8000000000000UL, 0x4008000000000000UL, 0x7ff0000000000000UL,
    0xfff0000000000000UL, 0x7ff8000000000000UL, 0xfff8000000000001UL, 0x7ff4000000000000UL,
    0x0000000000000001UL, 0x800fffffffffffffUL, 0x0010000000000000UL, 0x7fefffffffffffffUL,
    0x3fd5555555555555UL, 0x43e0000000000000UL,
};
#include "fp_common.h"

static const u64 F32[] = {
    0x00000000, 0x80000000, 0x3f800000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00001,
    0x00000001, 0x807fffff, 0x7f7fffff, 0x3eaaaaab,
};

int main(void) {
  common_tests();
  u64 r, fl;
  pr("== fcvt.d.s\n");
  for (unsigned i = 0; i < sizeof F32 / sizeof F32[0]; i++) {
    __asm__ volatile("fmv.w.x ft0, %2\n\tfsflags zero\n\tfcvt.d.s ft1, ft0\n\tfrflags %1\n\t"
                     "fmv.x.d %0, ft1"
                     : "=&r"(r), "=&r"(fl) : "r"(F32[i]) : "ft0", "ft1");
    h32(F32[i]); pr(" :"); res(r, fl); nl();
  }
  pr("== fcvt.s.d rne rtz rdn rup rmm (result as 64-bit register)\n");
#define CVTSD(rm)                                                                       \
  __asm__ volatile("fmv.d.x ft0, %2\n\tfsflags zero\n\tfcvt.s.d ft1, ft0, " #rm "\n\t"  \
                   "frflags %1\n\tfmv.x.d %0, ft1"                                      \
                   : "=&r"(r), "=&r"(fl) : "r"(V[i]) : "ft0", "ft1");                   \
  res(r, fl);
  for (unsigned i = 0; i < NV; i++) {
    h64(V[i]); pr(" :");
    CVTSD(rne) CVTSD(rtz) CVTSD(rdn) CVTSD(rup) CVTSD(rmm)
    nl();
  }
  return 0;
}
