// Freestanding integer workout for the A64 translator: flag-setting arithmetic and conditional
// select/compare, bitfield moves, extends and shifts, multiplies and divides, clz/rbit/rev,
// loads and stores with writeback, pairs, exclusives and LSE atomics. Prints one hex line per
// check (the test compares them with qemu-aarch64's) and exits with a checksum.
// Built with -nostdlib: no libc, so the program is only the instructions under test.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "report.h"
typedef long i64;
typedef unsigned int u32;
typedef int i32;

// The inputs come from memory through volatile, so the compiler cannot fold the checks.
static volatile u64 in[] = {0, 1, 2, 0x7fffffffffffffffUL, 0x8000000000000000UL, -1UL,
                            0x123456789abcdef0UL, 0x80000000UL, 0xffffffffUL, 12345, -77};
#define N (sizeof in / sizeof in[0])

static u64 nzcv(void) {
  u64 v;
  __asm__ volatile("mrs %0, nzcv" : "=r"(v));
  return v;
}

__attribute__((noinline)) static void flags(u64 a, u64 b) {
  u64 f;
  __asm__ volatile("adds %0, %1, %2\n mrs %0, nzcv" : "=&r"(f) : "r"(a), "r"(b));
  put("adds.nzcv", f);
  __asm__ volatile("subs %w0, %w1, %w2\n mrs %0, nzcv" : "=&r"(f) : "r"(a), "r"(b));
  put("subs32.nzcv", f);
  __asm__ volatile("cmp %1, %2\n adcs %0, %1, %2\n" : "=&r"(f) : "r"(a), "r"(b));
  put("adcs", f ^ nzcv());
  __asm__ volatile("cmp %1, %2\n sbcs %w0, %w1, %w2\n" : "=&r"(f) : "r"(a), "r"(b));
  put("sbcs32", f ^ nzcv());
  __asm__ volatile("ccmp %1, %2, #5, lt\n mrs %0, nzcv" : "=&r"(f) : "r"(a), "r"(b));
  put("ccmp", f);
  __asm__ volatile("tst %1, %2\n csinc %0, %1, %2, ne" : "=&r"(f) : "r"(a), "r"(b));
  put("csinc", f);
  __asm__ volatile("cmn %w1, %w2\n csneg %0, %1, %2, hi" : "=&r"(f) : "r"(a), "r"(b));
  put("csneg", f);
  __asm__ volatile("cmp %1, %2\n csinv %0, %1, %2, ge" : "=&r"(f) : "r"(a), "r"(b));
  put("csinv", f);
}

__attribute__((noinline)) static void bits(u64 a, u64 b) {
  put("ubfx", (a >> 7) & 0x3ff);
  put("sbfx", (u64)(((i64)(a << 13)) >> 40));
  put("bfi", (a & ~0xff00UL) | ((b & 0xff) << 8));
  put("sxtb", (u64)(i64)(signed char)a);
  put("sxth.w", (u32)(i32)(short)b);
  put("uxtw", (u32)a + b);
  put("lsl.w", (u32)a << (b & 31));
  put("asr", (u64)((i64)a >> (b & 63)));
  put("ror", (a >> (b & 63)) | (a << (-b & 63)));
  put("extr", (a << 17) | (b >> 47));
  put("clz", a ? (u64)__builtin_clzl(a) : 64);
  put("cls", (u64)__builtin_clrsbl((i64)a));
  u64 r;
  __asm__("rbit %0, %1" : "=r"(r) : "r"(a));
  put("rbit", r);
  put("rev", __builtin_bswap64(a));
  put("rev.w", __builtin_bswap32((u32)b));
  put("rev16", ((a & 0x00ff00ff00ff00ffUL) << 8) | ((a >> 8) & 0x00ff00ff00ff00ffUL));
  put("mul", a * b);
  put("umulh", (u64)(((unsigned __int128)a * b) >> 64));
  put("smulh", (u64)(((__int128)(i64)a * (i64)b) >> 64));
  put("smaddl", (u64)((i64)(i32)a * (i64)(i32)b + (i64)a));
  put("udiv", b ? a / b : 0);
  put("sdiv.w", (i32)b && !((i32)a == (i32)0x80000000 && (i32)b == -1) ? (u32)((i32)a / (i32)b) : 0);
  put("urem", b ? a % b : 0);
  put("and.imm", a & 0x00ff00ff00ff00ffUL);
  put("orr.imm.w", (u32)b | 0x0f0f0f0f);
  put("eor.imm", a ^ 0x5555555555555555UL);
  put("bic", a & ~b);
  put("orn.w", (u32)(a | ~b));
}

