// Job control between processes: SIGSTOP and SIGTSTP stop a busy child (which then makes no
// progress), SIGCONT continues it, the parent sees each change through waitpid (WUNTRACED,
// WCONTINUED), waitid (WSTOPPED, WCONTINUED, WNOWAIT) and SIGCHLD's si_code; SIGKILL ends a
// stopped child. The output does not depend on the interleaving: SIGCHLD is not queued, so on a
// real kernel two notifications may merge into one handler call, and only whether each kind was
// seen is printed.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stops, continues, exits;

static void on_chld(int sig, siginfo_t *info, void *ctx) {
  (void)sig;
  (void)ctx;
  if (info->si_code == CLD_STOPPED) stops++;
  else if (info->si_code == CLD_CONTINUED) continues++;
  else exits++;
}

static void nap(void) {
  struct timespec ts = {0, 20000000};
  nanosleep(&ts, NULL);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = SA_SIGINFO | SA_RESTART};
  sigaction(SIGCHLD, &sa, NULL);
  volatile long *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                -1, 0);
  /* The child leads a process group of its own whose parent is in the same session, so the group
     is not orphaned and SIGTSTP stops it, whatever session the test runs in (Linux discards
     SIGTSTP to an orphaned group, as under setsid). */
  pid_t child = fork();
  if (child == 0) {
    setpgid(0, 0);
    for (;;) (*counter)++;
  }
  setpgid(child, child);
  while (*counter == 0) sched_yield();
  int st;
  kill(child, SIGSTOP);
  pid_t got = waitpid(child, &st, WUNTRACED);
  printf("waitpid WUNTRACED: %s, stopped %d by %s\n", got == child ? "the child" : "?",
         WIFSTOPPED(st), strsignal(WSTOPSIG(st)));
  long before = *counter;
  nap();
  printf("a stopped child makes no progress: %s\n", *counter == before ? "yes" : "no");
  printf("nothing more to collect: %d\n", waitpid(child, &st, WUNTRACED | WNOHANG));
  kill(child, SIGCONT);
  got = waitpid(child, &st, WCONTINUED);
  printf("waitpid WCONTINUED: %s, continued %d\n", got == child ? "the child" : "?",
         WIFCONTINUED(st));
  while (*counter == before) sched_yield();
  printf("a continued child runs again: yes\n");

  kill(child, SIGTSTP);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  waitid(P_PID, child, &info, WSTOPPED | WNOWAIT);
  printf("waitid WSTOPPED|WNOWAIT: code stopped %d, status %s\n", info.si_code == CLD_STOPPED,
         strsignal(info.si_status));
  memset(&info, 0, sizeof info);
  waitid(P_PID, child, &info, WSTOPPED);
  printf("waitid WSTOPPED again: code stopped %d, pid right %d\n", info.si_code == CLD_STOPPED,
         info.si_pid == child);
  kill(child, SIGCONT);
  memset(&info, 0, sizeof info);
  waitid(P_ALL, 0, &info, WCONTINUED);
  printf("waitid WCONTINUED: code continued %d, status %s\n", info.si_code == CLD_CONTINUED,
         strsignal(info.si_status));

  kill(child, SIGSTOP);
  waitpid(child, &st, WUNTRACED);
  kill(child, SIGKILL);
  waitpid(child, &st, 0);
  printf("SIGKILL ends a stopped child: signaled %d by %s\n", WIFSIGNALED(st),
         strsignal(WTERMSIG(st)));
  printf("SIGCHLD seen for a stop: %s, a continue: %s, the exit: %s\n", stops ? "yes" : "no",
         continues ? "yes" : "no", exits ? "yes" : "no");
  return 0;
}
