#include "rt.h"
#define UART ((volatile unsigned char *)0x10000000)
#define TEST ((volatile unsigned int *)0x100000)

void putc_(char c) {
  while (!(UART[5] & 0x20)) {}
  UART[0] = c;
}
void puts_(const char *s) { while (*s) putc_(*s++); }
void puthex(ulong v) {
  puts_("0x");
  for (int i = sizeof(ulong) * 8 - 4; i >= 0; i -= 4) putc_("0123456789abcdef"[(v >> i) & 15]);
}
void put(const char *label, ulong v) { puts_(label); putc_('='); puthex(v); putc_('\n'); }
void poweroff(int code) {
  *TEST = code ? (0x3333 | (code << 16)) : 0x5555;
  for (;;) {}
}
void back(void) {
  register long a7 __asm__("a7") = 99;
  __asm__ volatile("ecall" ::"r"(a7));
}

volatile struct trap_record last;
long (*m_hook)(ulong *frame, ulong cause);
long (*s_hook)(ulong *frame, ulong cause);

static ulong insn_length(ulong epc) { return (*(volatile unsigned short *)epc & 3) == 3 ? 4 : 2; }

long m_trap(ulong *frame) {
  ulong cause = csr_read(mcause);
  if ((cause == 8 || cause == 9) && frame[17] == 99) return 1; /* back to M */
  last.cause = cause; last.tval = csr_read(mtval); last.epc = csr_read(mepc);
  last.mode = (csr_read(mstatus) >> 11) & 3; last.count++;
  if (m_hook && m_hook(frame, cause)) return 0;
  if (!(cause & INTERRUPT)) csr_write(mepc, last.epc + insn_length(last.epc));
  return 0;
}
long s_trap(ulong *frame) {
  ulong cause = csr_read(scause);
  last.cause = cause; last.tval = csr_read(stval); last.epc = csr_read(sepc);
  last.mode = (csr_read(sstatus) >> 8) & 1; last.count++;
  if (s_hook && s_hook(frame, cause)) return 0;
  if (!(cause & INTERRUPT)) csr_write(sepc, last.epc + insn_length(last.epc));
  return 0;
}
