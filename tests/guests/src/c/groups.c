// Process groups and sessions (setpgid, getpgid, getsid, setsid, kill of a
// group), waitid, getppid, pselect6 and signalfd. Prints only relations
// between ids, so the output does not depend on the pids the host gives.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *yes(int c) { return c ? "yes" : "no"; }

static void groups(void) {
  pid_t me = getpid();
  int ready[2];
  pipe(ready);
  pid_t leader = fork();
  if (leader == 0) {
    setpgid(0, 0);
    if (fork() == 0) {  // a grandchild in the same new group
      write(ready[1], "g", 1);
      for (;;) pause();
    }
    write(ready[1], "l", 1);
    for (;;) pause();
  }
  setpgid(leader, leader);  // also from the parent, as a shell does (no race)
  char c[2];
  read(ready[0], c, 2);
  printf("child leads its own group: %s\n", yes(getpgid(leader) == leader));
  printf("parent's group unchanged: %s\n", yes(getpgid(0) == getpgid(me) && getpgid(0) != leader));
  printf("same session: %s\n", yes(getsid(leader) == getsid(0)));
  errno = 0;
  printf("setpgid to a group of another session... ");
  printf("%s\n", setpgid(leader, 999999) == -1 ? strerror(errno) : "ok");
  kill(-leader, SIGTERM);
  int st;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  waitid(P_PID, leader, &si, WEXITED);
  printf("waitid: pid matches %s, code %s, status %d\n", yes(si.si_pid == leader),
         si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", si.si_status);
  printf("wait again: %s\n", waitpid(leader, &st, 0) == -1 ? strerror(errno) : "reaped twice");

  pid_t s = fork();
  if (s == 0) {
    pid_t sid = setsid();
    int ok = sid == getpid() && getsid(0) == getpid() && getpgid(0) == getpid();
    printf("setsid in a child: %s; again: %s\n", yes(ok), setsid() == -1 ? strerror(errno) : "ok");
    printf("getppid is the parent: %s\n", yes(getppid() == me));
    _exit(3);
  }
  memset(&si, 0, sizeof si);
  // nothing printed until the child is done: under qemu-user it runs on a host thread of its own
  waitid(P_ALL, 0, &si, WEXITED | WNOWAIT);
  printf("WNOWAIT saw status %d\n", si.si_status);
  memset(&si, 0, sizeof si);
  waitid(P_ALL, 0, &si, WEXITED);
  printf("waitid: code %s, status %d\n", si.si_code == CLD_EXITED ? "CLD_EXITED" : "other",
         si.si_status);
  printf("no children left: %s\n", waitid(P_ALL, 0, &si, WEXITED) == -1 ? strerror(errno) : "?");
}

static void selecting(void) {
  int fd[2];
  pipe(fd);
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(fd[0], &r);
  FD_SET(fd[1], &w);
  struct timespec ts = {0, 5000000};
  int n = pselect(fd[1] + 1, &r, &w, 0, &ts, 0);
  printf("pselect empty pipe: %d, read %d write %d\n", n, FD_ISSET(fd[0], &r), FD_ISSET(fd[1], &w));
  FD_ZERO(&r);
  FD_SET(fd[0], &r);
  n = pselect(fd[0] + 1, &r, 0, 0, &ts, 0);
  printf("pselect timeout: %d, read %d\n", n, FD_ISSET(fd[0], &r));
  if (fork() == 0) {
    usleep(2000);
    write(fd[1], "x", 1);
    _exit(0);
  }
  FD_SET(fd[0], &r);
  n = select(fd[0] + 1, &r, 0, 0, 0);
  printf("select waits for the child's write: %d, read %d\n", n, FD_ISSET(fd[0], &r));
  wait(0);
  int closed = dup(0); /* the lowest free fd, free on the host too under qemu-user */
  close(closed);
  FD_ZERO(&r);
  FD_SET(closed, &r);
  n = select(closed + 1, &r, 0, 0, 0);
  printf("select of a closed fd: %s\n", n == -1 ? strerror(errno) : "?");
}

static void signal_fd(void) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, 0);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK);
  struct signalfd_siginfo info;
  printf("signalfd empty: %s\n", read(sfd, &info, sizeof info) == -1 ? strerror(errno) : "?");
  kill(getpid(), SIGUSR1);
  fd_set r;
  FD_ZERO(&r);
  FD_SET(sfd, &r);
  printf("select sees it: %d\n", select(sfd + 1, &r, 0, 0, 0));
  ssize_t n = read(sfd, &info, sizeof info);
  printf("signalfd read %zd: signo %s, from me %s\n", n, info.ssi_signo == SIGUSR1 ? "SIGUSR1" : "?",
         yes(info.ssi_pid == (unsigned)getpid()));
  pid_t c = fork();
  if (c == 0) _exit(0);
  signalfd(sfd, &mask, 0);  // the same fd, its mask set again
  fcntl(sfd, F_SETFL, 0);    // now blocking
  n = read(sfd, &info, sizeof info);
  printf("signalfd waits for SIGCHLD: %s, pid matches %s\n",
         info.ssi_signo == SIGCHLD ? "yes" : "no", yes(info.ssi_pid == (unsigned)c));
  waitpid(c, 0, 0);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  groups();
  selecting();
  signal_fd();
  return 0;
}
