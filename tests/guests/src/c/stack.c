// Large stack use: deep recursion with big frames (several MB) and a 4 MB stack array.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t recurse(int n, uint64_t acc) {
  volatile unsigned char frame[240];
  for (int i = 0; i < 240; i += 16) frame[i] = (unsigned char)(n + i);
  if (n == 0) return acc;
  uint64_t r = recurse(n - 1, acc * 3 + frame[(n * 16) % 240]);
  return r + frame[0];
}

static __attribute__((noinline)) uint64_t big_array(void) {
  volatile uint32_t a[1 << 20]; // 4 MB
  for (uint32_t i = 0; i < (1u << 20); i++) a[i] = i * 2654435761u;
  uint64_t s = 0;
  for (uint32_t i = 0; i < (1u << 20); i += 4093) s += a[i];
  return s + a[(1 << 20) - 1];
}

int main(void) {
  printf("recursion 12000 deep: %016llx\n", (unsigned long long)recurse(12000, 1));
  printf("4 MB stack array: %016llx\n", (unsigned long long)big_array());
  printf("recursion again: %016llx\n", (unsigned long long)recurse(15000, 7));
  return 0;
}
