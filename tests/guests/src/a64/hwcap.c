// The CPU features a glibc program sees, and the routines glibc picks by them.
//
// With no argument: glibc's string and memory routines (which its ifuncs choose from AT_HWCAP,
// AT_HWCAP2 and MIDR_EL1) on every small size and alignment, each result checked against a
// byte-by-byte reference here; prints one line per routine, "name ok cases checksum", or the
// first case that differs. The same on every correct CPU, so the test compares it with
// qemu-aarch64's whatever features qemu's CPU has.
//
// With the argument "features": AT_HWCAP and AT_HWCAP2, the ID registers as mrs reads them
// (Linux emulates the reads) and /proc/cpuinfo's Features line, for the test to check they
// agree with one another.
// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#define MRS(name) ({ uint64_t v; __asm__ volatile("mrs %0, " name : "=r"(v)); v; })

static void features(void) {
  printf("hwcap %lx\nhwcap2 %lx\n", getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
  printf("ID_AA64PFR0_EL1 %lx\n", MRS("S3_0_C0_C4_0"));
  printf("ID_AA64PFR1_EL1 %lx\n", MRS("S3_0_C0_C4_1"));
  printf("ID_AA64ZFR0_EL1 %lx\n", MRS("S3_0_C0_C4_4"));
  printf("ID_AA64ISAR0_EL1 %lx\n", MRS("S3_0_C0_C6_0"));
  printf("ID_AA64ISAR1_EL1 %lx\n", MRS("S3_0_C0_C6_1"));
  printf("ID_AA64MMFR2_EL1 %lx\n", MRS("S3_0_C0_C7_2"));
  printf("unallocated %lx\n", MRS("S3_0_C0_C7_7"));
  printf("MIDR_EL1 %lx\n", MRS("S3_0_C0_C0_0"));
  printf("MPIDR_EL1 %lx\n", MRS("S3_0_C0_C0_5"));
  printf("REVIDR_EL1 %lx\n", MRS("S3_0_C0_C0_6"));
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[1024];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "Features", 8) == 0) fputs(line, stdout);
  }
  if (f) fclose(f);
}

enum { SPAN = 200, ROOM = SPAN + 64 };
static unsigned char src[ROOM], dst[ROOM], want[ROOM];
static uint64_t seed = 1;

static unsigned rnd(void) {
  seed = seed * 6364136223846793005ull + 1442695040888963407ull;
  return seed >> 33;
}

/**
 * A string of `n` non-zero bytes (from a small alphabet, so bytes repeat), its NUL, and 31 more
 * bytes for the routines that read past the end.
 */
static void fill(unsigned char *p, size_t n) {
  for (size_t i = 0; i < n + 32; i++) {
    unsigned r = rnd();
    p[i] = 0x61 + (r & 3) + ((r >> 2 & 15) == 0 ? 0x80 : 0);
  }
  p[n] = 0;
}

static size_t ref_strlen(const unsigned char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

static int sgn(int v) { return (v > 0) - (v < 0); }

static int ref_cmp(const unsigned char *a, const unsigned char *b, size_t n, int strings) {
  for (size_t i = 0; i < n; i++) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    if (strings && a[i] == 0) return 0;
  }
  return 0;
}

/** A pointer into `p` as an offset, or -1 for NULL. */
static long off(const void *r, const void *p) { return r ? (const unsigned char *)r - (const unsigned char *)p : -1; }

static long ref_chr(const unsigned char *s, size_t n, int c, int last) {
  long at = -1;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == (unsigned char)c) {
      at = i;
      if (!last) break;
    }
  }
  return at;
}

struct tally {
  const char *name;
  unsigned cases;
  uint64_t sum;
  int failed;
};

static void check(struct tally *t, long got, long expect, size_t n, int a, int b) {
  t->cases++;
  t->sum = t->sum * 1000003 + (uint64_t)got;
  if (got != expect && !t->failed++) {
    printf("%s FAIL n=%zu align=%d,%d got %ld want %ld\n", t->name, n, a, b, got, expect);
  }
}

