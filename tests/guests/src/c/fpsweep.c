// Floating-point sweep: for each dynamic rounding mode (fesetround: RNE, RTZ, RDN, RUP; and RMM via
// "fsrmi 4") run add/sub/mul/div/sqrt/fmadd/convert over corner-case inputs in float and double;
// mode-independent ops (min/max/compare/class/sign-inject) run once. Each op is one inline-asm block:
// fsflags zero; <insn>; frflags. Output: result bits in hex "/" fflags.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <fenv.h>
#include <stdint.h>
#include <stdio.h>

static const uint64_t F[] = {0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f800001, 0x7f800000,
                             0xff800000, 0x7fc00000, 0x7fa00000, 0x00000001, 0x807fffff, 0x00800000,
                             0x7f7fffff, 0x3eaaaaab, 0x4b800001, 0xcf000000};
static const uint64_t D[] = {0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
                             0x3ff0000000000001, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
                             0x7ff4000000000000, 0x0000000000000001, 0x800fffffffffffff, 0x0010000000000000,
                             0x7fefffffffffffff, 0x3fd5555555555555, 0x4340000000000001, 0xc3e0000000000000};
#define NF 16
static const uint64_t INTS[] = {0, 1, (uint64_t)-1, 0x7fffffff, 0x80000000, 0xffffffff, 0x1000001, 0x7fffffffffffffff,
                                0x8000000000000000, 0x20000000000001, 0xfffffffffffffffd};

#define OP2(name, mvf, mvx, insn)                                                              \
  static uint64_t name(uint64_t a, uint64_t b, unsigned *fl) {                                 \
    uint64_t r, f;                                                                             \
    __asm__ volatile(mvf " ft0, %2\n\t" mvf " ft1, %3\n\tfsflags zero\n\t" insn                \
                     " ft2, ft0, ft1\n\tfrflags %1\n\t" mvx " %0, ft2"                         \
                     : "=&r"(r), "=&r"(f) : "r"(a), "r"(b) : "ft0", "ft1", "ft2");            \
    *fl = (unsigned)f;                                                                         \
    return r;                                                                                  \
  }
#define OPC(name, mvf, insn)                                                                   \
  static uint64_t name(uint64_t a, uint64_t b, unsigned *fl) {                                 \
    uint64_t r, f;                                                                             \
    __asm__ volatile(mvf " ft0, %2\n\t" mvf " ft1, %3\n\tfsflags zero\n\t" insn                \
                     " %0, ft0, ft1\n\tfrflags %1"                                             \
                     : "=&r"(r), "=&r"(f) : "r"(a), "r"(b) : "ft0", "ft1");                   \
    *fl = (unsigned)f;                                                                         \
    return r;                                                                                  \
  }
#define OP1(name, mvf, mvx, insn)                                                              \
  static uint64_t name(uint64_t a, uint64_t b, unsigned *fl) {                                 \
    uint64_t r, f;                                                                             \
    (void)b;                                                                                   \
    __asm__ volatile(mvf " ft0, %2\n\tfsflags zero\n\t" insn " ft2, ft0\n\tfrflags %1\n\t" mvx \
                     " %0, ft2" : "=&r"(r), "=&r"(f) : "r"(a) : "ft0", "ft2");                 \
    *fl = (unsigned)f;                                                                         \
    return r;                                                                                  \
  }
#define TOI(name, mvf, insn)                                                                   \
  static uint64_t name(uint64_t a, uint64_t b, unsigned *fl) {                                 \
    uint64_t r, f;                                                                             \
    (void)b;                                                                                   \
    __asm__ volatile(mvf " ft0, %2\n\tfsflags zero\n\t" insn " %0, ft0\n\tfrflags %1"          \
                     : "=&r"(r), "=&r"(f) : "r"(a) : "ft0");                                   \
    *fl = (unsigned)f;                                                                         \
    return r;                                                                                  \
  }
