/* mstatus.VS and misa.V: with VS = Off every vector instruction and vector CSR access is
 * illegal; with VS on they run. Built with V; run with -cpu rv64,v=true,vlen=128. */
#include "rt.h"

#define VS (3UL << 9)
static volatile unsigned int data[4] = {1, 2, 3, 4};

static void report(const char *what) {
  puts_(what); puts_(": count="); puthex(last.count); puts_(" cause="); puthex(last.cause);
  puts_(" tval="); puthex(last.tval); putc_('\n');
}

static void vector_ops(void) {
  __asm__ volatile("vsetivli t0, 4, e32, m1, ta, ma" ::: "t0"); report("vsetivli");
  __asm__ volatile("vle32.v v1, (%0)" ::"r"(data) : "memory"); report("vle32.v");
  __asm__ volatile("vadd.vv v2, v1, v1"); report("vadd.vv");
  __asm__ volatile("csrr t0, vl" ::: "t0"); report("csrr vl");
  __asm__ volatile("csrr t0, vlenb" ::: "t0"); report("csrr vlenb");
  __asm__ volatile("csrwi vxrm, 1"); report("csrwi vxrm");
  __asm__ volatile("csrr t0, vcsr" ::: "t0"); report("csrr vcsr");
}

int main(void) {
  puts_("vs\n");
  put("misa.V", (csr_read(misa) >> 21) & 1);
  put("mstatus.VS at reset", (csr_read(mstatus) & VS) >> 9);
  vector_ops();
  csr_set(mstatus, 1UL << 9); /* Initial */
  put("mstatus.VS on after set", (csr_read(mstatus) & VS) != 0); /* Denemu reads it as Dirty */
  last.count = 0;
  unsigned long vl;
  __asm__ volatile("vsetivli %0, 4, e32, m1, ta, ma\n vle32.v v1, (%1)\n vadd.vv v2, v1, v1\n vse32.v v2, (%1)"
                   : "=r"(vl) : "r"(data) : "memory");
  put("vl", vl);
  put("data[3] doubled", data[3]);
  put("vlenb", csr_read(vlenb));
  put("vtype", csr_read(vtype));
  put("traps with VS on", last.count);
  put("mstatus.SD", csr_read(mstatus) >> 63);
  /* Turning VS off again in the middle of a block applies to the next instruction. */
  __asm__ volatile("csrc mstatus, %0\n vadd.vv v2, v1, v1" ::"r"(VS));
  report("vadd.vv right after csrc");
  /* Code that ran with VS on is not reused once VS is off: the TB flags carry VS. */
  csr_set(mstatus, 1UL << 9);
  last.count = 0;
  vector_ops();
  csr_clear(mstatus, VS);
  vector_ops();
  /* Vector FP needs mstatus.FS on as well; the integer instructions do not. */
  csr_set(mstatus, 1UL << 9);
  csr_clear(mstatus, 3UL << 13);
  last.count = 0;
  __asm__ volatile("vsetivli t0, 4, e32, m1, ta, ma" ::: "t0"); report("vsetivli, FS off");
  __asm__ volatile("vadd.vv v2, v1, v1"); report("vadd.vv, FS off");
  __asm__ volatile("vfadd.vv v2, v1, v1"); report("vfadd.vv, FS off");
  __asm__ volatile("vfmv.v.f v2, ft0"); report("vfmv.v.f, FS off");
  __asm__ volatile("vmfeq.vv v3, v1, v1"); report("vmfeq.vv, FS off");
  csr_set(mstatus, 1UL << 13);
  __asm__ volatile("vfadd.vv v2, v1, v1"); report("vfadd.vv, FS on");
  put("mstatus.FS on after vfadd.vv", ((csr_read(mstatus) >> 13) & 3) != 0); /* Denemu: Dirty */
  puts_("done\n");
  return 0;
}
