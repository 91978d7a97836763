// RVC: every RV64C integer/FP-double compressed instruction written explicitly (c.* mnemonics),
// results printed in hex. The build also checks the disassembly contains compressed encodings.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

static const u64 V[] = {0, 1, (u64)-1, 0x7fffffffUL, 0x80000000UL, 0x8000000000000000UL,
                        0x123456789abcdef0UL, 0xfedcba9876543217UL};
#define NV (sizeof V / sizeof V[0])

#define C1(name, body)                                                        \
  static u64 name(u64 x, u64 y) {                                             \
    register u64 a0 __asm__("a0") = x;                                        \
    register u64 a1 __asm__("a1") = y;                                        \
    __asm__ volatile(".option push\n\t.option rvc\n\t" body "\n\t.option pop" \
                     : "+r"(a0), "+r"(a1));                                   \
    return a0;                                                                \
  }
C1(c_li, "c.li a0, -32")
C1(c_li2, "c.li a0, 31")
C1(c_lui, "c.lui a0, 0x1f")
C1(c_lui2, "c.lui a0, 0xfffe0")
C1(c_addi, "c.addi a0, -32")
C1(c_addi2, "c.addi a0, 31")
C1(c_addiw, "c.addiw a0, -1")
C1(c_addiw2, "c.addiw a0, 1")
C1(c_slli, "c.slli a0, 1")
C1(c_slli2, "c.slli a0, 63")
C1(c_srli, "c.srli a0, 1")
C1(c_srli2, "c.srli a0, 32")
C1(c_srai, "c.srai a0, 1")
C1(c_srai2, "c.srai a0, 63")
C1(c_andi, "c.andi a0, -2")
C1(c_andi2, "c.andi a0, 21")
C1(c_mv, "c.mv a0, a1")
C1(c_add, "c.add a0, a1")
C1(c_sub, "c.sub a0, a1")
C1(c_xor, "c.xor a0, a1")
C1(c_or, "c.or a0, a1")
C1(c_and, "c.and a0, a1")
C1(c_subw, "c.subw a0, a1")
C1(c_addw, "c.addw a0, a1")
C1(c_beqz, "c.beqz a0, 1f\n\tc.li a1, 0\n\tc.li a0, 2\n\tc.j 2f\n1:\n\tc.li a0, 1\n2:")
C1(c_bnez, "c.bnez a0, 1f\n\tc.li a1, 0\n\tc.li a0, 2\n\tc.j 2f\n1:\n\tc.li a0, 1\n2:")

typedef u64 (*cfn)(u64, u64);
#define E(n, s) {s, n}
static const struct { const char *name; cfn f; } OPS[] = {
    E(c_li, "c.li -32"),       E(c_li2, "c.li 31"),       E(c_lui, "c.lui 0x1f"),
    E(c_lui2, "c.lui 0xfffe0"), E(c_addi, "c.addi -32"),  E(c_addi2, "c.addi 31"),
    E(c_addiw, "c.addiw -1"),  E(c_addiw2, "c.addiw 1"),  E(c_slli, "c.slli 1"),
    E(c_slli2, "c.slli 63"),   E(c_srli, "c.srli 1"),     E(c_srli2, "c.srli 32"),
    E(c_srai, "c.srai 1"),     E(c_srai2, "c.srai 63"),   E(c_andi, "c.andi -2"),
    E(c_andi2, "c.andi 21"),   E(c_mv, "c.mv"),           E(c_add, "c.add"),
    E(c_sub, "c.sub"),         E(c_xor, "c.xor"),         E(c_or, "c.or"),
    E(c_and, "c.and"),         E(c_subw, "c.subw"),       E(c_addw, "c.addw"),
    E(c_beqz, "c.beqz"),       E(c_bnez, "c.bnez"),
};

static u64 mem[8] __attribute__((aligned(16)));

int main(void) {
  for (unsigned k = 0; k < sizeof OPS / sizeof OPS[0]; k++)
    for (unsigned i = 0; i < NV; i++) {
      pr(OPS[k].name); sp(); h64(V[i]); pr(" :");
      for (unsigned j = 0; j < NV; j++) { sp(); h64(OPS[k].f(V[i], V[j])); }
      nl();
    }
  // Loads and stores through a base register in x8..x15 and through sp.
  for (int i = 0; i < 8; i++) mem[i] = V[i] ^ 0x0f0f0f0f0f0f0f0fUL;
  {
    register u64 *base __asm__("a2") = mem;
    register u64 r0 __asm__("a3");
    register u64 r1 __asm__("a4");
    register u64 r2 __asm__("a5");
    __asm__ volatile(".option push\n\t.option rvc\n\t"
                     "c.lw a3, 4(a2)\n\tc.ld a4, 8(a2)\n\tc.lw a5, 124(a2)\n\t"
                     "c.sw a3, 0(a2)\n\tc.sd a4, 16(a2)\n\tc.sd a5, 56(a2)\n\t"
                     "c.fld fa0, 24(a2)\n\tc.fsd fa0, 32(a2)\n\t.option pop"
                     : "=&r"(r0), "=&r"(r1), "=&r"(r2) : "r"(base) : "fa0", "memory");
    pr("c.lw "); h64(r0); pr(" c.ld "); h64(r1); pr(" c.lw(124) "); h64(r2); nl();
  }
  {
    u64 a, b, c, d;
    __asm__ volatile(".option push\n\t.option rvc\n\t"
                     "c.addi16sp sp, -64\n\t"
                     "c.addi4spn a0, sp, 16\n\t"
                     "sub a0, a0, sp\n\t"
                     "c.li a1, -7\n\t"
                     "c.sdsp a1, 8(sp)\n\tc.swsp a1, 40(sp)\n\t"
                     "c.li a1, 0\n\t"
                     "c.ldsp a1, 8(sp)\n\tc.lwsp a2, 44(sp)\n\t"
                     "c.fsdsp ft0, 16(sp)\n\tc.fldsp ft1, 16(sp)\n\t"
                     "c.lwsp a3, 40(sp)\n\t"
                     "c.addi16sp sp, 64\n\t"
                     "mv %0, a0\n\tmv %1, a1\n\tmv %2, a2\n\tmv %3, a3\n\t.option pop"
                     : "=r"(a), "=r"(b), "=r"(c), "=r"(d) : : "a0", "a1", "a2", "a3", "ft1", "memory");
    pr("c.addi4spn "); h64(a); pr(" c.ldsp "); h64(b); pr(" c.lwsp+4 "); h64(c);
    pr(" c.lwsp "); h64(d); nl();
  }
  {
    u64 a, b;
    __asm__ volatile(".option push\n\t.option rvc\n\t"
                     "lla t1, 1f\n\tc.li a0, 0\n\tc.jr t1\n\tc.li a0, 5\n1:\n\t"
                     "lla t1, 2f\n\tc.jalr t1\n3:\n\tc.j 4f\n2:\n\tmv a1, ra\n\tc.jr ra\n4:\n\t"
                     "lla t1, 3b\n\tsub a1, a1, t1\n\tc.nop\n\t"
                     "mv %0, a0\n\tmv %1, a1\n\t.option pop"
                     : "=r"(a), "=r"(b) : : "a0", "a1", "t1", "ra");
    pr("c.jr skipped "); h64(a); pr(" c.jalr link-delta "); h64(b); nl();
  }
  for (int i = 0; i < 8; i++) { h64(mem[i]); nl(); }
  return 0;
}