static void report(struct tally *t) {
  if (!t->failed) printf("%s ok %u %016lx\n", t->name, t->cases, (unsigned long)t->sum);
}

/** memcpy, memmove (both directions), memset: the destination against the reference. */
static void copies(size_t n, int a, int b, struct tally *t) {
  size_t end = a + n + 32; // what a routine writing past the range would reach
  fill(src, n + 16);
  memset(dst, 0x5a, end);
  memcpy(want, dst, end);
  memcpy(dst + a, src + b, n);
  for (size_t i = 0; i < n; i++) want[a + i] = src[b + i];
  check(&t[0], ref_cmp(dst, want, end, 0), 0, n, a, b);
  memcpy(want, src, end);
  memmove(src + a, src + b, n);
  for (size_t i = 0; i < n; i++) want[a + i] = dst[a + i];
  check(&t[1], ref_cmp(src, want, end, 0), 0, n, a, b);
  memcpy(want, dst, end);
  memset(dst + a, b, n);
  for (size_t i = 0; i < n; i++) want[a + i] = b;
  check(&t[2], ref_cmp(dst, want, end, 0), 0, n, a, b);
}

/** The searches and comparisons on a string of length `n` at alignment `a`. */
static void searches(size_t n, int a, int b, struct tally *t) {
  fill(src, a + n);
  unsigned char *s = src + a;
  int c = s[rnd() % (n + 1)];
  check(&t[0], strlen((char *)s), ref_strlen(s), n, a, b);
  check(&t[1], strnlen((char *)s, b), ref_strlen(s) < (size_t)b ? ref_strlen(s) : (size_t)b, n, a, b);
  check(&t[2], off(memchr(s, c, n), s), ref_chr(s, n, c, 0), n, a, b);
  check(&t[3], off(memrchr(s, c, n), s), ref_chr(s, n, c, 1), n, a, b);
  check(&t[4], off(strchr((char *)s, c), s), ref_chr(s, ref_strlen(s) + 1, c, 0), n, a, b);
  check(&t[5], off(strrchr((char *)s, c), s), ref_chr(s, ref_strlen(s) + 1, c, 1), n, a, b);
  memcpy(dst + b, s, n + 1);
  unsigned char *d = dst + b;
  if (n && rnd() % 2) d[rnd() % n] ^= 1 << (rnd() % 8);
  check(&t[6], sgn(strcmp((char *)s, (char *)d)), ref_cmp(s, d, n + 1, 1), n, a, b);
  check(&t[7], sgn(strncmp((char *)s, (char *)d, b)), ref_cmp(s, d, b, 1), n, a, b);
  check(&t[8], sgn(memcmp(s, d, n)), ref_cmp(s, d, n, 0), n, a, b);
  check(&t[9], off(stpcpy((char *)dst + b, (char *)s), dst + b), ref_strlen(s), n, a, b);
  check(&t[10], ref_cmp(dst + b, s, n + 1, 0), 0, n, a, b);
}

static void routines(void) {
  struct tally copy[] = {{"memcpy"}, {"memmove"}, {"memset"}};
  struct tally search[] = {{"strlen"}, {"strnlen"}, {"memchr"}, {"memrchr"}, {"strchr"}, {"strrchr"},
                           {"strcmp"}, {"strncmp"}, {"memcmp"}, {"stpcpy"}, {"stpcpy-bytes"}};
  for (size_t n = 0; n < SPAN - 16; n += n < 40 ? 1 : n / 2) {
    for (int a = 0; a < 16; a++) {
      for (int b = 0; b < 16; b += 7) {
        copies(n, a, b, copy);
        searches(n, a, b * 5 % 17, search);
      }
    }
  }
  for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++) report(&copy[i]);
  for (size_t i = 0; i < sizeof search / sizeof search[0]; i++) report(&search[i]);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "features") == 0) {
    features();
  } else {
    routines();
  }
  return 0;
}
