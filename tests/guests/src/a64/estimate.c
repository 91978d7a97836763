// The AdvSIMD estimates, steps and polynomial and saturating doubling multiplies, over every
// exponent and the mantissa bits the estimate tables read, under several FPCR settings: frecpe,
// frsqrte, frecpx, frecps, frsqrts (single and double, vector and scalar), urecpe, ursqrte,
// pmul, pmull/pmull2 (8-bit and 64-bit), sqdmull, sqdmlal, sqdmlsl (vector, by element, scalar),
// sqdmulh, sqrdmulh (by element, scalar by element), sqrdmlah, sqrdmlsh; fmulx by element and the FP scalar
// by-element forms; crc32 and crc32c; ldapr; sb; fcvt to and from half precision (FPCR.AHP
// too). One line per instruction and FPCR: a hash
// of the results with FPSR (cumulative flags and QC) in its top byte, for the comparison with
// qemu-aarch64.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "report.h"

typedef unsigned int u32;
typedef unsigned char u8;
typedef u32 v4 __attribute__((vector_size(16)));

static u64 fpsr(void) {
  u64 v;
  __asm__ volatile("mrs %0, fpsr\n msr fpsr, xzr" : "=r"(v));
  return v;
}

static void set_fpcr(u64 v) { __asm__ volatile("msr fpcr, %0" : : "r"(v)); }

static u64 hash;
static void mix(v4 r) {
  for (int i = 0; i < 4; i++) hash = (hash ^ r[i]) * 1099511628211ul;
}
static void done(const char *name) {
  u64 f = fpsr(), flags = (f & 0x9f) | (f >> 27 & 1) << 5; // QC in the unused bit 5
  put(name, (hash >> 8) ^ (flags << 56));
  hash = 1469598103934665603ul;
}

static u64 seed = 0x9e3779b97f4a7c15ul;
static u64 next(void) {
  seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
  return seed;
}

/** Singles: each exponent with 4 sets of mantissa top bits, both signs; and NaNs. */
static v4 single(int i) {
  u32 e = i >> 3 & 255, m = (u32)next() >> 9;
  v4 r;
  for (int k = 0; k < 4; k++) r[k] = (u32)(i & 1) << 31 | e << 23 | ((m + k * 0x1c3d71) & 0x7fffff);
  if (e == 0 && i & 2) r[1] &= 0x7f; // small denormals
  if (e == 255 && i & 2) r[2] &= 0xff800000; // infinities
  return r;
}

/** Doubles: exponents around each end and the middle of the range, with mantissa noise. */
static v4 dbl(int i) {
  static const u32 base[] = {0, 1, 2, 1021, 1022, 1023, 1024, 2044, 2045, 2046, 2047};
  u64 e = base[i % 11] + (i / 11 % 3 == 2 ? (next() & 63) : 0), m = next() & 0xfffffffffffff;
  if (i % 11 == 0 && i & 16) m &= 0x3ffffffffffff; // tiny denormals
  u64 x = (u64)(i >> 1 & 1) << 63 | (e > 2047 ? 2047 : e) << 52 | m, y = x ^ (next() & 0xfff);
  return (v4){(u32)x, (u32)(x >> 32), (u32)y, (u32)(y >> 32)};
}

#define UNARY(name, insn, gen, n)                                 \
  for (int i = 0; i < n; i++) {                                   \
    v4 r, x = gen(i);                                             \
    __asm__ volatile(insn : "=w"(r) : "w"(x));                    \
    mix(r);                                                       \
  }                                                               \
  done(name);
#define BINARY(name, insn, gen, n)                                \
  for (int i = 0; i < n; i++) {                                   \
    v4 r, x = gen(i), y = gen(i * 7 + 3);                         \
    __asm__ volatile(insn : "=&w"(r) : "w"(x), "w"(y));           \
    mix(r);                                                       \
  }                                                               \
  done(name);
