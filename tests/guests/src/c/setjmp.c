// setjmp/longjmp and sigsetjmp/siglongjmp: nesting, value 0 -> 1, volatile locals, deep unwinding,
// signal mask restore.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

static jmp_buf outer, inner;
static sigjmp_buf sj;
static int depth_reached;

static void deep(int n) {
  volatile char pad[128];
  pad[n % 128] = (char)n;
  if (n == 0) longjmp(outer, 77 + pad[0]);
  depth_reached++;
  deep(n - 1);
}

static void thrower(int v) { longjmp(inner, v); }

int main(void) {
  volatile int counter = 0;
  int r = setjmp(outer);
  counter++;
  printf("setjmp returned %d, counter %d\n", r, counter);
  if (r == 0) deep(1000);
  printf("after deep: depth %d\n", depth_reached);

  for (int v = -1; v <= 3; v++) {
    int got = setjmp(inner);
    if (got == 0) thrower(v);
    printf("longjmp(%d) -> setjmp %d\n", v, got);
  }

  volatile double fp = 1.5;
  volatile long acc = 0;
  if (setjmp(outer) == 0) {
    fp *= 3;
    acc = 99;
    longjmp(outer, 5);
  }
  printf("volatile locals after longjmp: %g %ld\n", fp, acc);

  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  int sv = sigsetjmp(sj, 1);
  if (sv == 0) {
    sigprocmask(SIG_BLOCK, &set, &old);
    sigprocmask(SIG_BLOCK, NULL, &set);
    printf("inside: SIGUSR1 blocked %d\n", sigismember(&set, SIGUSR1));
    siglongjmp(sj, 9);
  }
  sigprocmask(SIG_BLOCK, NULL, &set);
  printf("siglongjmp %d restored mask: SIGUSR1 blocked %d\n", sv, sigismember(&set, SIGUSR1));

  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sv = sigsetjmp(sj, 0);
  if (sv == 0) {
    sigprocmask(SIG_BLOCK, &set, NULL);
    siglongjmp(sj, 4);
  }
  sigprocmask(SIG_BLOCK, NULL, &set);
  printf("sigsetjmp(...,0) %d keeps mask: SIGUSR2 blocked %d\n", sv, sigismember(&set, SIGUSR2));
  return 0;
}
