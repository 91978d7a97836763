/* Not a planted bug: a global that outlives an execution when a harness does
 * not restore memory between inputs. The third call in one process aborts;
 * a harness that starts every execution from its snapshot never gets there. */
#include <stdlib.h>
#include "harness.h"

static int calls;

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  (void)d;
  (void)n;
  if (++calls == 3) abort();
  return 0;
}