/** Accumulating: Vd is an operand too (its initial value: random). */
#define ACC(name, insn, n)                                        \
  for (int i = 0; i < n; i++) {                                   \
    v4 r = ints(i + 5), x = ints(i), y = ints(i * 3 + 1);         \
    __asm__ volatile(insn : "+w"(r) : "w"(x), "x"(y));            \
    mix(r);                                                       \
  }                                                               \
  done(name);

/** Accumulating FP: Vd is an operand too. */
#define FACC(name, insn, gen, n)                                  \
  for (int i = 0; i < n; i++) {                                   \
    v4 r = gen(i + 5), x = gen(i), y = gen(i * 7 + 3);            \
    __asm__ volatile(insn : "+w"(r) : "w"(x), "w"(y));            \
    mix(r);                                                       \
  }                                                               \
  done(name);

/** Integers: random, with the saturating extremes (0x8000, 0x80000000) now and then. */
static v4 ints(int i) {
  v4 r = {(u32)next(), (u32)next(), (u32)next(), (u32)next()};
  if (i % 3 == 0) r[0] = 0x80008000, r[1] = 0x80000000, r[2] = 0x7fff8000;
  if (i % 5 == 0) r[3] = r[0];
  return r;
}

static void floats(void) {
  UNARY("frecpe.4s", "frecpe %0.4s, %1.4s", single, 2048);
  UNARY("frsqrte.4s", "frsqrte %0.4s, %1.4s", single, 2048);
  UNARY("frecpe.s", "frecpe %s0, %s1", single, 2048);
  UNARY("frsqrte.s", "frsqrte %s0, %s1", single, 256);
  UNARY("frecpx.s", "frecpx %s0, %s1", single, 2048);
  UNARY("frecpe.2d", "frecpe %0.2d, %1.2d", dbl, 700);
  UNARY("frsqrte.2d", "frsqrte %0.2d, %1.2d", dbl, 700);
  UNARY("frecpx.d", "frecpx %d0, %d1", dbl, 700);
  UNARY("frsqrte.d", "frsqrte %d0, %d1", dbl, 200);
  BINARY("frecps.4s", "frecps %0.4s, %1.4s, %2.4s", single, 1024);
  BINARY("frsqrts.4s", "frsqrts %0.4s, %1.4s, %2.4s", single, 2048);
  BINARY("frsqrts.s", "frsqrts %s0, %s1, %s2", single, 256);
  BINARY("frsqrts.2d", "frsqrts %0.2d, %1.2d, %2.2d", dbl, 700);
  BINARY("frecps.d", "frecps %d0, %d1, %d2", dbl, 200);
  BINARY("fmulx.e", "fmulx %0.4s, %1.4s, %2.s[3]", single, 256);
  BINARY("fmulx.se", "fmulx %d0, %d1, %2.d[1]", dbl, 200);
  BINARY("fmul.se", "fmul %s0, %s1, %2.s[2]", single, 256);
  FACC("fmla.se", "fmla %s0, %s1, %2.s[1]", single, 256);
  FACC("fmls.se", "fmls %d0, %d1, %2.d[0]", dbl, 200);
}

