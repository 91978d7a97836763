// POSIX timers and waiting for signals: timer_create (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID;
// the monotonic, realtime and CPU-time clocks), timer_settime (relative, TIMER_ABSTIME, periodic),
// timer_gettime, timer_getoverrun, timer_delete; sigtimedwait and sigwaitinfo (a timeout, EINTR,
// the siginfo of a timer, of sigqueue and of rt_tgsigqueueinfo; a thread waiting for a signal,
// SIGEV_THREAD); and the errors. Prints only what is the same on every run (no timer ids, times
// as bounds), so the output can be compared with qemu's. With the argument "blocked" it waits
// forever for a timer whose signal it blocks (the emulator reports a deadlock; Linux would wait
// forever); with "single" it makes no threads (in-memory snapshots hold one thread).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms, timer_hits, timer_code, timer_value;

static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

static void on_timer(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)ctx;
  timer_hits++;
  timer_code = si->si_code;
  timer_value = si->si_value.sival_int;
}

static long long now_ns(clockid_t clk) {
  struct timespec t;
  clock_gettime(clk, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static sigset_t only(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  return s;
}

static void result(const char *what, int r) {
  printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "ok");
}

static void waits(void) {
  sigset_t usr1 = only(SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  struct timespec zero = {0, 0}, ms50 = {0, 50000000}, sec = {1, 0};
  errno = 0;
  result("sigtimedwait, nothing pending, no wait", sigtimedwait(&usr1, NULL, &zero));
  long long t0 = now_ns(CLOCK_MONOTONIC);
  errno = 0;
  int r = sigtimedwait(&usr1, NULL, &ms50);
  printf("sigtimedwait 50 ms: %d %s, waited 50 ms: %d\n", r, strerror(errno),
         now_ns(CLOCK_MONOTONIC) - t0 >= 50000000);
  raise(SIGUSR1);
  siginfo_t si;
  r = sigwaitinfo(&usr1, &si);
  // (Linux gives SI_TKILL, qemu-user SI_USER.)
  printf("raise then sigwaitinfo: %d, si_signo %d, sent by kill %d, pid ok %d\n", r, si.si_signo,
         si.si_code == SI_TKILL || si.si_code == SI_USER, si.si_pid == getpid());
  sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 42});
  int sig = 0;
  r = sigwait(&usr1, &sig);
  printf("sigqueue then sigwait: %d, sig %d\n", r, sig);
  sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 43});
  r = sigtimedwait(&usr1, &si, &sec);
  printf("sigqueue then sigtimedwait: %d, si_code %d (SI_QUEUE %d), value %d\n", r, si.si_code,
         SI_QUEUE, si.si_value.sival_int);
  // A handled signal outside the set ends the wait.
  signal(SIGALRM, on_alarm);
  ualarm(20000, 0);
  errno = 0;
  r = sigtimedwait(&usr1, &si, &sec);
  printf("sigtimedwait cut by SIGALRM: %d %s, alarms %d\n", r, strerror(errno), (int)alarms);
  sigprocmask(SIG_UNBLOCK, &usr1, NULL);
}

static timer_t make(clockid_t clk, int notify, int sig, int value) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = notify;
  ev.sigev_signo = sig;
  ev.sigev_value.sival_int = value;
  if (notify == SIGEV_THREAD_ID) ev._sigev_un._tid = gettid();
  timer_t t;
  if (timer_create(clk, &ev, &t)) perror("timer_create");
  return t;
}

static int arm(timer_t t, int flags, long long value_ns, long long interval_ns) {
  struct itimerspec it = {{interval_ns / 1000000000, interval_ns % 1000000000},
                          {value_ns / 1000000000, value_ns % 1000000000}};
  return timer_settime(t, flags, &it, NULL);
}

static void sleep_ns(long long ns) {
  struct timespec t = {ns / 1000000000, ns % 1000000000};
  while (nanosleep(&t, &t)) {
  }
}

