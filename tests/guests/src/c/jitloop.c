// A JIT inside the guest: generation after generation of new code in one RWX buffer. Each
// generation writes a small counting loop at the next place in the buffer (wrapping around, so old
// code is overwritten), flushes the instruction cache, and calls it CALLS times: often enough that
// an emulator's JIT compiles it. Prints a checksum every quarter and at the end.
// Usage: jitloop [GENERATIONS [CALLS]] (default 1000 40).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define BUFFER_BYTES (64 * 1024)
#define SLOT_WORDS 8

static uint32_t addi(int rd, int rs1, int imm) {
  return ((uint32_t)(imm & 0xfff) << 20) | ((uint32_t)rs1 << 15) | ((uint32_t)rd << 7) | 0x13u;
}

// bne t0, x0, -8
#define BNE_T0_BACK_8 0xfe029ce3u
#define RET 0x00008067u
#define A0 10
#define T0 5

typedef long (*fn)(void);

// li a0, 0; li t0, n; loop: addi a0, a0, step; addi t0, t0, -1; bnez t0, loop; ret
static void emit(uint32_t *at, int n, int step) {
  at[0] = addi(A0, 0, 0);
  at[1] = addi(T0, 0, n);
  at[2] = addi(A0, A0, step);
  at[3] = addi(T0, T0, -1);
  at[4] = BNE_T0_BACK_8;
  at[5] = RET;
  __builtin___clear_cache((char *)at, (char *)(at + 6));
}

int main(int argc, char **argv) {
  long generations = argc > 1 ? atol(argv[1]) : 1000;
  long calls = argc > 2 ? atol(argv[2]) : 40;
  uint32_t *buffer = mmap(NULL, BUFFER_BYTES, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buffer == MAP_FAILED) { puts("mmap RWX failed"); return 1; }
  const long slots = BUFFER_BYTES / 4 / SLOT_WORDS;
  unsigned long checksum = 0;
  for (long g = 0; g < generations; g++) {
    uint32_t *at = buffer + (g % slots) * SLOT_WORDS;
    emit(at, 1 + (int)(g % 29), 1 + (int)(g % 1000));
    fn f = (fn)(uintptr_t)at;
    for (long c = 0; c < calls; c++) checksum = checksum * 31 + (unsigned long)f();
    if ((g + 1) % (generations / 4 > 0 ? generations / 4 : 1) == 0)
      printf("generation %ld: checksum %016lx\n", g + 1, checksum);
  }
  printf("done: %ld generations, checksum %016lx\n", generations, checksum);
  return 0;
}
