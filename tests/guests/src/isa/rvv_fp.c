// The vector extension (V 1.0): floating point through every rounding mode, with fflags:
// arithmetic, fused multiply-adds, comparisons, widening forms, conversions, moves, merges,
// slides and reductions (ordered and unordered sums). The .rtz conversions crash QEMU 7.2
// (an assertion in decode_save_opc); tests/riscv_vector_test.ts covers them.
// Built with -march=rv64gcv; run with -cpu rv64,v=true,vlen=128,elen=64,vext_spec=v1.0.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rvv.h"

static unsigned frm_next;

// Runs `text` with frm cycling through the five rounding modes and fflags cleared; the fflags
// it raised are the scalar result. fa0 holds a boxed value built from x.
#define FP(name, text)                                                                  \
  static void name(u64 x) {                                                             \
    u64 fl, frm = frm_next++ % 5;                                                       \
    __asm__ volatile("fmv.d.x fa0, %1\n fsflags x0\n fsrm %2\n" text "\n frflags %0"    \
                     : "=r"(fl) : "r"(x), "r"(frm) : "fa0", "fa1");                     \
    scalar_out = fl; scalar_used = 1;                                                   \
  }

#define VVF(op) FP(t_##op, #op ".vv v8, v16, v24, v0.t\n " #op ".vf v12, v20, fa0")
#define VF(op) FP(t_##op, #op ".vf v8, v16, fa0, v0.t")
#define MADD(op) FP(t_##op, #op ".vv v8, v24, v16, v0.t\n " #op ".vf v12, fa0, v20")

VVF(vfadd) VVF(vfsub) VF(vfrsub) VVF(vfmul) VVF(vfdiv) VF(vfrdiv) VVF(vfmin) VVF(vfmax)
VVF(vfsgnj) VVF(vfsgnjn) VVF(vfsgnjx)
MADD(vfmacc) MADD(vfnmacc) MADD(vfmsac) MADD(vfnmsac) MADD(vfmadd) MADD(vfnmadd) MADD(vfmsub) MADD(vfnmsub)
FP(t_vmfcmp, "vmfeq.vv v8, v16, v24, v0.t\n vmfne.vf v9, v16, fa0\n vmflt.vv v10, v16, v24\n vmfle.vf v11, v17, fa0, v0.t\n"
             "vmfgt.vf v12, v18, fa0\n vmfge.vf v13, v19, fa0, v0.t\n vmfle.vv v14, v20, v24\n vmflt.vf v15, v21, fa0")
FP(t_vfwadd, "vfwadd.vv v8, v16, v24, v0.t\n vfwsub.vf v12, v20, fa0")
FP(t_vfwaddw, "vfwadd.wv v8, v16, v24, v0.t\n vfwsub.wf v12, v20, fa0")
FP(t_vfwmul, "vfwmul.vv v8, v16, v24, v0.t\n vfwmul.vf v12, v20, fa0")
FP(t_vfwmacc, "vfwmacc.vv v8, v24, v16, v0.t\n vfwnmacc.vf v12, fa0, v20\n vfwmsac.vv v16, v24, v28\n vfwnmsac.vf v20, fa0, v30")
FP(t_vfcvt, "vfcvt.xu.f.v v8, v16, v0.t\n vfcvt.x.f.v v9, v17\n vfcvt.f.xu.v v10, v18\n vfcvt.f.x.v v11, v19, v0.t\n"
            "vfsqrt.v v14, v22, v0.t\n vfclass.v v15, v23")
FP(t_vfwcvt, "vfwcvt.xu.f.v v8, v16, v0.t\n vfwcvt.x.f.v v10, v17\n vfwcvt.f.f.v v12, v18")
FP(t_vfwcvti, "vfwcvt.f.xu.v v8, v16, v0.t\n vfwcvt.f.x.v v10, v17")
FP(t_vfncvt, "vfncvt.xu.f.w v8, v16, v0.t\n vfncvt.x.f.w v9, v18\n vfncvt.f.f.w v10, v20\n vfncvt.rod.f.f.w v11, v22, v0.t\n"
             "vfncvt.f.xu.w v14, v28\n vfncvt.f.x.w v15, v30")
