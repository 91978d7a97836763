// Syscalls CPython's regression tests ask that Denemu once failed (EINVAL, ENOSYS or a short
// answer where Linux gives one): fcntl F_GETOWN/F_SETOWN/F_NOTIFY, lseek SEEK_DATA/SEEK_HOLE,
// fallocate, splice, memfd_create, the scheduler's priority ranges and time slice, SO_RCVTIMEO's
// width, the first lines of /proc/self/status, the errno of a host open Deno names no error for. Each line is
// the call and what it returned (and errno), compared with qemu-aarch64's in the same run.
// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r) {
  if (r < 0) printf("%s = -1 %s\n", what, strerrorname_np(errno));
  else printf("%s = %ld\n", what, r);
}

static long size_of(int fd) {
  struct stat st;
  return fstat(fd, &st) < 0 ? -1 : (long)st.st_size;
}

static void fcntls(int fd) {
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  show("F_GETOWN", fcntl(fd, F_GETOWN));
  show("F_SETOWN", fcntl(fd, F_SETOWN, getpid()));
  show("F_GETOWN is the pid", fcntl(fd, F_GETOWN) == getpid());
  show("F_SETOWN group", fcntl(fd, F_SETOWN, -getpgrp()));
  show("F_GETOWN is minus the group", fcntl(fd, F_GETOWN) == -getpgrp());
  show("F_NOTIFY dir", fcntl(dir, F_NOTIFY, 0));
  show("F_NOTIFY dir multishot", fcntl(dir, F_NOTIFY, DN_MODIFY | DN_MULTISHOT));
  show("F_NOTIFY file", fcntl(fd, F_NOTIFY, 0));
  show("F_NOTIFY file DN_MODIFY", fcntl(fd, F_NOTIFY, DN_MODIFY));
  close(dir);
}

