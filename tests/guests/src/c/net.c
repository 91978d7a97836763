// TCP and UDP on the host network (`emu user -net host`), against a server or client the test
// runs on the host; the output does not depend on ports or timing, so it is compared with
// qemu-riscv64's. Arguments: MODE FAMILY PORT, FAMILY 4 (127.0.0.1) or 6 (::1).
//   client: connects, checks getpeername, finds nothing to read yet (MSG_DONTWAIT); a thread
//           waits in recv while the main thread sends; then it sends three lines and reads each
//           echo back (poll, then recv), shuts its side and reads to EOF
//   server: listens on PORT; a second thread accepts one connection (while the main thread
//           waits in pthread_join) and sends back what it reads, upper-cased, until EOF
//   udp:    sends three datagrams with sendto and reads the replies with recvfrom, then
//           connect()s and does one more with send and recv, and one with sendmsg and recvmsg,
//           then two with one sendmmsg and one recvmmsg
//   errnos: the error each socket call gives for a bad length or pointer (no peer; PORT unused)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int family;
static struct sockaddr_storage peer;
static socklen_t peer_len;

static void address(int port) {
  memset(&peer, 0, sizeof peer);
  if (family == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&peer;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_loopback;
    peer_len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&peer;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    peer_len = sizeof *a;
  }
}

static int port_of(struct sockaddr_storage *a) {
  return ntohs(a->ss_family == AF_INET6 ? ((struct sockaddr_in6 *)a)->sin6_port
                                        : ((struct sockaddr_in *)a)->sin_port);
}

static int open_socket(int type) {
  int s = socket(family == 6 ? AF_INET6 : AF_INET, type, 0);
  if (s < 0) {
    printf("socket: %s\n", strerror(errno));
    exit(1);
  }
  return s;
}

static int conn;
static char heard[64];

// Waits in recv for the echo of what the main thread sends after starting it.
static void *read_echo(void *arg) {
  int have = 0, want = *(int *)arg;
  while (have < want) {
    int r = recv(conn, heard + have, want - have, 0);
    if (r <= 0) break;
    have += r;
  }
  return NULL;
}

static int client(int port) {
  int s = open_socket(SOCK_STREAM), one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(s, (struct sockaddr *)&peer, peer_len) < 0) {
    printf("connect: %s\n", strerror(errno));
    return 1;
  }
  struct sockaddr_storage got;
  socklen_t len = sizeof got;
  getpeername(s, (struct sockaddr *)&got, &len);
  printf("connected: peer port %s, family %s\n", port_of(&got) == port ? "right" : "wrong",
         got.ss_family == peer.ss_family ? "right" : "wrong");
  char buf[256];
  int r = recv(s, buf, sizeof buf, MSG_DONTWAIT);
  printf("nothing to read yet: %s\n", r < 0 && errno == EAGAIN ? "EAGAIN" : "data?");
  conn = s;
  const char *first = "from the main thread\n";
  int len1 = strlen(first);
  pthread_t t;
  pthread_create(&t, NULL, read_echo, &len1);
  for (int i = 0; i < 3; i++) sched_yield(); // the reader is in recv by now
  send(s, first, len1, 0);
  pthread_join(t, NULL);
  printf("a thread waiting in recv got the echo of the main thread's send: %s", heard);
  const char *lines[] = {"hello network\n", "second line\n", "third and last\n"};
  for (int i = 0; i < 3; i++) {
    int n = strlen(lines[i]);
    send(s, lines[i], n, 0);
    struct pollfd p = {.fd = s, .events = POLLIN};
    int ready = poll(&p, 1, 5000);
    int have = 0;
    while (have < n) {
      r = recv(s, buf + have, n - have, 0);
      if (r <= 0) break;
      have += r;
    }
    printf("poll %d, echo %d: %.*s", ready, i, have, buf);
  }
  shutdown(s, SHUT_WR);
  int rest = 0;
  while ((r = read(s, buf, sizeof buf)) > 0) rest += r;
  printf("after shutdown: %d more bytes, then end of file (%d)\n", rest, r);
  close(s);
  return 0;
}

static void *serve(void *arg) {
  int l = *(int *)arg;
  struct sockaddr_storage from;
  socklen_t len = sizeof from;
  int c = accept(l, (struct sockaddr *)&from, &len);
  if (c < 0) {
    printf("accept: %s\n", strerror(errno));
    return NULL;
  }
  printf("accepted a client of the same family: %s\n",
         from.ss_family == peer.ss_family ? "yes" : "no");
  char buf[256];
  int r, total = 0;
  while ((r = read(c, buf, sizeof buf)) > 0) {
    for (int i = 0; i < r; i++) buf[i] = toupper((unsigned char)buf[i]);
    write(c, buf, r);
    total += r;
  }
  printf("client done after %d bytes\n", total);
  close(c);
  return NULL;
}

static int server(int port) {
  int l = open_socket(SOCK_STREAM), one = 1, type = 0;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l, (struct sockaddr *)&peer, peer_len) < 0 || listen(l, 4) < 0) {
    printf("bind/listen: %s\n", strerror(errno));
    return 1;
  }
  struct sockaddr_storage at;
  socklen_t len = sizeof at;
  getsockname(l, (struct sockaddr *)&at, &len);
  len = sizeof type;
  getsockopt(l, SOL_SOCKET, SO_TYPE, &type, &len);
  printf("listening on the port asked: %s, SO_TYPE stream: %s\n",
         port_of(&at) == port ? "yes" : "no", type == SOCK_STREAM ? "yes" : "no");
  fflush(stdout);
  pthread_t t;
  pthread_create(&t, NULL, serve, &l);
  pthread_join(t, NULL);
  close(l);
  return 0;
}

