/* mstatus.FS: with FS = Off every F/D instruction and fflags/frm/fcsr access is illegal. */
#include "rt.h"

#define FS (3UL << 13)
static volatile double d = 1.5;
static volatile float f;

static void report(const char *what) {
  puts_(what); puts_(": count="); puthex(last.count); puts_(" cause="); puthex(last.cause);
  puts_(" tval="); puthex(last.tval); putc_('\n');
}

static void fp_ops(void) {
  __asm__ volatile("fsw ft0, 0(%0)" ::"r"(&f) : "memory"); report("fsw");
  __asm__ volatile("fld ft1, 0(%0)" ::"r"(&d) : "ft1"); report("fld");
  __asm__ volatile("fadd.d ft2, ft1, ft1" ::: "ft2"); report("fadd.d");
  __asm__ volatile("fmv.x.w t0, ft0" ::: "t0"); report("fmv.x.w");
  __asm__ volatile("mv a5, %0\n c.fsd fs0, 0(a5)" ::"r"(&d) : "a5", "memory"); report("c.fsd");
  __asm__ volatile("csrr t0, fflags" ::: "t0"); report("csrr fflags");
  __asm__ volatile("csrw frm, zero"); report("csrw frm");
  __asm__ volatile("csrr t0, fcsr" ::: "t0"); report("csrr fcsr");
}

int main(void) {
  puts_("fs\n");
  put("mstatus.FS at reset", (csr_read(mstatus) & FS) >> 13);
  csr_clear(mstatus, FS);
  fp_ops();
  csr_set(mstatus, 1UL << 13); /* Initial */
  put("mstatus.FS on after set", (csr_read(mstatus) & FS) != 0); /* Denemu reads it as Dirty */
  last.count = 0;
  d = 2.25;
  __asm__ volatile("fld ft1, 0(%0)\n fadd.d ft2, ft1, ft1\n fsd ft2, 0(%0)" ::"r"(&d) : "ft1", "ft2", "memory");
  put("2.25+2.25 bits", *(volatile unsigned long *)&d);
  put("traps with FS on", last.count);
  /* Turning FS off again in the middle of a block applies to the next instruction. */
  __asm__ volatile("csrc mstatus, %0\n fld ft1, 0(%1)" ::"r"(FS), "r"(&d) : "ft1");
  report("fld right after csrc");
  /* Code that ran with FS on is not reused once FS is off: the TB flags carry FS. */
  csr_set(mstatus, 1UL << 13);
  last.count = 0;
  fp_ops();
  csr_clear(mstatus, FS);
  fp_ops();
  puts_("done\n");
  return 0;
}
