/* A hostile guest for the TB cache: it writes SLOTS distinct functions (two
 * instructions each, `addi a0, a0, imm; ret`) into RAM it never writes again,
 * then calls each once, so that an emulator keeps a translation of each as
 * long as it keeps translations of code that was not written. Prints the sum
 * of what they returned. */
#include "rt.h"

#ifndef SLOTS
#define SLOTS (1 << 18)
#endif

/* Past the program and its stacks, in the 128 MiB of RAM the tests give. */
#define CODE ((unsigned *)0x80400000UL)

int main(void) {
  for (ulong i = 0; i < SLOTS; i++) {
    long imm = (long)(i * 7 % 2047) - 1023;
    CODE[2 * i] = ((unsigned)imm << 20) | (10u << 15) | (10u << 7) | 0x13; /* addi a0, a0, imm */
    CODE[2 * i + 1] = 0x00008067;                                          /* ret */
  }
  __asm__ volatile("fence.i" ::: "memory");
  long sum = 0;
  for (ulong i = 0; i < SLOTS; i++) sum = ((long (*)(long))(CODE + 2 * i))(sum);
  put("slots", SLOTS);
  put("sum", (ulong)sum);
  return 0;
}
