// /proc for the guest: /proc/self/maps parsed as pmap-style code does (the
// mappings of code, data, stack, heap and files with their permissions,
// offsets and inodes), /proc/self/{exe,auxv,cmdline,status,stat,fd/} and a
// lookup through /proc/self/root. Prints only what does not depend on where
// the emulator placed things, so qemu-riscv64 prints the same.
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct mapping {
  unsigned long lo, hi, offset, inode;
  char perms[8], name[PATH_MAX];
};

static int data_word = 1;
static char fname[64]; // a file of this run in the cwd

static int find(unsigned long addr, struct mapping *out) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[PATH_MAX + 128];
  unsigned long prev_hi = 0;
  int found = 0, bad = 0;
  while (fgets(line, sizeof line, f)) {
    struct mapping m = {0};
    unsigned dmaj, dmin;
    int n = sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %s", &m.lo, &m.hi, m.perms, &m.offset, &dmaj,
                   &dmin, &m.inode, m.name);
    if (n < 7 || m.lo >= m.hi || m.lo < prev_hi || strlen(m.perms) != 4) bad++;
    if (n == 8 && strncmp(line + 73, m.name, strlen(m.name)) != 0) bad++; // Linux's name column
    prev_hi = m.hi;
    if (addr >= m.lo && addr < m.hi) *out = m, found = 1;
  }
  fclose(f);
  if (bad) printf("maps: %d malformed or unordered lines\n", bad);
  return found;
}

static const char *base(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static void show(const char *what, void *addr) {
  struct mapping m;
  if (!find((unsigned long)addr, &m)) {
    printf("%s: not in maps\n", what);
    return;
  }
  printf("%s: %s\n", what, m.perms);
}

static void maps(const char *exe) {
  int local = 0;
  struct mapping m;
  show("code", (void *)maps);
  find((unsigned long)maps, &m);
  printf("code file is the program: %s\n", strcmp(base(m.name), base(exe)) == 0 ? "yes" : "no");
  show("data", &data_word);
  show("stack", &local);
  find((unsigned long)&local, &m);
  printf("stack name: %s\n", m.name);
  char *small = malloc(64);
  show("heap", small);
  free(small);

  int fd = open(fname, O_RDWR | O_CREAT | O_TRUNC, 0600);
  char page[4096];
  for (int i = 0; i < 3; i++) memset(page, 'a' + i, sizeof page), write(fd, page, sizeof page);
  struct stat st;
  fstat(fd, &st);
  char *p = mmap(0, 8192, PROT_READ, MAP_PRIVATE, fd, 4096);
  find((unsigned long)p + 4096, &m);
  printf("file: %s offset %lx, named: %s, inode matches: %s, first byte %c\n", m.perms, m.offset,
         strcmp(base(m.name), fname) ? "no" : "yes", m.inode == st.st_ino ? "yes" : "no", p[0]);
  munmap(p, 8192);
  printf("unmapped file gone: %s\n", find((unsigned long)p, &m) ? "no" : "yes");
  char *s = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  show("shared anonymous", s);
  munmap(s, 4096);
  close(fd);
}

static void self_files(int argc, char **argv) {
  char buf[4096];
  int fd = open("/proc/self/cmdline", O_RDONLY);
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  printf("cmdline: argv[0] %s", strcmp(buf, argv[0]) == 0 ? "matches" : "differs");
  for (char *q = buf + strlen(buf) + 1; q < buf + n; q += strlen(q) + 1) printf(" [%s]", q);
  printf(" (argc %d)\n", argc);

  fd = open("/proc/self/auxv", O_RDONLY);
  unsigned long av[256];
  n = read(fd, av, sizeof av);
  close(fd);
  int pagesz = 0, entry = 0;
  for (int i = 0; i + 1 < n / 8 && av[i]; i += 2) {
    if (av[i] == AT_PAGESZ) pagesz = (int)av[i + 1];
    if (av[i] == AT_ENTRY) entry = av[i + 1] == getauxval(AT_ENTRY);
  }
  printf("auxv: AT_PAGESZ %d, AT_ENTRY as getauxval: %s\n", pagesz, entry ? "yes" : "no");

  char exe[PATH_MAX], real[PATH_MAX];
  n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n < 0 ? 0 : n] = 0;
  printf("exe is the program: %s\n", realpath(argv[0], real) && !strcmp(exe, real) ? "yes" : "no");
  fd = open("/proc/self/exe", O_RDONLY);
  unsigned char magic[4] = {0};
  read(fd, magic, 4);
  close(fd);
  printf("exe starts %02x %c%c%c\n", magic[0], magic[1], magic[2], magic[3]);
}

static int field(const char *file, const char *key, long *value) {
  FILE *f = fopen(file, "r");
  char line[512];
  int found = 0;
  while (f && fgets(line, sizeof line, f)) {
    if (!strncmp(line, key, strlen(key))) found = sscanf(line + strlen(key), "%ld", value) == 1;
  }
  if (f) fclose(f);
  return found;
}

static void status_and_fds(void) {
  long v = 0;
  printf("status Pid is getpid: %s\n", field("/proc/self/status", "Pid:", &v) && v == getpid() ? "yes" : "no");
  printf("status PPid is getppid: %s\n",
         field("/proc/self/status", "PPid:", &v) && v == getppid() ? "yes" : "no");
  FILE *f = fopen("/proc/self/stat", "r");
  long pid = 0;
  printf("stat starts with the pid: %s\n", f && fscanf(f, "%ld", &pid) == 1 && pid == getpid() ? "yes" : "no");
  if (f) fclose(f);
  printf("meminfo has MemTotal: %s\n", field("/proc/meminfo", "MemTotal:", &v) && v > 0 ? "yes" : "no");

  int fd = open(fname, O_RDONLY);
  DIR *d = opendir("/proc/self/fd");
  int listed = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) listed |= atoi(e->d_name) == fd;
  if (d) closedir(d);
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  target[n < 0 ? 0 : n] = 0;
  printf("fd %d listed: %s, links to the file: %s\n", fd, listed ? "yes" : "no",
         strcmp(base(target), fname) ? "no" : "yes");
  close(fd);

  char cwd[PATH_MAX], via_root[PATH_MAX + 32];
  getcwd(cwd, sizeof cwd);
  snprintf(via_root, sizeof via_root, "/proc/self/root%s/%s", cwd, fname);
  struct stat a, b;
  int same = stat(via_root, &a) == 0 && stat(fname, &b) == 0 && a.st_ino == b.st_ino;
  printf("/proc/self/root reaches the same file: %s\n", same ? "yes" : "no");
  unlink(fname);
}

int main(int argc, char **argv) {
  snprintf(fname, sizeof fname, "procfs-%d.bin", getpid());
  maps(argv[0]);
  self_files(argc, argv);
  status_and_fds();
  return 0;
}
