// I/O multiplexing: an epoll echo server over socketpairs served to forked
// clients, an eventfd between threads, ppoll with a timeout and on a pipe,
// non-blocking reads that fail with EAGAIN, and socket(AF_INET), which a
// sandboxed guest may not have (argument "socket": the rest is compared with
// qemu-riscv64, which lets a guest open one). The output does not depend on
// the interleaving. Argument "timer": timerfd ticks, exact on a virtual clock
// only (qemu-riscv64 counts host time).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLIENTS 3
#define ROUNDS 5

static void client(int fd, int id) {
  long sum = 0;
  for (int r = 0; r < ROUNDS; r++) {
    char msg[32], back[32];
    int n = snprintf(msg, sizeof msg, "c%d-r%d", id, r);
    write(fd, msg, n);
    int got = 0;
    while (got < n) got += read(fd, back + got, n - got);
    if (memcmp(msg, back, n) == 0) sum += n;
  }
  _exit(sum == 0 ? 1 : (int)(sum % 100));
}

static void echo_server(void) {
  int ep = epoll_create1(EPOLL_CLOEXEC), fds[CLIENTS];
  pid_t pids[CLIENTS];
  for (int i = 0; i < CLIENTS; i++) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pids[i] = fork();
    if (pids[i] == 0) {
      close(sv[0]);
      client(sv[1], i);
    }
    close(sv[1]);
    fds[i] = sv[0];
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
  }
  int open = CLIENTS, echoed = 0;
  while (open > 0) {
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, 8, -1);
    for (int k = 0; k < n; k++) {
      int i = evs[k].data.u32;
      char buf[64];
      ssize_t got = read(fds[i], buf, sizeof buf);
      if (got <= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
        close(fds[i]);
        open--;
        continue;
      }
      write(fds[i], buf, got);
      echoed += got;
    }
  }
  int statuses = 0;
  for (int i = 0; i < CLIENTS; i++) {
    int st;
    waitpid(pids[i], &st, 0);
    statuses += WEXITSTATUS(st);
  }
  printf("epoll echo: %d bytes echoed, client statuses sum %d\n", echoed, statuses);
  close(ep);
}

static int efd;
static void *adder(void *arg) {
  (void)arg;
  for (int i = 1; i <= 10; i++) {
    uint64_t v = i;
    write(efd, &v, 8);
    usleep(100);
  }
  return NULL;
}

static void eventfd_threads(void) {
  efd = eventfd(0, 0);
  pthread_t t;
  pthread_create(&t, NULL, adder, NULL);
  uint64_t total = 0;
  while (total < 55) {
    uint64_t v;
    read(efd, &v, 8);
    total += v;
  }
  pthread_join(t, NULL);
  printf("eventfd: total %llu\n", (unsigned long long)total);
  close(efd);
}

static void ppoll_and_nonblock(void) {
  int p[2];
  pipe2(p, O_NONBLOCK);
  char c;
  printf("empty non-blocking pipe: %s\n", read(p[0], &c, 1) < 0 && errno == EAGAIN ? "EAGAIN" : "?");
  struct pollfd pf = {.fd = p[0], .events = POLLIN};
  int r = poll(&pf, 1, 20);
  printf("poll with nothing to read: %d after the timeout\n", r);
  write(p[1], "z", 1);
  r = poll(&pf, 1, -1);
  printf("poll with a byte: %d, POLLIN %s\n", r, pf.revents & POLLIN ? "set" : "clear");
  close(p[1]);
  read(p[0], &c, 1);
  r = poll(&pf, 1, 0);
  printf("poll after the writer closed: POLLHUP %s\n", pf.revents & POLLHUP ? "set" : "clear");
  close(p[0]);
}

// A 10 ms periodic timer first expiring at 5 ms: five blocking reads take
// five ticks in 45 ms; epoll and poll wait for it; disarmed, it never fires.
static void timer_ticks(void) {
  int t = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = {.it_interval = {0, 10000000}, .it_value = {0, 5000000}};
  timerfd_settime(t, 0, &its, NULL);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  uint64_t total = 0, n;
  for (int i = 0; i < 5; i++) {
    read(t, &n, 8);
    total += n;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  long us = (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
  printf("timerfd: %llu ticks in %ld ms\n", (unsigned long long)total, us / 1000);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev);
  int ready = epoll_wait(ep, &ev, 1, 1000);
  read(t, &n, 8);
  printf("epoll on the timer: %d ready, %llu tick\n", ready, (unsigned long long)n);
  struct itimerspec cur;
  timerfd_gettime(t, &cur);
  printf("next tick in %ld ms\n", (cur.it_value.tv_nsec + 999999) / 1000000);
  struct itimerspec off = {0};
  timerfd_settime(t, 0, &off, NULL);
  struct pollfd pf = {.fd = t, .events = POLLIN};
  printf("disarmed: poll %d\n", poll(&pf, 1, 30));
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1 && strcmp(argv[1], "timer") == 0) {
    timer_ticks();
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "socket") == 0) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    printf("socket(AF_INET): %s\n", s < 0 ? strerror(errno) : "opened");
    return 0;
  }
  echo_server();
  eventfd_threads();
  ppoll_and_nonblock();
  return 0;
}
