// The vector extension (V 1.0): vset{i}vl{i}, loads and stores, integer and fixed-point
// arithmetic. Each instruction runs under several vtypes and vls with v0 as a mask; the
// registers it may write are hashed afterwards, with vl and vxsat.
// Built with -march=rv64gcv; run with -cpu rv64,v=true,vlen=128,elen=64,vext_spec=v1.0.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rvv.h"

#define VV(op) static void t_##op##_vv(u64 x) { (void)x; __asm__ volatile(#op ".vv v8, v16, v24, v0.t"); }
#define VX(op) static void t_##op##_vx(u64 x) { __asm__ volatile(#op ".vx v8, v16, %0, v0.t" :: "r"(x)); }
#define VI(op, i) static void t_##op##_vi(u64 x) { (void)x; __asm__ volatile(#op ".vi v8, v16, " #i ", v0.t"); }
#define WV(op) static void t_##op##_wv(u64 x) { (void)x; __asm__ volatile(#op ".wv v8, v16, v24, v0.t"); }
#define WX(op) static void t_##op##_wx(u64 x) { __asm__ volatile(#op ".wx v8, v16, %0, v0.t" :: "r"(x)); }
#define WI(op, i) static void t_##op##_wi(u64 x) { (void)x; __asm__ volatile(#op ".wi v8, v16, " #i ", v0.t"); }
#define MVV(op) static void t_##op##_vv(u64 x) { (void)x; __asm__ volatile(#op ".vv v8, v24, v16, v0.t"); }
#define MVX(op) static void t_##op##_vx(u64 x) { __asm__ volatile(#op ".vx v8, %0, v16, v0.t" :: "r"(x)); }
#define VXI(op, i) VV(op) VX(op) VI(op, i)
#define VXO(op) VV(op) VX(op)

VXI(vadd, -7) VXO(vsub) VX(vrsub) VI(vrsub, 3) VXO(vminu) VXO(vmin) VXO(vmaxu) VXO(vmax)
VXI(vand, 5) VXI(vor, -16) VXI(vxor, -1) VXI(vsll, 3) VXI(vsrl, 31) VXI(vsra, 9)
VXO(vmul) VXO(vmulh) VXO(vmulhu) VXO(vmulhsu) VXO(vdiv) VXO(vdivu) VXO(vrem) VXO(vremu)
MVV(vmacc) MVX(vmacc) MVV(vnmsac) MVX(vnmsac) MVV(vmadd) MVX(vmadd) MVV(vnmsub) MVX(vnmsub)
VXI(vsaddu, -2) VXI(vsadd, 15) VXO(vssubu) VXO(vssub) VXO(vaaddu) VXO(vaadd) VXO(vasubu)
VXO(vasub) VXO(vsmul) VXI(vssrl, 7) VXI(vssra, 1)
VXI(vmseq, 3) VXI(vmsne, -3) VXO(vmsltu) VXO(vmslt) VXI(vmsleu, 12) VXI(vmsle, -12)
VX(vmsgtu) VI(vmsgtu, 1) VX(vmsgt) VI(vmsgt, -1)
VXO(vwaddu) VXO(vwadd) VXO(vwsubu) VXO(vwsub) VXO(vwmulu) VXO(vwmul) VXO(vwmulsu)
MVV(vwmaccu) MVX(vwmaccu) MVV(vwmacc) MVX(vwmacc) MVV(vwmaccsu) MVX(vwmaccsu) MVX(vwmaccus)
WV(vwaddu) WX(vwaddu) WV(vwadd) WX(vwsub) WV(vwsubu)
WV(vnsrl) WX(vnsrl) WI(vnsrl, 3) WV(vnsra) WX(vnsra) WI(vnsra, 17)
WV(vnclipu) WX(vnclipu) WI(vnclipu, 4) WV(vnclip) WX(vnclip) WI(vnclip, 1)

static void t_vadc(u64 x) { __asm__ volatile("vadc.vvm v8, v16, v24, v0\n vadc.vxm v9, v17, %0, v0\n vadc.vim v10, v18, -5, v0" :: "r"(x)); }
static void t_vmadc(u64 x) { __asm__ volatile("vmadc.vvm v8, v16, v24, v0\n vmadc.vxm v9, v17, %0, v0\n vmadc.vim v10, v18, -5, v0\n vmadc.vv v11, v16, v24\n vmadc.vx v12, v16, %0\n vmadc.vi v13, v18, 7" :: "r"(x)); }
static void t_vsbc(u64 x) { __asm__ volatile("vsbc.vvm v8, v16, v24, v0\n vsbc.vxm v9, v17, %0, v0\n vmsbc.vvm v10, v16, v24, v0\n vmsbc.vxm v11, v17, %0, v0\n vmsbc.vv v12, v16, v24\n vmsbc.vx v13, v16, %0" :: "r"(x)); }
static void t_vmerge(u64 x) { __asm__ volatile("vmerge.vvm v8, v16, v24, v0\n vmerge.vxm v16, v8, %0, v0\n vmerge.vim v24, v16, 9, v0" :: "r"(x)); }
static void t_vmv(u64 x) { __asm__ volatile("vmv.v.v v8, v16\n vmv.v.x v16, %0\n vmv.v.i v24, -9" :: "r"(x)); }
static void t_vext2(u64 x) { (void)x; __asm__ volatile("vzext.vf2 v8, v20, v0.t\n vsext.vf2 v16, v28, v0.t"); }
static void t_vext4(u64 x) { (void)x; __asm__ volatile("vzext.vf4 v8, v20, v0.t\n vsext.vf4 v16, v28"); }
static void t_vext8(u64 x) { (void)x; __asm__ volatile("vzext.vf8 v8, v20\n vsext.vf8 v16, v28, v0.t"); }