#define FROMI(name, mvx, insn)                                                                 \
  static uint64_t name(uint64_t a, uint64_t b, unsigned *fl) {                                 \
    uint64_t r, f;                                                                             \
    (void)b;                                                                                   \
    __asm__ volatile("fsflags zero\n\t" insn " ft0, %2\n\tfrflags %1\n\t" mvx " %0, ft0"       \
                     : "=&r"(r), "=&r"(f) : "r"(a) : "ft0");                                   \
    *fl = (unsigned)f;                                                                         \
    return r;                                                                                  \
  }

OP2(fadd_s, "fmv.w.x", "fmv.x.w", "fadd.s") OP2(fsub_s, "fmv.w.x", "fmv.x.w", "fsub.s") OP2(fmul_s, "fmv.w.x", "fmv.x.w", "fmul.s") OP2(fdiv_s, "fmv.w.x", "fmv.x.w", "fdiv.s")
OP2(fadd_d, "fmv.d.x", "fmv.x.d", "fadd.d") OP2(fsub_d, "fmv.d.x", "fmv.x.d", "fsub.d") OP2(fmul_d, "fmv.d.x", "fmv.x.d", "fmul.d") OP2(fdiv_d, "fmv.d.x", "fmv.x.d", "fdiv.d")
OP2(fmin_s, "fmv.w.x", "fmv.x.w", "fmin.s") OP2(fmax_s, "fmv.w.x", "fmv.x.w", "fmax.s") OP2(fmin_d, "fmv.d.x", "fmv.x.d", "fmin.d") OP2(fmax_d, "fmv.d.x", "fmv.x.d", "fmax.d")
OP2(fsgnjx_s, "fmv.w.x", "fmv.x.w", "fsgnjx.s") OP2(fsgnjn_d, "fmv.d.x", "fmv.x.d", "fsgnjn.d")
OPC(feq_s, "fmv.w.x", "feq.s") OPC(flt_s, "fmv.w.x", "flt.s") OPC(fle_s, "fmv.w.x", "fle.s")
OPC(feq_d, "fmv.d.x", "feq.d") OPC(flt_d, "fmv.d.x", "flt.d") OPC(fle_d, "fmv.d.x", "fle.d")
OP1(fsqrt_s, "fmv.w.x", "fmv.x.w", "fsqrt.s") OP1(fsqrt_d, "fmv.d.x", "fmv.x.d", "fsqrt.d")
OP1(fcvt_d_s, "fmv.w.x", "fmv.x.d", "fcvt.d.s") OP1(fcvt_s_d, "fmv.d.x", "fmv.x.w", "fcvt.s.d")
TOI(fcvt_w_s, "fmv.w.x", "fcvt.w.s") TOI(fcvt_wu_s, "fmv.w.x", "fcvt.wu.s")
TOI(fcvt_l_s, "fmv.w.x", "fcvt.l.s") TOI(fcvt_lu_s, "fmv.w.x", "fcvt.lu.s")
TOI(fcvt_w_d, "fmv.d.x", "fcvt.w.d") TOI(fcvt_wu_d, "fmv.d.x", "fcvt.wu.d")
TOI(fcvt_l_d, "fmv.d.x", "fcvt.l.d") TOI(fcvt_lu_d, "fmv.d.x", "fcvt.lu.d")
TOI(fclass_s, "fmv.w.x", "fclass.s") TOI(fclass_d, "fmv.d.x", "fclass.d")
FROMI(fcvt_s_w, "fmv.x.w", "fcvt.s.w") FROMI(fcvt_s_wu, "fmv.x.w", "fcvt.s.wu")
FROMI(fcvt_s_l, "fmv.x.w", "fcvt.s.l") FROMI(fcvt_s_lu, "fmv.x.w", "fcvt.s.lu")
FROMI(fcvt_d_l, "fmv.x.d", "fcvt.d.l") FROMI(fcvt_d_lu, "fmv.x.d", "fcvt.d.lu")