__attribute__((noinline)) static void memory(u64 *p, u64 a) {
  u64 pair[4] = {a, ~a, a * 3, a >> 3};
  u64 *q = pair;
  u64 x, y;
  __asm__ volatile("ldp %0, %1, [%2], #16" : "=&r"(x), "=&r"(y), "+r"(q));
  put("ldp.post", x ^ y ^ (u64)(q - pair));
  __asm__ volatile("ldr %0, [%1, #8]!" : "=&r"(x), "+r"(q));
  put("ldr.pre", x ^ (u64)(q - pair));
  u64 *base = pair;
  __asm__ volatile("ldp %0, %1, [%0]" : "+r"(base), "=&r"(y));
  put("ldp.base", (u64)base ^ y);
  put("ldrsh", (u64)(i64)((short *)pair)[3]);
  put("ldrsb.idx", (u64)(i64)((signed char *)pair)[a & 7]);
  put("ldrh.reg", ((unsigned short *)pair)[a & 3]);
  u64 old, status;
  __asm__ volatile("1: ldxr %0, [%2]\n add %0, %0, #5\n stxr %w1, %0, [%2]\n cbnz %w1, 1b"
                   : "=&r"(old), "=&r"(status) : "r"(p) : "memory");
  put("ldxr/stxr", *p);
  __asm__ volatile("ldaddal %1, %0, [%2]" : "=&r"(old) : "r"(a), "r"(p) : "memory");
  put("ldadd", old ^ *p);
  __asm__ volatile("swpl %1, %0, [%2]" : "=&r"(old) : "r"(~a), "r"(p) : "memory");
  put("swp", old ^ *p);
  u64 expect = ~a;
  __asm__ volatile("casal %0, %1, [%2]" : "+r"(expect) : "r"(a * 7), "r"(p) : "memory");
  put("cas", expect ^ *p);
  __asm__ volatile("ldsmax %1, %0, [%2]" : "=&r"(old) : "r"(a), "r"(p) : "memory");
  put("ldsmax", old ^ *p);
  __asm__ volatile("lduminb %w1, %w0, [%2]" : "=&r"(old) : "r"(a), "r"(p) : "memory");
  put("lduminb", old ^ *p);
}

/** The pair exclusives (ldxp/stxp and the acquire/release forms) and casp, on `p[0..1]`. */
__attribute__((noinline)) static void pairs(u64 *p, u64 a, u64 b) {
  u64 x, y, status;
  p[0] = a, p[1] = b;
  __asm__ volatile("1: ldxp %0, %1, [%3]\n add %0, %0, #1\n eor %1, %1, %0\n"
                   " stxp %w2, %0, %1, [%3]\n cbnz %w2, 1b"
                   : "=&r"(x), "=&r"(y), "=&r"(status) : "r"(p) : "memory");
  put("ldxp/stxp", p[0] ^ p[1] << 1);
  __asm__ volatile("1: ldaxp %w0, %w1, [%3]\n sub %w0, %w0, %w1\n stlxp %w2, %w1, %w0, [%3]\n"
                   " cbnz %w2, 1b"
                   : "=&r"(x), "=&r"(y), "=&r"(status) : "r"(p) : "memory");
  put("ldaxp/stlxp.w", p[0] ^ p[1] << 1);
  __asm__ volatile("clrex\n stxp %w0, %1, %2, [%3]" : "=&r"(status) : "r"(a), "r"(b), "r"(p)
                   : "memory");
  put("stxp.nomonitor", status ^ p[0] ^ p[1]);
  register u64 s0 __asm__("x4") = p[0], s1 __asm__("x5") = p[1];
  register u64 t0 __asm__("x6") = a * 3, t1 __asm__("x7") = ~b;
  __asm__ volatile("caspal x4, x5, x6, x7, [%2]" : "+r"(s0), "+r"(s1) : "r"(p), "r"(t0), "r"(t1)
                   : "memory");
  put("casp.equal", s0 ^ s1 ^ p[0] ^ p[1] << 3);
  s0 = a, s1 = b;
  __asm__ volatile("casp x4, x5, x6, x7, [%2]" : "+r"(s0), "+r"(s1) : "r"(p), "r"(t0), "r"(t1)
                   : "memory");
  put("casp.differ", s0 ^ s1 << 2 ^ p[0] ^ p[1] << 3);
  s0 = (u32)p[0], s1 = (u32)(p[0] >> 32);
  __asm__ volatile("caspa w4, w5, w6, w7, [%2]" : "+r"(s0), "+r"(s1) : "r"(p), "r"(t0), "r"(t1)
                   : "memory");
  put("caspa.w", s0 ^ s1 << 2 ^ p[0] ^ p[1] << 3);
  s0 = a;
  __asm__ volatile("caspl w4, w5, w6, w7, [%2]" : "+r"(s0), "+r"(s1) : "r"(p), "r"(t0), "r"(t1)
                   : "memory");
  put("caspl.w", s0 ^ s1 << 2 ^ p[0] ^ p[1] << 3);
}

void _start(void) {
  static u64 cell = 42;
  static u64 pair[2] __attribute__((aligned(16)));
  for (unsigned i = 0; i < N; i++) {
    for (unsigned j = 0; j < N; j += 3) {
      flags(in[i], in[j]);
      bits(in[i], in[j]);
    }
    memory(&cell, in[i]);
    pairs(pair, in[i], in[(i + 3) % N]);
  }
  put("checksum", checksum);
  sys3(93, (long)(checksum & 0x7f), 0, 0);
  for (;;) {
  }
}
