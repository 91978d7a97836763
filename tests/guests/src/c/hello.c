// hello: puts and exit 0. Built with -g (debug info kept for symbol tests).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdio.h>

int main(void) {
  puts("Hello, world!");
  return 0;
}
