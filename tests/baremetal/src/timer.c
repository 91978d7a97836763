/* CLINT timer and software interrupts, wfi idling, vectored mtvec, STIP/SSIP for S,
 * the PLIC's SEIP line in mip. */
#include "rt.h"
#define MSIP ((volatile unsigned int *)0x2000000)
#define MTIMECMP ((volatile unsigned long long *)0x2004000)
#define MTIME ((volatile unsigned long long *)0x200bff8)
#define PLIC ((volatile unsigned int *)0xc000000)
#define UART_IER (*(volatile unsigned char *)0x10000001)

static volatile int timer_hits, soft_hits, s_hits;
static long on_m_irq(ulong *frame, ulong cause) {
  (void)frame;
  if (cause == (INTERRUPT | 7)) { timer_hits++; *MTIMECMP = ~0ULL; }
  if (cause == (INTERRUPT | 3)) { soft_hits++; *MSIP = 0; }
  if (cause == (INTERRUPT | 5)) {} 
  return 0;
}
static long on_s_irq(ulong *frame, ulong cause) {
  (void)frame;
  if (cause == (INTERRUPT | 1)) { s_hits++; csr_clear(sip, 2); }
  return 0;
}
static void s_wait(void) {
  csr_set(sstatus, 2);  /* SIE */
  csr_set(sie, 2);      /* SSIE */
  for (int i = 0; i < 1000 && !s_hits; i++) {}
  back();
}

int main(void) {
  puts_("timer\n");
  m_hook = on_m_irq;
  unsigned long long t0 = *MTIME;
  *MTIMECMP = t0 + 1000;             /* 100 us */
  csr_set(mie, 1 << 7);
  /* tested with MIE off, so the interrupt cannot come between the test and the wfi (which
   * then would wait for ever): a pending MTIP wakes the wfi, and MIE on takes it */
  while (!timer_hits) { __asm__ volatile("wfi"); csr_set(mstatus, 8); csr_clear(mstatus, 8); }
  csr_set(mstatus, 8);               /* MIE */
  unsigned long long t1 = *MTIME;
  put("timer hits", timer_hits);
  put("waited at least 1000 ticks", t1 - t0 >= 1000);
  put("mcause", last.cause);
  /* wfi with the interrupt masked globally still wakes up. */
  csr_clear(mstatus, 8);
  *MTIMECMP = *MTIME + 500;
  __asm__ volatile("wfi");
  put("mip.MTIP after wfi", (csr_read(mip) >> 7) & 1);
  put("hits while masked", timer_hits);
  csr_set(mstatus, 8);
  put("hits after unmask", timer_hits);
  /* software interrupt */
  csr_set(mie, 1 << 3);
  *MSIP = 1;
  for (int i = 0; i < 100 && !soft_hits; i++) {}
  put("soft hits", soft_hits);
  /* priorities: MSI before MTI when both pend */
  csr_clear(mstatus, 8);
  *MTIMECMP = 0;
  *MSIP = 1;
  last.count = 0;
  csr_set(mstatus, 8);
  for (int i = 0; i < 100 && last.count < 2; i++) {}
  put("first of two", last.cause);
  put("taken", last.count);
  /* SSIP delegated to S, raised by M through mip */
  csr_clear(mie, (1 << 3) | (1 << 7));
  csr_write(mideleg, 1 << 1);
  csr_write(stvec, (ulong)s_trap_entry);
  s_hook = on_s_irq;
  csr_set(mip, 1 << 1);
  run_in_mode(1, s_wait);
  put("s hits", s_hits);
  put("scause", last.cause);
  /* time CSR and mtime agree (10 MHz) */
  ulong a = csr_read(time); unsigned long long b = *MTIME;
  put("time<=mtime", a <= b);
  /* SEIP: reads of mip see the PLIC's line, but csrs/csrc never latch it. */
  UART_IER = 2;                      /* THR empty: the UART's line goes up */
  PLIC[10] = 1;                      /* priority of source 10 (UART) */
  PLIC[0x2080 / 4] = 1 << 10;        /* enabled for context 1: hart 0, S-mode */
  PLIC[0x201000 / 4] = 0;            /* its threshold */
  put("mip.SEIP from the line", (csr_read(mip) >> 9) & 1);
  csr_clear(mip, 1 << 1);            /* a read-modify-write while the line is up */
  unsigned claim = PLIC[0x201004 / 4];
  UART_IER = 0;
  PLIC[0x201004 / 4] = claim;
  put("claimed", claim);
  put("mip.SEIP after complete", (csr_read(mip) >> 9) & 1);
  puts_("done\n");
  return 0;
}