FP(t_vfmove, "vfmerge.vfm v8, v16, fa0, v0\n vfmv.v.f v9, fa0\n vfmv.s.f v10, fa0\n vfmv.f.s fa1, v11\n vfmv.s.f v12, fa1")
FP(t_vfslide, "vfslide1up.vf v8, v16, fa0, v0.t\n vfslide1down.vf v24, v16, fa0")
FP(t_vfred, "vfredusum.vs v8, v16, v24, v0.t\n vfredosum.vs v9, v17, v25\n vfredmin.vs v10, v18, v26, v0.t\n vfredmax.vs v11, v19, v27")
FP(t_vfwred, "vfwredusum.vs v8, v16, v24, v0.t\n vfwredosum.vs v9, v17, v25")

// FP needs SEW >= 16; widening and narrowing forms also SEW <= 32, LMUL <= 4; the narrowing
// conversions from integers need a float of SEW; groups used here are aligned for LMUL <= 2.
static const struct { const char *name; insn_fn f; int kind; } TESTS[] = {
#define T(f, k) {#f, f, k}
    T(t_vfadd, 10), T(t_vfsub, 10), T(t_vfrsub, 10), T(t_vfmul, 10), T(t_vfdiv, 10), T(t_vfrdiv, 10),
    T(t_vfmin, 10), T(t_vfmax, 10), T(t_vfsgnj, 10), T(t_vfsgnjn, 10), T(t_vfsgnjx, 10),
    T(t_vfmacc, 10), T(t_vfnmacc, 10), T(t_vfmsac, 10), T(t_vfnmsac, 10), T(t_vfmadd, 10),
    T(t_vfnmadd, 10), T(t_vfmsub, 10), T(t_vfnmsub, 10), T(t_vmfcmp, 12), T(t_vfwadd, 11),
    T(t_vfwaddw, 11), T(t_vfwmul, 11), T(t_vfwmacc, 11), T(t_vfcvt, 12), T(t_vfwcvt, 13),
    T(t_vfwcvti, 13), T(t_vfncvt, 13), T(t_vfmove, 12), T(t_vfslide, 10), T(t_vfred, 12), T(t_vfwred, 13),
};

// The kinds: 10 FP any LMUL (registers v8/v12, v16/v20, v24), 11 widening with LMUL <= 2,
// 12 one register per operand (LMUL <= 1), 13 widening or narrowing with LMUL <= 1/2... 1.
static int fp_legal(int kind, u64 sew, u64 lmul) {
  int frac = lmul > 4, m = frac ? 0 : (int)lmul;  // m: log2 LMUL for integral LMUL
  if (sew == 8) return 0;
  if (kind == 10) return m <= 2;
  if (kind == 11) return sew < 64 && m <= 1;
  if (kind == 12) return m == 0 || frac;
  return sew < 64 && (m == 0 || frac);
}

int main(void) {
  init_regs();
  for (unsigned t = 0; t < sizeof TESTS / sizeof TESTS[0]; t++) {
    pr(TESTS[t].name);
    for (unsigned c = 0; c < NCFG; c++) {
      u64 sew = 8 << ((CFG[c].vtype >> 3) & 7), lmul = CFG[c].vtype & 7;
      if (!fp_legal(TESTS[t].kind, sew, lmul)) continue;
      load_all();
      u64 vl = set_vtype(CFG[c].avl, CFG[c].vtype);
      TESTS[t].f(0xffffffff3fc00001UL ^ (c * 0x0000000100010001UL));
      store_all();
      pr(" "); dec(vl); pr(":"); h32(hash(regs_out, 32 * vlenb)); pr("="); hexn(scalar_out, 2);
      scalar_used = 0;
    }
    nl();
    flush();
  }
  return 0;
}
