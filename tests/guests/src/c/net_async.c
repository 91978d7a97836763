// Waiting on the host network (`emu user -net host`), over IPv4 loopback. Arguments: MODE PORT...
//   connect OPEN CLOSED: a non-blocking connect to port OPEN (a listener of the test) gives
//           EINPROGRESS, then poll and epoll report POLLOUT and SO_ERROR is 0; a second
//           connect says EISCONN; the same to port CLOSED (nobody listens) ends with POLLERR and
//           SO_ERROR ECONNREFUSED
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
  if (argc >= 3 && strcmp(argv[1], "mmsg") == 0) return mmsg(atoi(argv[2]));
  fprintf(stderr, "usage: net_async connect OPEN CLOSED | mmsg UDP\n");
  return 2;
}
