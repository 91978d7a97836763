/* Two harts (-smp 2) for the gdb stub: hart 0 turns on Sv39 paging and runs in S-mode through an
   alias of RAM at 0xc0000000 (nothing is there in the physical address space), while hart 1
   stays in M-mode, bare. gdb must read memory and step each hart as it selects it
   (tests/gdb_smp_test.ts). */
#include "rt.h"

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_A 64
#define PTE_D 128
#define GIGAPAGE(pa, flags) ((((ulong)(pa)) >> 12 << 10) | (flags) | PTE_V | PTE_A | PTE_D)
#define ALIAS(p) ((ulong)(p) + 0x40000000UL)

volatile ulong marker[2] = {0x1122334455667788UL, 0x99aabbccddeeff00UL};
volatile ulong hart1_count;
char hart1_stack[4096] __attribute__((aligned(16)));

/* hart 1: a stack of its own, then hart1_main (crt.S sends every hart but 0 here) */
__asm__(".globl secondary_start\n"
        "secondary_start:\n"
        "  la sp, hart1_stack + 4096\n"
        "  call hart1_main\n"
        "1: j 1b\n");

__attribute__((noinline)) void hart1_spot(void) { hart1_count++; }

void hart1_main(void) {
  for (;;) hart1_spot();
}

/* runs in S-mode at its alias: pc-relative addresses are aliases too */
__attribute__((noinline)) void paged_spot(void) {
  marker[0]++;
  back();
}

int main(void) {
  ulong *root = (ulong *)_pages;
  for (int i = 0; i < 512; i++) root[i] = 0;
  root[0] = GIGAPAGE(0, PTE_R | PTE_W);                            /* devices */
  root[2] = GIGAPAGE(0x80000000UL, PTE_R | PTE_W | PTE_X);         /* RAM */
  root[3] = GIGAPAGE(0x80000000UL, PTE_R | PTE_W | PTE_X);         /* the alias of RAM */
  csr_write(satp, (8UL << 60) | ((ulong)root >> 12));
  __asm__ volatile("sfence.vma");
  run_in_mode(1, (void (*)(void))ALIAS(paged_spot));
  put("marker", marker[0]);
  return 0;
}
