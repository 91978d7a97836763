// Self-modifying code: mmap an RWX page, write "li a0, N; ret", call it, rewrite N,
// __builtin___clear_cache (fence.i / riscv_flush_icache), call again. Then the same with an RW page
// flipped to RX with mprotect. Expected output: 1, 2, then 3, 4.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static uint32_t li_a0(int n) { return ((uint32_t)(n & 0xfff) << 20) | (10u << 7) | 0x13u; }
#define RET 0x00008067u

typedef int (*fn)(void);

int main(void) {
  uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { puts("mmap RWX failed"); return 1; }
  fn f = (fn)(uintptr_t)code;
  code[0] = li_a0(1);
  code[1] = RET;
  __builtin___clear_cache((char *)code, (char *)(code + 2));
  printf("first call: %d\n", f());
  code[0] = li_a0(2);
  __builtin___clear_cache((char *)code, (char *)(code + 2));
  printf("second call: %d\n", f());
  munmap(code, 4096);

  uint32_t *rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  rw[0] = li_a0(3);
  rw[1] = RET;
  printf("mprotect rx: %d\n", mprotect(rw, 4096, PROT_READ | PROT_EXEC));
  __builtin___clear_cache((char *)rw, (char *)(rw + 2));
  f = (fn)(uintptr_t)rw;
  printf("third call: %d\n", f());
  mprotect(rw, 4096, PROT_READ | PROT_WRITE);
  rw[0] = li_a0(4);
  mprotect(rw, 4096, PROT_READ | PROT_EXEC);
  __asm__ volatile("fence.i" ::: "memory");
  printf("fourth call: %d\n", f());
  return 0;
}
