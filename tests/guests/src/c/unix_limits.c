// AF_UNIX queues are bounded as Linux bounds them, and getdents64 names each kind of file:
//   stream: a non-blocking writer fills about SO_SNDBUF and gets EAGAIN, POLLOUT goes and
//           comes back when the reader drains; SO_SNDBUF/SO_RCVBUF as getsockopt reports them;
//           a blocking writer in a fork'd child waits for the reader and writes all in one call
//   dgram:  a receiver not connected back to its sender holds 11 datagrams (max_dgram_qlen 10),
//           then EAGAIN and no POLLOUT for a sender connected to it; a socketpair's datagrams
//           are bounded by the send buffer only, as a seqpacket pair's; a datagram as big as
//           the send buffer is EMSGSIZE; writev's pieces are one datagram
//   sendmmsg: a blocking sender of more than the send buffer holds waits for the reader
//   rights: a sendmsg with SCM_RIGHTS blocked on a full stream and ended by a signal (EINTR)
//           closes the descriptor it carried
//   getdents64: DT_REG, DT_DIR, DT_LNK, DT_SOCK in a fresh directory, DT_CHR for /dev/null,
//           and DT_FIFO for the "fifo" in the directory argv[1], if given (made by the test:
//           Denemu has no mknodat)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int pollout(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

static int sockopt(int fd, int name) {
  int v = 0;
  socklen_t len = sizeof v;
  getsockopt(fd, SOL_SOCKET, name, &v, &len);
  return v;
}

static const char *yes(int b) {
  return b ? "yes" : "no";
}

static void stream_nonblocking(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
  printf("stream: SO_SNDBUF %d, SO_RCVBUF %d\n", sockopt(sv[0], SO_SNDBUF),
         sockopt(sv[0], SO_RCVBUF));
  static char buf[4096];
  long total = 0;
  ssize_t n;
  while ((n = write(sv[0], buf, sizeof buf)) > 0) total += n;
  printf("stream: the writer stops with %s after about SO_SNDBUF: %s\n", strerror(errno),
         yes(total > 150000 && total < 450000));
  printf("stream: POLLOUT when full: %s\n", yes(pollout(sv[0])));
  long got = 0;
  while ((n = read(sv[1], buf, sizeof buf)) > 0) got += n;
  printf("stream: the reader got it all: %s, POLLOUT again: %s\n", yes(got == total),
         yes(pollout(sv[0])));
  int v = 65536;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  v = 1000;
  setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  printf("stream: SO_SNDBUF set to 65536 reads %d, SO_RCVBUF set to 1000 reads %d\n",
         sockopt(sv[0], SO_SNDBUF), sockopt(sv[0], SO_RCVBUF));
  close(sv[0]);
  close(sv[1]);
}

#define BIG (1 << 20)
#define SO_SNDBUF_DEFAULT 212992

static void stream_blocking(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pid_t child = fork();
  if (child == 0) {
    char *big = calloc(1, BIG);
    _exit(write(sv[0], big, BIG) == BIG ? 0 : 1);
  }
  static char buf[65536];
  long got = 0;
  ssize_t n;
  while (got < BIG && (n = read(sv[1], buf, sizeof buf)) > 0) got += n;
  int status;
  waitpid(child, &status, 0);
  printf("stream: a blocking writer of 1 MiB in one call: %s, the reader got %ld\n",
         yes(WIFEXITED(status) && WEXITSTATUS(status) == 0), got);
  close(sv[0]);
  close(sv[1]);
}

static void dgram_queue(void) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "denemu-limits-%d", getpid());
  socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
  int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
  bind(rx, (struct sockaddr *)&a, alen);
  int tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int sent = 0;
  while (sendto(tx, "d", 1, 0, (struct sockaddr *)&a, alen) == 1) sent++;
  printf("dgram: to an unconnected receiver, %d sent, then %s\n", sent, strerror(errno));
  connect(tx, (struct sockaddr *)&a, alen);
  printf("dgram: POLLOUT with its queue full: %s\n", yes(pollout(tx)));
  char c;
  recv(rx, &c, 1, 0);
  printf("dgram: after one read, POLLOUT %s, a send %s\n", yes(pollout(tx)),
         send(tx, "e", 1, 0) == 1 ? "goes" : strerror(errno));
  close(tx);
  close(rx);
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv);
  char msg[100] = {0};
  sent = 0;
  while (send(sv[0], msg, sizeof msg, 0) == sizeof msg) sent++;
  printf("dgram: a socketpair's sender stops (%s) past the queue length, before 4000: %s\n",
         strerror(errno), yes(sent > 11 && sent < 4000));
  printf("dgram: POLLOUT then: %s\n", yes(pollout(sv[0])));
  char got[64];
  while (recv(sv[1], got, sizeof got, 0) > 0) {}  // drain: the rest of the socketpair's checks
  struct iovec two[2] = {{"one ", 4}, {"message", 7}};
  writev(sv[0], two, 2);
  ssize_t n = recv(sv[1], got, sizeof got, 0);
  printf("dgram: writev of two pieces is one datagram of %zd bytes, then %s\n", n,
         recv(sv[1], got, sizeof got, 0) < 0 ? strerror(errno) : "another");
  static char huge[SO_SNDBUF_DEFAULT];
  errno = 0;
  send(sv[1], huge, sizeof huge, 0);
  printf("dgram: a datagram of SO_SNDBUF bytes: %s\n", strerror(errno));
  close(sv[0]);
  close(sv[1]);
  socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv);
  sent = 0;
  while (send(sv[0], msg, sizeof msg, 0) == sizeof msg) sent++;
  printf("seqpacket: the sender stops (%s) past the queue length, before 4000: %s\n",
         strerror(errno), yes(sent > 11 && sent < 4000));
  close(sv[0]);
  close(sv[1]);
}

