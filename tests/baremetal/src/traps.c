/* Exceptions, ecall from U/S/M, delegation to S, mret/sret rules, misaligned accesses. */
#include "rt.h"

static void report(const char *what) {
  puts_(what); puts_(": cause="); puthex(last.cause); puts_(" tval="); puthex(last.tval);
  puts_(" from="); puthex(last.mode); putc_('\n');
}
static void s_code(void) {
  __asm__ volatile("ecall");            /* S ecall: not delegated -> M, cause 9 */
  __asm__ volatile("csrr t0, mstatus"); /* M CSR from S: illegal */
  back();
}
static void u_code(void) {
  __asm__ volatile("ecall");            /* U ecall: delegated -> S, cause 8 */
  __asm__ volatile("csrr t0, sstatus"); /* S CSR from U: illegal, delegated */
  __asm__ volatile("ebreak");           /* delegated breakpoint */
  back();
}
static volatile int u_ecalls;
static long count_u(ulong *frame, ulong cause) { (void)frame; if (cause == 8) u_ecalls++; return 0; }

int main(void) {
  puts_("traps\n");
  put("misa without H", csr_read(misa) & ~(1UL << 7)); /* QEMU 7.2 has H; Denemu does not */
  put("mstatus", csr_read(mstatus));
  __asm__ volatile(".word 0xffffffff"); report("illegal");
  __asm__ volatile("ebreak"); report("ebreak");
  __asm__ volatile("ecall"); report("ecall M");
  (void)*(volatile ulong *)0x100; report("load access fault");
  *(volatile ulong *)0x108 = 1; report("store access fault");
  static unsigned char buf[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  put("misaligned load", *(volatile unsigned int *)(buf + 1));
  *(volatile unsigned short *)(buf + 3) = 0xabcd;
  put("after misaligned store", *(volatile unsigned int *)(buf + 2));
  csr_write(medeleg, 0xffffffff);
  put("medeleg", csr_read(medeleg) & 0xffff & ~(1UL << 10) & ~(1UL << 11));
  csr_write(mideleg, 0xffffffff);
  put("mideleg", csr_read(mideleg) & 0x222);
  csr_write(medeleg, (1 << 8) | (1 << 3));
  csr_write(mideleg, 0);
  csr_write(stvec, (ulong)s_trap_entry);
  run_in_mode(1, s_code);
  report("S->M illegal");
  csr_write(medeleg, (1 << 8) | (1 << 2) | (1 << 3));
  s_hook = count_u;
  run_in_mode(0, u_code);
  report("U->S ebreak");
  put("u ecalls seen by S", u_ecalls);
  put("mstatus.MPP after", (csr_read(mstatus) >> 11) & 3);
  put("sstatus", csr_read(sstatus));
  ulong tv = csr_read(mtvec);
  csr_write(mtvec, tv | 2);
  put("mtvec after mode 2", csr_read(mtvec) == tv);
  csr_write(scounteren, 0);
  put("count", last.count);
  puts_("done\n");
  return 0;
}
