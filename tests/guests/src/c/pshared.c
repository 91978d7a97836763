// Futexes between processes: a PTHREAD_PROCESS_SHARED mutex and condition variable and a
// process-shared semaphore in a MAP_SHARED | MAP_ANONYMOUS page, used by fork'd children
// (glibc's futex calls on them have no FUTEX_PRIVATE_FLAG). The children count under the mutex,
// post the semaphore the parent waits on, then take turns in order through the condition
// variable. The output does not depend on the interleaving.
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 3
#define COUNTS 2000

struct shared {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  sem_t done;
  int counter;
  int turn;
};

static void child(struct shared *s, int id) {
  for (int i = 0; i < COUNTS; i++) {
    pthread_mutex_lock(&s->lock);
    s->counter++;
    pthread_mutex_unlock(&s->lock);
    if (i % 500 == 0) sched_yield();
  }
  sem_post(&s->done);
  pthread_mutex_lock(&s->lock);
  while (s->turn != id) pthread_cond_wait(&s->changed, &s->lock);
  printf("child %d has its turn\n", id);
  fflush(stdout);
  s->turn++;
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
  _exit(10 + id);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                          -1, 0);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&s->lock, &ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&s->changed, &ca);
  sem_init(&s->done, 1, 0);
  s->turn = -1;
  pid_t pids[CHILDREN];
  for (int i = 0; i < CHILDREN; i++) {
    pids[i] = fork();
    if (pids[i] == 0) child(s, i);
  }
  for (int i = 0; i < CHILDREN; i++) sem_wait(&s->done);
  pthread_mutex_lock(&s->lock);
  printf("counted %d of %d\n", s->counter, CHILDREN * COUNTS);
  s->turn = 0;
  pthread_cond_broadcast(&s->changed);
  while (s->turn != CHILDREN) pthread_cond_wait(&s->changed, &s->lock);
  pthread_mutex_unlock(&s->lock);
  for (int i = 0; i < CHILDREN; i++) {
    int status;
    waitpid(pids[i], &status, 0);
    printf("child %d exited %d\n", i, WEXITSTATUS(status));
  }
  return 0;
}
