// Runs each 32-bit word of a file as one A64 instruction and prints what it did, one line per
// word: "WORD SIGNAL HASH", where SIGNAL is the signal that ended it (SIGTRAP: it ran and fell
// through to the brk after it; SIGILL: undefined) and HASH folds the registers the handler saw
// (x0-x30, sp, pc from the code page, NZCV, V0-V31, FPSR, FPCR). Before each word the registers
// are reset from the word's index: the general ones point into a scratch area (loads and stores
// stay in it), x30 at the brk after the word, V0-V31 hold varied patterns, NZCV and FPSR are
// clear, and FPCR's rounding mode, FZ and DN are the index's low four bits; where bit 4 is set,
// some vector registers hold single and double denormals, infinities and NaNs.
// tests/aarch64_words_test.ts runs it on Denemu and qemu-aarch64 and compares the lines.
// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE ((uint32_t *)0x100000000UL) /* far from the program: a branch lands here or faults */
#define CODE_SIZE 0x10000UL
#define SCRATCH ((uint8_t *)0x200000000UL)
#define SCRATCH_SIZE 0x100000UL
#define BRK 0xd4200000u /* brk #0 */
#define ADD_X30_8 0x910023deu /* add x30, x30, #8: the return address is a brk, not the word */

/** What enter() loads: q0-q31, x0-x30, sp, FPCR. */
struct state {
  __uint128_t v[32];
  uint64_t x[31], sp, fpcr;
};

static struct state start;
static sigjmp_buf back;
static uint64_t tls, hash;
static int last_signal;

/** Loads `s` into the registers and branches to x30 (the code page). */
void enter(const struct state *s);
__asm__(".global enter\n"
        "enter:\n"
        "  clrex\n" // no exclusive monitor left by an earlier word
        "  msr nzcv, xzr\n"
        "  msr fpsr, xzr\n"
        "  ldp q0, q1, [x0, #0]\n  ldp q2, q3, [x0, #32]\n  ldp q4, q5, [x0, #64]\n"
        "  ldp q6, q7, [x0, #96]\n  ldp q8, q9, [x0, #128]\n  ldp q10, q11, [x0, #160]\n"
        "  ldp q12, q13, [x0, #192]\n  ldp q14, q15, [x0, #224]\n  ldp q16, q17, [x0, #256]\n"
        "  ldp q18, q19, [x0, #288]\n  ldp q20, q21, [x0, #320]\n  ldp q22, q23, [x0, #352]\n"
        "  ldp q24, q25, [x0, #384]\n  ldp q26, q27, [x0, #416]\n  ldp q28, q29, [x0, #448]\n"
        "  ldp q30, q31, [x0, #480]\n"
        "  add x1, x0, #512\n"
        "  ldr x2, [x1, #248]\n  mov sp, x2\n"
        "  ldr x2, [x1, #256]\n  msr fpcr, x2\n"
        "  ldp x2, x3, [x1, #16]\n  ldp x4, x5, [x1, #32]\n  ldp x6, x7, [x1, #48]\n"
        "  ldp x8, x9, [x1, #64]\n  ldp x10, x11, [x1, #80]\n  ldp x12, x13, [x1, #96]\n"
        "  ldp x14, x15, [x1, #112]\n  ldp x16, x17, [x1, #128]\n  ldp x18, x19, [x1, #144]\n"
        "  ldp x20, x21, [x1, #160]\n  ldp x22, x23, [x1, #176]\n  ldp x24, x25, [x1, #192]\n"
        "  ldp x26, x27, [x1, #208]\n  ldp x28, x29, [x1, #224]\n  ldr x30, [x1, #240]\n"
        "  ldp x0, x1, [x1, #0]\n"
        "  br x30\n");

