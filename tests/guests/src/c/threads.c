// Threads: a pool of workers fed through a mutex and condition variables,
// thread-local storage, a barrier, per-thread and process signals, a robust
// mutex whose owner dies, a priority-inheritance mutex, and a main thread that
// leaves with pthread_exit while another thread finishes the process, and a
// pipe from a producer thread (which sleeps now and then) to a reader.
// The output does not depend on the interleaving.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define WORKERS 4
#define JOBS 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t have_job = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static int queue[JOBS], head, tail, finished, stop;
static long results[JOBS];
static __thread long tls_jobs = 100;

static long work(int n) {
  long s = 0;
  for (int i = 0; i <= n * 50; i++) s += i % 7;
  return s;
}

static void *worker(void *arg) {
  (void)arg;
  tls_jobs = 0;
  for (;;) {
    pthread_mutex_lock(&lock);
    while (head == tail && !stop) pthread_cond_wait(&have_job, &lock);
    if (head == tail) {
      pthread_mutex_unlock(&lock);
      break;
    }
    int job = queue[head++];
    pthread_mutex_unlock(&lock);
    results[job] = work(job);
    tls_jobs++;
    pthread_mutex_lock(&lock);
    if (++finished == JOBS) pthread_cond_signal(&all_done);
    pthread_mutex_unlock(&lock);
  }
  return (void *)tls_jobs;
}

static void pool(void) {
  pthread_t t[WORKERS];
  for (int i = 0; i < WORKERS; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int j = 0; j < JOBS; j++) {
    pthread_mutex_lock(&lock);
    queue[tail++] = j;
    pthread_cond_signal(&have_job);
    pthread_mutex_unlock(&lock);
  }
  pthread_mutex_lock(&lock);
  while (finished < JOBS) pthread_cond_wait(&all_done, &lock);
  stop = 1;
  pthread_cond_broadcast(&have_job);
  pthread_mutex_unlock(&lock);
  long jobs = 0, total = 0;
  for (int i = 0; i < WORKERS; i++) {
    void *r;
    pthread_join(t[i], &r);
    jobs += (long)r;
  }
  for (int j = 0; j < JOBS; j++) total += results[j];
  printf("pool: %ld jobs, total %ld, main's tls %ld\n", jobs, total, tls_jobs);
}

static pthread_barrier_t barrier;
static volatile pid_t handled_by, target_tid;
static volatile int usr2_in_blocker;

static void on_usr1(int sig) {
  (void)sig;
  handled_by = gettid();
}

static void on_usr2(int sig) {
  (void)sig;
  handled_by = gettid();
}

static void *signal_target(void *arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &s, NULL); // SIGUSR2 must go to another thread
  target_tid = gettid();
  pthread_barrier_wait(&barrier);
  while (!handled_by) sched_yield();
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier);
  return NULL;
}

static void signals(void) {
  signal(SIGUSR1, on_usr1);
  signal(SIGUSR2, on_usr2);
  pthread_barrier_init(&barrier, NULL, 2);
  pthread_t t;
  pthread_create(&t, NULL, signal_target, NULL);
  pthread_barrier_wait(&barrier);
  pthread_kill(t, SIGUSR1);
  pthread_barrier_wait(&barrier);
  printf("signals: pthread_kill reached its thread: %s\n", handled_by == target_tid ? "yes" : "no");
  handled_by = 0;
  kill(getpid(), SIGUSR2);
  while (!handled_by) sched_yield();
  printf("signals: kill went to a thread not blocking it: %s\n",
         handled_by == getpid() ? "yes" : "no");
  pthread_barrier_wait(&barrier);
  pthread_join(t, NULL);
}

static pthread_mutex_t robust;

static void *die_holding(void *arg) {
  (void)arg;
  pthread_mutex_lock(&robust);
  return NULL; // exits without unlocking
}

static void robust_mutex(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &a);
  pthread_t t;
  pthread_create(&t, NULL, die_holding, NULL);
  pthread_join(t, NULL);
  int r = pthread_mutex_lock(&robust);
  printf("robust: lock after the owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
  pthread_mutex_consistent(&robust);
  pthread_mutex_unlock(&robust);
}

static pthread_mutex_t pi;
static long pi_count;

static void *pi_worker(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000; i++) {
    pthread_mutex_lock(&pi);
    long v = pi_count;
    for (volatile int k = 0; k < 20; k++) {
    }
    pi_count = v + 1;
    pthread_mutex_unlock(&pi);
  }
  return NULL;
}

static void pi_mutex(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  pthread_mutex_init(&pi, &a);
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, pi_worker, NULL);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  printf("pi mutex: %ld increments\n", pi_count);
}

static int pipefd[2];

static void *producer(void *arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) {
    char m[16];
    int n = snprintf(m, sizeof m, "%d,", i);
    write(pipefd[1], m, n);
    if (i % 50 == 0) usleep(1000);
  }
  close(pipefd[1]);
  return NULL;
}

static void pipe_between_threads(void) {
  pipe(pipefd);
  pthread_t t;
  pthread_create(&t, NULL, producer, NULL);
  long bytes = 0, sum = 0;
  char buf[64];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) {
    bytes += n;
    for (ssize_t i = 0; i < n; i++) sum += buf[i];
  }
  pthread_join(t, NULL);
  printf("pipe: %ld bytes, checksum %ld, last read %zd\n", bytes, sum, n);
}

static void *last_thread(void *arg) {
  pthread_join(*(pthread_t *)arg, NULL);
  printf("last thread: main has gone, exiting with 0\n");
  fflush(stdout);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pool();
  signals();
  robust_mutex();
  pi_mutex();
  pipe_between_threads();
  static pthread_t self, t;
  self = pthread_self();
  pthread_create(&t, NULL, last_thread, &self);
  pthread_exit(NULL);
}
