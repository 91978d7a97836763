/* Planted bug: a checksum over the data guards a magic value in that same data. */
#include <string.h>
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  uint32_t sum = 0, want, magic;
  if (n < 16) return 0;
  for (size_t i = 8; i < n; i++) sum = sum * 31 + d[i];
  memcpy(&want, d, 4);
  if (want != sum) return 0;
  memcpy(&magic, d + 8, 4);
  if (magic == 0x4d555a5au) __asm__ volatile(".2byte 0"); /* an illegal instruction: SIGILL */
  return 0;
}