// Loads and stores: from mem (pattern) into v8.., stores back to mem; both hashed.
static void t_unit(u64 x) { (void)x; __asm__ volatile("vle8.v v8, (%0), v0.t\n vle16.v v16, (%0)\n vse32.v v24, (%1), v0.t\n vse64.v v16, (%2)" :: "r"(mem), "r"(mem + 512), "r"(mem + 1024) : "memory"); }
static void t_strided(u64 x) { (void)x; __asm__ volatile("vlse8.v v8, (%0), %1, v0.t\n vlse32.v v16, (%0), %2\n vsse16.v v24, (%3), %1\n vsse64.v v8, (%3), %2, v0.t" :: "r"(mem + 64), "r"(-3L), "r"(40L), "r"(mem + 2048) : "memory"); }
static void t_indexed(u64 x) { (void)x; __asm__ volatile("vsetvli t0, x0, e8, m8, ta, mu\n vand.vi v24, v24, 15\n vsetvl x0, %1, %2\n vluxei8.v v8, (%0), v24, v0.t\n vloxei8.v v16, (%0), v24\n vsoxei8.v v16, (%3), v24\n vsuxei8.v v8, (%3), v24, v0.t" :: "r"(mem), "r"(-1L), "r"(0L), "r"(mem + 3000) : "t0", "memory"); }
static void t_segment(u64 x) { (void)x; __asm__ volatile("vlseg2e8.v v8, (%0), v0.t\n vlsseg3e16.v v16, (%0), %1\n vsseg2e8.v v8, (%2)\n vssseg2e32.v v16, (%2), %1, v0.t" :: "r"(mem), "r"(24L), "r"(mem + 2500) : "memory"); }
static void t_whole(u64 x) { (void)x; __asm__ volatile("vl1re8.v v8, (%0)\n vl2re16.v v10, (%0)\n vl4re32.v v12, (%0)\n vl8re64.v v16, (%1)\n vs2r.v v12, (%2)\n vs1r.v v9, (%3)\n vlm.v v24, (%0)\n vsm.v v25, (%3)" :: "r"(mem), "r"(mem + 100), "r"(mem + 1500), "r"(mem + 1700) : "memory"); }
static void t_ff(u64 x) { (void)x; __asm__ volatile("vle16ff.v v8, (%0), v0.t\n vlseg2e32ff.v v16, (%0)" :: "r"(mem) : "memory"); }

static void run_mem(const char *name, insn_fn f) {
  for (unsigned i = 0; i < sizeof mem; i++) mem[i] = (u8)(i * 7 + (i >> 3));
  run(name, f, 3);
  pr("  mem "); h64(hash(mem, sizeof mem)); nl();
}

#define R(f) run(#f, f, 0);
#define W(f) run(#f, f, 1);

