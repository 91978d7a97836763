/* Two harts (-smp 2): hart 1 stores to a word hart 0 holds an LR reservation on, and rewrites a
   function hart 0 has already run; hart 0's SC must fail and the function must return the new
   value, as on qemu-system-riscv64 (TBs are dropped whichever hart writes their code). */
#include "rt.h"

volatile int word, stage, done;
char hart1_stack[4096] __attribute__((aligned(16)));

__attribute__((noinline)) static int answer(void) { return 1; }
__attribute__((noinline)) static int other_answer(void) { return 2; }

/* hart 1: a stack of its own, then secondary_main (crt.S sends every hart but 0 here) */
__asm__(".globl secondary_start\n"
        "secondary_start:\n"
        "  la sp, hart1_stack + 4096\n"
        "  call secondary_main\n"
        "1: wfi\n"
        "  j 1b\n");

void secondary_main(void) {
  while (stage == 0) {}
  word = 7;
  /* both functions are "li a0, N; ret": copy the other's first instruction over answer's */
  *(volatile unsigned short *)(void *)answer = *(volatile unsigned short *)(void *)other_answer;
  done = 1;
}

int main(void) {
  int (*volatile f)(void) = answer;
  put("first answer", f());
  unsigned long failed, loaded;
  __asm__ volatile("lr.w %0, (%1)" : "=r"(loaded) : "r"(&word) : "memory");
  stage = 1;
  while (done == 0) {}
  __asm__ volatile("sc.w %0, %2, (%1)" : "=r"(failed) : "r"(&word), "r"(5) : "memory");
  put("loaded", loaded);
  put("sc failed", failed != 0);
  put("word", word);
  put("second answer", f());
  return 0;
}
