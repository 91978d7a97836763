// MAP_SHARED and friends: a shared file mapping written back on msync, munmap
// and exit (never growing the file), shared anonymous and file memory between
// fork'd processes (a private mapping stays a copy), two mappings of one file
// seeing each other's stores at once (in one process, in two threads, and in
// two processes that each mapped the file), mremap growing, shrinking
// and moving with the data (and a MAP_SHARED mapping, anonymous or a file's,
// still shared with a fork'd child and other mappings after it), madvise(MADV_DONTNEED) zero-filling private
// anonymous memory only, and MAP_FIXED_NOREPLACE refusing a used range.
// With argument "linux" it also prints what qemu-riscv64 7.2 gets wrong (it
// maps over a used range with MAP_FIXED_NOREPLACE; its madvise ignores
// unmapped ranges; it crashes on mremap with old size 0), which tests/mmap_shared_test.ts checks against the man pages.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
static char name[64];

static void file_says(int fd, long at, const char *what) {
  char buf[32] = {0};
  pread(fd, buf, 16, at);
  struct stat st;
  fstat(fd, &st);
  printf("%s: file at %ld reads \"%s\", size %ld\n", what, at, buf, (long)st.st_size);
}

static void shared_file(void) {
  int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
  char zero[2 * PG + 100];
  memset(zero, '.', sizeof zero);
  write(fd, zero, sizeof zero);
  char *m = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  strcpy(m + 10, "via-msync");
  msync(m, PG, MS_SYNC);
  file_says(fd, 10, "msync");
  strcpy(m + PG + 5, "via-munmap");
  strcpy(m + 2 * PG + 98, "past the end");
  munmap(m, 3 * PG);
  file_says(fd, PG + 5, "munmap");
  file_says(fd, 2 * PG + 98, "the end");

  pid_t pid = fork();
  if (pid == 0) {
    char *c = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
    strcpy(c + 200, "child-exit");
    _exit(0);  // no munmap, no msync: the exit writes it back
  }
  waitpid(pid, 0, 0);
  file_says(fd, PG + 200, "child exit");

  char *p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  pid = fork();
  if (pid == 0) {
    strcpy(p + 300, "child wrote");
    _exit(0);
  }
  waitpid(pid, 0, 0);
  printf("parent sees the child's write in the file mapping: %s\n", p + 300);
  munmap(p, PG);
  close(fd);
  unlink(name);
}

static void shared_anon(void) {
  int *shared = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int *private = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  shared[0] = private[0] = 1;
  pid_t pid = fork();
  if (pid == 0) {
    while (shared[1] != 1) usleep(100);  // the parent's write after the fork
    shared[0] = 42, private[0] = 42;
    shared[2] = 1;
    _exit(0);
  }
  shared[1] = 1;
  while (shared[2] != 1) usleep(100);
  waitpid(pid, 0, 0);
  printf("shared anonymous: %d, private anonymous: %d\n", shared[0], private[0]);
  printf("fork then MAP_SHARED across both ways: %s\n", shared[0] == 42 ? "yes" : "no");
}

static volatile int *flag_a, *flag_b;

static void *bump_through_b(void *arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) {
    while (*flag_a != 2 * i + 1) sched_yield();
    *flag_b = 2 * i + 2;  // flag_a and flag_b are one int of the file, mapped twice
  }
  return 0;
}

static void two_mappings(void) {
  int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
  ftruncate(fd, 2 * PG);
  char *a = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *b = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
  strcpy(a + PG + 8, "through a");
  printf("two mappings in one process: b reads \"%s\"\n", b + 8);
  strcpy(b + 100, "through b");
  printf("two mappings in one process: a reads \"%s\"\n", a + PG + 100);
  flag_a = (volatile int *)(a + PG + 200), flag_b = (volatile int *)(b + 200);
  pthread_t t;
  pthread_create(&t, 0, bump_through_b, 0);
  for (int i = 0; i < 1000; i++) {
    *flag_a = 2 * i + 1;
    while (*flag_a != 2 * i + 2) sched_yield();
  }
  pthread_join(t, 0);
  printf("two threads, two mappings, 1000 round trips: %d\n", *flag_a);
  pid_t pid = fork();
  if (pid == 0) {
    int *c = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);  // mapped anew
    for (int i = 0; i < 100; i++) {
      while (c[75] != 2 * i + 1) usleep(10);
      c[75] = 2 * i + 2;
    }
    _exit(0);
  }
  int *d = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);  // mapped anew too
  for (int i = 0; i < 100; i++) {
    d[75] = 2 * i + 1;
    while (d[75] != 2 * i + 2) usleep(10);
  }
  waitpid(pid, 0, 0);
  printf("two processes, each its own mapping, 100 round trips: %d, via a: %d\n", d[75],
         *(int *)(a + PG + 300));
  munmap(a, 2 * PG), munmap(b, PG), munmap(d, PG);
  close(fd);
  unlink(name);
}

