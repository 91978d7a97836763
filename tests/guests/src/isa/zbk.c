// Zbkb, Zbkc and Zbkx (the crypto bit-manipulation subsets): each instruction on edge values.
// Built with -march=rv64gc_zbkb_zbkc_zbkx; run with -cpu rv64,zbkb=true,zbkc=true,zbkx=true.
// The RV32-only zip and unzip are covered by riscv_bitmanip_test.ts.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

static const u64 V[] = {
    0, 1, 7, 15, 16, 63, 64, (u64)-1, (u64)-2, 0x7fffffffffffffffUL, 0x8000000000000000UL,
    0x80000000UL, 0xffffffff80000000UL, 0x7fffffffUL, 0x0706050403020100UL, 0x123456789abcdef0UL,
    0xfedcba9876543217UL, 0x0000ff00ff0000ffUL, 0x0f1e2d3c4b5a6978UL,
};
#define NV (sizeof V / sizeof V[0])

RR(pack) RR(packh) RR(packw) RR(andn) RR(orn) RR(xnor) RR(rol) RR(ror) RR(rolw) RR(rorw)
RR(clmul) RR(clmulh) RR(xperm4) RR(xperm8)
static u64 op_brev8(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("brev8 %0, %1" : "=r"(r) : "r"(a)); return r; }
static u64 op_rev8(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("rev8 %0, %1" : "=r"(r) : "r"(a)); return r; }
static u64 op_rori13(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("rori %0, %1, 13" : "=r"(r) : "r"(a)); return r; }
static u64 op_roriw7(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("roriw %0, %1, 7" : "=r"(r) : "r"(a)); return r; }

typedef u64 (*rrfn)(u64, u64);
#define OP(n) {#n, op_##n, 1}
#define UN(n) {#n, op_##n, 0}
static const struct { const char *name; rrfn f; int binary; } OPS[] = {
    OP(pack), OP(packh), OP(packw), UN(brev8), UN(rev8), OP(andn), OP(orn), OP(xnor),
    OP(rol), OP(ror), OP(rolw), OP(rorw), UN(rori13), UN(roriw7),
    OP(clmul), OP(clmulh), OP(xperm4), OP(xperm8),
};

int main(void) {
  for (unsigned k = 0; k < sizeof OPS / sizeof OPS[0]; k++) {
    for (unsigned i = 0; i < NV; i++) {
      pr(OPS[k].name); sp(); h64(V[i]); pr(" :");
      unsigned n = OPS[k].binary ? NV : 1;
      for (unsigned j = 0; j < n; j++) { sp(); h64(OPS[k].f(V[i], V[j])); }
      nl();
    }
  }
  // pack with rs2 = x0 (what Zbb calls zext.h on RV32; a plain pack here)
  u64 x = 0x123456789abcdef0UL, r;
  __asm__ volatile("pack %0, %1, x0" : "=r"(r) : "r"(x));
  pr("pack x0 "); h64(r); nl();
  __asm__ volatile("packw %0, %1, x0" : "=r"(r) : "r"(x));
  pr("packw x0 "); h64(r); nl();
  return 0;
}
