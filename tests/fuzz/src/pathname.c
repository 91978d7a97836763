/* Crashes when the path of its input file (argv[1], what @@ stands for) contains argv[2],
 * after reading the file: shows the name afl-fuzz's -e and AFL_TMPDIR give the input file.
 * An input starting with '!' crashes too: a bug any fuzzer finds in seconds. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
  if (!f) return 2;
  int first = fgetc(f);
  fclose(f);
  if (first == '!' || (argc > 2 && strstr(argv[1], argv[2]))) *(volatile int *)16 = first;
  return 0;
}
