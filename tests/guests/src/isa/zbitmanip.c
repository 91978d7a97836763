// Zba, Zbb, Zbc and Zbs: every instruction on edge values, register and immediate forms.
// Built with -march=rv64gc_zba_zbb_zbc_zbs; run with -cpu rv64,zba=true,zbb=true,zbc=true,zbs=true
// (QEMU 7.2 and binutils 2.40 predate Zicond: riscv_bitmanip_test.ts covers it).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

static const u64 V[] = {
    0, 1, 2, 31, 32, 63, 64, (u64)-1, (u64)-2, 0x7fffffffffffffffUL, 0x8000000000000000UL,
    0x80000000UL, 0xffffffff80000000UL, 0x7fffffffUL, 0xffffffffUL, 0x123456789abcdef0UL,
    0xfedcba9876543217UL, 0x0000ff00ff0000ffUL,
};
#define NV (sizeof V / sizeof V[0])

// R(op): unary `op rd, rs1`.
#define R1(op)                                                \
  static u64 op_##op(u64 a, u64 b) {                          \
    (void)b;                                                  \
    u64 r;                                                    \
    __asm__ volatile(#op " %0, %1" : "=r"(r) : "r"(a));       \
    return r;                                                 \
  }
// RI(op, sh): `op rd, rs1, sh`.
#define RI(name, op, sh)                                              \
  static u64 op_##name(u64 a, u64 b) {                                \
    (void)b;                                                          \
    u64 r;                                                            \
    __asm__ volatile(#op " %0, %1, " #sh : "=r"(r) : "r"(a));         \
    return r;                                                         \
  }

RR(sh1add) RR(sh2add) RR(sh3add)
static u64 op_add_uw(u64 a, u64 b) { u64 r; __asm__ volatile("add.uw %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static u64 op_sh1add_uw(u64 a, u64 b) { u64 r; __asm__ volatile("sh1add.uw %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static u64 op_sh2add_uw(u64 a, u64 b) { u64 r; __asm__ volatile("sh2add.uw %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static u64 op_sh3add_uw(u64 a, u64 b) { u64 r; __asm__ volatile("sh3add.uw %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static u64 op_slli_uw0(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("slli.uw %0, %1, 0" : "=r"(r) : "r"(a)); return r; }
static u64 op_slli_uw5(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("slli.uw %0, %1, 5" : "=r"(r) : "r"(a)); return r; }
static u64 op_slli_uw63(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("slli.uw %0, %1, 63" : "=r"(r) : "r"(a)); return r; }

RR(andn) RR(orn) RR(xnor) R1(clz) R1(ctz) R1(cpop) R1(clzw) R1(ctzw) R1(cpopw)
RR(max) RR(maxu) RR(min) RR(minu) RR(rol) RR(ror) RR(rolw) RR(rorw)
static u64 op_sext_b(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("sext.b %0, %1" : "=r"(r) : "r"(a)); return r; }
static u64 op_sext_h(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("sext.h %0, %1" : "=r"(r) : "r"(a)); return r; }
static u64 op_zext_h(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("zext.h %0, %1" : "=r"(r) : "r"(a)); return r; }
static u64 op_orc_b(u64 a, u64 b) { (void)b; u64 r; __asm__ volatile("orc.b %0, %1" : "=r"(r) : "r"(a)); return r; }
R1(rev8)
RI(rori0, rori, 0) RI(rori1, rori, 1) RI(rori37, rori, 37) RI(rori63, rori, 63)
RI(roriw0, roriw, 0) RI(roriw1, roriw, 1) RI(roriw31, roriw, 31)

RR(clmul) RR(clmulh) RR(clmulr)

RR(bclr) RR(bext) RR(binv) RR(bset)
RI(bclri0, bclri, 0) RI(bclri31, bclri, 31) RI(bclri63, bclri, 63)
RI(bexti0, bexti, 0) RI(bexti31, bexti, 31) RI(bexti63, bexti, 63)
RI(binvi0, binvi, 0) RI(binvi31, binvi, 31) RI(binvi63, binvi, 63)
RI(bseti0, bseti, 0) RI(bseti31, bseti, 31) RI(bseti63, bseti, 63)


typedef u64 (*rrfn)(u64, u64);
#define OP(n) {#n, op_##n, 1}
#define UN(n) {#n, op_##n, 0}
static const struct { const char *name; rrfn f; int binary; } OPS[] = {
    OP(sh1add), OP(sh2add), OP(sh3add), OP(add_uw), OP(sh1add_uw), OP(sh2add_uw), OP(sh3add_uw),
    UN(slli_uw0), UN(slli_uw5), UN(slli_uw63),
    OP(andn), OP(orn), OP(xnor), UN(clz), UN(ctz), UN(cpop), UN(clzw), UN(ctzw), UN(cpopw),
    OP(max), OP(maxu), OP(min), OP(minu), OP(rol), OP(ror), OP(rolw), OP(rorw),
    UN(sext_b), UN(sext_h), UN(zext_h), UN(orc_b), UN(rev8),
    UN(rori0), UN(rori1), UN(rori37), UN(rori63), UN(roriw0), UN(roriw1), UN(roriw31),
    OP(clmul), OP(clmulh), OP(clmulr),
    OP(bclr), OP(bext), OP(binv), OP(bset),
    UN(bclri0), UN(bclri31), UN(bclri63), UN(bexti0), UN(bexti31), UN(bexti63),
    UN(binvi0), UN(binvi31), UN(binvi63), UN(bseti0), UN(bseti31), UN(bseti63),
};

int main(void) {
  for (unsigned k = 0; k < sizeof OPS / sizeof OPS[0]; k++) {
    for (unsigned i = 0; i < NV; i++) {
      // QEMU 7.2's ctzw counts the whole register when only its upper word is non-zero (the
      // spec says 32): riscv_bitmanip_test.ts checks that case.
      if (OPS[k].f == op_ctzw && V[i] != 0 && (u32)V[i] == 0) continue;
      pr(OPS[k].name); sp(); h64(V[i]); pr(" :");
      unsigned n = OPS[k].binary ? NV : 1;
      for (unsigned j = 0; j < n; j++) { sp(); h64(OPS[k].f(V[i], V[j])); }
      nl();
    }
  }
  // rd == rs1 == rs2
  u64 x = 0x8000000000000001UL;
  __asm__ volatile("rol %0, %0, %0" : "+r"(x));
  pr("rol rd=rs1=rs2 "); h64(x); nl();
  x = 0x123456789abcdef0UL;
  __asm__ volatile("sh3add %0, %0, %0" : "+r"(x));
  pr("sh3add rd=rs1=rs2 "); h64(x); nl();
  return 0;
}
