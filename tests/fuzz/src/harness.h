/* The shared main of the fuzz targets: reads the input from the file named by
 * argv[1] (AFL's @@) or from stdin, and passes it to LLVMFuzzerTestOneInput,
 * so one binary serves the whole-program and the in-memory harnesses.
 * NO_MAIN leaves main out (native afl-clang-fast builds link AFL++'s driver). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef NO_MAIN
static uint8_t input[1 << 16];

int main(int argc, char **argv) {
  FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  size_t n = fread(input, 1, sizeof input, f);
  if (f != stdin) fclose(f);
  LLVMFuzzerTestOneInput(input, n);
  return 0;
}
#endif
