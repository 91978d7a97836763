/* Paging: Sv39 / Sv48 / Sv57 (RV64, LEVELS 3, 4 or 5) and Sv32 (RV32, LEVELS 2) page tables built
 * here, A/D bits set by hardware, page faults with xtval, SUM and MXR, sfence.vma. */
#include "rt.h"
#define V 1
#define Rb 2
#define W 4
#define X 8
#define U 16
#define A 64
#define D 128
#if __riscv_xlen == 64
#define BITS 9
#define SATP_MODE ((ulong)(LEVELS + 5) << 60)
#define TEST_VA (LEVELS == 3 ? 0x4000000000UL - 0x200000UL : 0x7f0000000000UL)
#else
#define BITS 10
#define SATP_MODE (1UL << 31)
#define TEST_VA 0x40000000UL
#endif
#define ENTRIES (4096 / sizeof(ulong))
#define PTE(pa, flags) ((((ulong)(pa)) >> 12 << 10) | (flags))

static ulong *page(int i) { return (ulong *)(_pages + 4096 * i); }
static ulong *test_pte; /* leaf PTE of TEST_VA */
static ulong vpn(ulong va, int level) { return (va >> (12 + BITS * level)) & (ENTRIES - 1); }

static void build(void) {
  for (int i = 0; i < 10; i++) for (ulong j = 0; j < ENTRIES; j++) page(i)[j] = 0;
  ulong *root = page(0);
  /* Identity superpages at the top level-1 for RAM and devices (S code runs there). */
  ulong *top = root;
  int level = LEVELS - 1;
  /* Sv48 and Sv57: tables down to level 2 first (pages 1, 8) */
  for (int next = 1; level > 2; level--, next = 8) {
    top[vpn(0x80000000UL, level)] = PTE(page(next), V);
    top = page(next);
  }
  ulong span = 1UL << (12 + BITS * level);
  top[vpn(0x80000000UL, level)] = PTE(0x80000000UL & ~(span - 1), V | Rb | W | X | A | D);
  top[vpn(0x10000000UL, level)] = PTE(0x10000000UL & ~(span - 1), V | Rb | W | A | D);
  top[vpn(0x00100000UL, level)] = PTE(0x00100000UL & ~(span - 1), V | Rb | W | A | D);
  /* TEST_VA: a 4 KiB page in a chain of tables down to level 0. */
  ulong *t = root;
  for (int l = LEVELS - 1, next = 2; l > 0; l--, next++) {
    ulong *e = &t[vpn(TEST_VA, l)];
    if (!(*e & V)) *e = PTE(page(next), V);
    t = (ulong *)((*e >> 10) << 12);
  }
  test_pte = &t[vpn(TEST_VA, 0)];
  *test_pte = PTE(page(7), V | Rb | W);
  page(7)[0] = 0x1234;
}

static void report(const char *what) {
  puts_(what); puts_(": cause="); puthex(last.cause); puts_(" tval=");
  puthex(last.tval == TEST_VA ? 0x7e57 : last.tval); putc_('\n');
}
#define T (*(volatile ulong *)TEST_VA)
static long fetch_back(ulong *frame, ulong cause) {
  if (cause != 12) return 0;
  csr_write(sepc, frame[1]); /* a fetch fault: return to the caller */
  return 1;
}
static void s_tests(void) {
  s_hook = fetch_back;
  __asm__ volatile("sfence.vma");
  put("read", T);
  put("A after read", !!(*test_pte & A));
  put("D after read", !!(*test_pte & D));
  T = 0x5678;
  put("D after write", !!(*test_pte & D));
  put("phys", page(7)[0]);
  *test_pte = PTE(page(7), V | Rb | A | D);
  __asm__ volatile("sfence.vma");
  T = 1; report("store to read-only");
  ((void (*)(void))TEST_VA)(); report("fetch from non-X");
  *(volatile ulong *)(TEST_VA + 0x10000) = 1; report("store to unmapped");
  (void)*(volatile ulong *)(TEST_VA + 0x10000); report("load from unmapped");
  *test_pte = PTE(page(7), V | X | A | D);
  __asm__ volatile("sfence.vma");
  (void)T; report("load from X-only");
  csr_set(sstatus, 1UL << 19);  /* MXR */
  put("MXR read", T);
  csr_clear(sstatus, 1UL << 19);
  *test_pte = PTE(page(7), V | Rb | W | U | A | D);
  __asm__ volatile("sfence.vma");
  (void)T; report("U page from S");
  csr_set(sstatus, 1UL << 18);  /* SUM */
  put("SUM read", T);
  csr_clear(sstatus, 1UL << 18);
#if __riscv_xlen == 64
  (void)*(volatile ulong *)(1UL << 62); report("non-canonical");
#endif
  /* The UART seen at another virtual address: registers go by physical offset. */
  *test_pte = PTE(0x10000000UL, V | Rb | W | A | D);
  __asm__ volatile("sfence.vma");
  volatile unsigned char *alias = (volatile unsigned char *)TEST_VA;
  put("uart lsr via alias", alias[5] & 0x60);
  alias[0] = 'O'; alias[0] = 'K'; alias[0] = '\n';
  *test_pte = PTE(page(7), V | Rb | W | A | D);
  __asm__ volatile("sfence.vma");
  back();
}

int main(void) {
  puts_("vm levels="); puthex(LEVELS); putc_('\n');
  build();
  csr_write(stvec, (ulong)s_trap_entry);
  csr_write(medeleg, (1 << 12) | (1 << 13) | (1 << 15));
  csr_write(satp, SATP_MODE | ((ulong)page(0) >> 12));
  put("satp mode", csr_read(satp) >> (sizeof(ulong) * 8 - (sizeof(ulong) == 8 ? 4 : 1)));
  run_in_mode(1, s_tests);
  /* M-mode ignores satp; MPRV with MPP=S translates loads and stores. */
  put("M reads phys", page(7)[0]);
  csr_set(mstatus, (1UL << 17) | (1UL << 11) | (1UL << 18));
  ulong v = T;
  csr_clear(mstatus, (1UL << 17) | (3UL << 11) | (1UL << 18));
  put("MPRV read", v);
#if __riscv_xlen == 64
  csr_write(satp, (11UL << 60) | 5);   /* Sv64: unsupported, write ignored */
  put("satp after sv64", csr_read(satp) >> 60);
#endif
  puts_("done\n");
  return 0;
}
