// qsort/bsearch over ints, strings and large structs; checksums of the sorted data.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 12345;
static uint32_t next(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 1;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}
struct rec {
  uint64_t key;
  char name[24];
  double w;
};
static int cmp_rec(const void *a, const void *b) {
  const struct rec *x = a, *y = b;
  return (x->key > y->key) - (x->key < y->key);
}

#define N 20000
static int arr[N];
static struct rec recs[3000];

int main(void) {
  for (int i = 0; i < N; i++) arr[i] = (int)(next() % 100000) - 50000;
  qsort(arr, N, sizeof arr[0], cmp_int);
  uint64_t h = 0;
  int sorted = 1;
  for (int i = 0; i < N; i++) {
    h = h * 31 + (uint32_t)arr[i];
    if (i && arr[i - 1] > arr[i]) sorted = 0;
  }
  printf("ints sorted %d first %d last %d hash %016llx\n", sorted, arr[0], arr[N - 1], (unsigned long long)h);
  int hits = 0;
  for (int k = -50000; k < 50000; k += 7) hits += bsearch(&k, arr, N, sizeof arr[0], cmp_int) != NULL;
  printf("bsearch hits %d\n", hits);

  static const char *const W[] = {"pear", "apple", "fig", "banana", "kiwi", "cherry", "date", "grape",
                                  "lemon", "mango", "apricot", "Zebra", "zebra", "", "a", "ab"};
  const char *ws[sizeof W / sizeof W[0]];
  memcpy(ws, W, sizeof W);
  qsort(ws, sizeof ws / sizeof ws[0], sizeof ws[0], cmp_str);
  for (unsigned i = 0; i < sizeof ws / sizeof ws[0]; i++) printf("%s%s", i ? "," : "", ws[i]);
  putchar('\n');
  const char *key = "kiwi";
  const char **f = bsearch(&key, ws, sizeof ws / sizeof ws[0], sizeof ws[0], cmp_str);
  printf("bsearch kiwi at %td\n", f ? f - ws : -1);

  for (int i = 0; i < 3000; i++) {
    recs[i].key = ((uint64_t)next() << 32) | (uint64_t)i;
    snprintf(recs[i].name, sizeof recs[i].name, "rec%05d", i);
    recs[i].w = i * 0.25;
  }
  qsort(recs, 3000, sizeof recs[0], cmp_rec);
  h = 0;
  for (int i = 0; i < 3000; i++) h = h * 1000003 + (uint64_t)(recs[i].w * 4) + (uint8_t)recs[i].name[7];
  printf("structs first %s last %s hash %016llx\n", recs[0].name, recs[2999].name, (unsigned long long)h);
  qsort(arr, 0, sizeof arr[0], cmp_int);
  qsort(arr, 1, sizeof arr[0], cmp_int);
  printf("degenerate ok\n");
  return 0;
}
