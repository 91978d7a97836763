// The signal masks of pselect6, ppoll and epoll_pwait, and the time select() leaves in its
// timeout: a pending signal the call's mask lets through ends the wait with EINTR and its
// handler runs, and the old mask is back after it. The output does not depend on timing.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static int pipefd[2];

static void on_usr1(int sig) {
  (void)sig;
  handled++;
}

static int blocked(int sig) {
  sigset_t now;
  sigprocmask(SIG_SETMASK, NULL, &now);
  return sigismember(&now, sig);
}

static void select_timeouts(void) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(pipefd[0], &r);
  struct timeval tv = {0, 50000};
  int n = select(pipefd[0] + 1, &r, NULL, NULL, &tv);
  printf("select on an empty pipe: %d, time left %ld.%06ld\n", n, (long)tv.tv_sec,
         (long)tv.tv_usec);
  write(pipefd[1], "x", 1);
  FD_SET(pipefd[0], &r);
  tv = (struct timeval){5, 0};
  n = select(pipefd[0] + 1, &r, NULL, NULL, &tv);
  printf("select on a readable pipe: %d, time left above 4 s: %s\n", n,
         tv.tv_sec >= 4 && tv.tv_sec <= 5 ? "yes" : "no");
  char c;
  read(pipefd[0], &c, 1);
}

// SIGUSR1 is blocked and pending; each call's mask lets it through.
static void let_through(const char *name, int which) {
  sigset_t usr1, none;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  raise(SIGUSR1);
  handled = 0;
  struct timespec ts = {0, 300000000};
  int n;
  if (which == 0) {
    fd_set r;
    FD_ZERO(&r);
    FD_SET(pipefd[0], &r);
    n = pselect(pipefd[0] + 1, &r, NULL, NULL, &ts, &none);
  } else if (which == 1) {
    struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
    n = ppoll(&p, 1, &ts, &none);
  } else {
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev);
    n = epoll_pwait(ep, &out, 1, 300, &none);
    close(ep);
  }
  int e = errno;
  printf("%s with an empty mask: %d (%s), handler ran %d, SIGUSR1 blocked again: %s\n", name, n,
         n < 0 ? strerror(e) : "-", handled, blocked(SIGUSR1) ? "yes" : "no");
  sigprocmask(SIG_UNBLOCK, &usr1, NULL);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa = {.sa_handler = on_usr1};
  sigaction(SIGUSR1, &sa, NULL);
  pipe(pipefd);
  select_timeouts();
  let_through("pselect", 0);
  let_through("ppoll", 1);
  let_through("epoll_pwait", 2);
  return 0;
}
