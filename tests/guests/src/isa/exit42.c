// Smallest guest: no libc, writes "ok" and exits with status 42. Also the seed for tests/malformed/.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

int main(void) {
  pr("ok\n");
  return 42;
}
