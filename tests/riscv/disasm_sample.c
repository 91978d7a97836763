// A C file exercising many instruction kinds, compiled (not run) for the
// disassembler differential test (see scripts/build_riscv_disasm_fixtures.ts).
// SPDX-License-Identifier: GPL-3.0-or-later

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;

struct pair {
  i64 a;
  double b;
  float c;
  short d;
  unsigned char e;
};

i64 counter;
u32 flags32;
double table[16];
float ftable[16];

i64 arith(i64 x, i64 y, u64 u, u64 v) {
  i64 r = x * y + (x / (y | 1)) - (x % (y | 3));
  r ^= (i64)(u / (v | 1)) + (i64)(u % (v | 5));
#ifdef __SIZEOF_INT128__
  r += (i64)(((__int128)x * y) >> 64) + (i64)(((unsigned __int128)u * v) >> 64);
#endif
  r += x << (y & 63);
  r += (i64)(u >> (v & 63)) + (x >> 3);
  return r + (x < y) + (u < v);
}

int words(int x, int y, unsigned a, unsigned b) {
  int r = x * y + x / (y | 1) - x % (y | 7);
  r += (int)(a / (b | 1) + a % (b | 9));
  return r + (x << (y & 31)) + (int)(a >> (b & 31)) + (x >> (y & 31));
}

double fp_double(double x, double y, double z, i64 n, u64 m) {
  double r = x * y + z;
  r = r - x / y;
  r += __builtin_sqrt(x * x + 1.0);
  r += __builtin_fma(x, -y, z) + __builtin_fma(-x, y, -z);
  r += (double)n + (double)m + (double)(int)n + (double)(unsigned)m;
  r += __builtin_fmin(x, y) + __builtin_fmax(y, z) + __builtin_copysign(x, z);
  r += __builtin_fabs(y) - (-z);
  if (x < y || y <= z || x == z) r += 1.0;
  return r + (double)(float)r;
}

float fp_float(float x, float y, float z, int n, unsigned m) {
  float r = x * y - z;
  r = r + x / y;
  r += __builtin_sqrtf(x) + __builtin_fmaf(x, y, z) + __builtin_fmaf(x, y, -z);
  r += (float)n + (float)m + __builtin_fminf(x, y) + __builtin_fmaxf(y, z);
  r += __builtin_copysignf(x, -z) + __builtin_fabsf(y);
  return r + (x > y) + (x >= z);
}

i64 conversions(double d, float f) {
  return (i64)d + (i64)(u64)d + (int)d + (unsigned)d + (i64)f + (u64)f + (int)f + (unsigned)f;
}

int classify(double d) { return __builtin_isnan(d) + __builtin_isinf(d) * 2; }

i64 atomics(i64 *p, int *q, i64 v) {
  i64 r = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
  r += __atomic_fetch_and(p, v, __ATOMIC_ACQUIRE);
  r += __atomic_fetch_or(p, v, __ATOMIC_RELEASE);
  r += __atomic_fetch_xor(p, v, __ATOMIC_RELAXED);
  r += __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL);
  r += __atomic_fetch_add(q, (int)v, __ATOMIC_SEQ_CST);
  r += __atomic_exchange_n(q, 3, __ATOMIC_SEQ_CST);
  i64 expected = 5;
  r += __atomic_compare_exchange_n(p, &expected, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  int e32 = 7;
  r += __atomic_compare_exchange_n(q, &e32, 9, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  return r;
}

void copy_pairs(struct pair *dst, const struct pair *src, int n) {
  for (int i = 0; i < n; i++) {
    dst[i].a = src[i].a + 1;
    dst[i].b = src[i].b * 2.0;
    dst[i].c = src[i].c + 1.0f;
    dst[i].d = (short)(src[i].d - 1);
    dst[i].e = (unsigned char)(src[i].e ^ 0x5a);
  }
}

int dispatch(int k, int x) {
  switch (k) {
  case 0: return x + 1;
  case 1: return x * 3;
  case 2: return x - 7;
  case 3: return x ^ 0x55;
  case 4: return x << 2;
  case 5: return x >> 1;
  case 6: return -x;
  default: return 0;
  }
}

typedef i64 (*binop)(i64, i64);
i64 apply(binop f, i64 a, i64 b) { return f(a, b) + f(b, a); }

i64 big_constants(i64 x) {
  return x + 0x123456789abcdefL + (x & 0xffff0000L) + (x | 0x7ff) + 0x80000000L;
}

u64 bits(u64 x, unsigned char c, unsigned short s, signed char sc, short ss) {
  return (x & 0xff) + c + s + sc + ss + (u64)(u32)x + (u64)(int)x;
}

i64 sum_table(int n) {
  double s = 0;
  float fs = 0;
  for (int i = 0; i < n && i < 16; i++) {
    s += table[i];
    fs += ftable[i];
    table[i] = s;
  }
  counter += n;
  flags32 |= (u32)n;
  return (i64)s + (i64)fs;
}

u64 read_counters(void) {
  u64 c, t, i;
  __asm__ volatile("rdcycle %0" : "=r"(c));
  __asm__ volatile("rdtime %0" : "=r"(t));
  __asm__ volatile("rdinstret %0" : "=r"(i));
  unsigned fl;
  __asm__ volatile("frflags %0" : "=r"(fl));
  __asm__ volatile("fsrm %0" ::"r"(fl & 7));
  __asm__ volatile("fence.i");
  return c + t + i + fl;
}