static void integers(void) {
  UNARY("urecpe", "urecpe %0.4s, %1.4s", ints, 512);
  UNARY("ursqrte", "ursqrte %0.4s, %1.4s", ints, 512);
  BINARY("pmul", "pmul %0.16b, %1.16b, %2.16b", ints, 64);
  BINARY("pmull.8b", "pmull %0.8h, %1.8b, %2.8b", ints, 64);
  BINARY("pmull2.16b", "pmull2 %0.8h, %1.16b, %2.16b", ints, 64);
  BINARY("pmull.1d", "pmull %0.1q, %1.1d, %2.1d", ints, 64);
  BINARY("pmull2.2d", "pmull2 %0.1q, %1.2d, %2.2d", ints, 64);
  BINARY("sqdmull.4h", "sqdmull %0.4s, %1.4h, %2.4h", ints, 64);
  BINARY("sqdmull2.4s", "sqdmull2 %0.2d, %1.4s, %2.4s", ints, 64);
  BINARY("sqdmull.s", "sqdmull %d0, %s1, %s2", ints, 64);
  BINARY("sqdmull.h", "sqdmull %s0, %h1, %h2", ints, 64);
  ACC("sqdmlal.4h", "sqdmlal %0.4s, %1.4h, %2.4h", 64);
  ACC("sqdmlsl2.8h", "sqdmlsl2 %0.4s, %1.8h, %2.8h", 64);
  ACC("sqdmlal.s", "sqdmlal %d0, %s1, %s2", 64);
  ACC("sqdmlsl.h", "sqdmlsl %s0, %h1, %h2", 64);
  ACC("sqdmlal.e", "sqdmlal %0.4s, %1.4h, %2.h[3]", 64);
  ACC("sqdmlsl2.e", "sqdmlsl2 %0.2d, %1.4s, %2.s[1]", 64);
  ACC("sqdmull.e", "sqdmull %0.4s, %1.4h, %2.h[5]", 64);
  ACC("sqdmull.se", "sqdmull %s0, %h1, %2.h[6]", 64);
  ACC("sqdmlal.se", "sqdmlal %d0, %s1, %2.s[2]", 64);
  ACC("sqdmulh.e", "sqdmulh %0.8h, %1.8h, %2.h[7]", 64);
  ACC("sqrdmulh.e", "sqrdmulh %0.4s, %1.4s, %2.s[3]", 64);
  ACC("sqdmulh.se", "sqdmulh %h0, %h1, %2.h[2]", 64);
  ACC("sqrdmulh.se", "sqrdmulh %s0, %s1, %2.s[0]", 64);
  ACC("sqrdmlah.8h", "sqrdmlah %0.8h, %1.8h, %2.8h", 64);
  ACC("sqrdmlsh.2s", "sqrdmlsh %0.2s, %1.2s, %2.2s", 64);
  ACC("sqrdmlah.h", "sqrdmlah %h0, %h1, %h2", 64);
  ACC("sqrdmlsh.s", "sqrdmlsh %s0, %s1, %s2", 64);
  ACC("sqrdmlah.e", "sqrdmlah %0.4h, %1.4h, %2.h[7]", 64);
  ACC("sqrdmlsh.e", "sqrdmlsh %0.4s, %1.4s, %2.s[2]", 64);
  ACC("sqrdmlah.se", "sqrdmlah %s0, %s1, %2.s[3]", 64);
  ACC("sqrdmlsh.se", "sqrdmlsh %h0, %h1, %2.h[1]", 64);
}

/** Halves: every 7th bit pattern (all exponents, NaNs, infinities, denormals). */
static v4 half(int i) {
  u32 h = i * 7 + (u32)next() % 7;
  return (v4){h & 0xffff, (h * 13) & 0xffff, 0, 0};
}

/** Singles and doubles around the half-precision range (exponents -26 to 17), and specials. */
static v4 near16(int i) {
  u32 e = 101 + (i >> 2 & 63), m = (u32)next() & 0x7fffff, s = (u32)(i & 1) << 31;
  if (i % 97 == 0) e = i & 2 ? 255 : 0; // infinities, NaNs, zeros and denormals
  u64 d = (u64)(i & 1) << 63 | (u64)(e - 127 + 1023) << 52 | next() >> 12;
  if (i % 97 == 0) d = (u64)(i & 2 ? 2047 : 0) << 52 | (i & 4 ? next() >> 12 : 0);
  return (v4){s | e << 23 | m, (u32)d, (u32)(d >> 32), 0};
}

static v4 d_of(v4 x) { return (v4){x[1], x[2], 0, 0}; }
static v4 near16d(int i) { return d_of(near16(i)); }

