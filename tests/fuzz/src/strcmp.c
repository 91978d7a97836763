/* Planted bug: a string compared with memcmp and strcmp. */
#include <string.h>
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  char word[16];
  if (n < 20) return 0;
  if (memcmp(d, "KEY:", 4) != 0) return 0;
  memcpy(word, d + 4, 15);
  word[15] = 0;
  if (strcmp(word, "open-sesame") == 0) abort();
  return 0;
}
