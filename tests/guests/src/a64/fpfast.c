// Freestanding workout for the double-precision fast paths in IR (targets/aarch64/fp_ir.ts): the
// scalar arithmetic, fused multiply-adds, comparisons (fcmp, fccmp) and conversions to and from
// integers, each as its own instruction, over 3,000 operand sets drawn to reach both sides of every
// fast-path check: exact and inexact results, ties and near-ties of fused operations, cancellation, results
// next to powers of two, the edges of the exponent ranges, subnormals, zeros, infinities,
// signalling and quiet NaNs, integers next to 2^31, 2^32, 2^53, 2^63, 2^64 and fractions next to
// one half. Each runs under FPCR = 0, each rounding mode, FZ, DN and FZ with DN. Prints one line
// per operation and FPCR: a hash of every result and the FPSR flags it raised (the test compares
// them with qemu-aarch64's).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "report.h"

#define SETS 3000

static u64 state = 0x9e3779b97f4a7c15UL;
static u64 next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
static u64 below(u64 n) { return next() % n; }

union d64 {
  double d;
  u64 u;
};
static double d(u64 bits) {
  union d64 x = {.u = bits};
  return x.d;
}
static u64 bits(double v) {
  union d64 x = {.d = v};
  return x.u;
}

/** A random sign, a random significand and a biased exponent in [lo, hi]. */
static u64 scaled(unsigned lo, unsigned hi) {
  return (next() & (1UL << 63)) | (lo + below(hi - lo + 1)) << 52 | (next() >> 12);
}
/** A value with at most 20 significant bits (exact products and sums), near 1. */
static u64 narrow(void) {
  return (next() & (1UL << 63)) | (1013 + below(20)) << 52 | (next() >> 44) << 32;
}

static const u64 specials[] = {
  0,                     1UL << 63,             0x7ff0000000000000UL, 0xfff0000000000000UL,
  0x7ff8000000000000UL,  0xfff4000000000001UL,  1,                    0x800fffffffffffffUL,
  0x0010000000000000UL,  0x7fefffffffffffffUL,  0x3fe0000000000000UL, 0xbff8000000000000UL,
  0x4340000000000000UL,  0x43e0000000000000UL,  0xc3e0000000000000UL, 0x43f0000000000000UL,
  0x41e0000000000000UL,  0x41efffffffe00000UL,  0xc1e0000000200000UL, 0x1cb0000000000000UL,
  0x5f30000000000000UL,  0x6b00000000000000UL,  0x0690000000000000UL, 0x7fd0000000000000UL,
};
#define NSPECIAL (sizeof specials / sizeof specials[0])

/** Integers next to the conversions' edges. */
static u64 integer(void) {
  static const u64 edges[] = {0,          1UL << 31,  1UL << 32,  1UL << 53,
                              1UL << 54,  1UL << 63,  0xffffffff, 0x7fffffff};
  u64 e = edges[below(8)] + below(5) - 2;
  switch (below(4)) {
  case 0: return e;
  case 1: return -e;
  case 2: return next() >> below(64);
  default: return next();
  }
}

/** The operands of one set: a, b, c (double bits) and i (an integer). */
static u64 ops[4];

static void draw(void) {
  u64 *o = ops;
  o[0] = scaled(1023 - 40, 1023 + 40), o[1] = scaled(1023 - 40, 1023 + 40);
  o[2] = scaled(1023 - 90, 1023 + 90), o[3] = integer();
  switch (below(10)) {
  case 0: o[0] = next(), o[1] = next(), o[2] = next(); break;
  case 1:
    o[below(3)] = specials[below(NSPECIAL)];
    o[below(3)] = specials[below(NSPECIAL)];
    break;
  case 2: { // exact products; a cancelling or exact addend
    o[0] = narrow(), o[1] = narrow();
    o[2] = below(2) ? bits(-(d(o[0]) * d(o[1]))) : narrow();
    break;
  }
  case 3: o[2] = bits(-(d(o[0]) * d(o[1]))); break; // the result is the product's error
  case 4: { // ties and near-ties: an exact product plus half an ulp, nudged
    o[0] = narrow(), o[1] = narrow();
    u64 p = bits(d(o[0]) * d(o[1])) & 0x7ff0000000000000UL;
    o[2] = ((p - (53UL << 52)) | (next() & (1UL << 63))) + below(3) - 1;
    break;
  }
  case 5: // results next to a power of two
    o[2] = bits((below(2) ? 1.0 : -1.0) * d((1023 - 20 + below(40)) << 52) - d(o[0]) * d(o[1]));
    break;
  case 6: // the edges of the exponent ranges: tiny, huge, subnormal
    o[0] = scaled(below(2) ? 0 : 1900, below(2) ? 140 : 2046);
    o[1] = scaled(below(2) ? 0 : 900, below(2) ? 1100 : 2046);
    break;
  case 7: // fractions next to one half, for the conversions
    o[0] = bits((double)(long)(integer() >> below(60)) + (double)below(5) * 0.25 - 0.5);
    o[0] += below(3) - 1;
    break;
  case 8: o[0] = bits((double)(long)o[3]), o[1] = bits(-(double)(o[3] >> 11)); break;
  default: break;
  }
}