static void seeks(int fd) {
  char block[5000];
  memset(block, 'x', sizeof block);
  show("write", write(fd, block, sizeof block));
  show("SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
  show("SEEK_DATA 100", lseek(fd, 100, SEEK_DATA));
  show("offset after", lseek(fd, 0, SEEK_CUR));
  show("SEEK_HOLE 10", lseek(fd, 10, SEEK_HOLE));
  show("offset after", lseek(fd, 0, SEEK_CUR));
  show("SEEK_DATA at end", lseek(fd, 5000, SEEK_DATA));
  show("SEEK_HOLE past end", lseek(fd, 6000, SEEK_HOLE));
  show("SEEK_DATA negative", lseek(fd, -1, SEEK_DATA));
  show("whence 5", lseek(fd, 0, 5));
}

static void fallocates(int fd) {
  int ro = open("f", O_RDONLY), pipes[2];
  show("fallocate 0 20000", fallocate(fd, 0, 0, 20000));
  show("size", size_of(fd));
  show("fallocate inside", fallocate(fd, 0, 100, 100));
  show("size", size_of(fd));
  show("fallocate keep size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 30000));
  show("size", size_of(fd));
  show("fallocate len 0", fallocate(fd, 0, 0, 0));
  show("fallocate negative", fallocate(fd, 0, -1, 10));
  show("fallocate read-only", fallocate(ro, 0, 0, 30000));
  show("posix_fallocate", -posix_fallocate(fd, 0, 25000));
  show("size", size_of(fd));
  show("pipe", pipe(pipes));
  show("fallocate pipe", fallocate(pipes[1], 0, 0, 10));
  close(ro);
}

static void splices(int fd) {
  int pipes[2], other = open("g", O_RDWR | O_CREAT | O_TRUNC, 0644);
  static char block[25000];
  char got[64] = {0};
  loff_t off = 10;
  pwrite(fd, "0123456789abcdefghij", 20, 0);
  show("pipe", pipe(pipes));
  show("splice file at 10 to pipe", splice(fd, &off, pipes[1], NULL, 6, 0));
  printf("  off %ld, file offset %ld\n", (long)off, (long)lseek(fd, 0, SEEK_CUR));
  show("lseek 3", lseek(fd, 3, SEEK_SET));
  show("splice file to pipe", splice(fd, NULL, pipes[1], NULL, 4, 0));
  show("file offset", lseek(fd, 0, SEEK_CUR));
  show("splice pipe to file", splice(pipes[0], NULL, other, NULL, 100, 0));
  show("pread", pread(other, got, sizeof got - 1, 0));
  printf("  %s\n", got);
  show("splice empty pipe, nonblocking", splice(pipes[0], NULL, other, NULL, 5, SPLICE_F_NONBLOCK));
  off = 0;
  show("splice offset on a pipe", splice(pipes[0], &off, other, NULL, 5, 0));
  show("splice file to file", splice(fd, NULL, other, NULL, 5, 0));
  show("lseek 0", lseek(fd, 0, SEEK_SET));
  show("ftruncate 100000", ftruncate(fd, 100000));
  show("splice 100000 to pipe", splice(fd, NULL, pipes[1], NULL, 100000, 0));
  show("file offset", lseek(fd, 0, SEEK_CUR));
  show("read 25000 from pipe", read(pipes[0], block, 25000));
  show("splice 100000 more to pipe", splice(fd, NULL, pipes[1], NULL, 100000, 0));
  show("file offset", lseek(fd, 0, SEEK_CUR));
  show("splice to a full pipe", splice(fd, NULL, pipes[1], NULL, 100, SPLICE_F_NONBLOCK));
  show("file offset", lseek(fd, 0, SEEK_CUR));
  close(pipes[0]);
  close(pipes[1]);
  show("pipe", pipe(pipes));
  show("lseek 0", lseek(fd, 0, SEEK_SET));
  show("sendfile 100000 to pipe", sendfile(pipes[1], fd, NULL, 100000));
  show("file offset", lseek(fd, 0, SEEK_CUR));
  close(pipes[0]);
  close(pipes[1]);
  close(other);
}

static void memfds(void) {
  char name[300], link[64] = {0}, got[16] = {0};
  int fd = memfd_create("qa", MFD_CLOEXEC), plain = memfd_create("", 0);
  struct stat st;
  show("memfd_create", fd >= 0);
  show("cloexec", fcntl(fd, F_GETFD));
  show("plain cloexec", fcntl(plain, F_GETFD));
  snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
  show("readlink", readlink(name, link, sizeof link - 1));
  printf("  %s\n", link);
  show("write", write(fd, "memfd_create", 12));
  show("offset", lseek(fd, 0, SEEK_CUR));
  show("fstat", fstat(fd, &st));
  printf("  mode %o size %ld nlink %ld\n", st.st_mode, (long)st.st_size, (long)st.st_nlink);
  show("ftruncate 8192", ftruncate(fd, 8192));
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  show("mmap", m != MAP_FAILED);
  pid_t child = fork();
  if (child == 0) {
    memcpy(m + 4096, "child", 5);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  show("pread the child's store", pread(fd, got, 5, 4096));
  printf("  %s %.5s\n", got, m);
  show("ftruncate 3", ftruncate(fd, 3));
  show("SEEK_HOLE", lseek(fd, 0, SEEK_HOLE));
  show("read at 3", read(fd, got, 5));
  memset(name, 'n', sizeof name);
  name[250] = 0;
  show("name of 250", memfd_create(name, 0));
  name[249] = 0;
  show("name of 249", memfd_create(name, 0) >= 0);
  show("flag 0x100", memfd_create("x", 0x100));
  munmap(m, 8192);
}

static void scheduler(void) {
  struct timespec ts = {7, 7};
  show("max FIFO", sched_get_priority_max(SCHED_FIFO));
  show("min FIFO", sched_get_priority_min(SCHED_FIFO));
  show("max RR", sched_get_priority_max(SCHED_RR));
  show("min RR", sched_get_priority_min(SCHED_RR));
  show("max OTHER", sched_get_priority_max(SCHED_OTHER));
  show("min BATCH", sched_get_priority_min(SCHED_BATCH));
  show("max IDLE", sched_get_priority_max(SCHED_IDLE));
  show("max 4", sched_get_priority_max(4));
  show("max -1", sched_get_priority_max(-1));
  show("rr_get_interval", sched_rr_get_interval(0, &ts));
  show("interval under a second", ts.tv_sec == 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
  show("rr_get_interval -1", sched_rr_get_interval(-1, &ts));
}

static void timeouts(void) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct timeval tv = {5, 5};
  socklen_t n = sizeof tv;
  show("SO_RCVTIMEO", getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, &n));
  printf("  %ld %ld (%u bytes)\n", (long)tv.tv_sec, (long)tv.tv_usec, n);
  tv.tv_sec = 3, tv.tv_usec = 500000; // whole jiffies at any HZ
  show("set SO_SNDTIMEO", setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
  tv.tv_sec = tv.tv_usec = 0, n = sizeof tv;
  show("SO_SNDTIMEO", getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, &n));
  printf("  %ld %ld (%u bytes)\n", (long)tv.tv_sec, (long)tv.tv_usec, n);
  close(s);
}

static void status_and_tty(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  unsigned uid[4];
  for (int i = 0; i < 10 && fgets(line, sizeof line, f); i++) {
    if (sscanf(line, "Uid: %u %u %u %u", &uid[0], &uid[1], &uid[2], &uid[3]) == 4) {
      printf("Uid is getuid: %d\n", uid[0] == getuid() && uid[3] == geteuid());
    }
    *strchr(line, ':') = 0;
    printf("%s ", line);
  }
  printf("\n");
  fclose(f);
  // ENXIO without a controlling terminal, as under `deno test` without one; both runs have the same
  int tty = open("/dev/tty", O_RDWR);
  show("open /dev/tty", tty < 0 ? -1 : 0);
}

int main(void) {
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
  fcntls(fd);
  seeks(fd);
  fallocates(fd);
  splices(fd);
  memfds();
  scheduler();
  timeouts();
  status_and_tty();
  return 0;
}