/** fcvt, fcvtl and fcvtn to and from half precision, under FPCR.AHP too. */
static void halves(void) {
  static const u64 modes[] = {0, 1UL << 22, 3UL << 22, 1UL << 24, 1UL << 25, 1UL << 26,
                              1UL << 26 | 2UL << 22, 1UL << 26 | 1UL << 25 | 1UL << 24 | 3UL << 22};
  for (unsigned k = 0; k < sizeof modes / sizeof modes[0]; k++) {
    set_fpcr(modes[k]);
    put("fpcr", modes[k]);
    UNARY("fcvt.s.h", "fcvt %s0, %h1", half, 4096);
    UNARY("fcvt.d.h", "fcvt %d0, %h1", half, 4096);
    UNARY("fcvt.h.s", "fcvt %h0, %s1", near16, 2048);
    UNARY("fcvt.h.d", "fcvt %h0, %d1", near16d, 2048);
    UNARY("fcvtl.4h", "fcvtl %0.4s, %1.4h", half, 1024);
    UNARY("fcvtl2.8h", "fcvtl2 %0.4s, %1.8h", half, 1024);
    UNARY("fcvtn.4h", "fcvtn %0.4h, %1.4s", near16, 1024);
    BINARY("fcvtn2.8h", "mov %0.16b, %2.16b\n fcvtn2 %0.8h, %1.4s", near16, 1024);
  }
  set_fpcr(0);
}

#define CRC(name, insn, reg)                                      \
  for (int i = 0; i < 256; i++) {                                 \
    u32 acc = (u32)next();                                        \
    u64 x = next() >> (i & 31);                                   \
    __asm__(insn " %w0, %w0, %" reg "1" : "+r"(acc) : "r"(x));    \
    mix((v4){acc, 0, 0, 0});                                      \
  }                                                               \
  done(name);

/** crc32 and crc32c of bytes, halfwords, words and doublewords. */
static void crcs(void) {
  CRC("crc32b", "crc32b", "w");
  CRC("crc32h", "crc32h", "w");
  CRC("crc32w", "crc32w", "w");
  CRC("crc32x", "crc32x", "x");
  CRC("crc32cb", "crc32cb", "w");
  CRC("crc32ch", "crc32ch", "w");
  CRC("crc32cw", "crc32cw", "w");
  CRC("crc32cx", "crc32cx", "x");
}

/** ldapr (w, x), ldaprb, ldaprh: the loads of ARMv8.3's RCpc acquire. */
static void rcpc(void) {
  static u64 mem[9];
  for (int i = 0; i < 64; i++) {
    for (int k = 0; k < 9; k++) mem[k] = next();
    const u8 *p = (const u8 *)mem + (i & 7) * 8 + (i >> 3);
    u64 x;
    u32 w, b, h;
    __asm__ volatile("ldapr %0, [%1]" : "=r"(x) : "r"(mem + (i & 7)) : "memory");
    __asm__ volatile("ldapr %w0, [%1]" : "=r"(w) : "r"(mem + (i & 7)) : "memory");
    __asm__ volatile("ldaprb %w0, [%1]" : "=r"(b) : "r"(p) : "memory");
    __asm__ volatile("ldaprh %w0, [%1]" : "=r"(h) : "r"(p - (i >> 3 & 1)) : "memory");
    mix((v4){(u32)x, (u32)(x >> 32) ^ w, b, h});
  }
  done("ldapr");
  __asm__ volatile("sb"); // the speculation barrier (HWCAP_SB)
}

/** RMode RN, RP, RM, RZ; FZ; DN; FZ with DN and RM. */
static const u64 fpcrs[] = {0, 1UL << 22, 2UL << 22, 3UL << 22, 1UL << 24, 1UL << 25,
                            1UL << 24 | 1UL << 25 | 2UL << 22};

void _start(void) {
  hash = 1469598103934665603ul;
  for (unsigned i = 0; i < sizeof fpcrs / sizeof fpcrs[0]; i++) {
    set_fpcr(fpcrs[i]);
    put("fpcr", fpcrs[i]);
    floats();
  }
  set_fpcr(0);
  integers();
  crcs();
  rcpc();
  halves();
  put("checksum", checksum);
  sys3(93, 0, 0, 0);
}