static void fold(uint64_t v) {
  for (int i = 0; i < 8; i++) hash = (hash ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
}

/** The fpsimd record of the signal frame (its magic is FPSIMD_MAGIC). */
static struct fpsimd_context *fpsimd_of(mcontext_t *mc) {
  struct _aarch64_ctx *c = (struct _aarch64_ctx *)mc->__reserved;
  while (c->magic && c->magic != FPSIMD_MAGIC) c = (struct _aarch64_ctx *)((char *)c + c->size);
  return c->magic ? (struct fpsimd_context *)c : 0;
}

static void on_signal(int sig, siginfo_t *info, void *ctx) {
  // The word may have written TPIDR_EL0 or FPCR: the C library wants its own back.
  __asm__ volatile("msr tpidr_el0, %0\n msr fpcr, xzr" ::"r"(tls));
  (void)info;
  mcontext_t *mc = &((ucontext_t *)ctx)->uc_mcontext;
  hash = 0xcbf29ce484222325ULL;
  for (int i = 0; i < 31; i++) fold(mc->regs[i]);
  fold(mc->sp);
  fold(mc->pc - (uint64_t)CODE);
  fold(mc->pstate >> 28);
  struct fpsimd_context *f = fpsimd_of(mc);
  if (f) {
    for (int i = 0; i < 32; i++) fold((uint64_t)f->vregs[i]), fold((uint64_t)(f->vregs[i] >> 64));
    fold(f->fpsr);
    fold(f->fpcr);
  }
  last_signal = sig;
  siglongjmp(back, 1);
}

/** xorshift64: the registers' values before word number `n`. */
static void reset(uint64_t n) {
  uint64_t r = n * 0x9e3779b97f4a7c15ULL + 1;
  for (int i = 0; i < 32; i++) {
    uint64_t lo, hi;
    r ^= r << 13, r ^= r >> 7, r ^= r << 17, lo = r;
    r ^= r << 13, r ^= r >> 7, r ^= r << 17, hi = r;
    if (n & 16 && i % 4 == 1) lo &= 0x800fffff807fffffULL, hi &= 0x000fffff807fffffULL; // denormal
    if (n & 16 && i % 4 == 2) lo |= 0x7ff000007f800000ULL, hi |= 0x7f8000007f800000ULL; // inf, NaN
    start.v[i] = ((__uint128_t)hi << 64) | lo;
  }
  for (int i = 0; i < 30; i++) start.x[i] = (uint64_t)SCRATCH + SCRATCH_SIZE / 2 + 8 * i;
  start.x[30] = (uint64_t)CODE;
  start.sp = (uint64_t)SCRATCH + SCRATCH_SIZE / 2 - 256;
  start.fpcr = (n & 15) << 22; // RMode (bits 22-23), FZ (24), DN (25)
  memset(SCRATCH, 0x5a, SCRATCH_SIZE);
}

static void run(uint32_t word, uint64_t n) {
  reset(n);
  for (unsigned i = 0; i < CODE_SIZE / 4; i++) CODE[i] = BRK;
  CODE[0] = ADD_X30_8;
  CODE[1] = word;
  __builtin___clear_cache((char *)CODE, (char *)CODE + CODE_SIZE);
  alarm(20); // a word that branches to the one before it loops for ever: SIGALRM ends it
  if (!sigsetjmp(back, 1)) enter(&start);
  alarm(0);
  printf("%08x %d %016llx\n", word, last_signal, (unsigned long long)hash);
}

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: words FILE\n"), 2;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return perror(argv[1]), 2;
  static uint32_t words[1 << 16];
  ssize_t got = read(fd, words, sizeof words);
  if (got < 0) return perror(argv[1]), 2;
  int prot = PROT_READ | PROT_WRITE | PROT_EXEC, flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
  if (mmap(CODE, CODE_SIZE, prot, flags, -1, 0) == MAP_FAILED) return perror("mmap"), 2;
  if (mmap(SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE, flags, -1, 0) == MAP_FAILED)
    return perror("mmap"), 2;
  __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tls));
  static char alt[1 << 16];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
  sigaltstack(&ss, 0);
  struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_ONSTACK};
  int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGTRAP, SIGFPE, SIGSYS, SIGALRM};
  for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, 0);
  setvbuf(stdout, 0, _IOLBF, 0); // a peer that aborts on a word has printed the ones before
  for (ssize_t i = 0; i < got / 4; i++) run(words[i], (uint64_t)i);
  return 0;
}
