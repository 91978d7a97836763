// Benchmark of the calls a hostile guest can use to stall an emulator (issue 13):
//   hostile mmap N       N anonymous mmap(NULL) of 4 KiB, kept mapped
//   hostile write MIB    MIB MiB to stdout in 64 KiB writes
//   hostile read FILE    reads FILE to its end in 64 KiB reads
// Prints one summary line on stderr (stdout carries the data for "write").
// SPDX-License-Identifier: GPL-3.0-or-later
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char buf[65536];

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: hostile mmap N | write MIB | read FILE\n"); return 2; }
  if (!strcmp(argv[1], "mmap")) {
    long n = atol(argv[2]), ok = 0;
    for (long i = 0; i < n; i++) {
      char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) break;
      ok++;
    }
    fprintf(stderr, "mmap: %ld of %ld\n", ok, n);
    return ok == n ? 0 : 1;
  }
  if (!strcmp(argv[1], "write")) {
    long n = atol(argv[2]) * 16, total = 0;
    memset(buf, 'x', sizeof buf);
    for (long i = 0; i < n; i++) {
      long w = write(1, buf, sizeof buf);
      if (w <= 0) return 1;
      total += w;
    }
    fprintf(stderr, "write: %ld bytes\n", total);
    return 0;
  }
  if (!strcmp(argv[1], "read")) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) { perror("open"); return 1; }
    long total = 0, r;
    unsigned sum = 0;
    while ((r = read(fd, buf, sizeof buf)) > 0) { total += r; sum += (unsigned char)buf[r - 1]; }
    fprintf(stderr, "read: %ld bytes sum %u\n", total, sum);
    return r < 0;
  }
  return 2;
}
