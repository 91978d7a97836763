/*
 * Reference vector generator for core/softfloat (Denemu).
 *
 * Uses the host x86-64 SSE/FMA hardware (IEEE-754, tininess detected after
 * rounding, UE raised only when tiny AND inexact with underflow masked) and
 * fenv.h for rounding modes and exception flags.
 *
 * Build and run (from the repository root):
 *   gcc -O2 -mfma -frounding-math -fno-math-errno -o /tmp/gen_vectors \
 *       tests/softfloat/gen_vectors.c -lm
 *   /tmp/gen_vectors > tests/softfloat/vectors.txt
 *
 * Output: one case per line
 *   <op> <rm> <a> <b> <c> <result> <flags>
 * hex without prefix, "-" for an unused operand. rm is the RISC-V encoding
 * (0 RNE, 1 RTZ, 2 RDN, 3 RUP; x86 has no RMM). flags use RISC-V fflags bits
 * (NX=1 UF=2 OF=4 DZ=8 NV=16). NaN results are printed as the RISC-V
 * canonical NaN (x86 propagates payloads; RISC-V never does).
 *
 * Differences from RISC-V that are handled here rather than by hardware:
 * - float->int: x86 cvt returns the "integer indefinite" value, so the
 *   rounding is done with rint()/rintf() (hardware, current mode, raises
 *   inexact) and RISC-V saturation/NV is applied explicitly.
 * - fma with inf*0 and a quiet-NaN addend: RISC-V raises NV; x86 may not.
 *   Those cases are skipped (covered by hand-written tests).
 */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  rng_state = x;
  return x;
}
static int rndi(int lo, int hi) { return lo + (int)(rnd() % (uint64_t)(hi - lo + 1)); }

