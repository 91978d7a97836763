// Syscalls CPython's regression tests ask that Denemu once failed (EINVAL, ENOSYS or a short
// answer where Linux gives one): fcntl F_GETOWN/F_SETOWN/F_NOTIFY, lseek SEEK_DATA/SEEK_HOLE,
// fallocate, the scheduler's priority ranges and time slice, SO_RCVTIMEO's width. Each line is
// the call and what it returned (and errno), compared with qemu-aarch64's in the same run.
// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
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

int main(void) {
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
  fcntls(fd);
  seeks(fd);
  fallocates(fd);
  scheduler();
  timeouts();
  return 0;
}
