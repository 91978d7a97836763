/* Sdtrig with two harts (-smp 2): each hart has its own tselect/tdata state, and an execute
   trigger hart 1 arms fires when hart 1 runs the function, never when hart 0 does. */
#include "rt.h"

#define TYPE2 (2UL << 60)
#define EXEC 4
#define M_ (1 << 6)

volatile int stage;
volatile ulong hart1_probe, hart1_tdata1, hart1_hits, hart1_cause, hart1_hartid;
char hart1_stack[4096] __attribute__((aligned(16)));
char hart1_trap_stack[4096] __attribute__((aligned(16)));

__attribute__((noinline)) long probe(long x) { return x + 1; }

/* hart 1's M trap hook: a trigger hit disarms the trigger and retries the instruction */
static long disarm(ulong *frame, ulong cause) {
  (void)frame;
  if (cause != 3) return 0;
  hart1_hits++;
  hart1_cause = cause;
  hart1_hartid = csr_read(mhartid);
  csr_write(tdata1, TYPE2);
  return 1;
}

__asm__(".globl secondary_start\n"
        "secondary_start:\n"
        "  la sp, hart1_stack + 4096\n"
        "  la t0, hart1_trap_stack + 4096\n"
        "  csrw mscratch, t0\n"
        "  la t0, m_trap_entry\n"
        "  csrw mtvec, t0\n"
        "  call secondary_main\n"
        "1: wfi\n"
        "  j 1b\n");

void secondary_main(void) {
  csr_write(tselect, 0);
  csr_write(tdata1, TYPE2);
  csr_write(tdata2, (ulong)probe);
  csr_write(tdata1, TYPE2 | M_ | EXEC);
  hart1_tdata1 = csr_read(tdata1);
  stage = 1;
  while (stage != 2) {}
  hart1_probe = probe(2);
  stage = 3;
}

int main(void) {
  puts_("triggers_smp\n");
  m_hook = disarm;
  while (stage != 1) {}
  put("hart 1 tdata1", hart1_tdata1);
  csr_write(tselect, 0);
  put("hart 0 tdata1", csr_read(tdata1));
  put("hart 0 tdata2", csr_read(tdata2));
  put("hart 0 probe", probe(1));
  put("hits after hart 0 ran it", hart1_hits);
  stage = 2;
  while (stage != 3) {}
  put("hart 1 probe", hart1_probe);
  put("hits after hart 1 ran it", hart1_hits);
  put("cause", hart1_cause);
  put("on hart", hart1_hartid);
  return 0;
}
