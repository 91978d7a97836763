/* Record/replay guest: its output depends on the outside world. It prints
 * what it reads from stdin, the host time (under -realtime), and a checksum
 * of the file named by argv[1]. tests/record_replay_test.ts runs it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

static unsigned long checksum(const unsigned char *p, size_t n, unsigned long h) {
  for (size_t i = 0; i < n; i++) h = h * 31 + p[i];
  return h;
}

int main(int argc, char **argv) {
  char line[256];
  int lines = 0;
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    printf("stdin %d: %s\n", ++lines, line);
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("time: %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
  if (argc > 1) {
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
      printf("file: cannot open %s\n", argv[1]);
      return 2;
    }
    unsigned char buf[4096];
    unsigned long h = 5381;
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
      h = checksum(buf, n, h);
      total += n;
    }
    fclose(f);
    printf("file: %zu bytes, checksum %lx\n", total, h);
  }
  return lines;
}