static double d_of(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static uint64_t u_of_d(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static float f_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t u_of_f(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static const int modes[4] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};

static int flags_now(void) {
  int e = fetestexcept(FE_ALL_EXCEPT), r = 0;
  if (e & FE_INEXACT) r |= 1;
  if (e & FE_UNDERFLOW) r |= 2;
  if (e & FE_OVERFLOW) r |= 4;
  if (e & FE_DIVBYZERO) r |= 8;
  if (e & FE_INVALID) r |= 16;
  return r;
}

/* ---- operand generators ---- */
static const uint64_t spec64[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull,
    0x0010000000000000ull, 0x8010000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
    0x7fefffffffffffffull, 0xffefffffffffffffull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
    0x7ff8000000000000ull, 0x7ff4000000000001ull, 0xfff0000000000001ull, 0x3fefffffffffffffull,
    0x3ff0000000000001ull, 0x000fffffffffffffull, 0x4340000000000000ull, 0x7fe0000000000000ull};
static const uint32_t spec32[] = {0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000,
                                  0x80800000, 0x3f800000, 0xbf800000, 0x7f7fffff, 0xff7fffff,
                                  0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00001, 0xff800001,
                                  0x3f7fffff, 0x3f800001, 0x007fffff, 0x4b800000, 0x7f000000};

/* value with given unbiased exponent (clamped into the encodable range) */
static uint64_t mk64(int e) {
  uint64_t s = rnd() & 0x8000000000000000ull, m = rnd() & 0x000fffffffffffffull;
  if (rnd() % 4 == 0) m &= ~((1ull << rndi(0, 52)) - 1) & 0x000fffffffffffffull; /* short sig */
  int be = e + 1023;
  if (be < 0) be = 0;
  if (be > 2046) be = 2046;
  return s | ((uint64_t)be << 52) | m;
}
static uint32_t mk32(int e) {
  uint32_t s = (uint32_t)rnd() & 0x80000000u, m = (uint32_t)rnd() & 0x007fffffu;
  if (rnd() % 4 == 0) m &= ~((1u << rndi(0, 23)) - 1) & 0x007fffffu;
  int be = e + 127;
  if (be < 0) be = 0;
  if (be > 254) be = 254;
  return s | ((uint32_t)be << 23) | m;
}
static int exp64(uint64_t u) { return (int)((u >> 52) & 0x7ff) - 1023; }
static int exp32(uint32_t u) { return (int)((u >> 23) & 0xff) - 127; }

static uint64_t any64(void) {
  switch (rnd() % 8) {
  case 0: return spec64[rnd() % 20];
  case 1: return rnd();
  case 2: return mk64(rndi(-1074, -1000));
  case 3: return mk64(rndi(1000, 1023));
  default: return mk64(rndi(-8, 8));
  }
}
static uint32_t any32(void) {
  switch (rnd() % 8) {
  case 0: return spec32[rnd() % 20];
  case 1: return (uint32_t)rnd();
  case 2: return mk32(rndi(-149, -110));
  case 3: return mk32(rndi(110, 127));
  default: return mk32(rndi(-8, 8));
  }
}
/* second operand related to the first so results are interesting */
static uint64_t rel64(uint64_t a, int op) {
  int ea = exp64(a);
  switch (rnd() % 5) {
  case 0: return any64();
  case 1: return mk64(ea + rndi(-3, 3)); /* cancellation / carries */
  case 2: return mk64(ea + rndi(-60, 60));
  default:
    if (op == 'm') return mk64(-1022 - ea + rndi(-60, 3)); /* product near underflow */
    if (op == 'd') return mk64(ea + 1022 + rndi(-3, 60));  /* quotient near underflow */
    if (op == 'M') return mk64(1023 - ea + rndi(-2, 2));   /* product near overflow */
    return mk64(ea + rndi(-1, 1)) ^ 0x8000000000000000ull;
  }
}
static uint32_t rel32(uint32_t a, int op) {
  int ea = exp32(a);
  switch (rnd() % 5) {
  case 0: return any32();
  case 1: return mk32(ea + rndi(-3, 3));
  case 2: return mk32(ea + rndi(-30, 30));
  default:
    if (op == 'm') return mk32(-126 - ea + rndi(-30, 3));
    if (op == 'd') return mk32(ea + 126 + rndi(-3, 30));
    if (op == 'M') return mk32(127 - ea + rndi(-2, 2));
    return mk32(ea + rndi(-1, 1)) ^ 0x80000000u;
  }
}

static int is_nan64(uint64_t u) { return (u & 0x7fffffffffffffffull) > 0x7ff0000000000000ull; }
static int is_nan32(uint32_t u) { return (u & 0x7fffffffu) > 0x7f800000u; }
static uint64_t canon64(double d) { return isnan(d) ? 0x7ff8000000000000ull : u_of_d(d); }
static uint32_t canon32(float f) { return isnan(f) ? 0x7fc00000u : u_of_f(f); }

#define N_ARITH 48
#define N_FMA 64
#define N_CVT 40

static void arith64(void) {
  const char *names[5] = {"add.d", "sub.d", "mul.d", "div.d", "sqrt.d"};
  for (int op = 0; op < 5; op++)
    for (int m = 0; m < 4; m++)
      for (int i = 0; i < N_ARITH; i++) {
        uint64_t a = any64();
        int kind = op == 2 ? (i & 1 ? 'm' : 'M') : op == 3 ? 'd' : 'a';
        uint64_t b = op == 4 ? 0 : rel64(a, kind);
        if (op == 4 && (rnd() & 1)) a &= 0x7fffffffffffffffull;
        volatile double x = d_of(a), y = d_of(b);
        double r;
        fesetround(modes[m]);
        feclearexcept(FE_ALL_EXCEPT);
        switch (op) {
        case 0: r = x + y; break;
        case 1: r = x - y; break;
        case 2: r = x * y; break;
        case 3: r = x / y; break;
        default: r = sqrt(x); break;
        }
        volatile double vr = r;
        int fl = flags_now();
        fesetround(FE_TONEAREST);
        if (op == 4)
          printf("%s %d %016llx - - %016llx %02x\n", names[op], m, (unsigned long long)a,
                 (unsigned long long)canon64(vr), fl);
        else
          printf("%s %d %016llx %016llx - %016llx %02x\n", names[op], m, (unsigned long long)a,
                 (unsigned long long)b, (unsigned long long)canon64(vr), fl);
      }
}

static void arith32(void) {
  const char *names[5] = {"add.s", "sub.s", "mul.s", "div.s", "sqrt.s"};
  for (int op = 0; op < 5; op++)
    for (int m = 0; m < 4; m++)
      for (int i = 0; i < N_ARITH; i++) {
        uint32_t a = any32();
        int kind = op == 2 ? (i & 1 ? 'm' : 'M') : op == 3 ? 'd' : 'a';
        uint32_t b = op == 4 ? 0 : rel32(a, kind);
        if (op == 4 && (rnd() & 1)) a &= 0x7fffffffu;
        volatile float x = f_of(a), y = f_of(b);
        float r;
        fesetround(modes[m]);
        feclearexcept(FE_ALL_EXCEPT);
        switch (op) {
        case 0: r = x + y; break;
        case 1: r = x - y; break;
        case 2: r = x * y; break;
        case 3: r = x / y; break;
        default: r = sqrtf(x); break;
        }
        volatile float vr = r;
        int fl = flags_now();
        fesetround(FE_TONEAREST);
        if (op == 4)
          printf("%s %d %08x - - %08x %02x\n", names[op], m, a, canon32(vr), fl);
        else
          printf("%s %d %08x %08x - %08x %02x\n", names[op], m, a, b, canon32(vr), fl);
      }
}

static void fma64(void) {
  const char *names[4] = {"fmadd.d", "fmsub.d", "fnmsub.d", "fnmadd.d"};
  for (int op = 0; op < 4; op++)
    for (int m = 0; m < 4; m++)
      for (int i = 0; i < N_FMA; i++) {
        uint64_t a = any64(), b = rel64(a, i & 1 ? 'm' : 'a'), c;
        int pe = exp64(a) + exp64(b);
        switch (rnd() % 4) {
        case 0: c = any64(); break;
        case 1: c = mk64(pe + rndi(-2, 2)) ; break;
        case 2: c = mk64(pe + rndi(-80, 80)); break;
        default: {
          /* c = -(a*b) rounded: massive cancellation */
          double p = d_of(a) * d_of(b);
          c = u_of_d(-p);
          if (op & 1) c ^= 0x8000000000000000ull;
          if (op >= 2) c ^= 0x8000000000000000ull;
        }
        }
        int az = (a & 0x7fffffffffffffffull) == 0, bz = (b & 0x7fffffffffffffffull) == 0;
        int ai = (a & 0x7fffffffffffffffull) == 0x7ff0000000000000ull;
        int bi = (b & 0x7fffffffffffffffull) == 0x7ff0000000000000ull;
        if (((ai && bz) || (bi && az)) && is_nan64(c)) continue; /* semantics differ */
        volatile double x = d_of(a), y = d_of(b), z = d_of(c);
        double nx = (op >= 2) ? -x : x, nz = (op & 1) ? -z : z;
        fesetround(modes[m]);
        feclearexcept(FE_ALL_EXCEPT);
        volatile double vr = fma(nx, y, nz);
        int fl = flags_now();
        fesetround(FE_TONEAREST);
        printf("%s %d %016llx %016llx %016llx %016llx %02x\n", names[op], m,
               (unsigned long long)a, (unsigned long long)b, (unsigned long long)c,
               (unsigned long long)canon64(vr), fl);
      }
}

static void fma32(void) {
  const char *names[4] = {"fmadd.s", "fmsub.s", "fnmsub.s", "fnmadd.s"};
  for (int op = 0; op < 4; op++)
    for (int m = 0; m < 4; m++)
      for (int i = 0; i < N_FMA; i++) {
        uint32_t a = any32(), b = rel32(a, i & 1 ? 'm' : 'a'), c;
        int pe = exp32(a) + exp32(b);
        switch (rnd() % 4) {
        case 0: c = any32(); break;
        case 1: c = mk32(pe + rndi(-2, 2)); break;
        case 2: c = mk32(pe + rndi(-40, 40)); break;
        default: {
          float p = f_of(a) * f_of(b);
          c = u_of_f(-p);
          if (op & 1) c ^= 0x80000000u;
          if (op >= 2) c ^= 0x80000000u;
        }
        }
        int az = (a & 0x7fffffffu) == 0, bz = (b & 0x7fffffffu) == 0;
        int ai = (a & 0x7fffffffu) == 0x7f800000u, bi = (b & 0x7fffffffu) == 0x7f800000u;
        if (((ai && bz) || (bi && az)) && is_nan32(c)) continue;
        volatile float x = f_of(a), y = f_of(b), z = f_of(c);
        float nx = (op >= 2) ? -x : x, nz = (op & 1) ? -z : z;
        fesetround(modes[m]);
        feclearexcept(FE_ALL_EXCEPT);
        volatile float vr = fmaf(nx, y, nz);
        int fl = flags_now();
        fesetround(FE_TONEAREST);
        printf("%s %d %08x %08x %08x %08x %02x\n", names[op], m, a, b, c, canon32(vr), fl);
      }
}

static void cvt_ff(void) {
  for (int m = 0; m < 4; m++)
    for (int i = 0; i < N_CVT * 2; i++) {
      uint64_t a = (rnd() & 3) ? mk64(rndi(-155, 130)) : any64();
      volatile double x = d_of(a);
      fesetround(modes[m]);
      feclearexcept(FE_ALL_EXCEPT);
      volatile float r = (float)x;
      int fl = flags_now();
      fesetround(FE_TONEAREST);
      printf("cvt.s.d %d %016llx - - %08x %02x\n", m, (unsigned long long)a, canon32(r), fl);
    }
  for (int i = 0; i < N_CVT; i++) {
    uint32_t a = any32();
    volatile float x = f_of(a);
    feclearexcept(FE_ALL_EXCEPT);
    volatile double r = (double)x;
    int fl = flags_now();
    printf("cvt.d.s 0 %08x - - %016llx %02x\n", a, (unsigned long long)canon64(r), fl);
  }
}

/* float -> integer with RISC-V saturation; rounding by rint in the current mode */
static void emit_f2i(const char *name, int m, uint64_t a, int is64f, int bits, int sgn) {
  double x = is64f ? d_of(a) : (double)f_of((uint32_t)a);
  int nan = is64f ? is_nan64(a) : is_nan32((uint32_t)a);
  double lo, hi; /* valid iff lo <= r <= hi after rounding */
  if (sgn) {
    hi = bits == 32 ? 2147483647.0 : 9223372036854774784.0;
    lo = bits == 32 ? -2147483648.0 : -9223372036854775808.0;
  } else {
    hi = bits == 32 ? 4294967295.0 : 18446744073709549568.0;
    lo = 0.0;
  }
  uint64_t res;
  int fl;
  uint64_t maxv = sgn ? (bits == 32 ? 0x7fffffffull : 0x7fffffffffffffffull)
                      : (bits == 32 ? 0xffffffffull : 0xffffffffffffffffull);
  uint64_t minv = sgn ? (bits == 32 ? 0xffffffff80000000ull : 0x8000000000000000ull) : 0;
  if (bits == 32 && !sgn) maxv = 0xffffffffffffffffull; /* sign-extended from bit 31 */
  if (nan) {
    res = maxv;
    fl = 16;
  } else {
    double r;
    fesetround(modes[m]);
    feclearexcept(FE_ALL_EXCEPT);
    if (is64f) {
      volatile double vx = x;
      r = rint(vx);
    } else {
      volatile float vx = (float)x;
      r = rintf(vx);
    }
    fl = flags_now();
    fesetround(FE_TONEAREST);
    if (r > hi || r < lo) {
      res = r > hi ? maxv : minv;
      fl = 16;
    } else if (sgn) {
      int64_t v = (int64_t)r;
      res = (uint64_t)v;
    } else {
      uint64_t v = (uint64_t)r;
      if (bits == 32) v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
      res = v;
    }
  }
  if (is64f)
    printf("%s %d %016llx - - %016llx %02x\n", name, m, (unsigned long long)a,
           (unsigned long long)res, fl);
  else
    printf("%s %d %08x - - %016llx %02x\n", name, m, (uint32_t)a, (unsigned long long)res, fl);
}

static void cvt_f2i(void) {
  const char *n64[4] = {"cvt.w.d", "cvt.wu.d", "cvt.l.d", "cvt.lu.d"};
  const char *n32[4] = {"cvt.w.s", "cvt.wu.s", "cvt.l.s", "cvt.lu.s"};
  for (int k = 0; k < 4; k++) {
    int bits = k < 2 ? 32 : 64, sgn = !(k & 1);
    for (int m = 0; m < 4; m++)
      for (int i = 0; i < N_CVT; i++) {
        int r = (int)(rnd() % 6);
        uint64_t a = r == 0 ? any64() : mk64(r == 1 ? bits - rndi(-1, 2) : rndi(-3, bits + 1));
        if (r == 2) a = u_of_d(nearbyint(d_of(a)) + (rnd() & 1 ? 0.5 : -0.5));
        emit_f2i(n64[k], m, a, 1, bits, sgn);
        uint32_t b = r == 0 ? any32() : mk32(r == 1 ? bits - rndi(-1, 2) : rndi(-3, bits + 1));
        if (r == 2 && exp32(b) < 23) b = u_of_f(nearbyintf(f_of(b)) + (rnd() & 1 ? 0.5f : -0.5f));
        emit_f2i(n32[k], m, b, 0, bits, sgn);
      }
  }
}

static uint64_t rand_int(void) {
  int len = rndi(1, 64);
  uint64_t v = rnd();
  if (len < 64) v &= (1ull << len) - 1;
  if (rnd() % 3 == 0) v = (uint64_t)-(int64_t)v;
  return v;
}

static void cvt_i2f(void) {
  for (int m = 0; m < 4; m++)
    for (int i = 0; i < N_CVT; i++) {
      uint64_t v = rand_int();
      uint32_t w = (uint32_t)v;
      if (rnd() & 1) w = (uint32_t)(rand_int() >> 32) | (uint32_t)rand_int();
      fesetround(modes[m]);
#define CV(name, T, expr, fmt, conv)                                                 \
  do {                                                                             \
    volatile T in_ = (T)expr;                                                      \
    feclearexcept(FE_ALL_EXCEPT);                                                  \
    volatile conv out_ = (conv)in_;                                                \
    int fl_ = flags_now();                                                         \
    printf("%s %d %llx - - " fmt " %02x\n", name, m, (unsigned long long)(uint64_t)(T)expr, \
           bits_##conv(out_), fl_);                                                \
  } while (0)
#define bits_float(x) u_of_f(x)
#define bits_double(x) (unsigned long long)u_of_d(x)
      CV("cvt.s.w", int32_t, w, "%08x", float);
      CV("cvt.s.wu", uint32_t, w, "%08x", float);
      CV("cvt.s.l", int64_t, v, "%08x", float);
      CV("cvt.s.lu", uint64_t, v, "%08x", float);
      CV("cvt.d.w", int32_t, w, "%016llx", double);
      CV("cvt.d.wu", uint32_t, w, "%016llx", double);
      CV("cvt.d.l", int64_t, v, "%016llx", double);
      CV("cvt.d.lu", uint64_t, v, "%016llx", double);
      fesetround(FE_TONEAREST);
    }
}

static void compares(void) {
  for (int i = 0; i < N_CVT * 2; i++) {
    uint64_t a = any64(), b = (rnd() & 3) ? rel64(a, 'a') : a;
    if (rnd() % 8 == 0) b = a ^ 0x8000000000000000ull;
    if (rnd() % 8 == 0) b = 0x7ff8000000000000ull;
    volatile double x = d_of(a), y = d_of(b);
    volatile int r;
    int fl;
    feclearexcept(FE_ALL_EXCEPT); r = x == y; fl = flags_now();
    printf("eq.d 0 %016llx %016llx - %d %02x\n", (unsigned long long)a, (unsigned long long)b, r, fl);
    feclearexcept(FE_ALL_EXCEPT); r = x < y; fl = flags_now();
    printf("lt.d 0 %016llx %016llx - %d %02x\n", (unsigned long long)a, (unsigned long long)b, r, fl);
    feclearexcept(FE_ALL_EXCEPT); r = x <= y; fl = flags_now();
    printf("le.d 0 %016llx %016llx - %d %02x\n", (unsigned long long)a, (unsigned long long)b, r, fl);
    uint32_t c = any32(), d = (rnd() & 3) ? rel32(c, 'a') : c;
    if (rnd() % 8 == 0) d = c ^ 0x80000000u;
    if (rnd() % 8 == 0) c = 0xffc00000u;
    volatile float s = f_of(c), t = f_of(d);
    feclearexcept(FE_ALL_EXCEPT); r = s == t; fl = flags_now();
    printf("eq.s 0 %08x %08x - %d %02x\n", c, d, r, fl);
    feclearexcept(FE_ALL_EXCEPT); r = s < t; fl = flags_now();
    printf("lt.s 0 %08x %08x - %d %02x\n", c, d, r, fl);
    feclearexcept(FE_ALL_EXCEPT); r = s <= t; fl = flags_now();
    printf("le.s 0 %08x %08x - %d %02x\n", c, d, r, fl);
  }
}

/* products/quotients straddling the smallest normal: exercises tininess after rounding */
static void boundary(void) {
  for (int m = 0; m < 4; m++)
    for (int i = 0; i < 24; i++) {
      double a = d_of(mk64(rndi(0, 1)) & 0x7fffffffffffffffull);
      double b = nextafter(0x1p-1022 / a, 0) ;
      uint64_t bb = u_of_d(b) + (uint64_t)rndi(-1, 2);
      if (rnd() & 1) bb ^= 0x8000000000000000ull;
      volatile double x = a, y = d_of(bb);
      fesetround(modes[m]);
      feclearexcept(FE_ALL_EXCEPT);
      volatile double r = x * y;
      int fl = flags_now();
      fesetround(FE_TONEAREST);
      printf("mul.d %d %016llx %016llx - %016llx %02x\n", m, (unsigned long long)u_of_d(a),
             (unsigned long long)bb, (unsigned long long)canon64(r), fl);
      volatile double q = a / 0x1p-1022 * (1.0 + (double)rndi(-3, 3) * 0x1p-52);
      fesetround(modes[m]);
      feclearexcept(FE_ALL_EXCEPT);
      r = x / q;
      fl = flags_now();
      fesetround(FE_TONEAREST);
      printf("div.d %d %016llx %016llx - %016llx %02x\n", m, (unsigned long long)u_of_d(a),
             (unsigned long long)u_of_d(q), (unsigned long long)canon64(r), fl);
      float fa = f_of(mk32(rndi(0, 1)) & 0x7fffffffu);
      uint32_t fb = u_of_f(nextafterf(0x1p-126f / fa, 0)) + (uint32_t)rndi(-1, 2);
      if (rnd() & 1) fb ^= 0x80000000u;
      volatile float fx = fa, fy = f_of(fb);
      fesetround(modes[m]);
      feclearexcept(FE_ALL_EXCEPT);
      volatile float fr = fx * fy;
      fl = flags_now();
      fesetround(FE_TONEAREST);
      printf("mul.s %d %08x %08x - %08x %02x\n", m, u_of_f(fa), fb, canon32(fr), fl);
      /* fma: product just above/below the boundary minus a tiny addend */
      volatile float fc = f_of(0x00000001u + (uint32_t)rndi(0, 3)) * (rnd() & 1 ? -1.0f : 1.0f);
      fesetround(modes[m]);
      feclearexcept(FE_ALL_EXCEPT);
      fr = fmaf(fx, fy, fc);
      fl = flags_now();
      fesetround(FE_TONEAREST);
      printf("fmadd.s %d %08x %08x %08x %08x %02x\n", m, u_of_f(fa), fb, u_of_f(fc), canon32(fr),
             fl);
      /* narrowing conversion just below the binary32 normal range */
      volatile double nd = (double)nextafterf(0x1p-126f, 0) + (double)rndi(-8, 8) * 0x1p-152;
      fesetround(modes[m]);
      feclearexcept(FE_ALL_EXCEPT);
      fr = (float)nd;
      fl = flags_now();
      fesetround(FE_TONEAREST);
      printf("cvt.s.d %d %016llx - - %08x %02x\n", m, (unsigned long long)u_of_d(nd), canon32(fr),
             fl);
    }
}

int main(void) {
  printf("# generated by tests/softfloat/gen_vectors.c; op rm a b c result flags\n");
  arith64();
  arith32();
  fma64();
  fma32();
  cvt_ff();
  cvt_f2i();
  cvt_i2f();
  compares();
  boundary();
  return 0;
}
