// Vector benchmark guest (V 1.0, written as inline assembly: gcc 12 does not auto-vectorise
// for RVV): strip-mined loops over 4096-element arrays: an int32 saxpy, an int32 dot product
// with a widening reduction, an f32 multiply-add and an f32 ordered sum, a byte histogram-like
// compare-and-count. argv[1] = iteration count (default 200). Prints one checksum line.
// Built with -march=rv64gcv; run with -cpu rv64,v=true,vlen=128,elen=64,vext_spec=v1.0.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 4096
static int32_t xs[N], ys[N];
static float fa[N], fb[N];
static uint8_t bytes[N];

static void saxpy(int32_t a, const int32_t *x, int32_t *y, long n) {
  __asm__ volatile("1: vsetvli t0, %0, e32, m8, ta, ma\n"
                   " vle32.v v8, (%1)\n vle32.v v16, (%2)\n"
                   " vmacc.vx v16, %3, v8\n vse32.v v16, (%2)\n"
                   " sub %0, %0, t0\n slli t0, t0, 2\n add %1, %1, t0\n add %2, %2, t0\n"
                   " bnez %0, 1b"
                   : "+r"(n), "+r"(x), "+r"(y) : "r"(a) : "t0", "memory");
}

static int64_t dot(const int32_t *x, const int32_t *y, long n) {
  int64_t r;
  __asm__ volatile("vsetivli x0, 1, e64, m1, ta, ma\n vmv.s.x v0, x0\n"
                   "1: vsetvli t0, %1, e32, m4, ta, ma\n"
                   " vle32.v v8, (%2)\n vle32.v v12, (%3)\n vmul.vv v8, v8, v12\n"
                   " vwredsum.vs v0, v8, v0\n"
                   " sub %1, %1, t0\n slli t0, t0, 2\n add %2, %2, t0\n add %3, %3, t0\n"
                   " bnez %1, 1b\n"
                   " vsetivli x0, 1, e64, m1, ta, ma\n vmv.x.s %0, v0"
                   : "=r"(r), "+r"(n), "+r"(x), "+r"(y) :: "t0", "memory");
  return r;
}

static uint32_t fma_sum(float *a, const float *b, float k, long n) {
  uint32_t bits;
  __asm__ volatile("fmv.w.x ft0, %4\n vsetivli x0, 1, e32, m1, ta, ma\n vmv.s.x v0, x0\n"
                   "1: vsetvli t0, %1, e32, m8, ta, ma\n"
                   " vle32.v v8, (%2)\n vle32.v v16, (%3)\n vfmacc.vf v8, ft0, v16\n vse32.v v8, (%2)\n"
                   " vfredosum.vs v0, v8, v0\n"
                   " sub %1, %1, t0\n slli t0, t0, 2\n add %2, %2, t0\n add %3, %3, t0\n"
                   " bnez %1, 1b\n"
                   " vsetivli x0, 1, e32, m1, ta, ma\n vmv.x.s %0, v0"
                   : "=r"(bits), "+r"(n), "+r"(a), "+r"(b) : "r"(*(uint32_t *)&k) : "t0", "ft0", "memory");
  return bits;
}

static long count_below(const uint8_t *p, uint8_t limit, long n) {
  long total = 0, c;
  __asm__ volatile("1: vsetvli t0, %1, e8, m8, ta, ma\n"
                   " vle8.v v8, (%2)\n vmsltu.vx v0, v8, %4\n vcpop.m %3, v0\n add %0, %0, %3\n"
                   " sub %1, %1, t0\n add %2, %2, t0\n bnez %1, 1b"
                   : "+r"(total), "+r"(n), "+r"(p), "=&r"(c) : "r"(limit) : "t0", "memory");
  return total;
}

int main(int argc, char **argv) {
  int iters = argc > 1 ? atoi(argv[1]) : 200;
  uint64_t seed = 0x9e3779b97f4a7c15ULL, sum = 0;
  for (int i = 0; i < N; i++) {
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
    xs[i] = (int32_t)(seed >> 40) - (1 << 23);
    ys[i] = (int32_t)seed & 0xffff;
    fa[i] = (float)(int32_t)(seed >> 44) / 1024.0f;
    fb[i] = (float)(seed & 1023) / 512.0f;
    bytes[i] = (uint8_t)(seed >> 16);
  }
  for (int it = 0; it < iters; it++) {
    saxpy(it & 7, xs, ys, N);
    sum = sum * 31 + (uint64_t)dot(xs, ys, N);
    sum = sum * 31 + fma_sum(fa, fb, 0.5f, N);
    sum = sum * 31 + (uint64_t)count_below(bytes, (uint8_t)(it * 37), N);
  }
  printf("vcompute %d %016llx\n", iters, (unsigned long long)sum);
  return 0;
}