/** One instruction on d0, d1, d2 and x10, with its result in d3. */
#define OP(name, insn)                                                                        \
  static u64 name(void) {                                                                     \
    u64 r;                                                                                    \
    __asm__ volatile("fmov d0, %1\n fmov d1, %2\n fmov d2, %3\n mov x10, %4\n" insn           \
                     "\n fmov %0, d3"                                                         \
                     : "=r"(r)                                                                \
                     : "r"(ops[0]), "r"(ops[1]), "r"(ops[2]), "r"(ops[3])                     \
                     : "v0", "v1", "v2", "v3", "x9", "x10", "cc");                            \
    return r;                                                                                 \
  }
OP(fadd, "fadd d3, d0, d1")
OP(fsub, "fsub d3, d0, d1")
OP(fmul, "fmul d3, d0, d1")
OP(fnmul, "fnmul d3, d0, d1")
OP(fdiv, "fdiv d3, d0, d1")
OP(fsqrt, "fsqrt d3, d0")
OP(fmadd, "fmadd d3, d0, d1, d2")
OP(fmsub, "fmsub d3, d0, d1, d2")
OP(fnmadd, "fnmadd d3, d0, d1, d2")
OP(fnmsub, "fnmsub d3, d0, d1, d2")
OP(fcmp, "fcmp d0, d1\n mrs x9, nzcv\n fmov d3, x9")
OP(fcmpe, "fcmpe d0, d1\n mrs x9, nzcv\n fmov d3, x9")
OP(fcmp0, "fcmp d0, #0.0\n mrs x9, nzcv\n fmov d3, x9")
OP(fccmp, "cmp x10, #0\n fccmp d0, d1, #4, ge\n mrs x9, nzcv\n fmov d3, x9")
OP(fccmpe, "cmp x10, #0\n fccmpe d1, d0, #9, lt\n mrs x9, nzcv\n fmov d3, x9")
OP(scvtf_x, "scvtf d3, x10")
OP(scvtf_w, "scvtf d3, w10")
OP(ucvtf_x, "ucvtf d3, x10")
OP(ucvtf_w, "ucvtf d3, w10")
OP(fcvtzs_x, "fcvtzs x9, d0\n fmov d3, x9")
OP(fcvtzs_w, "fcvtzs w9, d0\n fmov d3, x9")
OP(fcvtzu_x, "fcvtzu x9, d0\n fmov d3, x9")
OP(fcvtzu_w, "fcvtzu w9, d0\n fmov d3, x9")
OP(fcvtns_x, "fcvtns x9, d0\n fmov d3, x9")
OP(fcvtas_w, "fcvtas w9, d0\n fmov d3, x9")
OP(fcvtms_x, "fcvtms x9, d0\n fmov d3, x9")
OP(fcvtpu_x, "fcvtpu x9, d0\n fmov d3, x9")
OP(fcvtnu_w, "fcvtnu w9, d0\n fmov d3, x9")

static const struct {
  const char *name;
  u64 (*run)(void);
} table[] = {
    {"fadd", fadd},         {"fsub", fsub},         {"fmul", fmul},         {"fnmul", fnmul},
    {"fdiv", fdiv},         {"fsqrt", fsqrt},       {"fmadd", fmadd},       {"fmsub", fmsub},
    {"fnmadd", fnmadd},     {"fnmsub", fnmsub},     {"fcmp", fcmp},         {"fcmpe", fcmpe},
    {"fcmp0", fcmp0},       {"fccmp", fccmp},       {"fccmpe", fccmpe},     {"scvtf.x", scvtf_x},   {"scvtf.w", scvtf_w},   {"ucvtf.x", ucvtf_x},
    {"ucvtf.w", ucvtf_w},   {"fcvtzs.x", fcvtzs_x}, {"fcvtzs.w", fcvtzs_w}, {"fcvtzu.x", fcvtzu_x},
    {"fcvtzu.w", fcvtzu_w}, {"fcvtns.x", fcvtns_x}, {"fcvtas.w", fcvtas_w}, {"fcvtms.x", fcvtms_x},
    {"fcvtpu.x", fcvtpu_x}, {"fcvtnu.w", fcvtnu_w},
};
#define NOPS (sizeof table / sizeof table[0])

static u64 fpsr(void) {
  u64 v;
  __asm__ volatile("mrs %0, fpsr\n msr fpsr, xzr" : "=r"(v));
  return v;
}

#define FZ (1UL << 24)
#define DN (1UL << 25)
static const u64 fpcrs[] = {0, 1UL << 22, 2UL << 22, 3UL << 22, FZ, DN, FZ | DN};
#define NFPCR (sizeof fpcrs / sizeof fpcrs[0])

static u64 hashes[NFPCR][NOPS];

static u64 mix(u64 h, u64 v) { return (h ^ v) * 0x100000001b3UL + (h >> 29); }

void _start(void) {
  for (unsigned s = 0; s < SETS; s++) {
    __asm__ volatile("msr fpcr, xzr");
    draw();
    for (unsigned k = 0; k < NFPCR; k++) {
      __asm__ volatile("msr fpcr, %0" : : "r"(fpcrs[k]));
      fpsr();
      for (unsigned n = 0; n < NOPS; n++) {
        u64 r = table[n].run();
        hashes[k][n] = mix(mix(hashes[k][n], r), fpsr());
      }
    }
  }
  __asm__ volatile("msr fpcr, xzr");
  for (unsigned k = 0; k < NFPCR; k++) {
    put("fpcr", fpcrs[k]);
    for (unsigned n = 0; n < NOPS; n++) put(table[n].name, hashes[k][n]);
  }
  sys3(93, 0, 0, 0);
  for (;;) {
  }
}
