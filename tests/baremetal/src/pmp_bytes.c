/* PMP at QEMU 7.2's 4-byte granularity: an NA4 entry and a TOR entry inside one 4 KiB page, and
 * accesses that only partly match an entry (they fail). */
#include "rt.h"
#define BASE (0x80000000UL + 0x30000)
static volatile ulong addr;
static volatile int size, write;
static void s_access(void) {
  if (write) {
    if (size == 8) *(volatile ulong *)addr = 1; else *(volatile unsigned *)addr = 1;
  } else {
    if (size == 8) (void)*(volatile ulong *)addr; else (void)*(volatile unsigned *)addr;
  }
  back();
}
static void try(const char *what, ulong offset, int n, int w) {
  addr = BASE + offset; size = n; write = w; last.count = 0; last.cause = 0;
  run_in_mode(1, s_access);
  puts_(what); puts_(": cause="); puthex(last.count ? last.cause : 0); putc_('\n');
}

int main(void) {
  puts_("pmp_bytes\n");
  csr_write(pmpaddr0, (BASE + 8) >> 2);       /* NA4 [BASE+8, BASE+12): R */
  csr_write(pmpaddr1, (BASE + 0x200) >> 2);   /* TOR base (off) */
  csr_write(pmpaddr2, (BASE + 0x300) >> 2);   /* TOR [BASE+0x200, BASE+0x300): none */
  csr_write(pmpaddr3, ~0UL);                  /* NAPOT everything: RWX */
  csr_write(pmpcfg0, 0x11UL | (0x08UL << 16) | (0x1fUL << 24));
  put("pmpcfg0", csr_read(pmpcfg0));
  try("write 8 at +0", 0, 8, 1);
  try("read 4 at +8 (NA4, R)", 8, 4, 0);
  try("write 4 at +8 (NA4, R)", 8, 4, 1);
  try("write 4 at +12", 12, 4, 1);
  try("read 8 at +4 (half in NA4)", 4, 8, 0);
  try("read 8 at +8 (half in NA4)", 8, 8, 0);
  try("read 8 at +0x1f8", 0x1f8, 8, 0);
  try("read 4 at +0x200 (TOR, none)", 0x200, 4, 0);
  try("write 4 at +0x2fc (TOR, none)", 0x2fc, 4, 1);
  try("read 8 at +0x300", 0x300, 8, 0);
  try("read 8 at +0x1fc (half in TOR)", 0x1fc, 8, 0);
  *(volatile unsigned *)(BASE + 8) = 9;       /* M-mode: not bound (no L) */
  put("M wrote through NA4", *(volatile unsigned *)(BASE + 8));
  puts_("done\n");
  return 0;
}
