// Deliberate termination modes selected by argv[1]: segv (NULL write), abort, ill (.word 0),
// exit42, and "flush" (exit(3) with unflushed stdio output that must appear).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  printf("mode %s\n", m);
  fflush(stdout);
  if (!strcmp(m, "segv")) {
    *(volatile int *)0 = 1;
  } else if (!strcmp(m, "abort")) {
    abort();
  } else if (!strcmp(m, "ill")) {
    __asm__ volatile(".word 0");
  } else if (!strcmp(m, "exit42")) {
    exit(42);
  } else if (!strcmp(m, "flush")) {
    printf("buffered line\n");
    exit(3);
  } else if (!strcmp(m, "_exit")) {
    printf("lost line");
    _exit(5);
  }
  printf("survived\n");
  return 1;
}