#define FMA(name, mvf, mvx, insn)                                                              \
  static uint64_t name(uint64_t a, uint64_t b, uint64_t c, unsigned *fl) {                     \
    uint64_t r, f;                                                                             \
    __asm__ volatile(mvf " ft0, %2\n\t" mvf " ft1, %3\n\t" mvf " ft2, %4\n\tfsflags zero\n\t" insn \
                     " ft3, ft0, ft1, ft2\n\tfrflags %1\n\t" mvx " %0, ft3"                    \
                     : "=&r"(r), "=&r"(f) : "r"(a), "r"(b), "r"(c) : "ft0", "ft1", "ft2", "ft3"); \
    *fl = (unsigned)f;                                                                         \
    return r;                                                                                  \
  }
FMA(fmadd_s, "fmv.w.x", "fmv.x.w", "fmadd.s") FMA(fmadd_d, "fmv.d.x", "fmv.x.d", "fmadd.d") FMA(fnmsub_s, "fmv.w.x", "fmv.x.w", "fnmsub.s") FMA(fmsub_d, "fmv.d.x", "fmv.x.d", "fmsub.d")

typedef uint64_t (*fn2)(uint64_t, uint64_t, unsigned *);
typedef uint64_t (*fn3)(uint64_t, uint64_t, uint64_t, unsigned *);
struct op { const char *name; fn2 f; int dbl; };
static const struct op RM2[] = {{"fadd.s", fadd_s, 0}, {"fsub.s", fsub_s, 0}, {"fmul.s", fmul_s, 0},
                                {"fdiv.s", fdiv_s, 0}, {"fadd.d", fadd_d, 1}, {"fsub.d", fsub_d, 1},
                                {"fmul.d", fmul_d, 1}, {"fdiv.d", fdiv_d, 1}};
static const struct op RM1[] = {{"fsqrt.s", fsqrt_s, 0},     {"fsqrt.d", fsqrt_d, 1},     {"fcvt.s.d", fcvt_s_d, 1},
                                {"fcvt.w.s", fcvt_w_s, 0},   {"fcvt.wu.s", fcvt_wu_s, 0}, {"fcvt.l.s", fcvt_l_s, 0},
                                {"fcvt.lu.s", fcvt_lu_s, 0}, {"fcvt.w.d", fcvt_w_d, 1},   {"fcvt.wu.d", fcvt_wu_d, 1},
                                {"fcvt.l.d", fcvt_l_d, 1},   {"fcvt.lu.d", fcvt_lu_d, 1}};
static const struct op RMI[] = {{"fcvt.s.w", fcvt_s_w, 0}, {"fcvt.s.wu", fcvt_s_wu, 0}, {"fcvt.s.l", fcvt_s_l, 0},
                                {"fcvt.s.lu", fcvt_s_lu, 0}, {"fcvt.d.l", fcvt_d_l, 1}, {"fcvt.d.lu", fcvt_d_lu, 1}};
static const struct op ONCE2[] = {{"fmin.s", fmin_s, 0}, {"fmax.s", fmax_s, 0}, {"fmin.d", fmin_d, 1},
                                  {"fmax.d", fmax_d, 1}, {"feq.s", feq_s, 0},   {"flt.s", flt_s, 0},
                                  {"fle.s", fle_s, 0},   {"feq.d", feq_d, 1},   {"flt.d", flt_d, 1},
                                  {"fle.d", fle_d, 1},   {"fsgnjx.s", fsgnjx_s, 0}, {"fsgnjn.d", fsgnjn_d, 1}};
static const struct op ONCE1[] = {{"fclass.s", fclass_s, 0}, {"fclass.d", fclass_d, 1}, {"fcvt.d.s", fcvt_d_s, 0}};
static const struct { const char *name; fn3 f; int dbl; } FMAS[] = {
    {"fmadd.s", fmadd_s, 0}, {"fnmsub.s", fnmsub_s, 0}, {"fmadd.d", fmadd_d, 1}, {"fmsub.d", fmsub_d, 1}};

static void setmode(int m) {
  static const int modes[] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};
  if (m < 4) fesetround(modes[m]);
  else __asm__ volatile("fsrmi 4");
}
static const char *const MODE_NAMES[] = {"RNE", "RTZ", "RDN", "RUP", "RMM"};

