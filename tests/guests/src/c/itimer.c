// Interval timers: alarm, setitimer/getitimer on the three clocks, a sleep
// and pause() interrupted by SIGALRM, an ignored SIGALRM (dropped, or taken by sigwait when
// blocked), and the errors. Prints only what is the
// same on every run (counts and rounded times), so the output can be compared
// with qemu-riscv64's.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms, vtalarms, profs;

static void on_signal(int sig) {
  if (sig == SIGALRM) alarms++;
  if (sig == SIGVTALRM) vtalarms++;
  if (sig == SIGPROF) profs++;
}

static void handle(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(sig, &sa, NULL);
}

static void spin_until(volatile sig_atomic_t *count, int n) {
  for (volatile unsigned long i = 0; *count < n && i < 4000000000ul; i++) {
  }
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

// An ignored SIGALRM: Linux drops it when it is sent, unless it is blocked; then sigwait takes it
// (sig_ignored in kernel/signal.c counts the mask from before rt_sigtimedwait).
static void ignored_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGALRM);
  signal(SIGALRM, SIG_IGN);
  struct itimerval soon = {{0, 0}, {0, 20000}};
  siginfo_t si;
  setitimer(ITIMER_REAL, &soon, NULL);
  errno = 0;
  int r = sigtimedwait(&set, &si, &(struct timespec){0, 100000000});
  printf("ignored, unblocked, sigtimedwait 0.1 s: %d %s\n", r, strerror(errno));
  sigprocmask(SIG_BLOCK, &set, NULL);
  setitimer(ITIMER_REAL, &soon, NULL);
  long long t0 = now_ms();
  r = sigtimedwait(&set, &si, &(struct timespec){2, 0});
  printf("ignored, blocked, sigtimedwait 2 s: %d, within 1 s %d\n", r, now_ms() - t0 < 1000);
  setitimer(ITIMER_REAL, &soon, NULL);
  printf("ignored, blocked, sigwaitinfo: %d\n", sigwaitinfo(&set, &si));
  sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  handle(SIGALRM);
  handle(SIGVTALRM);
  handle(SIGPROF);

  // alarm: the time left of the one before, in whole seconds
  alarm(5);
  printf("alarm(0) after alarm(5): %u\n", alarm(0));

  // pause until an alarm
  alarm(1);
  int r = pause();
  printf("pause: %d %s, alarms %d\n", r, strerror(errno), (int)alarms);

  // a sleep cut short: sleep returns the whole seconds left
  alarm(1);
  unsigned left = sleep(3);
  // (QEMU's timers run on host time: on a loaded host the alarm comes late, so only "cut
  // short" is printed, not the seconds left.)
  printf("sleep(3) with alarm(1): cut short %d, alarms %d\n", left > 0 && left < 3, (int)alarms);

  // nanosleep cut short: EINTR and the time left
  struct itimerval it = {{0, 0}, {0, 200000}};
  setitimer(ITIMER_REAL, &it, NULL);
  struct timespec req = {1, 0}, rem = {0, 0};
  r = nanosleep(&req, &rem);
  // (QEMU's 0.2 s comes late on a loaded host: only "some time was left" is printed.)
  printf("nanosleep(1 s) with a 0.2 s timer: %d %s, rem in (0, 0.9] s: %d\n", r, strerror(errno),
         rem.tv_sec == 0 && rem.tv_nsec > 0 && rem.tv_nsec <= 900000000);

  // a periodic ITIMER_REAL while computing
  alarms = 0;
  struct itimerval every = {{0, 10000}, {0, 10000}};
  setitimer(ITIMER_REAL, &every, NULL);
  spin_until(&alarms, 5);
  struct itimerval now;
  getitimer(ITIMER_REAL, &now);
  // (at least: on a loaded host QEMU's host-time timer may fire once more before this line)
  printf("periodic: 5 alarms or more %d, interval %ld us, value in (0, 10000] us: %d\n", alarms >= 5,
         (long)now.it_interval.tv_usec, now.it_value.tv_usec > 0 && now.it_value.tv_usec <= 10000);
  struct itimerval off = {{0, 0}, {0, 0}}, old;
  setitimer(ITIMER_REAL, &off, &old);
  printf("disarmed: old interval %ld us\n", (long)old.it_interval.tv_usec);
  getitimer(ITIMER_REAL, &now);
  printf("after: value %ld.%06ld\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec);

  // ITIMER_VIRTUAL and ITIMER_PROF count the time the process computes
  struct itimerval once = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_VIRTUAL, &once, NULL);
  spin_until(&vtalarms, 1);
  setitimer(ITIMER_PROF, &once, NULL);
  spin_until(&profs, 1);
  printf("virtual %d, prof %d\n", (int)vtalarms, (int)profs);

  // errors
  errno = 0;
  r = setitimer(7, &once, NULL);
  printf("which 7: %d %s\n", r, strerror(errno));
  struct itimerval bad = {{0, 0}, {0, 1000000}};
  errno = 0;
  r = setitimer(ITIMER_REAL, &bad, NULL);
  printf("usec 1000000: %d %s\n", r, strerror(errno));
  errno = 0;
  r = getitimer(3, &now);
  printf("getitimer 3: %d %s\n", r, strerror(errno));

  ignored_signals();

  // the default action of SIGALRM ends the process
  signal(SIGALRM, SIG_DFL);
  alarm(1);
  pause();
  printf("not reached\n");
  return 0;
}