static int udp(int port) {
  int s = open_socket(SOCK_DGRAM);
  char buf[256];
  for (int i = 0; i < 3; i++) {
    int n = snprintf(buf, sizeof buf, "ping %d", i);
    sendto(s, buf, n, 0, (struct sockaddr *)&peer, peer_len);
    struct sockaddr_storage from;
    socklen_t len = sizeof from;
    int r = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    printf("reply %d from the server's port %s: %.*s\n", i, port_of(&from) == port ? "yes" : "no",
           r < 0 ? 0 : r, buf);
  }
  connect(s, (struct sockaddr *)&peer, peer_len);
  send(s, "connected ping", 14, 0);
  int r = recv(s, buf, sizeof buf, 0);
  printf("after connect: %.*s\n", r < 0 ? 0 : r, buf);
  char head[] = "gathered ", tail[] = "ping", one[8], two[64];
  struct iovec out[2] = {{head, 9}, {tail, 4}}, in[2] = {{one, sizeof one}, {two, sizeof two}};
  struct msghdr m = {.msg_iov = out, .msg_iovlen = 2};
  sendmsg(s, &m, 0);
  struct sockaddr_storage from;
  m = (struct msghdr){.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = in,
                      .msg_iovlen = 2};
  r = recvmsg(s, &m, 0);
  printf("recvmsg %d bytes from the server's port %s: %.8s|%.*s\n", r,
         port_of(&from) == port ? "yes" : "no", one, r > 8 ? r - 8 : 0, two);
  // Two datagrams with one sendmmsg; one blocking recvmmsg waits for both replies.
  char p0[] = "batch ping 0", p1[] = "batch ping one", r0[64], r1[64];
  struct iovec o[2] = {{p0, sizeof p0 - 1}, {p1, sizeof p1 - 1}}, i[2] = {{r0, 64}, {r1, 64}};
  struct mmsghdr mm[2] = {{.msg_hdr = {.msg_iov = &o[0], .msg_iovlen = 1}},
                          {.msg_hdr = {.msg_iov = &o[1], .msg_iovlen = 1}}};
  r = sendmmsg(s, mm, 2, 0);
  printf("sendmmsg %d: %u and %u bytes\n", r, mm[0].msg_len, mm[1].msg_len);
  memset(mm, 0, sizeof mm);
  mm[0].msg_hdr = (struct msghdr){.msg_iov = &i[0], .msg_iovlen = 1};
  mm[1].msg_hdr = (struct msghdr){.msg_iov = &i[1], .msg_iovlen = 1};
  r = recvmmsg(s, mm, 2, 0, NULL);
  printf("recvmmsg %d: %.*s|%.*s\n", r, (int)mm[0].msg_len, r0, (int)mm[1].msg_len, r1);
  close(s);
  return 0;
}

static void expect_error(const char *what, long r) {
  printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "ok");
}

/* Lengths and pointers Linux refuses before it looks at the socket's state. */
static int errnos(void) {
  int tcp = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  int udp = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  char big[256] = {0}, byte = 1, x = 'x';
  void *bad = (void *)8;
  memcpy(big, &peer, sizeof peer);
  expect_error("bind addrlen 200", bind(tcp, (struct sockaddr *)big, 200));
  expect_error("bind addrlen -1", bind(tcp, (struct sockaddr *)big, (socklen_t)-1));
  expect_error("bind bad addr", bind(tcp, bad, peer_len));
  expect_error("connect bad addr", connect(tcp, bad, peer_len));
  expect_error("SO_REUSEADDR optlen 1", setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &byte, 1));
  expect_error("TCP_NODELAY optlen 2", setsockopt(tcp, IPPROTO_TCP, TCP_NODELAY, &byte, 2));
  expect_error("SO_REUSEADDR bad optval", setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, bad, 4));
  struct iovec iov = {.iov_base = &x, .iov_len = 1};
  struct msghdr m = {.msg_name = &peer, .msg_namelen = peer_len, .msg_iov = &iov,
                     .msg_iovlen = 2000};
  expect_error("sendmsg iovlen 2000", sendmsg(udp, &m, 0));
  m.msg_iovlen = 1;
  m.msg_iov = bad;
  expect_error("sendmsg bad iov", sendmsg(udp, &m, 0));
  m.msg_iov = &iov;
  m.msg_name = bad;
  expect_error("sendmsg bad name", sendmsg(udp, &m, 0));
  expect_error("sendmsg bad msghdr", sendmsg(udp, bad, 0));
  expect_error("sendto tcp bad addr", sendto(tcp, &x, 1, 0, bad, peer_len));
  expect_error("sendto udp bad addr", sendto(udp, &x, 1, 0, bad, peer_len));
  expect_error("sendto tcp addrlen 200", sendto(tcp, &x, 1, 0, (struct sockaddr *)big, 200));
  close(tcp);
  close(udp);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 4) {
    fprintf(stderr, "usage: net client|server|udp|errnos 4|6 PORT\n");
    return 2;
  }
  family = atoi(argv[2]);
  int port = atoi(argv[3]);
  address(port);
  if (strcmp(argv[1], "client") == 0) return client(port);
  if (strcmp(argv[1], "server") == 0) return server(port);
  if (strcmp(argv[1], "udp") == 0) return udp(port);
  if (strcmp(argv[1], "errnos") == 0) return errnos();
  return 2;
}
