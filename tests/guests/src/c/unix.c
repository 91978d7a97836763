// AF_UNIX sockets inside the guest world, compared with qemu-riscv64 (on the host kernel):
//   pairs:     socketpair of SOCK_STREAM (bytes run together), SOCK_DGRAM and SOCK_SEQPACKET
//              (message boundaries kept, a long one cut with MSG_TRUNC), shutdown, close,
//              sendmmsg and recvmmsg, /proc/self/fd's link of a socket
//   path:      a SOCK_STREAM server bound to a path in a fresh directory (the socket file,
//              EADDRINUSE), a fork'd client, getsockname/getpeername, SO_PEERCRED; unlink,
//              then ENOENT, ECONNREFUSED on a plain file and on a socket file nobody holds
//   abstract:  a SOCK_SEQPACKET server in the abstract namespace, a client thread
//   dgram:     a SOCK_DGRAM server bound to a path, a fork'd client sending from its own name,
//              recvfrom's sender address, EPROTOTYPE
//   rights:    a pipe's read end passed to a fork'd child with SCM_RIGHTS, MSG_CTRUNC when the
//              control buffer holds no descriptor (with argument "linux" only: qemu-riscv64 7.2
//              passes the descriptor anyway), SCM_CREDENTIALS with SO_PASSCRED
// Names carry the pid, so runs side by side do not meet in the abstract namespace.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];
static int linux_only;

static void check(int ok, const char *what) {
  if (!ok) {
    printf("%s: %s\n", what, strerror(errno));
    exit(1);
  }
}

static socklen_t path_addr(struct sockaddr_un *a, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
  return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1;
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "denemu-%s-%d", name, getpid());
  return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static void show_read(const char *what, int fd, int flags) {
  char buf[8];
  struct iovec iov = {buf, sizeof buf};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  ssize_t n = recvmsg(fd, &m, flags);
  if (n < 0) printf("%s: %s\n", what, strerror(errno));
  else printf("%s: %zd \"%.*s\"%s\n", what, n, (int)(n < 8 ? n : 8), buf,
              m.msg_flags & MSG_TRUNC ? " MSG_TRUNC" : "");
}

static void pairs(void) {
  static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
  static const char *names[] = {"stream", "dgram", "seqpacket"};
  for (int i = 0; i < 3; i++) {
    int sv[2];
    check(socketpair(AF_UNIX, types[i], 0, sv) == 0, "socketpair");
    send(sv[0], "ab", 2, 0);
    send(sv[0], "cde", 3, 0);
    send(sv[0], "0123456789", 10, 0);
    printf("%s:\n", names[i]);
    show_read("  first read", sv[1], 0);
    show_read("  second read", sv[1], 0);
    show_read("  third read", sv[1], MSG_DONTWAIT);
    shutdown(sv[0], SHUT_WR);
    show_read("  after SHUT_WR", sv[1], MSG_DONTWAIT);
    int type;
    socklen_t len = sizeof type;
    getsockopt(sv[1], SOL_SOCKET, SO_TYPE, &type, &len);
    printf("  SO_TYPE %d, send after SHUT_WR: %s\n", type,
           send(sv[0], "x", 1, MSG_NOSIGNAL) < 0 ? strerror(errno) : "sent");
    close(sv[0]);
    close(sv[1]);
  }
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  char out[2][8] = {"first", "second!"}, in[3][8];
  struct iovec iov[3];
  struct mmsghdr mm[3];
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 3; i++) {
    iov[i] = (struct iovec){i < 2 ? out[i] : in[2], i == 0 ? 5 : 7};
    mm[i].msg_hdr.msg_iov = &iov[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  printf("sendmmsg: %d\n", sendmmsg(sv[0], mm, 2, 0));
  for (int i = 0; i < 3; i++) iov[i] = (struct iovec){in[i], 8};
  int got = recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL);
  printf("recvmmsg: %d, lengths %u %u\n", got, mm[0].msg_len, mm[1].msg_len);
  char link[64], target[64] = {0};
  snprintf(link, sizeof link, "/proc/self/fd/%d", sv[0]);
  readlink(link, target, sizeof target - 1);
  *strchrnul(target, '[') = 0;
  printf("/proc/self/fd links a socket to %s\n", target);
  close(sv[0]);
  close(sv[1]);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  close(sv[1]);
  printf("stream send to a closed peer: %s\n",
         send(sv[0], "x", 1, MSG_NOSIGNAL) < 0 ? strerror(errno) : "sent");
  close(sv[0]);
}

