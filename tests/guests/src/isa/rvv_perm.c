// The vector extension (V 1.0): mask logic, vcpop/vfirst/vmsbf/vmsif/vmsof/viota/vid, integer
// reductions, slides, gathers, vcompress, whole-register and scalar moves.
// Built with -march=rv64gcv; run with -cpu rv64,v=true,vlen=128,elen=64,vext_spec=v1.0.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rvv.h"

#define ASM0(name, text) static void name(u64 x) { (void)x; __asm__ volatile(text); }
#define ASMX(name, text) static void name(u64 x) { __asm__ volatile(text :: "r"(x)); }
#define SCALAR(name, text) static void name(u64 x) { (void)x; u64 r; __asm__ volatile(text : "=r"(r)); scalar_out = r; scalar_used = 1; }

ASM0(t_mask_logic, "vmand.mm v8, v16, v24\n vmnand.mm v9, v17, v25\n vmandn.mm v10, v18, v26\n vmxor.mm v11, v19, v27\n"
                   "vmor.mm v12, v20, v28\n vmnor.mm v13, v21, v29\n vmorn.mm v14, v22, v30\n vmxnor.mm v15, v23, v31\n vmxor.mm v1, v1, v1")
SCALAR(t_vcpop, "vcpop.m %0, v16, v0.t")
SCALAR(t_vcpop_all, "vcpop.m %0, v17")
SCALAR(t_vfirst, "vfirst.m %0, v16, v0.t")
SCALAR(t_vfirst_none, "vmxor.mm v20, v20, v20\n vfirst.m %0, v20")
ASM0(t_vmsbf, "vmsbf.m v8, v16, v0.t\n vmsif.m v9, v17\n vmsof.m v10, v18, v0.t\n vmsbf.m v11, v19")
ASM0(t_viota, "viota.m v8, v16, v0.t\n viota.m v16, v1")
ASM0(t_vid, "vid.v v8, v0.t\n vid.v v16")
ASM0(t_vred, "vredsum.vs v8, v16, v24, v0.t\n vredand.vs v9, v16, v25\n vredor.vs v10, v16, v26, v0.t\n vredxor.vs v11, v16, v27\n"
             "vredminu.vs v12, v16, v28\n vredmin.vs v13, v16, v29, v0.t\n vredmaxu.vs v14, v16, v30\n vredmax.vs v15, v16, v31")
ASM0(t_vwred, "vwredsumu.vs v8, v16, v24, v0.t\n vwredsum.vs v9, v16, v25")
ASMX(t_vslideup_vx, "vslideup.vx v8, v16, %0, v0.t")
ASM0(t_vslideup_vi, "vslideup.vi v8, v16, 3, v0.t\n vslideup.vi v24, v16, 0")
ASMX(t_vslidedown_vx, "vslidedown.vx v8, v16, %0, v0.t")
ASM0(t_vslidedown_vi, "vslidedown.vi v8, v16, 5\n vslidedown.vi v24, v16, 31, v0.t")
ASMX(t_vslide1, "vslide1up.vx v8, v16, %0, v0.t\n vslide1down.vx v24, v16, %0\n vslide1down.vx v16, v8, %0, v0.t")
ASM0(t_vrgather_vv, "vrgather.vv v8, v16, v24, v0.t")
ASMX(t_vrgather_vx, "vrgather.vx v8, v16, %0, v0.t\n andi t0, %0, 7\n vrgather.vx v24, v16, t0")
ASM0(t_vrgather_vi, "vrgather.vi v8, v16, 2, v0.t\n vrgather.vi v24, v16, 31")
ASM0(t_vrgatherei16, "vrgatherei16.vv v8, v16, v24, v0.t")
ASM0(t_vcompress, "vcompress.vm v8, v16, v24")
ASM0(t_vmvnr, "vmv1r.v v1, v2\n vmv2r.v v4, v6\n vmv4r.v v8, v12\n vmv8r.v v16, v24")
SCALAR(t_vmv_x_s, "vmv.x.s %0, v17")
ASMX(t_vmv_s_x, "vmv.s.x v8, %0\n vmv.s.x v16, x0")

// gathers with in-range indices: vs1 reduced modulo 16 first
static void t_vrgather_small(u64 x) {
  (void)x;
  __asm__ volatile("vand.vi v24, v24, 15\n vrgather.vv v8, v16, v24\n vrgatherei16.vv v12, v16, v26, v0.t");
}

#define R(f) run(#f, f, 0);

int main(void) {
  init_regs();
  R(t_mask_logic) R(t_vcpop) R(t_vcpop_all) R(t_vfirst) R(t_vfirst_none) R(t_vmsbf) R(t_viota) R(t_vid)
  R(t_vred) run("t_vwred", t_vwred, 1); R(t_vslideup_vx) R(t_vslideup_vi) R(t_vslidedown_vx) R(t_vslidedown_vi)
  R(t_vslide1) R(t_vrgather_vv) R(t_vrgather_vx) R(t_vrgather_vi) run("t_vrgatherei16", t_vrgatherei16, 3);
  run("t_vrgather_small", t_vrgather_small, 3); R(t_vcompress) R(t_vmvnr) R(t_vmv_x_s) R(t_vmv_s_x)
  return 0;
}
