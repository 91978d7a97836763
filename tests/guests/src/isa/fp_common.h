// Shared body of the rv64f / rv64d instruction tests. The including file defines:
//   FT (unsigned bit type), SUF ("s" or "d"), MV_TO_F ("fmv.w.x"/"fmv.d.x"),
//   MV_TO_X ("fmv.x.w"/"fmv.x.d"), LD/ST ("flw"/"fsw" or "fld"/"fsd"), HEX (h32/h64),
//   and the value table V[] of bit patterns.
// Every instruction is run from inline asm with fflags cleared before and read right after;
// each result is printed as "<result bits>/<fflags>".
// SPDX-License-Identifier: GPL-3.0-or-later
#define NV (sizeof V / sizeof V[0])

static void res(u64 r, u64 fl) {
  sp();
  HEX(r);
  putch('/');
  hexn(fl, 2);
}

#define BIN_RM(op, rm)                                                        \
  static u64 op##_##rm(u64 a, u64 b, u64 *fl) {                               \
    u64 r, f;                                                                 \
    __asm__ volatile(MV_TO_F " ft0, %2\n\t" MV_TO_F " ft1, %3\n\t"            \
                     "fsflags zero\n\t" #op "." SUF " ft2, ft0, ft1, " #rm "\n\t" \
                     "frflags %1\n\t" MV_TO_X " %0, ft2"                       \
                     : "=&r"(r), "=&r"(f) : "r"(a), "r"(b) : "ft0", "ft1", "ft2"); \
    *fl = f;                                                                  \
    return r;                                                                 \
  }
#define BIN_ALLRM(op) BIN_RM(op, rne) BIN_RM(op, rtz) BIN_RM(op, rdn) BIN_RM(op, rup) BIN_RM(op, rmm)
BIN_ALLRM(fadd) BIN_ALLRM(fsub) BIN_ALLRM(fmul) BIN_ALLRM(fdiv)

typedef u64 (*binfn)(u64, u64, u64 *);
#define ROW(op) {#op, {op##_rne, op##_rtz, op##_rdn, op##_rup, op##_rmm}}
static const struct { const char *name; binfn f[5]; } RMOPS[] = {
    ROW(fadd), ROW(fsub), ROW(fmul), ROW(fdiv),
};

#define UN_RM(op, rm)                                                         \
  static u64 op##_##rm(u64 a, u64 b, u64 *fl) {                               \
    u64 r, f;                                                                 \
    (void)b;                                                                  \
    __asm__ volatile(MV_TO_F " ft0, %2\n\t"                                   \
                     "fsflags zero\n\t" #op "." SUF " ft2, ft0, " #rm "\n\t"  \
                     "frflags %1\n\t" MV_TO_X " %0, ft2"                       \
                     : "=&r"(r), "=&r"(f) : "r"(a) : "ft0", "ft2");           \
    *fl = f;                                                                  \
    return r;                                                                 \
  }
UN_RM(fsqrt, rne) UN_RM(fsqrt, rtz) UN_RM(fsqrt, rdn) UN_RM(fsqrt, rup) UN_RM(fsqrt, rmm)

// Result in an integer register (compare / class / convert-to-int).
#define TOINT2(name, insn)                                                    \
  static u64 name(u64 a, u64 b, u64 *fl) {                                    \
    u64 r, f;                                                                 \
    __asm__ volatile(MV_TO_F " ft0, %2\n\t" MV_TO_F " ft1, %3\n\t"            \
                     "fsflags zero\n\t" insn "\n\tfrflags %1"                 \
                     : "=&r"(r), "=&r"(f) : "r"(a), "r"(b) : "ft0", "ft1");   \
    *fl = f;                                                                  \
    return r;                                                                 \
  }
TOINT2(op_feq, "feq." SUF " %0, ft0, ft1")
TOINT2(op_flt, "flt." SUF " %0, ft0, ft1")
TOINT2(op_fle, "fle." SUF " %0, ft0, ft1")

#define FF2(name, insn)                                                       \
  static u64 name(u64 a, u64 b, u64 *fl) {                                    \
    u64 r, f;                                                                 \
    __asm__ volatile(MV_TO_F " ft0, %2\n\t" MV_TO_F " ft1, %3\n\t"            \
                     "fsflags zero\n\t" insn "\n\tfrflags %1\n\t" MV_TO_X " %0, ft2" \
                     : "=&r"(r), "=&r"(f) : "r"(a), "r"(b) : "ft0", "ft1", "ft2"); \
    *fl = f;                                                                  \
    return r;                                                                 \
  }
FF2(op_fmin, "fmin." SUF " ft2, ft0, ft1")
FF2(op_fmax, "fmax." SUF " ft2, ft0, ft1")
FF2(op_fsgnj, "fsgnj." SUF " ft2, ft0, ft1")
FF2(op_fsgnjn, "fsgnjn." SUF " ft2, ft0, ft1")
FF2(op_fsgnjx, "fsgnjx." SUF " ft2, ft0, ft1")

