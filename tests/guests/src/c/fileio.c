// File I/O inside the directory argv[1] (must exist, empty): open/write/read/lseek/pread/pwrite,
// stat/fstat/lstat, ftruncate, readdir (sorted), rename, symlink/readlink, unlink, mkdir/rmdir,
// stdio, dup/dup2, pipe, and the errno of failing calls.
// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) { printf("opendir %s failed errno %d\n", dir, errno); return; }
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  printf("ls %s:", dir);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  putchar('\n');
}

static void st(const char *p) {
  struct stat s;
  if (lstat(p, &s) != 0) { printf("lstat %s: errno %d\n", p, errno); return; }
  const char *t = S_ISREG(s.st_mode) ? "file" : S_ISDIR(s.st_mode) ? "dir" : S_ISLNK(s.st_mode) ? "link" : "other";
  printf("lstat %s: %s mode %04o", p, t, (unsigned)(s.st_mode & 07777));
  if (!S_ISDIR(s.st_mode)) printf(" size %lld", (long long)s.st_size);
  printf(" nlink %lu\n", S_ISDIR(s.st_mode) ? 0UL : (unsigned long)s.st_nlink);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: fileio DIR\n"); return 2; }
  umask(022);
  if (chdir(argv[1]) != 0) { printf("chdir failed errno %d\n", errno); return 1; }
  list(".");
  int fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  char buf[10000];
  for (int i = 0; i < 10000; i++) buf[i] = (char)('a' + i % 26);
  printf("write %zd\n", write(fd, buf, sizeof buf));
  printf("lseek cur %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  printf("lseek set %lld\n", (long long)lseek(fd, 100, SEEK_SET));
  printf("write %zd\n", write(fd, "HELLO", 5));
  printf("lseek end %lld\n", (long long)lseek(fd, -3, SEEK_END));
  printf("pwrite %zd\n", pwrite(fd, "xyz", 3, 20000));
  struct stat s;
  fstat(fd, &s);
  printf("fstat size %lld\n", (long long)s.st_size);
  close(fd);
  fd = open("a.txt", O_RDONLY);
  char rb[32] = {0};
  printf("read %zd: %.10s\n", read(fd, rb, 10), rb);
  lseek(fd, 98, SEEK_SET);
  memset(rb, 0, sizeof rb);
  printf("read %zd: %.10s\n", read(fd, rb, 10), rb);
  memset(rb, 0, sizeof rb);
  printf("pread hole %zd: %d %d\n", pread(fd, rb, 4, 15000), rb[0], rb[3]);
  printf("pread end %zd: %.3s\n", pread(fd, rb, 10, 20000), rb);
  printf("read at eof %zd\n", (lseek(fd, 0, SEEK_END), read(fd, rb, 5)));
  int fd2 = dup(fd);
  printf("dup shares offset %lld\n", (long long)lseek(fd2, 0, SEEK_CUR));
  close(fd2);
  close(fd);
  printf("truncate %d\n", truncate("a.txt", 50));
  st("a.txt");
  printf("mkdir sub %d\n", mkdir("sub", 0755));
  printf("mkdir sub again %d errno %d\n", mkdir("sub", 0755), errno);
  FILE *f = fopen("sub/b.txt", "w+");
  fprintf(f, "line one\nline two %d\n", 2);
  fputs("line three\n", f);
  printf("ftell %ld\n", ftell(f));
  rewind(f);
  char line[64];
  while (fgets(line, sizeof line, f)) printf("fgets: %s", line);
  fseek(f, 5, SEEK_SET);
  printf("fgetc after fseek: %c\n", fgetc(f));
  fclose(f);
  printf("rename %d\n", rename("a.txt", "sub/c.txt"));
  printf("symlink %d\n", symlink("c.txt", "sub/link"));
  char lb[64] = {0};
  printf("readlink %zd %s\n", readlink("sub/link", lb, sizeof lb - 1), lb);
  printf("chmod %d\n", chmod("sub/b.txt", 0600));
  printf("link %d\n", link("sub/b.txt", "hard"));
  st("sub");
  st("sub/b.txt");
  st("sub/c.txt");
  st("sub/link");
  st("hard");
  list(".");
  list("sub");
  printf("access c.txt R_OK %d, nope %d errno %d\n", access("sub/c.txt", R_OK), access("nope", F_OK), errno);
  printf("open missing %d errno %d\n", open("missing", O_RDONLY), errno);
  printf("open excl %d errno %d\n", open("hard", O_CREAT | O_EXCL | O_WRONLY, 0600), errno);
  // flags whose bits differ between machines (arm64 numbers O_DIRECTORY and O_NOFOLLOW otherwise)
  errno = 0;
  printf("open file O_DIRECTORY %d errno %d\n", open("hard", O_RDONLY | O_DIRECTORY), errno);
  errno = 0;
  printf("open link O_NOFOLLOW %d errno %d\n", open("sub/link", O_RDONLY | O_NOFOLLOW), errno);
  int dfd = open("sub", O_RDONLY | O_DIRECTORY);
  printf("open dir O_DIRECTORY ok %d\n", dfd >= 0);
  close(dfd);
  printf("rmdir nonempty %d errno %d\n", rmdir("sub"), errno);
  printf("unlink dir %d errno %d\n", unlink("sub"), errno);
  int p[2];
  printf("pipe %d\n", pipe(p));
  printf("pipe write %zd\n", write(p[1], "through the pipe", 16));
  close(p[1]);
  memset(rb, 0, sizeof rb);
  printf("pipe read %zd %s, then %zd\n", read(p[0], rb, sizeof rb), rb, read(p[0], rb, 4));
  close(p[0]);
  int out = dup(1);
  fflush(stdout);
  int nf = open("redir.txt", O_CREAT | O_RDWR, 0644);
  dup2(nf, 1);
  printf("this goes to the file\n");
  fflush(stdout);
  dup2(out, 1);
  lseek(nf, 0, SEEK_SET);
  memset(rb, 0, sizeof rb);
  read(nf, rb, sizeof rb - 1);
  close(nf);
  printf("redirected: %s", rb);
  printf("unlink %d %d %d %d %d\n", unlink("sub/link"), unlink("sub/b.txt"), unlink("sub/c.txt"), unlink("hard"),
         unlink("redir.txt"));
  printf("rmdir %d\n", rmdir("sub"));
  list(".");
  return 0;
}
