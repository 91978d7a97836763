// A planted race: two threads add to a shared counter with a plain load and
// store and a little work between them, so an update is lost whenever a
// thread switch falls inside that window. With the argument "cas" they add
// with a compare-and-swap loop (LR/SC on riscv64) instead, which loses
// nothing whatever the interleaving. Prints the final count and exits 1 when
// an update was lost.
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define N 300
static volatile long counter;
static int use_cas;

static void *add(void *arg) {
  (void)arg;
  for (int i = 0; i < N; i++) {
    if (use_cas) {
      long v = counter;
      while (!__atomic_compare_exchange_n(&counter, &v, v + 1, 1, __ATOMIC_SEQ_CST,
                                          __ATOMIC_RELAXED)) {
      }
      continue;
    }
    long v = counter;
    for (volatile int k = 0; k < 3; k++) {
    }
    counter = v + 1;
  }
  return NULL;
}

int main(int argc, char **argv) {
  use_cas = argc > 1 && strcmp(argv[1], "cas") == 0;
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, add, NULL);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  printf("counter %ld of %d\n", counter, 2 * N);
  return counter == 2 * N ? 0 : 1;
}
