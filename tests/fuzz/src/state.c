/* Planted bug: a deep state machine; only one command sequence reaches the bug. */
#include <signal.h>
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  int state = 0;
  for (size_t i = 0; i < n; i++) {
    switch (state) {
    case 0: state = d[i] == 'h' ? 1 : 0; break;
    case 1: state = d[i] == 'e' ? 2 : d[i] == 'h' ? 1 : 0; break;
    case 2: state = d[i] == 'l' ? 3 : 0; break;
    case 3: state = d[i] == 'l' ? 4 : 0; break;
    case 4: state = d[i] == 'o' ? 5 : 0; break;
    case 5: state = d[i] == '!' ? 6 : 5; break;
    case 6:
      /* RISC-V division by zero does not trap: raise SIGFPE as the bug */
      if (d[i] == '!') raise(SIGFPE);
      state = 0;
      break;
    }
  }
  return 0;
}
