// Where mmap, mremap and brk put memory, step by step, and /proc/self/maps at the end:
// tests/mmap_layout_peer_test.ts runs it under qemu-riscv64 / qemu-aarch64 7.2 and Denemu
// (with -d page) and compares every address. Patterns: map, unmap in the middle, map again
// (no hint, a free hint, MAP_FIXED, MAP_FIXED_NOREPLACE, a large PROT_NONE reservation); mremap growing in place, growing and shrinking with MREMAP_MAYMOVE, to a
// fixed place; brk up, down, up again and into a mapping; malloc of small and large blocks.
// Nothing here asks for a used range without MAP_FIXED: qemu-user then takes what the host
// kernel gives, which moves with the host's ASLR (and so does every mapping after it).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define K 1024L
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static void say(const char *what, void *p) {
  if (p == MAP_FAILED) printf("%-24s failed, errno %d\n", what, errno);
  else printf("%-24s %p\n", what, p);
}

static void *map(const char *what, void *hint, long len, int prot, int flags) {
  void *p = mmap(hint, len, prot, flags, -1, 0);
  say(what, p);
  return p;
}

static void *remap(const char *what, void *old, long ol, long nl, int flags, void *to) {
  void *p = (void *)syscall(SYS_mremap, old, ol, nl, flags, to);
  say(what, p);
  return p;
}

static void unmap(const char *what, void *p, long len) {
  int r = munmap(p, len);
  printf("%-24s %d\n", what, r ? -errno : 0);
}

static void *brk_to(const char *what, char *to) {
  void *p = (void *)syscall(SYS_brk, to);
  say(what, p);
  return p;
}

static void holes(void) {
  char *a = map("a 64K", 0, 64 * K, RW, ANON);
  char *b = map("b 64K", 0, 64 * K, RW, ANON);
  char *c = map("c 64K", 0, 64 * K, RW, ANON);
  unmap("munmap b", b, 64 * K);
  map("d 64K after b freed", 0, 64 * K, RW, ANON);
  map("e 16K hint b (free)", b, 16 * K, RW, ANON);
  map("f 4K fixed a+16K", a + 16 * K, 4 * K, PROT_READ, ANON | MAP_FIXED);
  map("h noreplace b+32K", b + 32 * K, 8 * K, RW, ANON | MAP_FIXED_NOREPLACE);
  unmap("munmap a middle", a + 8 * K, 16 * K);
  map("i 8K", 0, 8 * K, RW, ANON);
  unmap("munmap c", c, 64 * K);
  map("j 4K", 0, 4 * K, RW, ANON);
  map("k 256M PROT_NONE", 0, 256 * K * K, PROT_NONE, ANON | MAP_NORESERVE);
  map("l 4K", 0, 4 * K, RW, ANON);
  map("m 0 bytes", 0, 0, RW, ANON);
  map("n unaligned hint c", c + 100, 4 * K, RW, ANON);
}

static void remaps(void) {
  char *a = map("r1 64K", 0, 64 * K, RW, ANON);
  strcpy(a, "kept");
  unmap("munmap r1 tail", a + 16 * K, 48 * K);
  remap("r1 grow in place", a, 16 * K, 32 * K, 0, 0);
  map("r1 blocker", a + 48 * K, 16 * K, RW, ANON);
  remap("r1 grow blocked", a, 32 * K, 64 * K, 0, 0);
  char *c = remap("r1 grow maymove", a, 32 * K, 64 * K, MREMAP_MAYMOVE, 0);
  printf("moved data: %s\n", c == MAP_FAILED ? "-" : c);
  char *d = remap("r1 shrink maymove", c, 64 * K, 8 * K, MREMAP_MAYMOVE, 0);
  char *b = map("r2 16K", 0, 16 * K, RW, ANON);
  remap("r2 shrink", b, 16 * K, 4 * K, 0, 0);
  remap("r1 fixed to r2+8K", d, 8 * K, 8 * K, MREMAP_MAYMOVE | MREMAP_FIXED, b + 8 * K);
  map("r3 4K", 0, 4 * K, RW, ANON);
}

static void brks(void) {
  char *start = brk_to("brk(0)", 0);
  brk_to("brk +100K", start + 100 * K);
  brk_to("brk +50K", start + 50 * K);
  brk_to("brk below start", start - 4 * K);
  brk_to("brk +200K", start + 200 * K);
  char *m = map("fixed at brk+512K", start + 512 * K, 64 * K, RW, ANON | MAP_FIXED);
  brk_to("brk +1M (over it)", start + 1024 * K);
  brk_to("brk +300K", start + 300 * K);
  unmap("munmap brk mapping", m, 64 * K);
  brk_to("brk +1M", start + 1024 * K);
  brk_to("brk +8K", start + 8 * K);
}

static void mallocs(void) {
  char *small[4], *big[3];
  for (int i = 0; i < 4; i++) small[i] = malloc(100 << (3 * i));
  for (int i = 0; i < 3; i++) big[i] = malloc((200 + 100 * i) * K);
  for (int i = 0; i < 4; i++) printf("malloc small %d: %p\n", i, small[i]);
  for (int i = 0; i < 3; i++) printf("malloc big %d: %p\n", i, big[i]);
  free(big[1]);
  printf("malloc big again: %p\n", malloc(300 * K));
  printf("realloc big 0: %p\n", realloc(big[0], 600 * K));
  printf("malloc 1M: %p\n", malloc(1024 * K));
}

static void maps(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    // the name after the inode: QEMU shows the host path of the program, Denemu the guest's
    char *name = strchr(line, '/');
    if (name) strcpy(name, "(file)\n");
    fputs(line, stdout);
  }
  if (f) fclose(f);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  holes();
  remaps();
  brks();
  mallocs();
  maps();
  return 0;
}
