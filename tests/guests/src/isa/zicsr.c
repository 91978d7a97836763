// Zicsr: csrrw/csrrs/csrrc and immediate forms on fflags/frm/fcsr; counters (cycle, time,
// instret) only as "nonzero"/"monotonic", never their values.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

#define SHOW(label, expr) pr(label " "); h64(expr); nl();

int main(void) {
  u64 a, b, c;
  __asm__ volatile("csrw fcsr, zero");
  __asm__ volatile("csrrw %0, fcsr, %1" : "=r"(a) : "r"(0xffUL)); SHOW("csrrw fcsr old", a);
  __asm__ volatile("csrr %0, fcsr" : "=r"(a)); SHOW("fcsr after 0xff", a);
  __asm__ volatile("csrr %0, fflags" : "=r"(a)); SHOW("fflags", a);
  __asm__ volatile("csrr %0, frm" : "=r"(a)); SHOW("frm", a);
  __asm__ volatile("csrrw %0, fcsr, %1" : "=r"(a) : "r"(0xffffffffffffffffUL));
  __asm__ volatile("csrr %0, fcsr" : "=r"(a)); SHOW("fcsr after all-ones (upper bits ignored)", a);
  __asm__ volatile("csrrc %0, fflags, %1" : "=r"(a) : "r"(0x5UL)); SHOW("csrrc fflags 5 old", a);
  __asm__ volatile("csrr %0, fflags" : "=r"(a)); SHOW("fflags now", a);
  __asm__ volatile("csrrs %0, fflags, %1" : "=r"(a) : "r"(0x1UL)); SHOW("csrrs fflags 1 old", a);
  __asm__ volatile("csrr %0, fcsr" : "=r"(a)); SHOW("fcsr now", a);
  __asm__ volatile("csrrwi %0, frm, 2" : "=r"(a)); SHOW("csrrwi frm 2 old", a);
  __asm__ volatile("csrr %0, fcsr" : "=r"(a)); SHOW("fcsr now", a);
  __asm__ volatile("csrrsi %0, frm, 1" : "=r"(a)); SHOW("csrrsi frm 1 old", a);
  __asm__ volatile("csrrci %0, frm, 2" : "=r"(a)); SHOW("csrrci frm 2 old", a);
  __asm__ volatile("csrr %0, frm" : "=r"(a)); SHOW("frm now", a);
  __asm__ volatile("csrrwi %0, fflags, 0x1f" : "=r"(a)); SHOW("csrrwi fflags 1f old", a);
  __asm__ volatile("csrrci %0, fflags, 0x3" : "=r"(a)); SHOW("csrrci fflags 3 old", a);
  __asm__ volatile("csrrsi %0, fflags, 0" : "=r"(a)); SHOW("csrrsi fflags 0 (read only)", a);
  __asm__ volatile("csrrs %0, fcsr, x0" : "=r"(a)); SHOW("csrrs fcsr x0", a);
  __asm__ volatile("fsrm %0, %1" : "=r"(a) : "r"(4UL)); SHOW("fsrm 4 old", a);
  __asm__ volatile("frrm %0" : "=r"(a)); SHOW("frrm", a);
  __asm__ volatile("fsflags %0, %1" : "=r"(a) : "r"(0UL)); SHOW("fsflags 0 old", a);
  __asm__ volatile("frcsr %0" : "=r"(a)); SHOW("frcsr", a);
  __asm__ volatile("fscsr %0, %1" : "=r"(a) : "r"(0UL)); SHOW("fscsr 0 old", a);
  // An FP op under frm=rup (set by csr) rounds up; check flags accrue in fcsr.
  __asm__ volatile("csrwi frm, 3\n\tfmv.w.x ft0, %1\n\tfmv.w.x ft1, %2\n\tfdiv.s ft2, ft0, ft1\n\t"
                   "fmv.x.w %0, ft2" : "=r"(a) : "r"(0x3f800000UL), "r"(0x40400000UL) : "ft0", "ft1", "ft2");
  __asm__ volatile("csrr %0, fcsr" : "=r"(b)); 
  SHOW("1/3 under frm=rup", a);
  SHOW("fcsr after", b);
  __asm__ volatile("csrw fcsr, zero");

  u64 c0, c1, t0, t1, i0, i1;
  __asm__ volatile("rdcycle %0" : "=r"(c0));
  __asm__ volatile("rdtime %0" : "=r"(t0));
  __asm__ volatile("rdinstret %0" : "=r"(i0));
  c = 0;
  for (int i = 0; i < 100000; i++) __asm__ volatile("addi %0, %0, 1" : "+r"(c));
  __asm__ volatile("rdcycle %0" : "=r"(c1));
  __asm__ volatile("rdtime %0" : "=r"(t1));
  __asm__ volatile("rdinstret %0" : "=r"(i1));
  pr("loop "); dec(c); nl();
  pr("cycle "); pr(c0 ? "nonzero" : "zero"); pr(c1 >= c0 ? " monotonic\n" : " not-monotonic\n");
  pr("time "); pr(t0 ? "nonzero" : "zero"); pr(t1 >= t0 ? " monotonic\n" : " not-monotonic\n");
  pr("instret "); pr(i0 ? "nonzero" : "zero"); pr(i1 >= i0 ? " monotonic\n" : " not-monotonic\n");
  return 0;
}
