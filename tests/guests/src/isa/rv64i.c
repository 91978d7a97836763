// RV64I: register/immediate ALU ops, 32-bit W ops, branches, LUI/AUIPC/JAL/JALR,
// loads with sign/zero extension and stores of every width (aligned only).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

static const u64 V[] = {
    0,          1,          (u64)-1,    0x7fffffffffffffffUL, 0x8000000000000000UL, 0x80000000UL,
    0x7fffffffUL, 0xffffffffUL, 0x123456789abcdef0UL, 0xfedcba9876543217UL, 31, 64,
};
#define NV (sizeof V / sizeof V[0])

RR(add) RR(sub) RR(sll) RR(slt) RR(sltu) RR(xor) RR(srl) RR(sra) RR(or) RR(and)
RR(addw) RR(subw) RR(sllw) RR(srlw) RR(sraw)

typedef u64 (*rrfn)(u64, u64);
static const struct { const char *name; rrfn f; } RRS[] = {
    {"add", op_add},   {"sub", op_sub},   {"sll", op_sll},   {"slt", op_slt},
    {"sltu", op_sltu}, {"xor", op_xor},   {"srl", op_srl},   {"sra", op_sra},
    {"or", op_or},     {"and", op_and},   {"addw", op_addw}, {"subw", op_subw},
    {"sllw", op_sllw}, {"srlw", op_srlw}, {"sraw", op_sraw},
};

#define RI(op, imm)                                                     \
  static u64 op_##op##_##imm(u64 a) {                                   \
    u64 r;                                                              \
    __asm__ volatile(#op " %0, %1, " #imm : "=r"(r) : "r"(a));          \
    return r;                                                           \
  }
#define RIN(op, name, imm)                                              \
  static u64 op_##op##_##name(u64 a) {                                  \
    u64 r;                                                              \
    __asm__ volatile(#op " %0, %1, " #imm : "=r"(r) : "r"(a));          \
    return r;                                                           \
  }
RI(addi, 0) RI(addi, 1) RIN(addi, m1, -1) RI(addi, 2047) RIN(addi, m2048, -2048)
RI(slti, 0) RIN(slti, m1, -1) RI(slti, 2047) RIN(slti, m2048, -2048)
RI(sltiu, 0) RI(sltiu, 1) RIN(sltiu, m1, -1) RI(sltiu, 2047)
RI(xori, 0) RIN(xori, m1, -1) RI(xori, 1365) RIN(xori, m2048, -2048)
RI(ori, 0) RIN(ori, m1, -1) RI(ori, 1365) RIN(ori, m2048, -2048)
RI(andi, 0) RIN(andi, m1, -1) RI(andi, 1365) RIN(andi, m2048, -2048)
RI(slli, 0) RI(slli, 1) RI(slli, 31) RI(slli, 32) RI(slli, 63)
RI(srli, 0) RI(srli, 1) RI(srli, 31) RI(srli, 32) RI(srli, 63)
RI(srai, 0) RI(srai, 1) RI(srai, 31) RI(srai, 32) RI(srai, 63)
RI(addiw, 0) RI(addiw, 1) RIN(addiw, m1, -1) RI(addiw, 2047) RIN(addiw, m2048, -2048)
RI(slliw, 0) RI(slliw, 1) RI(slliw, 31)
RI(srliw, 0) RI(srliw, 1) RI(srliw, 31)
RI(sraiw, 0) RI(sraiw, 1) RI(sraiw, 31)

typedef u64 (*rifn)(u64);
#define E(op, name, imm) {#op " " #imm, op_##op##_##name}
static const struct { const char *name; rifn f; } RIS[] = {
    E(addi, 0, 0),        E(addi, 1, 1),         E(addi, m1, -1),        E(addi, 2047, 2047),
    E(addi, m2048, -2048), E(slti, 0, 0),        E(slti, m1, -1),        E(slti, 2047, 2047),
    E(slti, m2048, -2048), E(sltiu, 0, 0),       E(sltiu, 1, 1),         E(sltiu, m1, -1),
    E(sltiu, 2047, 2047), E(xori, 0, 0),         E(xori, m1, -1),        E(xori, 1365, 1365),
    E(xori, m2048, -2048), E(ori, 0, 0),         E(ori, m1, -1),         E(ori, 1365, 1365),
    E(ori, m2048, -2048), E(andi, 0, 0),         E(andi, m1, -1),        E(andi, 1365, 1365),
    E(andi, m2048, -2048), E(slli, 0, 0),        E(slli, 1, 1),          E(slli, 31, 31),
    E(slli, 32, 32),      E(slli, 63, 63),       E(srli, 0, 0),          E(srli, 1, 1),
    E(srli, 31, 31),      E(srli, 32, 32),       E(srli, 63, 63),        E(srai, 0, 0),
    E(srai, 1, 1),        E(srai, 31, 31),       E(srai, 32, 32),        E(srai, 63, 63),
    E(addiw, 0, 0),       E(addiw, 1, 1),        E(addiw, m1, -1),       E(addiw, 2047, 2047),
    E(addiw, m2048, -2048), E(slliw, 0, 0),      E(slliw, 1, 1),         E(slliw, 31, 31),
    E(srliw, 0, 0),       E(srliw, 1, 1),        E(srliw, 31, 31),       E(sraiw, 0, 0),
    E(sraiw, 1, 1),       E(sraiw, 31, 31),
};

#define BR(op)                                                          \
  static int br_##op(u64 a, u64 b) {                                    \
    int t;                                                              \
    __asm__ volatile("li %0, 1\n\t" #op " %1, %2, 1f\n\tli %0, 0\n1:"    \
                     : "=&r"(t) : "r"(a), "r"(b));                      \
    return t;                                                           \
  }