#define MANY 40

/** A fork'd child's sendmmsg of more datagrams than the send buffer holds, on a blocking socket. */
static void sendmmsg_waits(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  pid_t child = fork();
  if (child == 0) {
    static char data[8000];
    static struct iovec iov[MANY];
    static struct mmsghdr m[MANY];
    for (int i = 0; i < MANY; i++) {
      iov[i] = (struct iovec){data, sizeof data};
      m[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
    }
    _exit(sendmmsg(sv[0], m, MANY, 0));
  }
  static char buf[8192];
  int got = 0;
  while (got < MANY && recv(sv[1], buf, sizeof buf, 0) == 8000) got++;
  int status;
  waitpid(child, &status, 0);
  printf("sendmmsg: a blocking sender of %d datagrams of 8000 bytes sent %d, the reader got %d\n",
         MANY, WEXITSTATUS(status), got);
  close(sv[0]);
  close(sv[1]);
}

static void on_signal(int sig) {
  (void)sig;
}

/** A sendmsg carrying a pipe's write end waits on a full stream until a signal ends it. */
static void rights_interrupted(void) {
  int sv[2], pp[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
  static char buf[4096];
  while (write(sv[0], buf, sizeof buf) > 0) {}
  fcntl(sv[0], F_SETFL, 0);
  pipe(pp);
  struct sigaction sa = {.sa_handler = on_signal};  // no SA_RESTART
  sigaction(SIGUSR1, &sa, 0);
  pid_t parent = getpid(), child = fork();
  if (child == 0) {
    usleep(50000);
    kill(parent, SIGUSR1);
    _exit(0);
  }
  char cbuf[CMSG_SPACE(sizeof(int))] = {0};
  struct iovec iov = {"x", 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                     .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &pp[1], sizeof(int));
  ssize_t r = sendmsg(sv[0], &m, 0);
  int e = errno;
  close(pp[1]);
  waitpid(child, 0, 0);
  fcntl(pp[0], F_SETFL, O_NONBLOCK);
  ssize_t got = read(pp[0], buf, 1);
  printf("rights: a blocked sendmsg %s, the pipe end it carried is closed: %s\n",
         r < 0 ? strerror(e) : "sent", yes(got == 0));
  close(pp[0]);
  close(sv[0]);
  close(sv[1]);
}

struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static const char *type_name(unsigned char t) {
  switch (t) {
  case DT_REG: return "DT_REG";
  case DT_DIR: return "DT_DIR";
  case DT_LNK: return "DT_LNK";
  case DT_FIFO: return "DT_FIFO";
  case DT_SOCK: return "DT_SOCK";
  case DT_CHR: return "DT_CHR";
  case DT_BLK: return "DT_BLK";
  default: return "DT_UNKNOWN";
  }
}

/** Prints the type getdents64 gives each entry of `dir` named in `names`. */
static void list_types(const char *dir, const char *const *names) {
  static char buf[1 << 16];
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
  for (const char *const *want = names; *want; want++) {
    for (long at = 0; at < n;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + at);
      if (strcmp(d->d_name, *want) == 0) printf("getdents64: %s is %s\n", *want, type_name(d->d_type));
      at += d->d_reclen;
    }
  }
  close(fd);
}

static void dirent_types(const char *fifo_dir) {
  char dir[64];
  snprintf(dir, sizeof dir, "/tmp/denemu-dirent-%d", getpid());
  mkdir(dir, 0700);
  if (chdir(dir) != 0) return;
  close(open("file", O_CREAT | O_WRONLY, 0600));
  mkdir("dir", 0700);
  symlink("file", "link");
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "sock"};
  bind(s, (struct sockaddr *)&a, sizeof a);
  const char *const names[] = {"file", "dir", "link", "sock", NULL};
  list_types(".", names);
  const char *const dev[] = {"null", NULL}, *const fifo[] = {"fifo", NULL};
  list_types("/dev", dev);
  if (fifo_dir) list_types(fifo_dir, fifo);
  close(s);
  unlink("sock");
  unlink("link");
  rmdir("dir");
  unlink("file");
  if (chdir("/") == 0) rmdir(dir);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  stream_nonblocking();
  stream_blocking();
  dgram_queue();
  sendmmsg_waits();
  rights_interrupted();
  dirent_types(argc > 1 ? argv[1] : NULL);
  return 0;
}
