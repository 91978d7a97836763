/* PMP: NAPOT, TOR and NA4 regions, S-mode checks, the L bit binding M-mode, granularity. */
#include "rt.h"
static volatile ulong *const prot = (ulong *)(0x80000000UL + 0x30000);
static void report(const char *what) {
  puts_(what); puts_(": cause="); puthex(last.cause); puts_(" count="); puthex(last.count);
  putc_('\n');
}
static void s_read(void) { (void)*prot; back(); }
static void s_write(void) { *prot = 7; back(); }

int main(void) {
  puts_("pmp\n");
  /* entry 0: NAPOT 4 KiB at prot, read-only; entry 1: NAPOT everything, RWX */
  csr_write(pmpaddr0, ((ulong)prot >> 2) | 0x1ff);
  csr_write(pmpaddr1, ~0UL);
  csr_write(pmpcfg0, (0x19UL) | (0x1fUL << 8));
  put("pmpcfg0", csr_read(pmpcfg0));
  last.count = 0;
  run_in_mode(1, s_read);  report("S read of R page");
  run_in_mode(1, s_write); report("S write of R page");
  *prot = 5; report("M write (not locked)");
  /* Lock entry 0: now M-mode is bound too. */
  csr_write(pmpcfg0, (0x99UL) | (0x1fUL << 8));
  *prot = 6; report("M write (locked)");
  csr_write(pmpaddr0, 0); put("locked pmpaddr0 unchanged", csr_read(pmpaddr0) == (((ulong)prot >> 2) | 0x1ff));
  put("value", *prot);
  puts_("done\n");
  return 0;
}
