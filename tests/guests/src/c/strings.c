// string.h / strtol & friends, including every small length and alignment for the
// word-at-a-time implementations.
// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int sgn(int v) { return (v > 0) - (v < 0); }

int main(void) {
  char a[64] = "Hello", b[64];
  strcpy(b, a);
  strcat(b, ", world");
  strncat(b, "!!!???", 3);
  printf("strcpy/strcat: \"%s\" len %zu\n", b, strlen(b));
  memset(a, 'x', sizeof a);
  strncpy(a, "abc", 6);
  printf("strncpy pad: %d %d %d %c\n", a[3], a[4], a[5], a[6]);
  printf("strcmp: %d %d %d %d\n", sgn(strcmp("abc", "abd")), sgn(strcmp("abc", "abc")),
         sgn(strcmp("b", "abc")), sgn(strcmp("\xff", "a")));
  printf("strncmp: %d %d\n", sgn(strncmp("abcdef", "abcxyz", 3)), sgn(strncmp("abcdef", "abcxyz", 4)));
  printf("strcasecmp: %d %d\n", sgn(strcasecmp("HeLLo", "hello")), sgn(strncasecmp("ABx", "aby", 3)));
  const char *s = "the quick brown fox jumps over the lazy dog";
  printf("strchr: %td strrchr: %td strstr: %td %s\n", strchr(s, 'q') - s, strrchr(s, 'o') - s,
         strstr(s, "lazy") - s, strstr(s, "cat") ? "found" : "null");
  printf("strchr nul: %td memchr: %td memrchr: %td\n", strchr(s, '\0') - s, (char *)memchr(s, 'z', 43) - s,
         (char *)memrchr(s, 't', 43) - s);
  printf("strspn %zu strcspn %zu strpbrk %s\n", strspn(s, "the "), strcspn(s, "xyz"), strpbrk(s, "jx"));
  char tok[] = "a,b,,c;d;;e";
  for (char *t = strtok(tok, ",;"); t; t = strtok(NULL, ",;")) printf("[%s]", t);
  putchar('\n');
  char tok2[] = "k1=v1&k2=v2&k3";
  char *save;
  for (char *t = strtok_r(tok2, "&", &save); t; t = strtok_r(NULL, "&", &save)) printf("<%s>", t);
  putchar('\n');
  char ov[32] = "0123456789abcdefghij";
  memmove(ov + 4, ov, 10);
  printf("memmove fwd: %s\n", ov);
  memmove(ov, ov + 6, 10);
  printf("memmove back: %s\n", ov);
  char *d = strdup(s), *dn = strndup(s, 9);
  printf("strdup %s | strndup %s\n", d, dn);
  free(d);
  free(dn);
  printf("strerror: %s / %s\n", strerror(ENOENT), strerror(EINVAL));
  static const char *const NUMS[] = {"0", "-1", "+42", "0x1F", "0777", "  12abc", "9223372036854775807",
                                     "9223372036854775808", "-9223372036854775809", "z", "0b101"};
  for (unsigned i = 0; i < sizeof NUMS / sizeof NUMS[0]; i++) {
    char *end;
    errno = 0;
    long v = strtol(NUMS[i], &end, 0);
    int e1 = errno;
    errno = 0;
    unsigned long u = strtoul(NUMS[i], NULL, 16);
    printf("strtol(\"%s\",0)=%ld end+%td errno=%d strtoul16=%lu atoi=%d\n", NUMS[i], v, end - NUMS[i], e1,
           u, atoi(NUMS[i]));
  }
  printf("strtol base36 %ld base2 %ld\n", strtol("zz", NULL, 36), strtol("101101", NULL, 2));
  char up[] = "Mixed Case 123";
  for (char *p = up; *p; p++) *p = (char)toupper((unsigned char)*p);
  printf("toupper: %s\n", up);
  printf("sprintf ints: [%d] [%5d] [%-5d] [%05d] [%x] [%#o] [%lld] [%llu] [%hhd] [%+d]\n", -42, 42, 42, 42,
         0xbeef, 8, (long long)INT64_MIN, (unsigned long long)UINT64_MAX, 300, 7);
  // Sweep lengths and alignments.
  static char src[256], dst[256];
  uint64_t h = 0;
  for (int i = 0; i < 256; i++) src[i] = (char)(i * 37 + 11) ? (char)(i * 37 + 11) : 1;
  for (int off = 0; off < 8; off++) {
    for (int n = 0; n < 80; n++) {
      memset(dst, 0, sizeof dst);
      memcpy(dst + (7 - off), src + off, n);
      dst[7 - off + n] = 0;
      src[off + n] ^= 0; // no-op keeps src intact
      h = h * 131 + strlen(dst + (7 - off));
      h = h * 131 + (unsigned)sgn(memcmp(dst + (7 - off), src + off, n));
      char save_c = src[off + n];
      src[off + n] = 0;
      h = h * 131 + (unsigned)sgn(strcmp(dst + (7 - off), src + off));
      h = h * 131 + (unsigned)(strchr(src + off, src[off + n / 2]) - (src + off));
      src[off + n] = save_c;
      if (n > 0) {
        dst[7 - off + n - 1] ^= 1;
        h = h * 131 + (unsigned)sgn(memcmp(dst + (7 - off), src + off, n));
      }
    }
  }
  printf("sweep hash %016llx\n", (unsigned long long)h);
  return 0;
}