int main(void) {
  init_regs();
  u64 vt;
  __asm__ volatile("csrr %0, vtype" : "=r"(vt));
  pr("vlenb "); dec(vlenb); pr(" vtype "); h64(vt); nl();
  // vsetvl results for odd vtypes (vill cases included)
  static const u64 VT[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 0x1d, 0x18, 0x1f, 0x20, 0xc3, 0x100, 0x8000000000000000UL};
  for (unsigned i = 0; i < sizeof VT / sizeof VT[0]; i++) {
    u64 vl = set_vtype(1000, VT[i]), t2;
    __asm__ volatile("csrr %0, vtype" : "=r"(t2));
    pr("vsetvl "); h64(VT[i]); sp(); dec(vl); sp(); h64(t2); nl();
  }
  u64 a, b, c;
  __asm__ volatile("vsetvli %0, x0, e16, m2, ta, ma\n vsetvli x0, x0, e32, m4, tu, mu\n csrr %1, vl\n vsetivli %2, 17, e8, mf2, ta, mu" : "=r"(a), "=r"(b), "=r"(c));
  pr("vsetvli "); dec(a); sp(); dec(b); sp(); dec(c); nl();
  R(t_vadd_vv) R(t_vadd_vx) R(t_vadd_vi) R(t_vsub_vv) R(t_vsub_vx) R(t_vrsub_vx) R(t_vrsub_vi)
  R(t_vminu_vv) R(t_vminu_vx) R(t_vmin_vv) R(t_vmin_vx) R(t_vmaxu_vv) R(t_vmaxu_vx) R(t_vmax_vv) R(t_vmax_vx)
  R(t_vand_vv) R(t_vand_vx) R(t_vand_vi) R(t_vor_vv) R(t_vor_vx) R(t_vor_vi) R(t_vxor_vv) R(t_vxor_vx) R(t_vxor_vi)
  R(t_vsll_vv) R(t_vsll_vx) R(t_vsll_vi) R(t_vsrl_vv) R(t_vsrl_vx) R(t_vsrl_vi) R(t_vsra_vv) R(t_vsra_vx) R(t_vsra_vi)
  R(t_vmul_vv) R(t_vmul_vx) R(t_vmulh_vv) R(t_vmulh_vx) R(t_vmulhu_vv) R(t_vmulhu_vx) R(t_vmulhsu_vv) R(t_vmulhsu_vx)
  R(t_vdiv_vv) R(t_vdiv_vx) R(t_vdivu_vv) R(t_vdivu_vx) R(t_vrem_vv) R(t_vrem_vx) R(t_vremu_vv) R(t_vremu_vx)
  R(t_vmacc_vv) R(t_vmacc_vx) R(t_vnmsac_vv) R(t_vnmsac_vx) R(t_vmadd_vv) R(t_vmadd_vx) R(t_vnmsub_vv) R(t_vnmsub_vx)
  R(t_vsaddu_vv) R(t_vsaddu_vx) R(t_vsaddu_vi) R(t_vsadd_vv) R(t_vsadd_vx) R(t_vsadd_vi) R(t_vssubu_vv) R(t_vssubu_vx)
  R(t_vssub_vv) R(t_vssub_vx) R(t_vaaddu_vv) R(t_vaaddu_vx) R(t_vaadd_vv) R(t_vaadd_vx) R(t_vasubu_vv) R(t_vasubu_vx)
  R(t_vasub_vv) R(t_vasub_vx) R(t_vsmul_vv) R(t_vsmul_vx) R(t_vssrl_vv) R(t_vssrl_vx) R(t_vssrl_vi) R(t_vssra_vv) R(t_vssra_vx) R(t_vssra_vi)
  R(t_vmseq_vv) R(t_vmseq_vx) R(t_vmseq_vi) R(t_vmsne_vv) R(t_vmsne_vx) R(t_vmsne_vi) R(t_vmsltu_vv) R(t_vmsltu_vx)
  R(t_vmslt_vv) R(t_vmslt_vx) R(t_vmsleu_vv) R(t_vmsleu_vx) R(t_vmsleu_vi) R(t_vmsle_vv) R(t_vmsle_vx) R(t_vmsle_vi)
  R(t_vmsgtu_vx) R(t_vmsgtu_vi) R(t_vmsgt_vx) R(t_vmsgt_vi)
  W(t_vwaddu_vv) W(t_vwaddu_vx) W(t_vwadd_vv) W(t_vwadd_vx) W(t_vwsubu_vv) W(t_vwsubu_vx) W(t_vwsub_vv) W(t_vwsub_vx)
  W(t_vwmulu_vv) W(t_vwmulu_vx) W(t_vwmul_vv) W(t_vwmul_vx) W(t_vwmulsu_vv) W(t_vwmulsu_vx)
  W(t_vwmaccu_vv) W(t_vwmaccu_vx) W(t_vwmacc_vv) W(t_vwmacc_vx) W(t_vwmaccsu_vv) W(t_vwmaccsu_vx) W(t_vwmaccus_vx)
  W(t_vwaddu_wv) W(t_vwaddu_wx) W(t_vwadd_wv) W(t_vwsub_wx) W(t_vwsubu_wv)
  W(t_vnsrl_wv) W(t_vnsrl_wx) W(t_vnsrl_wi) W(t_vnsra_wv) W(t_vnsra_wx) W(t_vnsra_wi)
  W(t_vnclipu_wv) W(t_vnclipu_wx) W(t_vnclipu_wi) W(t_vnclip_wv) W(t_vnclip_wx) W(t_vnclip_wi)
  run("t_vadc", t_vadc, 3); run("t_vmadc", t_vmadc, 3); run("t_vsbc", t_vsbc, 3);
  R(t_vmerge) R(t_vmv)
  run("t_vext2", t_vext2, 2); run("t_vext4", t_vext4, 4); run("t_vext8", t_vext8, 8);
  run_mem("t_unit", t_unit); run_mem("t_strided", t_strided); run_mem("t_indexed", t_indexed);
  run_mem("t_segment", t_segment); run_mem("t_whole", t_whole); run_mem("t_ff", t_ff);
  return 0;
}
