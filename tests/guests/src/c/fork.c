// Processes: a producer/consumer over a pipe between fork'd processes, dup2
// of the pipe onto stdout in a child, exit statuses and a signal death seen
// by waitpid, SIGCHLD, getppid, kill between processes, and memory that is a
// copy after fork, and SA_RESTART. The output does not depend on the interleaving.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int sigchld_seen;
static void on_chld(int sig) {
  (void)sig;
  sigchld_seen++;
}

static void pipeline(void) {
  int fd[2];
  pipe(fd);
  pid_t producer = fork();
  if (producer == 0) {
    close(fd[0]);
    dup2(fd[1], 1);
    close(fd[1]);
    for (int i = 0; i < 500; i++) printf("line %d\n", i);
    fflush(stdout);
    _exit(3);
  }
  close(fd[1]);
  pid_t consumer = fork();
  if (consumer == 0) {
    FILE *in = fdopen(fd[0], "r");
    char line[64];
    long n = 0, sum = 0;
    while (fgets(line, sizeof line, in)) {
      n++;
      sum += atoi(line + 5);
    }
    printf("consumer: %ld lines, sum %ld\n", n, sum);
    fflush(stdout);
    _exit(0);
  }
  close(fd[0]);
  int st;
  waitpid(consumer, &st, 0);
  printf("consumer exited %d\n", WEXITSTATUS(st));
  waitpid(producer, &st, 0);
  printf("producer exited %d\n", WEXITSTATUS(st));
}

static int shared_looking = 1;

static void copies(void) {
  pid_t c = fork();
  if (c == 0) {
    shared_looking = 42;
    printf("child: my parent is the parent: %s\n", getppid() > 0 ? "yes" : "no");
    fflush(stdout);
    _exit(shared_looking);
  }
  int st;
  waitpid(c, &st, 0);
  printf("parent: child exited %d, my copy is still %d\n", WEXITSTATUS(st), shared_looking);
}

static void killed(void) {
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    close(p[1]);
    char b;
    read(p[0], &b, 1); // waits forever: the parent kills it
    _exit(0);
  }
  close(p[0]);
  kill(c, SIGTERM);
  int st;
  waitpid(c, &st, 0);
  printf("killed child: signaled %d, signal %d\n", WIFSIGNALED(st), WTERMSIG(st));
  close(p[1]);
}

// A read that a SIGCHLD handler (installed with SA_RESTART by signal())
// interrupts goes on after the handler instead of failing with EINTR.
static void restarted(void) {
  int p[2];
  pipe(p);
  pid_t quick = fork();
  if (quick == 0) _exit(0);
  pid_t slow = fork();
  if (slow == 0) {
    close(p[0]);
    usleep(5000);
    write(p[1], "x", 1);
    _exit(0);
  }
  close(p[1]);
  char b = '-';
  ssize_t n = read(p[0], &b, 1);
  printf("read across SIGCHLD: %zd %c\n", n, b);
  waitpid(quick, NULL, 0);
  waitpid(slow, NULL, 0);
  close(p[0]);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGCHLD, on_chld);
  pipeline();
  copies();
  killed();
  restarted();
  printf("SIGCHLD seen: %s\n", sigchld_seen > 0 ? "yes" : "no");
  int st;
  printf("no more children: %s\n", wait(&st) < 0 ? "ECHILD" : "some");
  return 0;
}
