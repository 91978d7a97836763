// The issue-20 "done when" program: real code built with -march=rv64gcv_zba_zbb_zbs_zfh -O3
// -ftree-vectorize: bit manipulation from the compiler, RVV loops and half precision by inline
// asm (gcc 12 cannot emit either), glibc's string routines. No Zicond: binutils 2.40 and
// QEMU 7.2 both predate it (tests/riscv_bitmanip_test.ts covers it).
// glibc's string routines run on top. Prints checksums; compared with qemu-riscv64.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 1037

static uint32_t seed = 12345;
static uint32_t rnd(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 7;
}

// Vectorisable integer loops (saxpy-like, reductions, conditional select).
__attribute__((noinline)) static void mix(int32_t *restrict d, const int32_t *restrict a,
                                          const int32_t *restrict b, int n) {
  for (int i = 0; i < n; i++) d[i] = a[i] * 3 + (b[i] >> 2) - (a[i] ^ b[i]);
}

__attribute__((noinline)) static int64_t sum64(const int32_t *a, int n) {
  int64_t s = 0;
  for (int i = 0; i < n; i++) s += a[i];
  return s;
}

__attribute__((noinline)) static void clampsel(int16_t *restrict d, const int16_t *restrict a,
                                               int n) {
  for (int i = 0; i < n; i++) d[i] = a[i] > 100 ? 100 : (a[i] < -100 ? -100 : a[i]);
}

__attribute__((noinline)) static void fsaxpy(double *restrict y, const double *restrict x,
                                             double k, int n) {
  for (int i = 0; i < n; i++) y[i] = k * x[i] + y[i];
}