static void signal_timers(void) {
  int rt = SIGRTMIN + 1;
  sigset_t set = only(rt);
  sigprocmask(SIG_BLOCK, &set, NULL);
  timer_t t = make(CLOCK_MONOTONIC, SIGEV_SIGNAL, rt, 1234);
  long long t0 = now_ns(CLOCK_MONOTONIC);
  arm(t, 0, 20000000, 0);
  siginfo_t si;
  int r = sigwaitinfo(&set, &si);
  printf("one-shot 20 ms: sig is SIGRTMIN+1 %d, si_code %d (SI_TIMER %d), value %d, overrun %d, "
         "after 20 ms %d\n",
         r == rt, si.si_code, SI_TIMER, si.si_value.sival_int, si.si_overrun,
         now_ns(CLOCK_MONOTONIC) - t0 >= 20000000);
  struct itimerspec cur;
  timer_gettime(t, &cur);
  printf("expired: value %ld.%09ld interval %ld.%09ld\n", (long)cur.it_value.tv_sec,
         cur.it_value.tv_nsec, (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);

  // Periodic, 1 ms, while its signal waits: the expiries missed are overruns.
  arm(t, 0, 1000000, 1000000);
  sleep_ns(10500000);
  // timer_getoverrun counts for the last signal taken: none yet (Linux counts at delivery).
  int before = timer_getoverrun(t);
  r = sigwaitinfo(&set, &si);
  int over = timer_getoverrun(t);
  printf("periodic 1 ms over 10.5 ms: signal %d, si_overrun >= 9: %d, getoverrun before it %d, "
         "after it is si_overrun: %d\n",
         r == rt, si.si_overrun >= 9, before, over == si.si_overrun);
  timer_gettime(t, &cur);
  printf("periodic: interval %ld ns, value in (0, 1 ms]: %d\n", cur.it_interval.tv_nsec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 1000000);
  arm(t, 0, 0, 0);
  timer_gettime(t, &cur);
  printf("disarmed: value %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
  sigtimedwait(&set, NULL, &(struct timespec){0, 0}); // a last expiry may be pending

  // Absolute, on the realtime clock: 30 ms from now, and a time already past.
  timer_t abs = make(CLOCK_REALTIME, SIGEV_SIGNAL, rt, 5);
  t0 = now_ns(CLOCK_MONOTONIC);
  arm(abs, TIMER_ABSTIME, now_ns(CLOCK_REALTIME) + 30000000, 0);
  r = sigwaitinfo(&set, &si);
  printf("absolute +30 ms: value %d, after 30 ms %d\n", si.si_value.sival_int,
         now_ns(CLOCK_MONOTONIC) - t0 >= 30000000);
  arm(abs, TIMER_ABSTIME, 1000, 0);
  r = sigtimedwait(&set, &si, &(struct timespec){1, 0});
  printf("absolute in the past: fires at once %d\n", r == rt);
  timer_delete(abs);
  timer_delete(t);
  errno = 0;
  result("timer_gettime of a deleted timer", timer_gettime(t, &cur));
  sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void other_timers(void) {
  // SIGEV_NONE: nothing is raised; timer_gettime shows the time left.
  timer_t none = make(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0);
  arm(none, 0, 50000000, 0);
  struct itimerspec cur;
  timer_gettime(none, &cur);
  printf("SIGEV_NONE armed: value in (40, 50] ms: %d\n",
         cur.it_value.tv_nsec > 40000000 && cur.it_value.tv_nsec <= 50000000);
  sleep_ns(60000000);
  timer_gettime(none, &cur);
  printf("SIGEV_NONE after it: value %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
  arm(none, 0, 20000000, 20000000);
  sleep_ns(50000000);
  timer_gettime(none, &cur);
  printf("SIGEV_NONE periodic: value in (0, 20] ms: %d\n",
         cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20000000);
  timer_delete(none);

  // SIGEV_THREAD_ID to this thread, on the CPU-time clock, to a handler.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_timer;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa, NULL);
  timer_t own = make(CLOCK_PROCESS_CPUTIME_ID, SIGEV_THREAD_ID, SIGUSR2, 77);
  arm(own, 0, 5000000, 0);
  for (volatile unsigned long i = 0; !timer_hits && i < 4000000000ul; i++) {
  }
  printf("SIGEV_THREAD_ID, CPU time: hits %d, si_code is SI_TIMER %d, value %d\n", (int)timer_hits,
         timer_code == SI_TIMER, (int)timer_value);
  timer_delete(own);
  // pause() in sigsuspend until a timer's handler runs.
  timer_t alarm = make(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR2, 78);
  arm(alarm, 0, 10000000, 0);
  sigset_t none_blocked;
  sigemptyset(&none_blocked);
  errno = 0;
  int r = sigsuspend(&none_blocked);
  printf("sigsuspend until a timer: %d %s, hits %d, value %d\n", r, strerror(errno),
         (int)timer_hits, (int)timer_value);
  timer_delete(alarm);
}

static void errors(void) {
  timer_t t;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  errno = 0;
  result("timer_create clock 99", timer_create(99, &ev, &t));
  errno = 0;
  result("timer_create CLOCK_MONOTONIC_RAW", timer_create(CLOCK_MONOTONIC_RAW, &ev, &t));
  ev.sigev_signo = 100;
  errno = 0;
  result("timer_create signal 100", timer_create(CLOCK_MONOTONIC, &ev, &t));
  ev.sigev_signo = SIGUSR1;
  ev.sigev_notify = 9;
  errno = 0;
  result("timer_create notify 9", timer_create(CLOCK_MONOTONIC, &ev, &t));
  t = make(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0);
  struct itimerspec bad = {{0, 0}, {0, 1000000000}};
  errno = 0;
  result("timer_settime nsec 1e9", timer_settime(t, 0, &bad, NULL));
  timer_delete(t);
  sigset_t usr1 = only(SIGUSR1);
  errno = 0;
  result("sigtimedwait nsec -1", sigtimedwait(&usr1, NULL, &(struct timespec){0, -1}));
}

static void tgsigqueueinfo(void) {
  sigset_t usr1 = only(SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = SIGUSR1;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_value.sival_int = 7;
  int r = syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR1, &info);
  siginfo_t si;
  int got = sigwaitinfo(&usr1, &si);
  printf("rt_tgsigqueueinfo to itself: %d, got %d, si_code %d, value %d\n", r, got == SIGUSR1,
         si.si_code, si.si_value.sival_int);
  errno = 0;
  result("rt_tgsigqueueinfo tid 0", syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGUSR1, &info));
  errno = 0;
  result("rt_tgsigqueueinfo no such thread",
         syscall(SYS_rt_tgsigqueueinfo, getpid(), 0x3ffffff0, SIGUSR1, &info));
  info.si_code = SI_USER;
  errno = 0;
  result("rt_tgsigqueueinfo SI_USER to another thread",
         syscall(SYS_rt_tgsigqueueinfo, getpid(), 0x3ffffff0, SIGUSR1, &info));
  sigprocmask(SIG_UNBLOCK, &usr1, NULL);
}

static volatile sig_atomic_t expiry_value;

static void on_expiry(union sigval v) {
  expiry_value = v.sival_int;
}

static void *waiter(void *arg) {
  int *got = arg;
  sigset_t usr1 = only(SIGUSR1);
  siginfo_t si;
  got[0] = sigwaitinfo(&usr1, &si);
  got[1] = si.si_value.sival_int;
  got[2] = si.si_code;
  return NULL;
}

// Another thread waits in sigwaitinfo for what pthread_sigqueue (rt_tgsigqueueinfo) sends it;
// a SIGEV_THREAD timer (glibc's helper thread waits for it in sigwaitinfo) runs a function.
static void threads(void) {
  sigset_t usr1 = only(SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL); // the waiter inherits the mask
  int got[3] = {0, 0, 0};
  pthread_t w;
  pthread_create(&w, NULL, waiter, got);
  sleep_ns(10000000); // the waiter waits by now
  pthread_sigqueue(w, SIGUSR1, (union sigval){.sival_int = 99});
  pthread_join(w, NULL);
  printf("pthread_sigqueue to a thread in sigwaitinfo: got %d, value %d, si_code is SI_QUEUE %d\n",
         got[0] == SIGUSR1, got[1], got[2] == SI_QUEUE);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = on_expiry;
  ev.sigev_value.sival_int = 55;
  timer_t t;
  int r = timer_create(CLOCK_MONOTONIC, &ev, &t);
  arm(t, 0, 5000000, 0);
  for (int i = 0; i < 1000 && !expiry_value; i++) sleep_ns(1000000);
  printf("SIGEV_THREAD: %d, the function ran with value %d\n", r, (int)expiry_value);
  timer_delete(t);
}

// Periodic timers (a POSIX one and ITIMER_REAL) whose signal is blocked, and a wait no signal
// can end.
static void blocked_forever(void) {
  sigset_t alrm = only(SIGALRM);
  sigprocmask(SIG_BLOCK, &alrm, NULL);
  struct itimerval every = {{0, 1000}, {0, 1000}};
  setitimer(ITIMER_REAL, &every, NULL);
  timer_t t = make(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGALRM, 0);
  arm(t, 0, 1000000, 1000000); // its SIGALRM merges with the interval timer's, already pending
  pause();
  printf("not reached\n");
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1 && !strcmp(argv[1], "blocked")) blocked_forever();
  waits();
  signal_timers();
  other_timers();
  errors();
  tgsigqueueinfo();
  if (argc == 1) threads();
  return 0;
}
