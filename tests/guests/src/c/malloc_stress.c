// malloc/free/realloc/calloc stress with a deterministic PRNG and a content checksum.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512
static unsigned char *ptr[SLOTS];
static size_t len[SLOTS];
static uint8_t seed[SLOTS];
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static size_t pick_size(void) {
  uint64_t r = next();
  switch (r % 16) {
  case 0: return 0;
  case 1: return (size_t)(r >> 8) % (1 << 20) + 128 * 1024; // mmap-sized
  case 2: case 3: return (size_t)(r >> 8) % 65536;
  default: return (size_t)(r >> 8) % 512 + 1;
  }
}

// Slots are filled with memset and checked at sampled offsets (plus the last
// byte), so the test stresses the allocator rather than byte loops.
static int check(int i) {
  for (size_t k = 0; k < len[i]; k += 37)
    if (ptr[i][k] != seed[i]) return 0;
  return len[i] == 0 || ptr[i][len[i] - 1] == seed[i];
}

static void fillslot(int i, size_t from) {
  if (from < len[i]) memset(ptr[i] + from, seed[i], len[i] - from);
}

int main(void) {
  uint64_t sum = 0;
  unsigned bad = 0, mallocs = 0, frees = 0, reallocs = 0, callocs = 0;
  for (int step = 0; step < 4000; step++) {
    int i = (int)(next() % SLOTS);
    uint64_t op = next() % 4;
    if (ptr[i] && !check(i)) bad++;
    if (op == 0 || (!ptr[i] && op != 3)) {
      free(ptr[i]);
      frees += ptr[i] != NULL;
      len[i] = pick_size();
      seed[i] = (uint8_t)next();
      ptr[i] = malloc(len[i] ? len[i] : 1);
      mallocs++;
      fillslot(i, 0);
    } else if (op == 1) {
      free(ptr[i]);
      frees++;
      ptr[i] = NULL;
      len[i] = 0;
    } else if (op == 2) {
      size_t nl = pick_size() + 1;
      unsigned char *p = realloc(ptr[i], nl);
      if (!p) { bad++; continue; }
      reallocs++;
      ptr[i] = p;
      size_t old = len[i];
      len[i] = nl;
      fillslot(i, old < nl ? old : nl);
    } else {
      free(ptr[i]);
      size_t n = next() % 300 + 1, sz = next() % 64 + 1;
      unsigned char *p = calloc(n, sz);
      callocs++;
      for (size_t k = 0; k < n * sz; k += 13) bad += p[k] != 0;
      ptr[i] = p;
      len[i] = n * sz;
      seed[i] = (uint8_t)next();
      fillslot(i, 0);
    }
    if (ptr[i] && len[i]) sum = sum * 1000003 + ptr[i][len[i] / 2] + len[i];
  }
  for (int i = 0; i < SLOTS; i++) {
    if (ptr[i] && !check(i)) bad++;
    for (size_t k = 0; k < len[i]; k += 61) sum += ptr[i][k];
    free(ptr[i]);
  }
  void *big = calloc(1, 64 << 20);
  printf("big calloc %s\n", big ? "ok" : "failed");
  free(big);
  printf("overflowing calloc %s\n", calloc(SIZE_MAX / 2, 4) ? "succeeded?!" : "NULL");
  printf("mallocs %u frees %u reallocs %u callocs %u\n", mallocs, frees, reallocs, callocs);
  printf("checksum %016llx bad %u\n", (unsigned long long)sum, bad);
  return bad != 0;
}