__attribute__((noinline)) static float fdot(const float *a, const float *b, int n) {
  float s = 0;
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// Bit manipulation: popcount, clz/ctz, rotates, address generation (Zba/Zbb/Zbs).
__attribute__((noinline)) static uint64_t bits(const uint64_t *v, int n) {
  uint64_t h = 0;
  for (int i = 0; i < n; i++) {
    uint64_t x = v[i];
    h += (uint64_t)__builtin_popcountll(x) + (uint64_t)(x ? __builtin_clzll(x) : 64);
    h ^= (x >> 13) | (x << 51);
    h += x & ~(1ull << (i & 63));
    h |= (uint64_t)((x >> (i & 63)) & 1) << 7;
  }
  return h;
}

// Strip-mined RVV loops by inline asm (gcc 12 neither auto-vectorises for V nor has the
// intrinsics): d = a + b*k on int32, and strlen by fault-only-first loads.
__attribute__((noinline)) static void vmadd(int32_t *d, const int32_t *a, const int32_t *b,
                                            long k, long n) {
  while (n > 0) {
    long vl;
    __asm__ volatile("vsetvli %0, %1, e32, m2, ta, ma\n\tvle32.v v2, (%2)\n\tvle32.v v4, (%3)\n\t"
                     "vmacc.vx v2, %4, v4\n\tvse32.v v2, (%5)"
                     : "=&r"(vl) : "r"(n), "r"(a), "r"(b), "r"(k), "r"(d) : "memory");
    n -= vl, a += vl, b += vl, d += vl;
  }
}

__attribute__((noinline)) static long vstrlen(const char *s) {
  const char *p = s;
  for (;;) {
    long vl, idx;
    __asm__ volatile("vsetvli t0, zero, e8, m1, ta, ma\n\tvle8ff.v v1, (%2)\n\tcsrr %0, vl\n\t"
                     "vmseq.vi v0, v1, 0\n\tvfirst.m %1, v0"
                     : "=r"(vl), "=r"(idx) : "r"(p) : "t0", "memory");
    if (idx >= 0) return (long)(p - s) + idx;
    p += vl;
  }
}

// Zfh: half-precision arithmetic (gcc 12 has no _Float16 on RISC-V, so inline asm), held as
// bit patterns: h = 1.5*x*x - 0.25*x + 3 with x = i/3, all in half precision.
__attribute__((noinline)) static uint16_t hpoly(long i) {
  uint64_t r;
  __asm__ volatile("fcvt.h.l ft0, %1\n\tli t0, 3\n\tfcvt.h.l ft1, t0\n\tfdiv.h ft0, ft0, ft1\n\t"
                   "li t0, 0x3e00\n\tfmv.h.x ft2, t0\n\tfmul.h ft3, ft0, ft0\n\t"
                   "li t0, 0x3400\n\tfmv.h.x ft4, t0\n\tfmul.h ft4, ft4, ft0\n\t"
                   "fmsub.h ft3, ft2, ft3, ft4\n\tfadd.h ft3, ft3, ft1\n\tfmv.x.h %0, ft3"
                   : "=r"(r) : "r"(i) : "t0", "ft0", "ft1", "ft2", "ft3", "ft4");
  return (uint16_t)r;
}

__attribute__((noinline)) static uint16_t hadd(uint16_t a, uint16_t b, double *as_double) {
  uint64_t r;
  double d;
  __asm__ volatile("fmv.h.x ft0, %2\n\tfmv.h.x ft1, %3\n\tfadd.h ft0, ft0, ft1\n\t"
                   "fmv.x.h %0, ft0\n\tfcvt.d.h %1, ft0"
                   : "=r"(r), "=f"(d) : "r"((uint64_t)a), "r"((uint64_t)b) : "ft0", "ft1");
  *as_double = d;
  return (uint16_t)r;
}

static void strings(void) {
  char buf[600], other[600];
  for (int i = 0; i < 599; i++) buf[i] = (char)('a' + rnd() % 26);
  buf[599] = 0;
  strcpy(other, buf);
  other[301] = '#';
  printf("strlen %zu strcmp %d memcmp %d\n", strlen(buf), strcmp(buf, other) > 0,
         memcmp(buf, other, 600) > 0);
  char *p = strchr(buf, 'q');
  printf("strchr %ld memchr %ld strrchr %ld\n", p ? (long)(p - buf) : -1L,
         (long)((char *)memchr(buf, 'z', 600) - buf), (long)(strrchr(buf, 'a') - buf));
  memmove(buf + 7, buf, 400);
  memset(buf + 500, 'x', 50);
  unsigned h = 0;
  for (int i = 0; i < 600; i++) h = h * 31 + (unsigned char)buf[i];
  printf("memmove/memset hash %08x strspn %zu strstr %d\n", h, strspn(buf, "abcdefghijklm"),
         strstr(buf, "xxxx") != NULL);
}

int main(void) {
  static int32_t a[N], b[N], d[N];
  static int16_t s[N], t[N];
  static double x[N], y[N];
  static float f[N], g[N];
  static uint64_t v[N];
  for (int i = 0; i < N; i++) {
    a[i] = (int32_t)rnd() - 0x1000000;
    b[i] = (int32_t)rnd();
    s[i] = (int16_t)rnd();
    x[i] = (double)(rnd() % 1000) / 7.0;
    y[i] = (double)i;
    f[i] = (float)(rnd() % 100) / 3.0f;
    g[i] = (float)(rnd() % 50) / 9.0f;
    v[i] = ((uint64_t)rnd() << 40) ^ ((uint64_t)rnd() << 9) ^ rnd();
  }
  mix(d, a, b, N);
  printf("mix sum %lld\n", (long long)sum64(d, N));
  clampsel(t, s, N);
  long ts = 0;
  for (int i = 0; i < N; i++) ts += t[i] * (i + 1);
  printf("clamp %ld\n", ts);
  fsaxpy(y, x, 0.75, N);
  printf("saxpy %.6f dot %.3f\n", y[N - 1] + y[N / 2], (double)fdot(f, g, N));
  printf("bits %016llx\n", (unsigned long long)bits(v, N));
  vmadd(d, a, b, 7, N);
  printf("vmadd sum %lld vstrlen %ld %ld\n", (long long)sum64(d, N), vstrlen("rvv!"),
         vstrlen((const char *)v + 3));
  uint16_t acc = 0;
  double accd = 0;
  for (int i = -20; i <= 20; i++) {
    uint16_t r = hpoly(i);
    acc = hadd(acc, r, &accd);
    if (i % 10 == 0) printf("h(%d/3) = %04x\n", i, r);
  }
  printf("hsum %04x %.4f\n", acc, accd);
  strings();
  return 0;
}
