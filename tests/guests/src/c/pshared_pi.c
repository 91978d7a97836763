// Process-shared priority-inheritance and robust mutexes in MAP_SHARED memory, between a parent
// and a fork'd child (FUTEX_LOCK_PI/UNLOCK_PI/TRYLOCK_PI on a word whose owner is in the other
// process; the robust list of a process that exits holding a lock):
//   a PI mutex guarding a counter both processes bump, each holding it across a sleep;
//   a robust mutex, then a robust PI mutex, whose owner process exits holding it, with the
//   parent waiting in pthread_mutex_lock, and with nobody waiting: EOWNERDEAD, then usable
//   again after pthread_mutex_consistent.
// Only the parent prints. The robust cases run with argument "robust": qemu-riscv64 has no
// set_robust_list (ENOSYS), so there a lock whose owner died waits forever.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
  pthread_mutex_t m;
  volatile int counter;
  volatile int step;
};

static struct shared *shared_mutex(int robust, int pi) {
  struct shared *s = mmap(0, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (pi) pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  if (robust) pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&s->m, &a);
  pthread_mutexattr_destroy(&a);
  return s;
}

static const char *name(int r) {
  return r == 0 ? "0" : r == EOWNERDEAD ? "EOWNERDEAD" : r == EBUSY ? "EBUSY" : strerror(r);
}

#define ROUNDS 20

static void bump(struct shared *s) {
  for (int i = 0; i < ROUNDS; i++) {
    pthread_mutex_lock(&s->m);
    int v = s->counter;
    usleep(200);  // the other process finds it held
    s->counter = v + 1;
    pthread_mutex_unlock(&s->m);
  }
}

static void pi_counter(void) {
  struct shared *s = shared_mutex(0, 1);
  pid_t pid = fork();
  if (pid == 0) {
    bump(s);
    _exit(0);
  }
  bump(s);
  waitpid(pid, 0, 0);
  printf("PI mutex across processes: counter %d of %d\n", s->counter, 2 * ROUNDS);
  pid = fork();
  if (pid == 0) {
    pthread_mutex_lock(&s->m);
    s->step = 1;
    while (s->step != 2) usleep(100);
    pthread_mutex_unlock(&s->m);
    _exit(0);
  }
  while (s->step != 1) usleep(100);
  int busy = pthread_mutex_trylock(&s->m);
  s->step = 2;
  waitpid(pid, 0, 0);
  int free = pthread_mutex_trylock(&s->m);
  printf("PI mutex: trylock while the child holds it %s, after %s\n", name(busy), name(free));
  pthread_mutex_unlock(&s->m);
}

/** The child takes the lock and exits holding it; the parent waits for it (or comes later). */
static void owner_dies(const char *what, int pi, int waiting) {
  struct shared *s = shared_mutex(1, pi);
  pid_t pid = fork();
  if (pid == 0) {
    pthread_mutex_lock(&s->m);
    s->step = 1;
    if (waiting) usleep(20000);  // the parent is in pthread_mutex_lock by now
    _exit(0);
  }
  while (s->step != 1) usleep(100);
  if (!waiting) waitpid(pid, 0, 0);
  int r = pthread_mutex_lock(&s->m);
  if (waiting) waitpid(pid, 0, 0);
  int c = pthread_mutex_consistent(&s->m);
  pthread_mutex_unlock(&s->m);
  int again = pthread_mutex_lock(&s->m);
  pthread_mutex_unlock(&s->m);
  printf("%s, its owner process exited, %s: lock %s, consistent %s, then lock %s\n", what,
         waiting ? "the parent waiting" : "nobody waiting", name(r), name(c), name(again));
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2 || strcmp(argv[1], "robust") != 0) {
    pi_counter();
    return 0;
  }
  owner_dies("robust mutex", 0, 1);
  owner_dies("robust mutex", 0, 0);
  owner_dies("robust PI mutex", 1, 1);
  owner_dies("robust PI mutex", 1, 0);
  return 0;
}
