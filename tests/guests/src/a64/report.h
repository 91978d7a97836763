// What the freestanding aarch64 guests (alu.c, fp.c) share: a system call through svc, and
// put(), which prints "name value" in hex (one line per check, for the comparison with
// qemu-aarch64) and folds the value into a checksum.
// SPDX-License-Identifier: GPL-3.0-or-later
typedef unsigned long u64;

static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b,
                x2 __asm__("x2") = c;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}

static char buf[64];
static u64 checksum;

static void put(const char *name, u64 v) {
  int n = 0;
  while (name[n]) buf[n] = name[n], n++;
  buf[n++] = ' ';
  for (int i = 60; i >= 0; i -= 4) buf[n++] = "0123456789abcdef"[(v >> i) & 15];
  buf[n++] = '\n';
  sys3(64, 1, (long)buf, n);
  checksum = checksum * 31 + v;
}
