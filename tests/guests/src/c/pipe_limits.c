// Pipes are bounded as Linux bounds them: a ring of 16 pages (65536 bytes) by default.
//   fill:   non-blocking writes of 1000 bytes stop with EAGAIN at 64000 (each page holds four),
//           of 4096 bytes at 65536; one write of 100000 takes 65536; after a read of a page, a
//           write of 5000 takes 4096 and a small one that does not fit in a page is refused
//   poll:   POLLOUT on the write end only with a free page, POLLIN on the read end; FIONREAD
//   size:   F_GETPIPE_SZ 65536; F_SETPIPE_SZ rounds up to a power-of-two number of pages, EBUSY
//           below what is buffered, EPERM past /proc/sys/fs/pipe-max-size (unless privileged),
//           EINVAL past 2^31, EBADF on a file that is not a pipe
//   user:   64 pipes of 1 MiB reach /proc/sys/fs/pipe-user-pages-soft (16384 pages): the next
//           one cannot grow and a new pipe gets 2 pages (unless privileged)
//   block:  a fork'd child's blocking write of 200000 bytes fills the pipe and waits for the
//           parent to read
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[200000];

static long fill(int fd, size_t chunk) {
  long total = 0;
  ssize_t n;
  while ((n = write(fd, buf, chunk)) > 0) total += n;
  return total;
}

static void drain(int fd) {
  while (read(fd, buf, sizeof buf) > 0) {}
}

static int buffered(int fd) {
  int n = -1;
  ioctl(fd, FIONREAD, &n);
  return n;
}

static const char *bits(int fd, short events) {
  struct pollfd p = {.fd = fd, .events = events};
  poll(&p, 1, 0);
  static char out[32];
  snprintf(out, sizeof out, "%s%s%s%s", p.revents & POLLIN ? "IN " : "",
           p.revents & POLLOUT ? "OUT " : "", p.revents & POLLHUP ? "HUP " : "",
           p.revents & POLLERR ? "ERR " : "");
  return out[0] ? out : "none ";
}

static const char *result(int r) {
  static char out[64];
  if (r < 0) return strerror(errno);
  snprintf(out, sizeof out, "%d", r);
  return out;
}

static void nonblocking(int p[2]) {
  long n = fill(p[1], 1000);
  printf("fill: writes of 1000 stop (%s) at %ld, FIONREAD %d\n", strerror(errno), n,
         buffered(p[0]));
  printf("poll: full: write end %s", bits(p[1], POLLOUT));
  printf("read end %s\n", bits(p[0], POLLIN));
  drain(p[0]);
  printf("poll: drained: write end %s", bits(p[1], POLLOUT));
  printf("read end %s\n", bits(p[0], POLLIN));
  printf("fill: writes of 4096 stop at %ld\n", fill(p[1], 4096));
  read(p[0], buf, 1);
  printf("poll: one byte read: write end %s\n", bits(p[1], POLLOUT));
  read(p[0], buf, 4095);
  printf("poll: a page read: write end %s\n", bits(p[1], POLLOUT));
  printf("fill: then a write of 5000 takes %s", result(write(p[1], buf, 5000)));
  printf(", a write of 100 %s\n", result(write(p[1], buf, 100)));
  drain(p[0]);
  printf("fill: one write of 100000 takes %s", result(write(p[1], buf, 100000)));
  printf(", then a write of 1 %s\n", result(write(p[1], buf, 1)));
  drain(p[0]);
}

static void sizes(int p[2]) {
  printf("size: F_GETPIPE_SZ %s\n", result(fcntl(p[1], F_GETPIPE_SZ)));
  printf("size: set 0 gives %s", result(fcntl(p[1], F_SETPIPE_SZ, 0)));
  printf(", 5000 gives %s", result(fcntl(p[0], F_SETPIPE_SZ, 5000)));
  printf(", 1048576 gives %s\n", result(fcntl(p[1], F_SETPIPE_SZ, 1048576)));
  printf("size: fill at 1 MiB stops at %ld\n", fill(p[1], 65536));
  printf("size: set 65536 with 1 MiB buffered: %s\n", result(fcntl(p[1], F_SETPIPE_SZ, 65536)));
  drain(p[0]);
  int r = fcntl(p[1], F_SETPIPE_SZ, 1048577);
  printf("size: set past pipe-max-size: refused unless privileged: %s\n",
         (r < 0 ? errno == EPERM : geteuid() == 0) ? "yes" : "no");
  printf("size: set 0x80000001: %s\n", result(fcntl(p[1], F_SETPIPE_SZ, 0x80000001)));
  printf("size: set 8192 on an empty pipe: %s", result(fcntl(p[1], F_SETPIPE_SZ, 8192)));
  printf(", fill stops at %ld\n", fill(p[1], 1));
  drain(p[0]);
  printf("size: F_GETPIPE_SZ of /dev/null: %s\n",
         result(fcntl(open("/dev/null", O_WRONLY), F_GETPIPE_SZ)));
}

#define USER_PIPES 65

static void user_pages(void) {
  int p[USER_PIPES][2], grown = 0;
  for (int i = 0; i < USER_PIPES; i++) {
    pipe(p[i]);
    if (fcntl(p[i][1], F_SETPIPE_SZ, 1048576) > 0) grown++;
  }
  int fresh[2];
  pipe(fresh);
  int size = fcntl(fresh[1], F_GETPIPE_SZ);
  int limited = grown == USER_PIPES - 1 && size == 8192;
  int privileged = geteuid() == 0 && grown == USER_PIPES && size == 65536;
  printf("user: the pipe past 16384 pages cannot grow, a new one has 8192 bytes, "
         "unless privileged: %s\n", limited || privileged ? "yes" : "no");
  for (int i = 0; i < USER_PIPES; i++) close(p[i][0]), close(p[i][1]);
  close(fresh[0]);
  close(fresh[1]);
  pipe(fresh);
  printf("user: with them closed, a new pipe has %d bytes\n", fcntl(fresh[1], F_GETPIPE_SZ));
  close(fresh[0]);
  close(fresh[1]);
}

static void blocking(void) {
  int p[2];
  pipe(p);
  pid_t child = fork();
  if (child == 0) {
    close(p[0]);
    _exit(write(p[1], buf, sizeof buf) == sizeof buf ? 0 : 1);
  }
  close(p[1]);
  int n;
  for (int i = 0; i < 5000 && (n = buffered(p[0])) < 65536; i++) usleep(1000);
  printf("block: the writer filled the pipe: %d buffered\n", n);
  long got = 0;
  ssize_t r;
  while ((r = read(p[0], buf, 4096)) > 0) got += r;
  int status;
  waitpid(child, &status, 0);
  printf("block: the writer of %zu bytes in one call: %s, the reader got %ld\n", sizeof buf,
         WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "done" : "failed", got);
  close(p[0]);
}

int main(void) {
  int p[2];
  pipe2(p, O_NONBLOCK);
  nonblocking(p);
  sizes(p);
  close(p[0]);
  close(p[1]);
  user_pages();
  blocking();
  return 0;
}
