// Minimal freestanding runtime for the instruction-level guest tests.
// No libc: _start, raw Linux syscalls (write, exit_group, mmap), buffered hex output.
// SPDX-License-Identifier: GPL-3.0-or-later
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned short u16;
typedef unsigned char u8;

// RR(op): `static u64 op_<op>(u64 a, u64 b)` running the register-register instruction `op`.
#define RR(op)                                                          \
  static u64 op_##op(u64 a, u64 b) {                                    \
    u64 r;                                                              \
    __asm__ volatile(#op " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));    \
    return r;                                                           \
  }

static long rt_syscall6(long n, long a, long b, long c, long d, long e, long f) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a3 __asm__("a3") = d;
  register long a4 __asm__("a4") = e;
  register long a5 __asm__("a5") = f;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall"
                   : "+r"(a0)
                   : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a7)
                   : "memory");
  return a0;
}

static char rt_buf[4096];
static unsigned long rt_len;

static void flush(void) {
  unsigned long off = 0;
  while (off < rt_len) {
    long n = rt_syscall6(64, 1, (long)(rt_buf + off), (long)(rt_len - off), 0, 0, 0);
    if (n <= 0) break;
    off += (unsigned long)n;
  }
  rt_len = 0;
}

static void putch(char c) {
  if (rt_len == sizeof rt_buf) flush();
  rt_buf[rt_len++] = c;
}

static void pr(const char *s) {
  while (*s) putch(*s++);
}

static void hexn(u64 v, int digits) {
  for (int i = digits - 1; i >= 0; i--) putch("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void h64(u64 v) { hexn(v, 16); }
static void h32(u64 v) { hexn(v, 8); }
static void sp(void) { putch(' '); }
static void nl(void) { putch('\n'); }

static void dec(u64 v) {
  char t[24];
  int n = 0;
  do {
    t[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) putch(t[--n]);
}

__attribute__((noreturn)) static void rt_exit(int code) {
  flush();
  for (;;) rt_syscall6(94, code, 0, 0, 0, 0, 0);
}

static void *rt_mmap(unsigned long len, int prot) {
  // MAP_PRIVATE | MAP_ANONYMOUS
  return (void *)rt_syscall6(222, 0, (long)len, prot, 0x02 | 0x20, -1, 0);
}

void *memset(void *d, int c, unsigned long n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}

void *memcpy(void *d, const void *s, unsigned long n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}

int main(void);

void rt_start_c(void) { rt_exit(main()); }

__asm__(".section .text._start,\"ax\",@progbits\n"
        ".globl _start\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "  lla gp, __global_pointer$\n"
        ".option pop\n"
        "  andi sp, sp, -16\n"
        "  call rt_start_c\n"
        "1: j 1b\n"
        ".text\n");
