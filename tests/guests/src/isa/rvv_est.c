// vfrec7.v and vfrsqrt7.v on every table index at several exponents (subnormals, the
// overflow and subnormal-result edges, zeros, infinities, NaNs, both signs), in every
// rounding mode and for SEW 16, 32 and 64; prints a hash of the results and the fflags.
// Built with -march=rv64gcv; run with -cpu rv64,v=true,vlen=128,elen=64,vext_spec=v1.0.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

static u64 in[2048], out[2048];

static u64 hash(const u8 *p, u64 n) {
  u64 h = 0xcbf29ce484222325UL;
  for (u64 i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3UL;
  return h;
}

// Inputs of `bits` width (frac bits `fb`, exponent all-ones `em`) into in[] as raw elements.
static unsigned make_inputs(int bits, int fb, u64 em) {
  static const int exps[] = {0, 1, 2, 3, -3, -2, -1, 0x7ff};  // negative: from the top
  unsigned n = 0;
  for (unsigned e = 0; e < sizeof exps / sizeof exps[0]; e++) {
    u64 ex = exps[e] == 0x7ff ? em : exps[e] < 0 ? em + (u64)exps[e] : (u64)exps[e];
    for (u64 idx = 0; idx < 128; idx += (e < 6 ? 1 : 9)) {
      u64 sig = (idx << (fb - 7)) | (idx & 1 ? 1 : 0);
      if (ex == 0) sig >>= (idx & 7);  // subnormals with several leading zeros
      u64 v = (ex << fb) | sig | (idx & 8 ? (u64)1 << (bits - 1) : 0);
      if (bits == 16) ((u16 *)in)[n++] = (u16)v;
      else if (bits == 32) ((u32 *)in)[n++] = (u32)v;
      else in[n++] = v;
    }
  }
  return n;
}

static u64 run(int op, u64 vtype, unsigned n, u64 frm) {
  u64 fl = 0, f;
  for (unsigned i = 0; i < n;) {
    u64 vl;
    unsigned bytes = 8 << ((vtype >> 3) & 3) >> 3;
    const u8 *src = (const u8 *)in + i * bytes;
    u8 *dst = (u8 *)out + i * bytes;
    __asm__ volatile("vsetvl %0, %1, %2" : "=r"(vl) : "r"((u64)(n - i)), "r"(vtype));
    __asm__ volatile("fsflags x0\n fsrm %0" :: "r"(frm));
    if (bytes == 2) __asm__ volatile("vle16.v v8, (%0)" :: "r"(src) : "memory");
    if (bytes == 4) __asm__ volatile("vle32.v v8, (%0)" :: "r"(src) : "memory");
    if (bytes == 8) __asm__ volatile("vle64.v v8, (%0)" :: "r"(src) : "memory");
    if (op) __asm__ volatile("vfrsqrt7.v v16, v8");
    else __asm__ volatile("vfrec7.v v16, v8");
    if (bytes == 2) __asm__ volatile("vse16.v v16, (%0)" :: "r"(dst) : "memory");
    if (bytes == 4) __asm__ volatile("vse32.v v16, (%0)" :: "r"(dst) : "memory");
    if (bytes == 8) __asm__ volatile("vse64.v v16, (%0)" :: "r"(dst) : "memory");
    __asm__ volatile("frflags %0" : "=r"(f));
    fl |= f << (8 * (i / vl % 8));
    i += vl;
  }
  return fl;
}

int main(void) {
  static const struct { int bits, fb; u64 em, vtype; } F[] = {
      {16, 10, 31, 1 << 3 | 3}, {32, 23, 255, 2 << 3 | 3}, {64, 52, 2047, 3 << 3 | 3}};
  for (int f = 0; f < 3; f++) {
    unsigned n = make_inputs(F[f].bits, F[f].fb, F[f].em);
    for (int op = 0; op < 2; op++) {
      for (u64 frm = 0; frm < 5; frm++) {
        u64 fl = run(op, F[f].vtype, n, frm);
        pr(op ? "vfrsqrt7 e" : "vfrec7 e"); dec(F[f].bits); pr(" rm"); dec(frm); sp();
        h64(hash((const u8 *)out, n * F[f].bits / 8)); sp(); h64(fl); nl();
      }
    }
    // the first 128 results of the last run in full, to locate a difference
    for (unsigned i = 0; i < 16; i++) { h64(out[i]); sp(); }
    nl();
  }
  return 0;
}