static const struct { const char *name; binfn f; } PAIROPS[] = {
    {"feq", op_feq},     {"flt", op_flt},       {"fle", op_fle},       {"fmin", op_fmin},
    {"fmax", op_fmax},   {"fsgnj", op_fsgnj},   {"fsgnjn", op_fsgnjn}, {"fsgnjx", op_fsgnjx},
};

#define FMA(op)                                                               \
  static u64 op_##op(u64 a, u64 b, u64 c, u64 *fl) {                          \
    u64 r, f;                                                                 \
    __asm__ volatile(MV_TO_F " ft0, %2\n\t" MV_TO_F " ft1, %3\n\t" MV_TO_F " ft2, %4\n\t" \
                     "fsflags zero\n\t" #op "." SUF " ft3, ft0, ft1, ft2\n\t"  \
                     "frflags %1\n\t" MV_TO_X " %0, ft3"                       \
                     : "=&r"(r), "=&r"(f) : "r"(a), "r"(b), "r"(c)             \
                     : "ft0", "ft1", "ft2", "ft3");                           \
    *fl = f;                                                                  \
    return r;                                                                 \
  }
FMA(fmadd) FMA(fmsub) FMA(fnmadd) FMA(fnmsub)
typedef u64 (*fmafn)(u64, u64, u64, u64 *);
static const struct { const char *name; fmafn f; } FMAS[] = {
    {"fmadd", op_fmadd}, {"fmsub", op_fmsub}, {"fnmadd", op_fnmadd}, {"fnmsub", op_fnmsub},
};

#define CVTI(name, insn, rm)                                                  \
  static u64 name##_##rm(u64 a, u64 b, u64 *fl) {                             \
    u64 r, f;                                                                 \
    (void)b;                                                                  \
    __asm__ volatile(MV_TO_F " ft0, %2\n\tfsflags zero\n\t" insn " %0, ft0, " #rm "\n\tfrflags %1" \
                     : "=&r"(r), "=&r"(f) : "r"(a) : "ft0");                  \
    *fl = f;                                                                  \
    return r;                                                                 \
  }
#define CVTI_ALL(name, insn) CVTI(name, insn, rne) CVTI(name, insn, rtz) CVTI(name, insn, rdn) \
  CVTI(name, insn, rup) CVTI(name, insn, rmm)
CVTI_ALL(cvt_w, "fcvt.w." SUF)
CVTI_ALL(cvt_wu, "fcvt.wu." SUF)
CVTI_ALL(cvt_l, "fcvt.l." SUF)
CVTI_ALL(cvt_lu, "fcvt.lu." SUF)
#define CVTF(name, insn, rm)                                                  \
  static u64 name##_##rm(u64 a, u64 b, u64 *fl) {                             \
    u64 r, f;                                                                 \
    (void)b;                                                                  \
    __asm__ volatile("fsflags zero\n\t" insn " ft0, %2, " #rm "\n\tfrflags %1\n\t" MV_TO_X " %0, ft0" \
                     : "=&r"(r), "=&r"(f) : "r"(a) : "ft0");                  \
    *fl = f;                                                                  \
    return r;                                                                 \
  }
#define CVTF_ALL(name, insn) CVTF(name, insn, rne) CVTF(name, insn, rtz) CVTF(name, insn, rdn) \
  CVTF(name, insn, rup) CVTF(name, insn, rmm)
#ifdef FROM_W_EXACT
// fcvt.d.w / fcvt.d.wu are always exact and take no rounding-mode operand.
#define CVTF0(name, insn, rm)                                                 \
  static u64 name##_##rm(u64 a, u64 b, u64 *fl) {                             \
    u64 r, f;                                                                 \
    (void)b;                                                                  \
    __asm__ volatile("fsflags zero\n\t" insn " ft0, %2\n\tfrflags %1\n\t" MV_TO_X " %0, ft0" \
                     : "=&r"(r), "=&r"(f) : "r"(a) : "ft0");                  \
    *fl = f;                                                                  \
    return r;                                                                 \
  }
#define CVTF0_ALL(name, insn) CVTF0(name, insn, rne) CVTF0(name, insn, rtz) \
  CVTF0(name, insn, rdn) CVTF0(name, insn, rup) CVTF0(name, insn, rmm)
CVTF0_ALL(cvt_from_w, "fcvt." SUF ".w")
CVTF0_ALL(cvt_from_wu, "fcvt." SUF ".wu")
#else
CVTF_ALL(cvt_from_w, "fcvt." SUF ".w")
CVTF_ALL(cvt_from_wu, "fcvt." SUF ".wu")
#endif
CVTF_ALL(cvt_from_l, "fcvt." SUF ".l")
CVTF_ALL(cvt_from_lu, "fcvt." SUF ".lu")