BR(beq) BR(bne) BR(blt) BR(bge) BR(bltu) BR(bgeu)
typedef int (*brfn)(u64, u64);
static const struct { const char *name; brfn f; } BRS[] = {
    {"beq", br_beq}, {"bne", br_bne}, {"blt", br_blt}, {"bge", br_bge}, {"bltu", br_bltu}, {"bgeu", br_bgeu},
};

static u8 mem[32] __attribute__((aligned(16)));

static void fill(void) {
  for (int i = 0; i < 32; i++) mem[i] = (u8)(0x70 + i * 9);
}

static void dump(void) {
  for (int i = 0; i < 32; i++) hexn(mem[i], 2);
  nl();
}

#define LD(op, off)                                                     \
  {                                                                     \
    u64 r;                                                              \
    __asm__ volatile(#op " %0, " #off "(%1)" : "=r"(r) : "r"(mem + 16)); \
    pr(#op " " #off " "); h64(r); nl();                                 \
  }

int main(void) {
  pr("== R-type\n");
  for (unsigned k = 0; k < sizeof RRS / sizeof RRS[0]; k++) {
    for (unsigned i = 0; i < NV; i++) {
      pr(RRS[k].name); sp(); h64(V[i]); pr(" :");
      for (unsigned j = 0; j < NV; j++) { sp(); h64(RRS[k].f(V[i], V[j])); }
      nl();
    }
  }
  pr("== I-type\n");
  for (unsigned k = 0; k < sizeof RIS / sizeof RIS[0]; k++) {
    pr(RIS[k].name); pr(" :");
    for (unsigned i = 0; i < NV; i++) { sp(); h64(RIS[k].f(V[i])); }
    nl();
  }
  pr("== branches (row a, column b, 1=taken)\n");
  for (unsigned k = 0; k < sizeof BRS / sizeof BRS[0]; k++) {
    for (unsigned i = 0; i < NV; i++) {
      pr(BRS[k].name); sp(); h64(V[i]); pr(" : ");
      for (unsigned j = 0; j < NV; j++) putch((char)('0' + BRS[k].f(V[i], V[j])));
      nl();
    }
  }
  pr("== lui/auipc/jal/jalr\n");
  {
    u64 r;
    __asm__ volatile("lui %0, 0x12345" : "=r"(r)); pr("lui 0x12345 "); h64(r); nl();
    __asm__ volatile("lui %0, 0x80000" : "=r"(r)); pr("lui 0x80000 "); h64(r); nl();
    __asm__ volatile("lui %0, 0xfffff" : "=r"(r)); pr("lui 0xfffff "); h64(r); nl();
    u64 a, b;
    __asm__ volatile("1: auipc %0, 0x1\n\tlla %1, 1b" : "=r"(a), "=r"(b));
    pr("auipc 1 - pc "); h64(a - b); nl();
    __asm__ volatile("1: auipc %0, 0xfffff\n\tlla %1, 1b" : "=r"(a), "=r"(b));
    pr("auipc -1 - pc "); h64(a - b); nl();
    __asm__ volatile("jal %0, 1f\n\tnop\n1: lla %1, 1b" : "=r"(a), "=r"(b));
    pr("jal link == next "); h64(a == b - 4 || a == b - 2); nl();
    // jalr to an odd address: bit 0 of the target is cleared.
    __asm__ volatile("lla t0, 2f\n\taddi t0, t0, 1\n\tli %0, 7\n\tjalr %1, 0(t0)\n\tli %0, 9\n2:"
                     : "=&r"(a), "=&r"(b) : : "t0");
    pr("jalr odd target skipped "); h64(a); nl();
    __asm__ volatile("lla t0, 3f\n\taddi t0, t0, -8\n\tjalr %0, 8(t0)\n\tnop\n3:"
                     : "=r"(a) : : "t0");
    pr("jalr offset ok "); h64(a != 0); nl();
    __asm__ volatile("li x0, 5\n\taddi %0, x0, 0" : "=r"(r));
    pr("x0 stays zero "); h64(r); nl();
  }
  pr("== loads\n");
  fill();
  LD(lb, 0) LD(lb, 1) LD(lb, 15) LD(lb, -1) LD(lb, -16)
  LD(lbu, 0) LD(lbu, 1) LD(lbu, 15) LD(lbu, -1) LD(lbu, -16)
  LD(lh, 0) LD(lh, 2) LD(lh, 14) LD(lh, -2) LD(lh, -16)
  LD(lhu, 0) LD(lhu, 2) LD(lhu, 14) LD(lhu, -2) LD(lhu, -16)
  LD(lw, 0) LD(lw, 4) LD(lw, 12) LD(lw, -4) LD(lw, -16)
  LD(lwu, 0) LD(lwu, 4) LD(lwu, 12) LD(lwu, -4) LD(lwu, -16)
  LD(ld, 0) LD(ld, 8) LD(ld, -8) LD(ld, -16)
  pr("== stores\n");
  for (unsigned i = 0; i < NV; i++) {
    fill();
    u64 v = V[i] ^ 0x0102030405060708UL;
    __asm__ volatile("sb %1, 0(%0)\n\tsb %1, 3(%0)\n\tsh %1, 4(%0)\n\tsh %1, 10(%0)\n\t"
                     "sw %1, 12(%0)\n\tsw %1, -4(%0)\n\tsd %1, -16(%0)\n\tsd %1, 8(%0)"
                     : : "r"(mem + 16), "r"(v) : "memory");
    dump();
  }
  return 0;
}
