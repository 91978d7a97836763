// A file-syscall interpreter for the `sandbox` self-fuzzer (scripts/selffuzz/sandbox.ts): reads
// a script from stdin, one call a line, runs each call raw (flags are passed through untouched)
// and prints "<line> <call>: ok [result]" or "<line> <call>: -1 <ERRNO>".
//
//   open DIR PATH FLAGS MODE     keeps the fd in the next slot (result: the slot)
//   close SLOT | read SLOT N | write SLOT TEXT | getdents SLOT | fstat SLOT | fchdir SLOT
//   ftruncate SLOT LEN | symlink TARGET DIR PATH | link DIR PATH DIR PATH FLAGS
//   rename DIR PATH DIR PATH FLAGS | unlink DIR PATH FLAGS | mkdir DIR PATH MODE
//   readlink DIR PATH | access DIR PATH MODE FLAGS | utimens DIR PATH FLAGS
//   statx DIR PATH FLAGS | chmod DIR PATH MODE | truncate PATH LEN | chdir PATH | getcwd
//
// DIR is a slot, or -100 for AT_FDCWD (an unknown slot is fd -1). A PATH of "-" is the empty string. Numbers are C literals
// (0x.., 0..). Reads print at most 64 bytes, escaped; getdents prints the names sorted, so the
// output does not depend on the host file system's order.
// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SLOTS 32
#define MAX_ARGS 6

static int slots[SLOTS];
static int used;
static char *arg[MAX_ARGS];
static int printed;  // the call printed its own "ok ..." result

static long num(int k) { return arg[k] ? strtol(arg[k], NULL, 0) : 0; }
static const char *path(int k) { return !arg[k] || !strcmp(arg[k], "-") ? "" : arg[k]; }

// A slot's fd; AT_FDCWD as itself; an unknown slot is -1 (EBADF, the same in every emulator).
static int fd(int k) {
  long s = num(k);
  if (s == AT_FDCWD) return AT_FDCWD;
  return s >= 0 && s < used ? slots[s] : -1;
}

static void ok(void) {
  printf("ok");
  printed = 1;
}

static void escaped(const char *buf, long n) {
  for (long i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c > 32 && c < 127 && c != '\\') putchar(c);
    else printf("\\x%02x", c);
  }
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

// Prints the entries of a directory fd, sorted, comma separated.
static long getdents(int dirfd) {
  static char buf[16384];
  static char *names[512];
  int count = 0;
  long n;
  while ((n = syscall(SYS_getdents64, dirfd, buf, sizeof buf)) > 0) {
    for (long at = 0; at < n;) {
      unsigned short reclen = *(unsigned short *)(buf + at + 16);
      if (count < 512) names[count++] = strdup(buf + at + 19);
      at += reclen;
    }
  }
  if (n < 0) {
    while (count) free(names[--count]);
    return -1;
  }
  qsort(names, count, sizeof *names, by_name);
  ok();
  for (int i = 0; i < count; i++) {
    printf("%c%s", i ? ',' : ' ', names[i]);
    free(names[i]);
  }
  return 0;
}

static void print_statx(const struct statx *st) {
  ok();
  printf(" type=%o perm=%o size=%llu nlink=%u ino=%llu", st->stx_mode & S_IFMT,
         st->stx_mode & 07777, (unsigned long long)st->stx_size, st->stx_nlink,
         (unsigned long long)st->stx_ino);
}

// Runs the call named `op`: returns -1 with errno set, or its result (which it may print).
static long call(const char *op) {
  static char buf[4096];
  struct statx stx;
  long r;
  if (!strcmp(op, "open")) {
    r = openat(fd(0), path(1), (int)num(2), (mode_t)num(3));
    if (r >= 0 && used < SLOTS) slots[used] = (int)r, r = used++;
    if (r >= 0) ok(), printf(" %ld", r);
  } else if (!strcmp(op, "close")) r = close(fd(0));
  else if (!strcmp(op, "read")) {
    long want = num(1) < (long)sizeof buf ? num(1) : (long)sizeof buf;
    r = read(fd(0), buf, want < 0 ? 0 : want);
    if (r >= 0) ok(), printf(" %ld ", r), escaped(buf, r < 64 ? r : 64);
  } else if (!strcmp(op, "write")) r = write(fd(0), path(1), strlen(path(1)));
  else if (!strcmp(op, "getdents")) r = getdents(fd(0));
  else if (!strcmp(op, "fstat")) {
    r = statx(fd(0), "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx);
    if (r == 0) print_statx(&stx);
  } else if (!strcmp(op, "fchdir")) r = fchdir(fd(0));
  else if (!strcmp(op, "ftruncate")) r = ftruncate(fd(0), num(1));
  else if (!strcmp(op, "symlink")) r = symlinkat(path(0), fd(1), path(2));
  else if (!strcmp(op, "link")) r = linkat(fd(0), path(1), fd(2), path(3), (int)num(4));
  else if (!strcmp(op, "rename"))
    r = syscall(SYS_renameat2, fd(0), path(1), fd(2), path(3), (unsigned)num(4));
  else if (!strcmp(op, "unlink")) r = unlinkat(fd(0), path(1), (int)num(2));
  else if (!strcmp(op, "mkdir")) r = mkdirat(fd(0), path(1), (mode_t)num(2));
  else if (!strcmp(op, "readlink")) {
    r = readlinkat(fd(0), path(1), buf, sizeof buf);
    if (r >= 0) ok(), putchar(' '), escaped(buf, r);
  } else if (!strcmp(op, "access"))
    r = syscall(SYS_faccessat2, fd(0), path(1), (int)num(2), (int)num(3));
  else if (!strcmp(op, "utimens")) {
    struct timespec times[2] = {{1000000000, 0}, {1000000000, 5}};
    r = utimensat(fd(0), path(1), times, (int)num(2));
  } else if (!strcmp(op, "statx")) {
    r = statx(fd(0), path(1), (int)num(2), STATX_BASIC_STATS, &stx);
    if (r == 0) print_statx(&stx);
  } else if (!strcmp(op, "chmod")) r = fchmodat(fd(0), path(1), (mode_t)num(2), 0);
  else if (!strcmp(op, "truncate")) r = truncate(path(0), num(1));
  else if (!strcmp(op, "chdir")) r = chdir(path(0));
  else if (!strcmp(op, "getcwd")) {
    r = syscall(SYS_getcwd, buf, sizeof buf);
    if (r >= 0) ok(), printf(" %s", buf);
  } else {
    errno = ENOSYS;
    return -1;
  }
  return r;
}

int main(void) {
  static char line[8192];
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int n = 1; fgets(line, sizeof line, stdin); n++) {
    line[strcspn(line, "\n")] = 0;
    char *op = strtok(line, " ");
    if (!op) continue;
    for (int k = 0; k < MAX_ARGS; k++) arg[k] = strtok(NULL, " ");
    printf("%d %s: ", n, op);
    errno = 0;
    printed = 0;
    long r = call(op);
    if (r < 0) printf("-1 %s", strerrorname_np(errno));
    else if (!printed) ok();
    putchar('\n');
  }
  return 0;
}