static void echo_upper(int c) {
  char buf[64];
  ssize_t n = read(c, buf, sizeof buf);
  for (ssize_t i = 0; i < n; i++) buf[i] = buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i];
  if (n > 0) write(c, buf, n);
}

static void path_stream(void) {
  struct sockaddr_un a, b;
  socklen_t alen = path_addr(&a, "stream.sock");
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  check(bind(s, (struct sockaddr *)&a, alen) == 0, "bind");
  struct stat st;
  stat(a.sun_path, &st);
  printf("path: bound, the file is a socket: %s\n", S_ISSOCK(st.st_mode) ? "yes" : "no");
  int again = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("path: a second bind there: %s\n",
         bind(again, (struct sockaddr *)&a, alen) < 0 ? strerror(errno) : "bound");
  close(again);
  check(listen(s, 4) == 0, "listen");
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    check(connect(c, (struct sockaddr *)&a, alen) == 0, "connect");
    write(c, "hello", 5);
    char buf[16] = {0};
    read(c, buf, sizeof buf - 1);
    socklen_t blen = sizeof b;
    getpeername(c, (struct sockaddr *)&b, &blen);
    printf("path: the child got \"%s\"; its peer is %s: %s\n", buf,
           strrchr(b.sun_path, '/') + 1, blen == alen ? "the length is right" : "wrong length");
    _exit(0);
  }
  int c = accept(s, NULL, NULL);
  check(c >= 0, "accept");
  struct ucred cred;
  socklen_t clen = sizeof cred;
  getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
  echo_upper(c);
  waitpid(pid, NULL, 0);
  printf("path: SO_PEERCRED names the child: %s, uid ours: %s\n", cred.pid == pid ? "yes" : "no",
         cred.uid == getuid() ? "yes" : "no");
  socklen_t blen = sizeof b;
  getsockname(s, (struct sockaddr *)&b, &blen);
  printf("path: getsockname gives %s, length right: %s\n", strrchr(b.sun_path, '/') + 1,
         blen == alen ? "yes" : "no");
  close(c);
  close(s);
  int late = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("path: connect with the server gone: %s\n",
         connect(late, (struct sockaddr *)&a, alen) < 0 ? strerror(errno) : "connected");
  unlink(a.sun_path);
  printf("path: connect after unlink: %s\n",
         connect(late, (struct sockaddr *)&a, alen) < 0 ? strerror(errno) : "connected");
  alen = path_addr(&a, "plain");
  close(open(a.sun_path, O_CREAT | O_WRONLY, 0600));
  printf("path: connect to a plain file: %s\n",
         connect(late, (struct sockaddr *)&a, alen) < 0 ? strerror(errno) : "connected");
  unlink(a.sun_path);
  close(late);
}

static struct sockaddr_un abstract;
static socklen_t abstract_len;

static void *seqpacket_client(void *arg) {
  (void)arg;
  int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  check(connect(c, (struct sockaddr *)&abstract, abstract_len) == 0, "connect abstract");
  send(c, "one", 3, 0);
  send(c, "two!", 4, 0);
  char buf[16];
  ssize_t n = recv(c, buf, sizeof buf, 0);
  close(c);
  return (void *)n;
}

static void abstract_seqpacket(void) {
  abstract_len = abstract_addr(&abstract, "seq");
  int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  check(bind(s, (struct sockaddr *)&abstract, abstract_len) == 0, "bind abstract");
  int again = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  printf("abstract: a second bind: %s\n",
         bind(again, (struct sockaddr *)&abstract, abstract_len) < 0 ? strerror(errno) : "bound");
  close(again);
  listen(s, 1);
  pthread_t t;
  pthread_create(&t, NULL, seqpacket_client, NULL);
  int c = accept(s, NULL, NULL);
  show_read("abstract: first message", c, 0);
  show_read("abstract: second message", c, 0);
  send(c, "reply", 5, 0);
  void *got;
  pthread_join(t, &got);
  printf("abstract: the client thread read %ld bytes\n", (long)got);
  show_read("abstract: after the client closed", c, 0);
  close(c);
  close(s);
  int late = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  printf("abstract: connect after close: %s\n",
         connect(late, (struct sockaddr *)&abstract, abstract_len) < 0 ? strerror(errno)
                                                                        : "connected");
  close(late);
}

