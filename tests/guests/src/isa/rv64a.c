// RV64A: LR/SC (success, failure without reservation, failure after another SC) and every
// AMO on .w and .d, printing the old value returned and the new memory contents.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

static const u64 V[] = {
    0, 1, (u64)-1, 0x7fffffffffffffffUL, 0x8000000000000000UL, 0x80000000UL, 0x7fffffffUL,
    0x123456789abcdef0UL, 0xfedcba9876543217UL,
};
#define NV (sizeof V / sizeof V[0])

static u64 cell[2] __attribute__((aligned(16)));

#define AMO_D(op)                                                             \
  static u64 amo_##op##_d(u64 *p, u64 v) {                                    \
    u64 r;                                                                    \
    __asm__ volatile(#op ".d %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory"); \
    return r;                                                                 \
  }
#define AMO_W(op)                                                             \
  static u64 amo_##op##_w(u64 *p, u64 v) {                                    \
    u64 r;                                                                    \
    __asm__ volatile(#op ".w %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory"); \
    return r;                                                                 \
  }
#define AMO(op) AMO_D(op) AMO_W(op)
AMO(amoswap) AMO(amoadd) AMO(amoxor) AMO(amoand) AMO(amoor) AMO(amomin) AMO(amomax)
AMO(amominu) AMO(amomaxu)

static u64 amo_add_aqrl(u64 *p, u64 v) {
  u64 r;
  __asm__ volatile("amoadd.d.aqrl %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory");
  return r;
}

typedef u64 (*amofn)(u64 *, u64);
#define E(op) {#op ".d", amo_##op##_d}, {#op ".w", amo_##op##_w}
static const struct { const char *name; amofn f; } OPS[] = {
    E(amoswap), E(amoadd), E(amoxor), E(amoand), E(amoor), E(amomin), E(amomax), E(amominu),
    E(amomaxu), {"amoadd.d.aqrl", amo_add_aqrl},
};

int main(void) {
  for (unsigned k = 0; k < sizeof OPS / sizeof OPS[0]; k++) {
    for (unsigned i = 0; i < NV; i++) {
      pr(OPS[k].name); sp(); h64(V[i]); pr(" :");
      for (unsigned j = 0; j < NV; j++) {
        cell[0] = V[i];
        cell[1] = 0x5555555555555555UL;
        u64 old = OPS[k].f(&cell[0], V[j]);
        sp(); h64(old); putch('/'); h64(cell[0]);
        if (cell[1] != 0x5555555555555555UL) pr("!CLOBBER");
      }
      nl();
    }
  }
  // amo*.w on the upper half of a doubleword.
  cell[0] = 0x1111111122222222UL;
  u64 o = amo_amoadd_w((u64 *)((u32 *)cell + 1), 0xf0000000UL);
  pr("amoadd.w upper "); h64(o); sp(); h64(cell[0]); nl();

  for (unsigned i = 0; i < NV; i++) {
    u64 r, sc, lrw, scw;
    cell[0] = V[i];
    __asm__ volatile("lr.d %0, (%2)\n\taddi %0, %0, 3\n\tsc.d %1, %0, (%2)"
                     : "=&r"(r), "=&r"(sc) : "r"(cell) : "memory");
    pr("lr/sc.d "); h64(V[i]); pr(" sc="); h64(sc); pr(" mem="); h64(cell[0]);
    cell[0] = V[i];
    __asm__ volatile("lr.w %0, (%2)\n\taddi %0, %0, -5\n\tsc.w %1, %0, (%2)"
                     : "=&r"(lrw), "=&r"(scw) : "r"(cell) : "memory");
    pr(" lr/sc.w lr="); h64(lrw); pr(" sc="); h64(scw); pr(" mem="); h64(cell[0]); nl();
  }
  {
    // A second SC after a successful SC has no reservation and must fail.
    u64 a, b, t;
    cell[0] = 10;
    __asm__ volatile("lr.d %2, (%3)\n\tsc.d %0, %2, (%3)\n\taddi %2, %2, 1\n\tsc.d %1, %2, (%3)"
                     : "=&r"(a), "=&r"(b), "=&r"(t) : "r"(cell) : "memory");
    pr("sc after sc: first="); h64(a != 0); pr(" second="); h64(b != 0); pr(" mem="); h64(cell[0]);
    nl();
    // lr.d.aq / sc.d.rl counting loop
    cell[0] = 0;
    for (int i = 0; i < 100; i++) {
      u64 tmp, fail;
      __asm__ volatile("1: lr.d.aq %0, (%2)\n\taddi %0, %0, 7\n\tsc.d.rl %1, %0, (%2)\n\tbnez %1, 1b"
                       : "=&r"(tmp), "=&r"(fail) : "r"(cell) : "memory");
    }
    pr("lr/sc loop "); h64(cell[0]); nl();
  }
  return 0;
}
