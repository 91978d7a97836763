// Zifencei: write "li a0, N; ret" into an RWX page (raw mmap syscall), run it, rewrite N,
// fence.i, run again. Also patches code inside a function's page in a loop.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

static u32 li_a0(int n) { return ((u32)(n & 0xfff) << 20) | (10u << 7) | 0x13; } // addi a0,x0,n
#define RET 0x00008067u                                                         // jalr x0,0(ra)

int main(void) {
  u32 *code = rt_mmap(4096, 7);
  if ((long)code < 0 && (long)code > -4096) { pr("mmap failed\n"); return 1; }
  typedef long (*fn)(void);
  fn f = (fn)(void *)code;
  code[0] = li_a0(1);
  code[1] = RET;
  __asm__ volatile("fence.i" ::: "memory");
  pr("first "); dec((u64)f()); nl();
  code[0] = li_a0(2);
  __asm__ volatile("fence.i" ::: "memory");
  pr("second "); dec((u64)f()); nl();
  u64 sum = 0;
  for (int i = 0; i < 200; i++) {
    code[0] = li_a0(i * 7 - 700);
    __asm__ volatile("fence.i" ::: "memory");
    sum = sum * 31 + (u64)f();
  }
  pr("loop "); h64(sum); nl();
  // Longer generated body: a chain of addi instructions.
  for (int n = 1; n <= 8; n++) {
    code[0] = li_a0(0);
    for (int k = 1; k <= n * 50; k++) code[k] = (1u << 20) | (10u << 15) | (10u << 7) | 0x13;
    code[n * 50 + 1] = RET;
    __asm__ volatile("fence.i" ::: "memory");
    pr("chain "); dec((u64)f()); nl();
  }
  return 0;
}
