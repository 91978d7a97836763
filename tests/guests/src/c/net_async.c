// Waiting on the host network (`emu user -net host`), over IPv4 loopback. Arguments: MODE PORT...
//   connect OPEN CLOSED: a non-blocking connect to port OPEN (a listener of the test) gives
//           EINPROGRESS, then poll and epoll report POLLOUT and SO_ERROR is 0; a second
//           connect says EISCONN; the same to port CLOSED (nobody listens) ends with POLLERR and
//           SO_ERROR ECONNREFUSED
//   send ECHO: a send on a socket whose non-blocking connect (to the echo server ECHO) is under
//           way: once fcntl cleared O_NONBLOCK it waits for the connection and sends, as
//           Linux's tcp_sendmsg does; a non-blocking one gives EAGAIN if the connect is not
//           made yet (or sends, if it is: that depends on the host's timing)
//   mmsg UDP: sends two pings to a UDP server of the test that answers each, then recvmmsg
//           asks for three datagrams with a 200 ms timeout: it returns the two that came
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static const char *err(int e) {
  return e ? strerror(e) : "0";
}

static void nonblocking_connect(const char *what, int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = loopback(port);
  int r = connect(s, (struct sockaddr *)&a, sizeof a);
  printf("%s: connect gives %s\n", what, r == 0 ? "0" : strerror(errno));
  struct pollfd p = {.fd = s, .events = POLLOUT};
  int n = poll(&p, 1, 5000);
  printf("%s: poll %d, POLLOUT %s, POLLERR %s\n", what, n, p.revents & POLLOUT ? "set" : "clear",
         p.revents & POLLERR ? "set" : "clear");
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLOUT}, got;
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
  n = epoll_wait(ep, &got, 1, 5000);
  printf("%s: epoll %d, EPOLLOUT %s\n", what, n, got.events & EPOLLOUT ? "set" : "clear");
  close(ep);
  int e = -1;
  socklen_t len = sizeof e;
  getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &len);
  printf("%s: SO_ERROR %s\n", what, err(e));
  if (e == 0) {
    r = connect(s, (struct sockaddr *)&a, sizeof a);
    printf("%s: connect again gives %s\n", what, r == 0 ? "0" : strerror(errno));
    struct sockaddr_in me;
    len = sizeof me;
    getsockname(s, (struct sockaddr *)&me, &len);
    printf("%s: bound to a port: %s\n", what, ntohs(me.sin_port) ? "yes" : "no");
  }
  close(s);
}

/** A socket whose non-blocking connect to `port` was started (EINPROGRESS). */
static int connecting(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = loopback(port);
  if (connect(s, (struct sockaddr *)&a, sizeof a) == 0 || errno != EINPROGRESS) return -1;
  return s;
}

static int send_while_connecting(int port) {
  int s = connecting(port);
  if (s < 0) return printf("connect: not EINPROGRESS\n"), 1;
  fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
  ssize_t n = send(s, "hello", 5, 0);
  printf("blocking send during the connect: %s\n", n == 5 ? "5 bytes" : strerror(errno));
  n = write(s, " world", 6);
  printf("blocking write after it: %s\n", n == 6 ? "6 bytes" : strerror(errno));
  char buf[32] = {0};
  size_t got = 0;
  while (got < 11 && (n = recv(s, buf + got, sizeof buf - 1 - got, 0)) > 0) got += n;
  printf("echoed: %s\n", buf);
  close(s);
  s = connecting(port);
  n = send(s, "x", 1, 0);
  int ok = n == 1 || errno == EAGAIN;
  printf("non-blocking send during a connect: %s\n", ok ? "EAGAIN or sent" : strerror(errno));
  close(s);
  return 0;
}

static int mmsg(int port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = loopback(port);
  connect(s, (struct sockaddr *)&a, sizeof a);
  send(s, "one", 3, 0);
  send(s, "two", 3, 0);
  char bufs[3][32];
  struct iovec iov[3];
  struct mmsghdr m[3];
  memset(m, 0, sizeof m);
  for (int i = 0; i < 3; i++) {
    iov[i] = (struct iovec){bufs[i], sizeof bufs[i] - 1};
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  struct timespec t = {0, 200 * 1000 * 1000};
  int n = recvmmsg(s, m, 3, 0, &t);
  printf("recvmmsg with a 200 ms timeout: %d datagrams\n", n);
  for (int i = 0; i < n; i++) {
    bufs[i][m[i].msg_len] = 0;
    printf("  %s\n", bufs[i]);
  }
  printf("time left: %s\n", t.tv_sec == 0 && t.tv_nsec < 200 * 1000 * 1000 ? "less" : "all");
  close(s);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && strcmp(argv[1], "connect") == 0) {
    nonblocking_connect("listener", atoi(argv[2]));
    nonblocking_connect("closed port", atoi(argv[3]));
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "send") == 0) return send_while_connecting(atoi(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "mmsg") == 0) return mmsg(atoi(argv[2]));
  fprintf(stderr, "usage: net_async connect OPEN CLOSED | send ECHO | mmsg UDP\n");
  return 2;
}