static void put(uint64_t r, unsigned fl, int dbl) {
  if (dbl) printf(" %016llx/%02x", (unsigned long long)r, fl);
  else printf(" %08llx/%02x", (unsigned long long)(uint32_t)r, fl);
}

int main(void) {
  unsigned fl;
  for (int m = 0; m < 5; m++) {
    setmode(m);
    unsigned long frm;
    __asm__ volatile("frrm %0" : "=r"(frm));
    printf("=== mode %s (frm=%lu)\n", MODE_NAMES[m], frm);
    for (unsigned k = 0; k < sizeof RM2 / sizeof RM2[0]; k++) {
      const uint64_t *in = RM2[k].dbl ? D : F;
      for (unsigned i = 0; i < NF; i++) {
        printf("%s %s", RM2[k].name, MODE_NAMES[m]);
        put(in[i], 0, RM2[k].dbl);
        printf(" :");
        for (unsigned j = 0; j < NF; j++) put(RM2[k].f(in[i], in[j], &fl), fl, RM2[k].dbl);
        putchar('\n');
      }
    }
    for (unsigned k = 0; k < sizeof RM1 / sizeof RM1[0]; k++) {
      const uint64_t *in = RM1[k].dbl ? D : F;
      int intres = RM1[k].name[5] == 'w' || RM1[k].name[5] == 'l';
      printf("%s %s :", RM1[k].name, MODE_NAMES[m]);
      for (unsigned i = 0; i < NF; i++) {
        uint64_t r = RM1[k].f(in[i], 0, &fl);
        put(r, fl, intres || (RM1[k].dbl && RM1[k].name[5] != 's'));
      }
      putchar('\n');
    }
    for (unsigned k = 0; k < sizeof RMI / sizeof RMI[0]; k++) {
      printf("%s %s :", RMI[k].name, MODE_NAMES[m]);
      for (unsigned i = 0; i < sizeof INTS / sizeof INTS[0]; i++) put(RMI[k].f(INTS[i], 0, &fl), fl, RMI[k].dbl);
      putchar('\n');
    }
    for (unsigned k = 0; k < sizeof FMAS / sizeof FMAS[0]; k++) {
      const uint64_t *in = FMAS[k].dbl ? D : F;
      for (unsigned i = 0; i < NF; i += 3)
        for (unsigned j = 1; j < NF; j += 2) {
          printf("%s %s", FMAS[k].name, MODE_NAMES[m]);
          put(in[i], 0, FMAS[k].dbl);
          put(in[j], 0, FMAS[k].dbl);
          printf(" :");
          for (unsigned c = 0; c < NF; c += 2) put(FMAS[k].f(in[i], in[j], in[c], &fl), fl, FMAS[k].dbl);
          putchar('\n');
        }
    }
  }
  setmode(0);
  printf("=== rounding-mode independent\n");
  for (unsigned k = 0; k < sizeof ONCE2 / sizeof ONCE2[0]; k++) {
    const uint64_t *in = ONCE2[k].dbl ? D : F;
    int intres = ONCE2[k].name[1] != 'm' && ONCE2[k].name[1] != 's';
    for (unsigned i = 0; i < NF; i++) {
      printf("%s", ONCE2[k].name);
      put(in[i], 0, ONCE2[k].dbl);
      printf(" :");
      for (unsigned j = 0; j < NF; j++) {
        uint64_t r = ONCE2[k].f(in[i], in[j], &fl);
        if (intres) printf(" %llu/%02x", (unsigned long long)r, fl);
        else put(r, fl, ONCE2[k].dbl);
      }
      putchar('\n');
    }
  }
  for (unsigned k = 0; k < sizeof ONCE1 / sizeof ONCE1[0]; k++) {
    const uint64_t *in = ONCE1[k].dbl ? D : F;
    printf("%s :", ONCE1[k].name);
    for (unsigned i = 0; i < NF; i++) put(ONCE1[k].f(in[i], 0, &fl), fl, ONCE1[k].name[5] == 'd' || k == 2);
    putchar('\n');
  }
  return 0;
}
