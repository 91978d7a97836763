// Freestanding floating-point workout for the A64 translator: scalar single and double
// arithmetic, fused multiply-add, sqrt, conversions and comparisons in each FPCR rounding mode and
// with FPCR.FZ and FPCR.DN, with the FPSR cumulative flags after each; fmov to and from the upper
// half of a V register.
// Prints one hex line per check (the test compares them with qemu-aarch64's).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "report.h"

static u64 fpsr(void) {
  u64 v;
  __asm__ volatile("mrs %0, fpsr\n msr fpsr, xzr" : "=r"(v));
  return v;
}

static void set_fpcr(u64 v) {
  __asm__ volatile("msr fpcr, %0" : : "r"(v));
}

/** FPCR.FZ (flush denormals to zero) and FPCR.DN (default NaN). */
#define FZ (1UL << 24)
#define DN (1UL << 25)
/** Each rounding mode, then FZ and DN, alone and with the other controls. */
static const u64 fpcrs[] = {0, 1UL << 22, 2UL << 22, 3UL << 22, FZ, DN, FZ | DN | 3UL << 22};

static volatile double dv[] = {1.0, -0.0, 3.0, 1e308, 2.2250738585072014e-308, 0.1, -7.5,
                               __builtin_inf(), __builtin_nan(""), 4503599627370497.5,
                               -4.9406564584124654e-324, 2.2250738585072009e-308};
static volatile float fv[] = {1.0f, 3.0f,   -0.5f,       3.4e38f,      1.17549435e-38f,
                              0.1f, 16777217.0f, 1.4e-45f, -1.1754942e-38f, __builtin_nanf("")};
#define ND (sizeof dv / sizeof dv[0])
#define NF (sizeof fv / sizeof fv[0])

union d64 {
  double d;
  u64 u;
};
union f32 {
  float f;
  unsigned u;
};
static u64 bits(double d) {
  union d64 x = {d};
  return x.u;
}
static u64 fbits(float f) {
  union f32 x = {f};
  return x.u;
}

__attribute__((noinline)) static void doubles(double a, double b) {
  put("fadd", bits(a + b) ^ fpsr() << 56);
  put("fsub", bits(a - b) ^ fpsr() << 56);
  put("fmul", bits(a * b) ^ fpsr() << 56);
  put("fdiv", bits(a / b) ^ fpsr() << 56);
  put("fmadd", bits(__builtin_fma(a, b, a)) ^ fpsr() << 56);
  put("fsqrt", bits(__builtin_sqrt(a)) ^ fpsr() << 56);
  put("fcvtzs", (u64)(long)a ^ fpsr() << 56);
  put("fcvtzu.w", (u64)(unsigned)b ^ fpsr() << 56);
  put("fcvt.s", fbits((float)a) ^ fpsr() << 56);
  put("frinta", bits(__builtin_round(a)) ^ fpsr() << 56);
  put("frintx", bits(__builtin_rint(b)) ^ fpsr() << 56);
  put("fmin", bits(__builtin_fmin(a, b)) ^ fpsr() << 56);
  put("cmp", (u64)((a < b) | (a == b) << 1 | (a > b) << 2 | (a != a) << 3) ^ fpsr() << 56);
  put("scvtf", bits((double)(long)(b * 1000)) ^ fpsr() << 56);
}

__attribute__((noinline)) static void singles(float a, float b) {
  put("fadd.s", fbits(a + b) ^ fpsr() << 56);
  put("fmul.s", fbits(a * b) ^ fpsr() << 56);
  put("fdiv.s", fbits(a / b) ^ fpsr() << 56);
  put("fnmsub.s", fbits(__builtin_fmaf(a, b, -b)) ^ fpsr() << 56);
  put("fcvtas.s", (u64)__builtin_lroundf(a) ^ fpsr() << 56);
  put("fcvt.d", bits((double)b) ^ fpsr() << 56);
  put("ucvtf.s", fbits((float)(unsigned long)(a * 3)) ^ fpsr() << 56);
}

void _start(void) {
  u64 lo, hi;
  __asm__ volatile("fmov d1, %2\n fmov v1.d[1], %3\n fmov %0, d1\n fmov %1, v1.d[1]"
                   : "=r"(lo), "=r"(hi) : "r"(0x1111UL), "r"(0x2222UL) : "v1");
  put("fmov.d1", lo << 32 | hi);
  for (unsigned k = 0; k < sizeof fpcrs / sizeof fpcrs[0]; k++) {
    set_fpcr(fpcrs[k]);
    for (unsigned i = 0; i < ND; i++)
      for (unsigned j = 0; j < ND; j += 2) doubles(dv[i], dv[j]);
    for (unsigned i = 0; i < NF; i++)
      for (unsigned j = 0; j < NF; j += 2) singles(fv[i], fv[j]);
  }
  sys3(93, 0, 0, 0);
  for (;;) {
  }
}
