// Edge cases of syscalls real programs make, for comparison with qemu-riscv64: getrandom's flags,
// prlimit64's checks, readlink of /proc/self/fd/N and /proc/self/exe, sched_getaffinity's size
// check, pipe2 and dup3 flags, utimensat with UTIME_OMIT, copy_file_range and sendfile with
// offsets, fcntl record locks, faccessat2 flags, getdents64 with a tiny buffer, empty paths.
// Prints nothing that depends on the host (limits, CPU counts, times, pids).
// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#define R(what, call) do { errno = 0; long r_ = (long)(call); printf("%s: %ld %s\n", what, r_, r_ < 0 ? strerror(errno) : ""); } while (0)
int main(void) {
  char b[64];
  R("getrandom bad flags", getrandom(b, 8, 0x40));
  R("getrandom GRND_RANDOM|NONBLOCK", getrandom(b, 8, GRND_RANDOM | GRND_NONBLOCK));
  R("getrandom GRND_INSECURE", getrandom(b, 8, 0x4));
  R("getrandom INSECURE|RANDOM", getrandom(b, 8, 0x4 | GRND_RANDOM));
  struct rlimit rl;
  R("prlimit NOFILE", prlimit(0, RLIMIT_NOFILE, NULL, &rl));
  R("prlimit bad resource", prlimit(0, 99, NULL, &rl));
  struct rlimit bad = {10, 5};
  R("prlimit cur>max", prlimit(0, RLIMIT_NOFILE, &bad, NULL));
  int fd = open("pf", O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(fd, "hello world", 11);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, b, sizeof b);
  R("readlink fd ends with /pf", n > 3 && !memcmp(b + n - 3, "/pf", 3));
  n = readlink("/proc/self/exe", b, 4);
  R("readlink exe into 4 bytes", n);
  cpu_set_t cs;
  R("sched_getaffinity size 1", syscall(SYS_sched_getaffinity, 0, 1, &cs));
  R("sched_getaffinity size 7", syscall(SYS_sched_getaffinity, 0, 7, &cs));
  int p[2];
  R("pipe2 bad flags", pipe2(p, 0x1));
  R("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(p, O_CLOEXEC | O_NONBLOCK));
  printf("pipe2 flags: cloexec %d nonblock %d\n", fcntl(p[0], F_GETFD), (fcntl(p[1], F_GETFL) & O_NONBLOCK) != 0);
  close(p[0]);
  close(p[1]);
  if (p[0] > 2) { close(p[0]); close(p[1]); }
  R("dup3 same fd", dup3(fd, fd, 0));
  R("dup3 bad flags", dup3(fd, 20, 0x1));
  struct timespec ts[2] = {{0, UTIME_OMIT}, {1234567, 0}};
  R("utimensat omit/set", utimensat(AT_FDCWD, "pf", ts, 0));
  struct stat st;
  stat("pf", &st);
  printf("mtime %ld\n", (long)st.st_mtime);
  struct timespec badts[2] = {{0, 1000000000}, {0, 0}};
  R("utimensat bad nsec", utimensat(AT_FDCWD, "pf", badts, 0));
  int out = open("pf2", O_CREAT | O_RDWR | O_TRUNC, 0644);
  loff_t off = 6;
  R("copy_file_range", copy_file_range(fd, &off, out, NULL, 5, 0));
  printf("off now %ld\n", (long)off);
  R("copy_file_range bad flags", copy_file_range(fd, &off, out, NULL, 5, 1));
  off = 0;
  R("sendfile", sendfile(out, fd, &off, 5));
  printf("off now %ld, pos %ld\n", (long)off, (long)lseek(fd, 0, SEEK_CUR));
  lseek(out, 0, SEEK_SET);
  n = read(out, b, sizeof b);
  printf("pf2: %.*s\n", (int)n, b);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4};
  R("F_SETLK", fcntl(fd, F_SETLK, &fl));
  fl.l_type = F_WRLCK;
  R("F_GETLK", fcntl(fd, F_GETLK, &fl));
  printf("l_type unlck %d\n", fl.l_type == F_UNLCK);
  fl.l_type = 7;
  R("F_SETLK bad type", fcntl(fd, F_SETLK, &fl));
  R("faccessat2 bad flags", syscall(SYS_faccessat2, AT_FDCWD, "pf", R_OK, 0x1));
  R("faccessat bad mode", syscall(SYS_faccessat, AT_FDCWD, "pf", 8));
  int d = open(".", O_RDONLY | O_DIRECTORY);
  R("getdents64 tiny buffer", syscall(SYS_getdents64, d, b, 8));
  R("statx empty path no flag", statx(AT_FDCWD, "", 0, STATX_BASIC_STATS, (struct statx *)b));
  R("fstatat empty path", fstatat(fd, "", &st, AT_EMPTY_PATH));
  R("readlinkat not a link", readlinkat(AT_FDCWD, "pf", b, 10));
  R("readlinkat bufsiz 0", readlinkat(AT_FDCWD, "/proc/self/exe", b, 0));
  unlink("pf"); unlink("pf2");
  return 0;
}