static void remap(void) {
  char *a = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(a, "first"), strcpy(a + PG, "second");
  char *b = mremap(a, 2 * PG, 64 * PG, MREMAP_MAYMOVE);
  b[63 * PG] = 'z';
  printf("mremap grow: %s %s %c\n", b, b + PG, b[63 * PG]);
  char *c = mremap(b, 64 * PG, PG, 0);
  printf("mremap shrink in place: %s, tail unmapped: %s\n", c == b ? "yes" : "no",
         msync(b + PG, PG, MS_ASYNC) == -1 && errno == ENOMEM ? "yes" : "no");
  char *want = mmap(0, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(want, 4 * PG);
  char *d = mremap(c, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, want + PG);
  printf("mremap fixed: at the address %s, %s\n", d == want + PG ? "yes" : "no", d);
  errno = 0;
  void *e = mremap(d, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, d + PG);
  printf("mremap fixed onto itself: %s\n", e == MAP_FAILED ? strerror(errno) : "moved");
  munmap(d, 2 * PG);
}

/** Reserves `n` free pages: an address where a MREMAP_FIXED may put a mapping. */
static char *free_pages(int n) {
  char *r = mmap(0, n * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(r, n * PG);
  return r;
}

/** The pages of shared anonymous memory, shrunk, grown in place, moved and grown: still the child's. */
static void remap_shared_anon(int linux_only) {
  char *a = mmap(0, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  // a private page right before it (mremap of old size 0 is refused there)
  char *talk = (char *)mmap(0, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) + PG;
  mmap(talk, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  pid_t pid = fork();
  if (pid == 0) {
    while (talk[0] != 1) usleep(100);
    snprintf(talk + 8, 200, "%s, %s, %s", a + 8, a + 2 * PG + 8, a + 3 * PG + 8);
    strcpy(a + PG + 8, "from the child");
    talk[1] = 1;
    _exit(0);
  }
  char *b = mremap(a, 4 * PG, 2 * PG, 0);
  char *c = mremap(b, 2 * PG, 3 * PG, 0);
  strcpy(c + 2 * PG + 8, "grown in place");
  char *d = mremap(c, 3 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, free_pages(4));
  strcpy(d + 8, "moved");
  strcpy(d + 3 * PG + 8, "moved and grown");
  talk[0] = 1;
  while (talk[1] != 1) usleep(100);
  waitpid(pid, 0, 0);
  printf("mremap shared anonymous: the child saw %s\n", talk + 8);
  printf("mremap shared anonymous: the parent sees %s\n", d + PG + 8);
  if (linux_only) {  // qemu-riscv64 7.2 crashes on these
    char *twin = mremap(d, 0, PG, MREMAP_MAYMOVE);  // the same page mapped again
    strcpy(d + 100, "one page, two places");
    printf("mremap old size 0: a second mapping %s, reads %s\n",
           twin != d ? "elsewhere" : "here", twin + 100);
    errno = 0;
    void *r = mremap(talk - PG, 0, PG, MREMAP_MAYMOVE);
    printf("mremap old size 0 of private memory: %s\n",
           r == MAP_FAILED ? strerror(errno) : "mapped");
    munmap(twin, PG);
  }
  munmap(d, 4 * PG), munmap(talk, PG);
}

/** A shared file mapping grown by mremap: its new pages are the file's, seen by every mapping. */
static void remap_shared_file(void) {
  int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
  ftruncate(fd, 4 * PG);
  char *whole = mmap(0, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  strcpy(whole + 2 * PG + 8, "in the file");
  char *one = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  pid_t pid = fork();
  if (pid == 0) {
    while (whole[0] != 1) usleep(100);
    strcpy(whole + 8, whole + 3 * PG + 8);  // what the parent wrote through the grown mapping
    strcpy(whole + PG + 8, "from the child");
    whole[1] = 1;
    _exit(0);
  }
  char *g = mremap(one, PG, 4 * PG, MREMAP_MAYMOVE);
  printf("mremap shared file: grown, it reads the file: %s\n", g + 2 * PG + 8);
  strcpy(g + 3 * PG + 8, "through the grown mapping");
  printf("mremap shared file: the other mapping at once: %s\n", whole + 3 * PG + 8);
  whole[0] = 1;
  while (whole[1] != 1) usleep(100);
  waitpid(pid, 0, 0);
  printf("mremap shared file: the child saw %s; the parent sees %s\n", g + 8, g + PG + 8);
  munmap(g, 4 * PG), munmap(whole, 4 * PG);
  file_says(fd, 3 * PG + 8, "mremap shared file, unmapped");
  close(fd);
  unlink(name);
}

static void dontneed(int linux_only) {
  char *priv = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *shr = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(priv, 'p', 2 * PG);
  memset(shr, 's', PG);
  madvise(priv, PG, MADV_DONTNEED);
  madvise(shr, PG, MADV_DONTNEED);
  printf("MADV_DONTNEED: private %d then %c, shared %c\n", priv[0], priv[PG], shr[0]);
  munmap(priv + PG, PG);
  int r = madvise(priv + PG, PG, MADV_DONTNEED);
  if (linux_only) printf("MADV_DONTNEED unmapped: %s\n", r ? strerror(errno) : "ok");
}

static void noreplace(int linux_only) {
  char *a = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(a + 2 * PG, PG);
  if (linux_only) {
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
    void *r = mmap(a + PG, PG, PROT_READ, flags, -1, 0);
    printf("MAP_FIXED_NOREPLACE on a used page: %s\n", r == MAP_FAILED ? strerror(errno) : "mapped");
    r = mmap(a + PG, PG, PROT_READ, flags | MAP_FIXED, -1, 0);
    printf("MAP_FIXED|MAP_FIXED_NOREPLACE on a used page: %s\n",
           r == MAP_FAILED ? strerror(errno) : "mapped");
  }
  void *r = mmap(a + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("MAP_FIXED_NOREPLACE on a free page: %s\n", r == a + 2 * PG ? "at the address" : "elsewhere");
}

int main(int argc, char **argv) {
  int linux_only = argc > 1 && strcmp(argv[1], "linux") == 0;
  snprintf(name, sizeof name, "mmap_shared-%d.bin", getpid());
  shared_file();
  shared_anon();
  two_mappings();
  remap();
  remap_shared_anon(linux_only);
  remap_shared_file();
  dontneed(linux_only);
  noreplace(linux_only);
  return 0;
}
