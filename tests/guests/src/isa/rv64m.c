// RV64M: multiply/divide/remainder incl. division by zero and overflow (MIN / -1), and W forms.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

static const u64 V[] = {
    0, 1, 2, 3, (u64)-1, (u64)-2, (u64)-3, 7, 0x7fffffffffffffffUL, 0x8000000000000000UL,
    0x80000000UL, 0xffffffff80000000UL, 0x7fffffffUL, 0xffffffffUL, 0x123456789abcdef0UL,
    0xfedcba9876543217UL,
};
#define NV (sizeof V / sizeof V[0])

RR(mul) RR(mulh) RR(mulhsu) RR(mulhu) RR(div) RR(divu) RR(rem) RR(remu)
RR(mulw) RR(divw) RR(divuw) RR(remw) RR(remuw)

typedef u64 (*rrfn)(u64, u64);
static const struct { const char *name; rrfn f; } OPS[] = {
    {"mul", op_mul},   {"mulh", op_mulh}, {"mulhsu", op_mulhsu}, {"mulhu", op_mulhu},
    {"div", op_div},   {"divu", op_divu}, {"rem", op_rem},       {"remu", op_remu},
    {"mulw", op_mulw}, {"divw", op_divw}, {"divuw", op_divuw},   {"remw", op_remw},
    {"remuw", op_remuw},
};

int main(void) {
  for (unsigned k = 0; k < sizeof OPS / sizeof OPS[0]; k++) {
    for (unsigned i = 0; i < NV; i++) {
      pr(OPS[k].name); sp(); h64(V[i]); pr(" :");
      for (unsigned j = 0; j < NV; j++) { sp(); h64(OPS[k].f(V[i], V[j])); }
      nl();
    }
  }
  // Same source and destination register (rd == rs1 == rs2).
  u64 x = 0xfffffffffffffff9UL;
  __asm__ volatile("mul %0, %0, %0" : "+r"(x));
  pr("mul rd=rs1=rs2 "); h64(x); nl();
  x = 0x8000000000000000UL;
  __asm__ volatile("div %0, %0, %0" : "+r"(x));
  pr("div rd=rs1=rs2 "); h64(x); nl();
  return 0;
}
