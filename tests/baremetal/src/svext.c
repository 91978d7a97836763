/* Svnapot, Svpbmt and Svinval (-cpu rv64,svnapot=on,svpbmt=on,svinval=on): a 64 KiB NAPOT
 * page, NAPOT encodings that must fault, PBMT bits with and without menvcfg.PBMTE, reserved
 * bits of a non-leaf PTE, and the Svinval fences from S-mode. */
#include "rt.h"
#define V 1
#define Rb 2
#define W 4
#define X 8
#define A 64
#define D 128
#define N (1UL << 63)
#define PBMT(t) ((ulong)(t) << 61)
#define PBMTE (1UL << 62)
#define ENTRIES 512
#define PTE(pa, flags) ((((ulong)(pa)) >> 12 << 10) | (flags))
#define TEST_VA 0x2000000000UL  /* root entry 128: tables at pages 1 (level 1) and 2 (level 0) */
#define NAPOT_PA 0x82000000UL   /* 64 KiB aligned, identity mapped too */

static ulong *page(int i) { return (ulong *)(_pages + 4096 * i); }
static ulong *leaf(int k) { return &page(2)[k]; }

static void build(void) {
  for (int i = 0; i < 3; i++) for (int j = 0; j < ENTRIES; j++) page(i)[j] = 0;
  ulong *root = page(0);
  root[2] = PTE(0x80000000UL, V | Rb | W | X | A | D);  /* 1 GiB identity: RAM */
  root[0] = PTE(0, V | Rb | W | A | D);                 /* 1 GiB identity: devices */
  root[128] = PTE(page(1), V);
  page(1)[0] = PTE(page(2), V);
  for (int k = 0; k < 16; k++) *(volatile ulong *)(NAPOT_PA + 4096 * k) = 0x100 + k;
}

static void access(const char *what, int k) {
  last.count = 0;
  __asm__ volatile("sfence.vma");
  ulong v = *(volatile ulong *)(TEST_VA + 4096 * k);
  puts_(what); puts_(": ");
  if (last.count) { puts_("fault cause="); puthex(last.cause); }
  else { puts_("value="); puthex(v); }
  putc_('\n');
}

static void s_tests(void) {
  /* NAPOT: ppn low bits 1000 name a 64 KiB page; the vpn's low 4 bits pick the 4 KiB page */
  *leaf(5) = PTE(NAPOT_PA, V | Rb | A | D) | N | (8 << 10);
  access("napot vpn 5", 5);
  *leaf(12) = PTE(NAPOT_PA, V | Rb | A | D) | N | (8 << 10);
  access("napot vpn 12", 12);
  *leaf(5) = PTE(NAPOT_PA, V | Rb | A | D) | N | (4 << 10);  /* 32 KiB: reserved */
  access("napot ppn ..0100", 5);
  *leaf(5) = PTE(NAPOT_PA, V | Rb | A | D) | N;              /* ppn ..0000: reserved */
  access("napot ppn ..0000", 5);
  *leaf(5) = PTE(NAPOT_PA + 4096 * 3, V | Rb | A | D);
  access("plain", 5);
  /* N on a non-leaf PTE, and on a level-1 leaf */
  page(1)[0] = PTE(page(2), V) | N;
  access("N on a table pointer", 5);
  page(1)[0] = PTE(NAPOT_PA & ~0x1fffffUL, V | Rb | A | D) | N | (8 << 10);
  access("N on a 2 MiB leaf", 5);
  page(1)[0] = PTE(page(2), V | A);
  access("A on a table pointer", 5);
  page(1)[0] = PTE(page(2), V | D);
  access("D on a table pointer", 5);
  page(1)[0] = PTE(page(2), V | 16);
  access("U on a table pointer", 5);
  page(1)[0] = PTE(page(2), V | 0x300);
  access("RSW on a table pointer", 5);
  page(1)[0] = PTE(page(2), V) | PBMT(1);
  access("PBMT on a table pointer", 5);
  page(1)[0] = PTE(page(2), V);
  /* PBMT without PBMTE faults; with it, NC and IO map the page */
  *leaf(5) = PTE(NAPOT_PA + 4096 * 3, V | Rb | A | D) | PBMT(1);
  access("pbmt=1 without PBMTE", 5);
  back();
}
static void s_tests_pbmte(void) {
  *leaf(5) = PTE(NAPOT_PA + 4096 * 3, V | Rb | A | D) | PBMT(1);
  access("pbmt=1 with PBMTE", 5);
  *leaf(5) = PTE(NAPOT_PA + 4096 * 3, V | Rb | A | D) | PBMT(2);
  access("pbmt=2 with PBMTE", 5);
  *leaf(5) = PTE(NAPOT_PA + 4096 * 3, V | Rb | A | D) | PBMT(3);
  access("pbmt=3 with PBMTE", 5);
  *leaf(5) = PTE(NAPOT_PA + 4096 * 3, V | Rb | A | D) | (1UL << 54);
  access("bit 54 with PBMTE", 5);
  /* Svinval */
  last.count = 0;
  __asm__ volatile(".insn r 0x73, 0, 0x0c, x0, x0, x0"); /* sfence.w.inval */
  __asm__ volatile(".insn r 0x73, 0, 0x0b, x0, %0, x0" ::"r"(TEST_VA)); /* sinval.vma */
  __asm__ volatile(".insn r 0x73, 0, 0x0c, x0, x0, x1"); /* sfence.inval.ir */
  put("svinval traps", last.count);
  back();
}
static long on_s_fault(ulong *frame, ulong cause) {
  (void)frame; (void)cause;
  return 0; /* record, skip */
}

int main(void) {
  puts_("svext\n");
  build();
  csr_write(stvec, (ulong)s_trap_entry);
  csr_write(medeleg, (1 << 12) | (1 << 13) | (1 << 15));
  s_hook = on_s_fault;
  csr_write(satp, (8UL << 60) | ((ulong)page(0) >> 12));
  run_in_mode(1, s_tests);
  put("menvcfg PBMTE before", (csr_read(0x30a) >> 62) & 1);
  csr_set(0x30a, PBMTE);
  put("menvcfg PBMTE after", (csr_read(0x30a) >> 62) & 1);
  run_in_mode(1, s_tests_pbmte);
  puts_("done\n");
  return 0;
}
