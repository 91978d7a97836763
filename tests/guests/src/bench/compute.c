// Compute-bound benchmark guest: integer hashing, sorting, matrix multiply, branchy code,
// call-heavy recursion and a switch-based bytecode interpreter. argv[1] = iteration count
// (default 700, about 0.7 s under qemu-riscv64). Prints one checksum line; uses only stdio/stdlib.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

static void isort(uint32_t *a, int n) {
  for (int i = 1; i < n; i++) {
    uint32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}

static void qsort_u32(uint32_t *a, int lo, int hi) {
  while (hi - lo > 16) {
    uint32_t p = a[(lo + hi) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { qsort_u32(a, lo, j); lo = i; } else { qsort_u32(a, i, hi); hi = j; }
  }
  isort(a + lo, hi - lo + 1);
}

#define M 24
static double A[M][M], B[M][M], C[M][M];

static uint64_t matmul(int it) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < M; j++) {
      A[i][j] = (double)((i * 7 + j * 3 + it) % 11) - 5.0;
      B[i][j] = (double)((i * 5 + j * 9 + it) % 13) * 0.5;
    }
  for (int i = 0; i < M; i++)
    for (int j = 0; j < M; j++) {
      double s = 0;
      for (int k = 0; k < M; k++) s += A[i][k] * B[k][j];
      C[i][j] = s;
    }
  uint64_t h = 0;
  for (int i = 0; i < M; i++) h = h * 31 + (uint64_t)(int64_t)C[i][(i * 5) % M];
  return h;
}

static int collatz(uint64_t n) {
  int steps = 0;
  while (n != 1) {
    if (n & 1) n = 3 * n + 1; else n >>= 1;
    steps++;
  }
  return steps;
}

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

enum { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_XOR, OP_SHR, OP_HALT };
static const int32_t PROG[] = {
    OP_PUSH, 1, OP_PUSH, 3000, // acc, counter
    OP_SWAP, OP_PUSH, 1103515245, OP_MUL, OP_PUSH, 12345, OP_ADD, OP_DUP, OP_PUSH, 7, OP_SHR, OP_XOR,
    OP_SWAP, OP_DEC, OP_DUP, OP_JNZ, 4, OP_HALT,
};

static int64_t interp(int64_t seed) {
  int64_t st[64];
  int sp = 0, pc = 0;
  st[sp++] = seed;
  for (;;) {
    switch (PROG[pc++]) {
    case OP_PUSH: st[sp++] = PROG[pc++]; break;
    case OP_ADD: sp--; st[sp - 1] += st[sp]; break;
    case OP_SUB: sp--; st[sp - 1] -= st[sp]; break;
    case OP_MUL: sp--; st[sp - 1] = (int64_t)((uint64_t)st[sp - 1] * (uint64_t)st[sp]) & 0xffffffff; break;
    case OP_DUP: st[sp] = st[sp - 1]; sp++; break;
    case OP_SWAP: { int64_t t = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = t; break; }
    case OP_JNZ: sp--; if (st[sp]) pc = PROG[pc]; else pc++; break;
    case OP_DEC: st[sp - 1]--; break;
    case OP_XOR: sp--; st[sp - 1] ^= st[sp]; break;
    case OP_SHR: sp--; st[sp - 1] = (int64_t)((uint64_t)st[sp - 1] >> st[sp]); break;
    case OP_HALT: return st[sp - 1] + st[sp - 2] + st[0];
    default: return -1;
    }
  }
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 700;
  static uint32_t arr[4096];
  uint64_t sum = 0;
  for (long it = 0; it < iters; it++) {
    for (int i = 0; i < 4096; i++) arr[i] = (uint32_t)mix((uint64_t)(it * 4096 + i));
    qsort_u32(arr, 0, 4095);
    sum = sum * 131 + arr[it % 4096] + arr[2048];
    sum ^= matmul((int)it);
    for (uint64_t n = 1; n < 300; n++) sum += (uint64_t)collatz(n + (uint64_t)it * 300);
    sum += fib(18 + (uint32_t)(it % 3));
    sum = sum * 7 + (uint64_t)interp(it);
  }
  printf("iterations %ld checksum %016llx\n", iters, (unsigned long long)sum);
  return 0;
}
