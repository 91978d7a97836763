/* Sstc: stimecmp drives STIP while menvcfg.STCE is set (software cannot clear it through mip);
 * S-mode reaches stimecmp only with STCE and mcounteren.TM; a delegated STI wakes wfi. */
#include "rt.h"
#define STCE (1UL << 63)
#define STIP(v) (((v) >> 5) & 1)

static volatile int sti_hits;
static long on_s_irq(ulong *frame, ulong cause) {
  (void)frame;
  if (cause == (INTERRUPT | 5)) { sti_hits++; csr_write(0x14d, ~0UL); }
  return 0;
}
static void s_read_stimecmp(void) {
  (void)csr_read(0x14d);
  back();
}
static void s_timer(void) {
  csr_set(sie, 1 << 5);
  csr_write(0x14d, csr_read(time) + 1000);
  /* SIE stays off between the test and the wfi, or an interrupt there would leave it waiting */
  while (!sti_hits) { __asm__ volatile("wfi"); csr_set(sstatus, 2); csr_clear(sstatus, 2); }
  back();
}

int main(void) {
  puts_("sstc\n");
  put("menvcfg at reset", csr_read(0x30a));
  csr_write(0x14d, 12345);
  put("stimecmp from M without STCE", csr_read(0x14d));
  csr_write(mcounteren, 2); /* TM */
  last.count = 0;
  run_in_mode(1, s_read_stimecmp);
  put("S without STCE: traps", last.count);
  put("cause", last.cause);
  csr_set(0x30a, STCE);
  put("menvcfg.STCE", csr_read(0x30a) >> 63);
  csr_write(0x14d, 0);
  put("STIP with stimecmp 0", STIP(csr_read(mip)));
  csr_clear(mip, 1 << 5);
  put("STIP after csrc mip", STIP(csr_read(mip)));
  csr_write(0x14d, ~0UL);
  put("STIP with stimecmp max", STIP(csr_read(mip)));
  csr_write(mideleg, 1 << 5);
  csr_write(stvec, (ulong)s_trap_entry);
  s_hook = on_s_irq;
  ulong t0 = csr_read(time);
  run_in_mode(1, s_timer);
  put("sti hits", sti_hits);
  put("scause", last.cause);
  put("waited at least 1000 ticks", csr_read(time) - t0 >= 1000);
  csr_write(mcounteren, 0);
  last.count = 0;
  run_in_mode(1, s_read_stimecmp);
  put("S without TM: traps", last.count);
  csr_clear(0x30a, STCE);
  csr_set(mip, 1 << 5);
  put("STIP writable again without STCE", STIP(csr_read(mip)));
  puts_("done\n");
  return 0;
}
