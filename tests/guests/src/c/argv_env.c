// argv / envp / auxv / stdin: prints argc, argv[1..], the environment (sorted), reads stdin fully,
// and writes one line to stderr.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv, char **envp) {
  printf("argc %d\n", argc);
  // argv[0] is the path the binary was started with; print only a path-independent fact.
  printf("argv[0] mentions argv_env: %s\n", strstr(argv[0], "argv_env") ? "yes" : "no");
  for (int i = 1; i < argc; i++) printf("argv[%d] \"%s\" len %zu\n", i, argv[i], strlen(argv[i]));
  printf("argv[argc] is NULL %d, envp == environ %d\n", argv[argc] == NULL, envp == environ);
  int n = 0;
  while (envp[n]) n++;
  char **sorted = malloc(sizeof(char *) * (n + 1));
  memcpy(sorted, envp, sizeof(char *) * n);
  qsort(sorted, n, sizeof(char *), cmp);
  printf("envc %d\n", n);
  for (int i = 0; i < n; i++) printf("env %s\n", sorted[i]);
  const char *a = getenv("A");
  printf("getenv A=%s MISSING=%s\n", a ? a : "(null)", getenv("MISSING") ? "set" : "(null)");
  printf("AT_PAGESZ %lu, AT_RANDOM %s, AT_PHENT %lu\n", getauxval(AT_PAGESZ),
         getauxval(AT_RANDOM) ? "present" : "missing", getauxval(AT_PHENT));
  printf("sysconf page %ld\n", sysconf(_SC_PAGESIZE));
  size_t total = 0, lines = 0;
  char buf[4096];
  size_t got;
  unsigned long h = 5381;
  while ((got = fread(buf, 1, sizeof buf, stdin)) > 0) {
    for (size_t i = 0; i < got; i++) {
      h = h * 33 + (unsigned char)buf[i];
      lines += buf[i] == '\n';
    }
    if (total == 0) printf("stdin starts: %.*s\n", (int)(got < 20 ? got : 20), buf);
    total += got;
  }
  printf("stdin bytes %zu lines %zu hash %lx\n", total, lines, h);
  fprintf(stderr, "this line goes to stderr\n");
  return 0;
}
