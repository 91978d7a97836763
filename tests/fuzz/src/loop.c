/* Not a planted bug: a loop that runs as many times as the first input byte
 * says, so an edge's hit count is known (afl-showmap's count classes). */
#include "harness.h"

volatile unsigned sink;

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (n < 1) return 0;
  for (unsigned i = 0; i < d[0]; i++) sink += i;
  return 0;
}