static void dgram(void) {
  struct sockaddr_un a, from;
  socklen_t alen = path_addr(&a, "dgram.sock");
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  check(bind(s, (struct sockaddr *)&a, alen) == 0, "bind dgram");
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    struct sockaddr_un me;
    socklen_t mlen = path_addr(&me, "client.sock");
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(c, (struct sockaddr *)&me, mlen);
    sendto(c, "first", 5, 0, (struct sockaddr *)&a, alen);
    connect(c, (struct sockaddr *)&a, alen);
    send(c, "second", 6, 0);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  for (int i = 0; i < 2; i++) {
    char buf[16] = {0};
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("dgram: %zd \"%s\" from %s\n", n, buf, strrchr(from.sun_path, '/') + 1);
  }
  int wrong = socket(AF_UNIX, SOCK_STREAM, 0);
  printf("dgram: a stream socket connecting: %s\n",
         connect(wrong, (struct sockaddr *)&a, alen) < 0 ? strerror(errno) : "connected");
  close(wrong);
  close(s);
  unlink(a.sun_path);
  path_addr(&a, "client.sock");
  unlink(a.sun_path);
}

/** Sends `fd` over `s` with the byte 'F'. */
static void send_fd(int s, int fd) {
  char byte = 'F';
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                     .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  check(sendmsg(s, &m, 0) == 1, "sendmsg SCM_RIGHTS");
}

/** Receives a descriptor sent by send_fd into a control buffer of `room` bytes; -1: none. */
static int recv_fd(int s, size_t room, int *flags) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr h;
    char buf[64];
  } u;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                     .msg_controllen = room};
  check(recvmsg(s, &m, 0) == 1, "recvmsg");
  *flags = m.msg_flags;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return fd;
    }
  }
  return -1;
}

static void rights(void) {
  int sv[2], p[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pipe(p);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    int flags, fd = recv_fd(sv[1], 64, &flags);
    char buf[32] = {0};
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    printf("rights: the child read %zd bytes through the passed descriptor: \"%s\"\n", n, buf);
    if (linux_only) {
      fd = recv_fd(sv[1], sizeof(struct cmsghdr), &flags);
      printf("rights: with no room for it, fd %s, MSG_CTRUNC %s\n", fd < 0 ? "none" : "given",
             flags & MSG_CTRUNC ? "set" : "clear");
    }
    _exit(0);
  }
  close(sv[1]);
  send_fd(sv[0], p[0]);
  send_fd(sv[0], p[0]);
  close(p[0]);
  write(p[1], "through the pipe", 16);
  waitpid(pid, NULL, 0);
  close(p[1]);
  close(sv[0]);

  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  int on = 1;
  setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  send(sv[0], "c", 1, 0);
  char byte;
  struct iovec iov = {&byte, 1};
  char buf[CMSG_SPACE(sizeof(struct ucred))];
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
                     .msg_controllen = sizeof buf};
  recvmsg(sv[1], &m, 0);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  struct ucred cred = {0};
  if (c && c->cmsg_type == SCM_CREDENTIALS) memcpy(&cred, CMSG_DATA(c), sizeof cred);
  printf("credentials: SCM_CREDENTIALS %s, our pid: %s\n", c ? "came" : "missing",
         cred.pid == getpid() ? "yes" : "no");
  close(sv[0]);
  close(sv[1]);
}

int main(int argc, char **argv) {
  linux_only = argc > 1 && strcmp(argv[1], "linux") == 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  snprintf(dir, sizeof dir, "/tmp/denemu-unix-%d", getpid());
  check(mkdir(dir, 0700) == 0, "mkdir");
  pairs();
  path_stream();
  abstract_seqpacket();
  dgram();
  rights();
  rmdir(dir);
  return 0;
}
