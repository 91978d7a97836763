/* Planted bug: four bytes compared one by one (each step is a new edge). */
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (n >= 4 && d[0] == 'F')
    if (d[1] == 'U')
      if (d[2] == 'Z')
        if (d[3] == 'Z') abort();
  return 0;
}
