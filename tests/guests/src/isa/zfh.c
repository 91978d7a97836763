// Zfh: half-precision instructions with static rounding modes and fflags (the rv64f/rv64d body
// in fp_common.h), conversions to and from single and double, and NaN boxing of halves.
// Built with -march=rv64gc_zfh; run with -cpu rv64,Zfh=true.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"
typedef u16 FT;
#define SUF "h"
#define MV_TO_F "fmv.h.x"
#define MV_TO_X "fmv.x.h"
#define LD "flh"
#define ST "fsh"
static void h16(u64 v) { hexn(v & 0xffff, 4); }
#define HEX h16
static const u64 V[] = {
    0x0000, 0x8000, 0x3c00, 0xbc00, 0x3c01, 0x3e00, 0x4200, 0x7c00, 0xfc00, 0x7e00, 0xfe01,
    0x7d00, 0x0001, 0x83ff, 0x0400, 0x7bff, 0x3555, 0x5bff,
};
#include "fp_common.h"

// fcvt between half and single/double: `to` from a 64-bit register pattern, all rounding modes.
#define CVT(name, insn, from_mv, to_mv, rm)                                    \
  static u64 name##_##rm(u64 a, u64 *fl) {                                     \
    u64 r, f;                                                                  \
    __asm__ volatile(from_mv " ft0, %2\n\tfsflags zero\n\t" insn " ft1, ft0, " #rm "\n\t" \
                     "frflags %1\n\t" to_mv " %0, ft1"                          \
                     : "=&r"(r), "=&r"(f) : "r"(a) : "ft0", "ft1");            \
    *fl = f;                                                                   \
    return r;                                                                  \
  }
#define CVT_ALL(name, insn, from_mv, to_mv) CVT(name, insn, from_mv, to_mv, rne)            \
  CVT(name, insn, from_mv, to_mv, rtz) CVT(name, insn, from_mv, to_mv, rdn)                 \
  CVT(name, insn, from_mv, to_mv, rup) CVT(name, insn, from_mv, to_mv, rmm)
CVT_ALL(h_s, "fcvt.h.s", "fmv.w.x", "fmv.x.d")
CVT_ALL(h_d, "fcvt.h.d", "fmv.d.x", "fmv.x.d")

typedef u64 (*cvtfn)(u64, u64 *);
static const u64 SINGLES[] = {
    0x3f800000, 0x3f801000, 0x3f803000, 0x477fe000, 0x477ff000, 0x47800000, 0x33800000,
    0x33000000, 0x33000001, 0x7fc00000, 0x7fa00000, 0xff800000, 0x387fc000, 0xc2f6e979,
};
static const u64 DOUBLES[] = {
    0x3ff0000000000000UL, 0x3ff0020000000001UL, 0x40effc0000000000UL, 0x40effe0000000000UL,
    0x3e70000000000000UL, 0x3e60000000000000UL, 0x7ff8000000000000UL, 0x7ff4000000000000UL,
    0xfff0000000000000UL, 0xc05edd2f1a9fbe77UL, 0x0000000000000001UL,
};

static void to_half(const char *name, cvtfn f[5], const u64 *v, unsigned n) {
  u64 r, fl;
  for (unsigned i = 0; i < n; i++) {
    pr(name); sp(); h64(v[i]); pr(" :");
    for (int m = 0; m < 5; m++) { r = f[m](v[i], &fl); sp(); h64(r); putch('/'); hexn(fl, 2); }
    nl();
  }
}

int main(void) {
  common_tests();
  pr("== to half from single / double: rne rtz rdn rup rmm\n");
  cvtfn hs[5] = {h_s_rne, h_s_rtz, h_s_rdn, h_s_rup, h_s_rmm};
  cvtfn hd[5] = {h_d_rne, h_d_rtz, h_d_rdn, h_d_rup, h_d_rmm};
  to_half("fcvt.h.s", hs, SINGLES, sizeof SINGLES / sizeof SINGLES[0]);
  to_half("fcvt.h.d", hd, DOUBLES, sizeof DOUBLES / sizeof DOUBLES[0]);
  pr("== from half (exact)\n");
  u64 r, fl;
  for (unsigned i = 0; i < NV; i++) {
    __asm__ volatile("fmv.h.x ft0, %2\n\tfsflags zero\n\tfcvt.s.h ft1, ft0\n\tfrflags %1\n\t"
                     "fmv.x.d %0, ft1" : "=&r"(r), "=&r"(fl) : "r"(V[i]) : "ft0", "ft1");
    pr("fcvt.s.h "); h16(V[i]); sp(); h64(r); putch('/'); hexn(fl, 2);
    __asm__ volatile("fmv.h.x ft0, %2\n\tfsflags zero\n\tfcvt.d.h ft1, ft0\n\tfrflags %1\n\t"
                     "fmv.x.d %0, ft1" : "=&r"(r), "=&r"(fl) : "r"(V[i]) : "ft0", "ft1");
    pr(" fcvt.d.h "); h64(r); putch('/'); hexn(fl, 2); nl();
  }
  pr("== NaN boxing\n");
  __asm__ volatile("fmv.h.x ft0, %1\n\tfmv.x.d %0, ft0" : "=r"(r) : "r"(0x3c00UL) : "ft0");
  pr("fmv.h.x then fmv.x.d "); h64(r); nl();
  static const u64 BOX[] = {0xffffffff00003c00UL, 0xfffffffffffe3c00UL, 0xffffffffffff3c00UL};
  for (unsigned i = 0; i < 3; i++) {
    __asm__ volatile("fmv.d.x ft0, %2\n\tfmv.h.x ft1, %3\n\tfsflags zero\n\t"
                     "fadd.h ft2, ft0, ft1\n\tfrflags %1\n\tfmv.x.h %0, ft2"
                     : "=&r"(r), "=&r"(fl) : "r"(BOX[i]), "r"(0x3c00UL) : "ft0", "ft1", "ft2");
    pr("fadd.h boxed "); h64(BOX[i]); pr(" + 1.0 ="); res(r, fl); nl();
    __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.x.h %0, ft0" : "=r"(r) : "r"(BOX[i]) : "ft0");
    pr("fmv.x.h of "); h64(BOX[i]); sp(); h64(r); nl();
    __asm__ volatile("fmv.d.x ft0, %1\n\tfsgnj.h ft1, ft0, ft0\n\tfmv.x.d %0, ft1"
                     : "=r"(r) : "r"(BOX[i]) : "ft0", "ft1");
    pr("fsgnj.h of "); h64(BOX[i]); sp(); h64(r); nl();
  }
  return 0;
}
