/* Planted bug: a 32-bit magic compared in one instruction (no partial progress). */
#include <string.h>
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  uint32_t v;
  if (n < 8) return 0;
  memcpy(&v, d + 4, 4);
  if (v == 0xdeadbeefu) *(volatile int *)16 = 1; /* SIGSEGV */
  return 0;
}