#define ROW5(n, s) {s, {n##_rne, n##_rtz, n##_rdn, n##_rup, n##_rmm}}
static const struct { const char *name; binfn f[5]; } UNOPS[] = {
    ROW5(fsqrt, "fsqrt"),        ROW5(cvt_w, "fcvt.w"),   ROW5(cvt_wu, "fcvt.wu"),
    ROW5(cvt_l, "fcvt.l"),       ROW5(cvt_lu, "fcvt.lu"),
};
static const struct { const char *name; binfn f[5]; } FROMINT[] = {
    ROW5(cvt_from_w, "fcvt.from.w"), ROW5(cvt_from_wu, "fcvt.from.wu"),
    ROW5(cvt_from_l, "fcvt.from.l"), ROW5(cvt_from_lu, "fcvt.from.lu"),
};
static const u64 INTS[] = {
    0, 1, (u64)-1, 3, 0x7fffffffUL, 0x80000000UL, 0xffffffffUL, 0xffffffff80000000UL,
    0x1000001UL, 0x1000003UL, 0x20000000000001UL, 0x7fffffffffffffffUL, 0x8000000000000000UL,
    0xfffffffffffffffdUL, 0x123456789abcdef0UL,
};

static u64 fclass(u64 a) {
  u64 r;
  __asm__ volatile(MV_TO_F " ft0, %1\n\tfclass." SUF " %0, ft0" : "=r"(r) : "r"(a) : "ft0");
  return r;
}

static FT fmem[4];

static void common_tests(void) {
  u64 fl, r;
  pr("== arithmetic, static rm: rne rtz rdn rup rmm\n");
  for (unsigned k = 0; k < sizeof RMOPS / sizeof RMOPS[0]; k++)
    for (unsigned i = 0; i < NV; i++)
      for (unsigned j = 0; j < NV; j++) {
        pr(RMOPS[k].name); sp(); HEX(V[i]); sp(); HEX(V[j]); pr(" :");
        for (int m = 0; m < 5; m++) { r = RMOPS[k].f[m](V[i], V[j], &fl); res(r, fl); }
        nl();
      }
  pr("== unary / to-int, static rm: rne rtz rdn rup rmm\n");
  for (unsigned k = 0; k < sizeof UNOPS / sizeof UNOPS[0]; k++)
    for (unsigned i = 0; i < NV; i++) {
      pr(UNOPS[k].name); sp(); HEX(V[i]); pr(" :");
      for (int m = 0; m < 5; m++) {
        r = UNOPS[k].f[m](V[i], 0, &fl);
        sp(); h64(r); putch('/'); hexn(fl, 2);
      }
      nl();
    }
  pr("== from-int, static rm: rne rtz rdn rup rmm\n");
  for (unsigned k = 0; k < sizeof FROMINT / sizeof FROMINT[0]; k++)
    for (unsigned i = 0; i < sizeof INTS / sizeof INTS[0]; i++) {
      pr(FROMINT[k].name); sp(); h64(INTS[i]); pr(" :");
      for (int m = 0; m < 5; m++) { r = FROMINT[k].f[m](INTS[i], 0, &fl); res(r, fl); }
      nl();
    }
  pr("== compare / min / max / sign injection\n");
  for (unsigned k = 0; k < sizeof PAIROPS / sizeof PAIROPS[0]; k++)
    for (unsigned i = 0; i < NV; i++) {
      pr(PAIROPS[k].name); sp(); HEX(V[i]); pr(" :");
      for (unsigned j = 0; j < NV; j++) { r = PAIROPS[k].f(V[i], V[j], &fl); res(r, fl); }
      nl();
    }
  pr("== fused multiply-add (dynamic rm = rne)\n");
  __asm__ volatile("fsrmi 0");
  for (unsigned k = 0; k < sizeof FMAS / sizeof FMAS[0]; k++)
    for (unsigned i = 0; i < NV; i += 2)
      for (unsigned j = 1; j < NV; j += 2) {
        pr(FMAS[k].name); sp(); HEX(V[i]); sp(); HEX(V[j]); pr(" :");
        for (unsigned c = 0; c < NV; c += 3) { r = FMAS[k].f(V[i], V[j], V[c], &fl); res(r, fl); }
        nl();
      }
  pr("== fclass\n");
  for (unsigned i = 0; i < NV; i++) { HEX(V[i]); sp(); hexn(fclass(V[i]), 3); nl(); }
  pr("== loads/stores\n");
  for (unsigned i = 0; i < 4; i++) fmem[i] = (FT)V[i + 2];
  __asm__ volatile(LD " ft0, 0(%0)\n\t" LD " ft1, %1(%0)\n\t" LD " ft2, %2(%0)\n\t"
                   ST " ft0, %2(%0)\n\t" ST " ft1, 0(%0)\n\t" ST " ft2, %3(%0)"
                   : : "r"(fmem), "i"(sizeof(FT)), "i"(2 * sizeof(FT)), "i"(3 * sizeof(FT))
                   : "ft0", "ft1", "ft2", "memory");
  for (unsigned i = 0; i < 4; i++) { HEX(fmem[i]); sp(); }
  nl();
}
