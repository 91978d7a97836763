/* PMP and cached code: S-mode code that ran (translated) stops being fetchable when a PMP
 * write takes its page's X away, and runs again when X comes back; M-mode code on other pages
 * keeps running across the changes. */
#include "rt.h"
static volatile int hits;
/* Alone on its page: the entry below covers exactly that page. */
__attribute__((aligned(4096), noinline)) static void s_code(void) {
  hits++;
  back();
}
__attribute__((aligned(4096), noinline)) static void m_code(void) { hits += 16; }

/* A fetch fault in S-mode code: go back to run_in_mode's caller through `back`. */
static long fetch_fault(ulong *frame, ulong cause) {
  (void)frame;
  if (cause != 1) return 0;
  csr_write(mepc, (ulong)back);
  return 1;
}

static void report(const char *what) {
  puts_(what); puts_(": cause="); puthex(last.cause); puts_(" count="); puthex(last.count);
  puts_(" hits="); puthex(hits); putc_('\n');
}

static void s_page(ulong cfg) {
  /* entry 0: NAPOT 4 KiB over s_code, `cfg`; entry 1: NAPOT everything, RWX */
  csr_write(pmpcfg0, cfg | (0x1fUL << 8));
}

int main(void) {
  puts_("pmp_fetch\n");
  m_hook = fetch_fault;
  csr_write(pmpaddr0, ((ulong)s_code >> 2) | 0x1ff);
  csr_write(pmpaddr1, ~0UL);
  s_page(0x1d); /* X and R */
  for (int i = 0; i < 3; i++) run_in_mode(1, s_code);
  m_code();
  report("S runs it three times");
  s_page(0x19); /* R only */
  run_in_mode(1, s_code);
  m_code();
  report("X taken away");
  csr_write(pmpaddr2, 0); /* no change to what is allowed */
  run_in_mode(1, s_code);
  report("still no X");
  s_page(0x1d);
  run_in_mode(1, s_code);
  m_code();
  report("X back");
  puts_("done\n");
  return 0;
}
