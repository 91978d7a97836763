// Signals: sigaction (SA_SIGINFO) for SIGUSR1 via raise, sa_mask and nested delivery, sigprocmask
// blocking / sigpending / unblocking, SIG_IGN, SA_RESETHAND, sigaltstack, and a SIGSEGV handler that
// siglongjmps out of a NULL write.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t log_buf[32];
static volatile sig_atomic_t log_n;
static void note(int v) { if (log_n < 32) log_buf[log_n++] = v; }
static void dump(const char *what) {
  printf("%s:", what);
  for (int i = 0; i < log_n; i++) printf(" %d", (int)log_buf[i]);
  putchar('\n');
  log_n = 0;
}

static volatile int usr1_code, usr1_signo, usr2_blocked_inside;
static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  usr1_signo = si->si_signo;
  usr1_code = si->si_code;
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  usr2_blocked_inside = sigismember(&cur, SIGUSR2);
  note(sig * 10 + 1);
  raise(SIGUSR2); // blocked by sa_mask: delivered after this handler returns
  note(sig * 10 + 2);
}
static void on_usr2(int sig) { note(sig * 10); }

static sigjmp_buf segv_env;
static volatile void *fault_addr;
static volatile int segv_code;
static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  fault_addr = si->si_addr;
  segv_code = si->si_code;
  siglongjmp(segv_env, 1);
}

static char altstack[65536];
static volatile int on_alt;
static void on_alt_handler(int sig) {
  char local;
  on_alt = (uintptr_t)&local >= (uintptr_t)altstack && (uintptr_t)&local < (uintptr_t)altstack + sizeof altstack;
  note(sig);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &sa, NULL);
  signal(SIGUSR2, on_usr2);

  printf("raise -> %d\n", raise(SIGUSR1));
  dump("order");
  printf("si_signo %d si_code %d (SI_TKILL=%d) usr2 blocked inside %d\n", usr1_signo, usr1_code, SI_TKILL,
         usr2_blocked_inside);

  sigset_t set, pend;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGUSR1);
  sigpending(&pend);
  printf("blocked: pending USR1 %d, delivered %d\n", sigismember(&pend, SIGUSR1), (int)log_n);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  dump("after unblock");
  sigpending(&pend);
  printf("pending after unblock %d\n", sigismember(&pend, SIGUSR1));

  signal(SIGUSR2, SIG_IGN);
  raise(SIGUSR2);
  kill(getpid(), SIGUSR2);
  printf("ignored SIGUSR2 survived\n");

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2;
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  struct sigaction now;
  sigaction(SIGUSR2, NULL, &now);
  dump("resethand");
  printf("handler reset to default %d\n", now.sa_handler == SIG_DFL);

  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  printf("sigaltstack %d\n", sigaltstack(&ss, NULL));
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alt_handler;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGWINCH, &sa, NULL);
  raise(SIGWINCH);
  dump("altstack");
  printf("ran on alternate stack %d\n", on_alt);

  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  for (int i = 0; i < 3; i++) {
    if (sigsetjmp(segv_env, 1) == 0) {
      volatile int *p = (volatile int *)(uintptr_t)(i * 8);
      *p = 1;
      printf("no fault?!\n");
    } else {
      printf("caught SIGSEGV #%d addr %s code %d (SEGV_MAPERR=%d)\n", i,
             fault_addr == (void *)(uintptr_t)(i * 8) ? "ok" : "wrong", segv_code, SEGV_MAPERR);
    }
  }
  sigprocmask(SIG_BLOCK, NULL, &set);
  printf("SIGSEGV blocked after siglongjmp %d\n", sigismember(&set, SIGSEGV));
  return 0;
}
