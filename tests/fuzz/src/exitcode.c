/* A failure reported by exit status, not by a signal: an input whose first byte is not 'A'
 * exits with status 3 (AFL_CRASH_EXITCODE=3 makes that a crash for afl-fuzz and emu fuzz). */
#include <stdlib.h>
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (n > 0 && d[0] != 'A') exit(3);
  return 0;
}
