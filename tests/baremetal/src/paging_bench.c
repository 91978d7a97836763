/* The system-mode compute bench (scripts/bench_paging.ts): one loop of loads, stores and
 * arithmetic over a 256 KiB buffer, run in M-mode on physical addresses (a warm-up run, then the
 * measured one), then in S-mode with Sv39 paging on, the buffer mapped page by page (64 4 KiB
 * pages through a level-0 table) and the code through an identity gigapage. Each phase prints its
 * marker before it starts, then its checksum (the same on every emulator), the `time` ticks it
 * took (10 MHz on QEMU's virt; the virtual clock on Denemu) and the instructions it retired (exact
 * on Denemu). */
#include "rt.h"
#define V 1
#define Rb 2
#define W 4
#define X 8
#define A 64
#define D 128
#define PTE(pa, flags) ((((ulong)(pa)) >> 12 << 10) | (flags))
#define DATA_VA 0x40000000UL /* the buffer's virtual address under Sv39 (root entry 1) */
#define PAGES 64
#define WORDS (PAGES * 4096 / sizeof(ulong))
#define ITERATIONS 8000000L

static ulong buffer[WORDS] __attribute__((aligned(4096)));
static ulong *table(int i) { return (ulong *)(_pages + 4096 * i); }
static ulong *data;
static ulong checksum;

static void work(void) {
  ulong *d = data, x = 1, sum = 0;
  for (long i = 0; i < ITERATIONS; i++) {
    x = x * 6364136223846793005UL + 1442695040888963407UL;
    ulong j = (x >> 33) & (WORDS - 1);
    sum += d[j] ^ (sum >> 7);
    d[j] = sum + x;
  }
  checksum = sum;
}

static void s_work(void) {
  work();
  back();
}

static void map(void) {
  for (int i = 0; i < 3; i++) for (ulong j = 0; j < 512; j++) table(i)[j] = 0;
  ulong *root = table(0), *l1 = table(1), *l0 = table(2);
  root[2] = PTE(0x80000000UL, V | Rb | W | X | A | D); /* RAM, identity */
  root[0] = PTE(0, V | Rb | W | A | D);                /* devices (UART, test finisher) */
  root[1] = PTE(l1, V);
  l1[0] = PTE(l0, V);
  for (int p = 0; p < PAGES; p++) l0[p] = PTE((ulong)buffer + 4096 * p, V | Rb | W | A | D);
}

static void phase(const char *name, void (*run)(void)) {
  for (ulong j = 0; j < WORDS; j++) buffer[j] = j;
  puts_(name);
  puts_(":\n");
  ulong t0 = csr_read(time), i0 = csr_read(minstret);
  run();
  ulong t1 = csr_read(time), i1 = csr_read(minstret);
  put("checksum", checksum);
  put("ticks", t1 - t0);
  put("insns", i1 - i0);
}

static void bare(void) { work(); }
static void paged(void) { run_in_mode(1, s_work); }

int main(void) {
  data = buffer;
  phase("warmup", bare); /* the emulators' own warm-up (code compiled, tiered up): not reported */
  phase("bare", bare);
  map();
  csr_write(satp, (8UL << 60) | ((ulong)table(0) >> 12));
  data = (ulong *)DATA_VA;
  phase("sv39", paged);
  puts_("done\n");
  return 0;
}
