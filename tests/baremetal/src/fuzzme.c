/* A routine to fuzz in system mode (the README's fuzz() example and
 * tests/fuzz_api_test.ts): parse() checks four bytes one by one (each a new
 * edge); the planted bug stores through a bad pointer, a store access fault
 * the M trap handler sees. Run as is, it parses an empty input. */
#include "rt.h"

/* On a page of its own: writing a page that holds code drops its translations. */
unsigned char input[256] __attribute__((aligned(4096)));
unsigned long input_len;

__attribute__((noinline)) int parse(const unsigned char *d, unsigned long n) {
  if (n >= 4 && d[0] == 'F')
    if (d[1] == 'U')
      if (d[2] == 'Z')
        if (d[3] == 'Z') *(volatile unsigned long *)0x10 = 1; /* the bug */
  return n > 0 ? d[0] : -1;
}

int main(void) {
  puts_("fuzzme\n");
  put("parse", (ulong)(long)parse(input, input_len));
  put("traps", (ulong)last.count);
  return 0;
}
