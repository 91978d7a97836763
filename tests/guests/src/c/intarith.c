// Integer arithmetic torture: add/sub/mul/mulh (via __int128), div/rem with RISC-V semantics for
// division by zero and INT_MIN/-1 (inline asm, since C leaves them undefined), shifts, 32-bit ops,
// bit tricks and 128-bit division through libgcc. Everything printed in hex.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdint.h>
#include <stdio.h>

static const uint64_t V[] = {0, 1, 2, 7, UINT64_MAX, UINT64_MAX - 1, INT64_MAX, (uint64_t)INT64_MIN,
                             0x80000000u, 0xffffffff80000000u, INT32_MAX, UINT32_MAX,
                             0xdeadbeefcafebabeu, 0x0123456789abcdefu};
#define N (sizeof V / sizeof V[0])

#define ASM2(name, insn)                                                     \
  static uint64_t name(uint64_t a, uint64_t b) {                            \
    uint64_t r;                                                             \
    __asm__ volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));        \
    return r;                                                               \
  }
ASM2(rv_div, "div") ASM2(rv_divu, "divu") ASM2(rv_rem, "rem") ASM2(rv_remu, "remu")
ASM2(rv_divw, "divw") ASM2(rv_remw, "remw") ASM2(rv_divuw, "divuw") ASM2(rv_remuw, "remuw")

int main(void) {
  for (unsigned i = 0; i < N; i++)
    for (unsigned j = 0; j < N; j++) {
      volatile uint64_t a = V[i], b = V[j];
      int64_t sa = (int64_t)a, sb = (int64_t)b;
      unsigned __int128 pu = (unsigned __int128)a * b;
      __int128 ps = (__int128)sa * sb;
      int32_t wa = (int32_t)a, wb = (int32_t)b;
      printf("%016llx %016llx: add %016llx sub %016llx mul %016llx mulhu %016llx mulh %016llx "
             "div %016llx divu %016llx rem %016llx remu %016llx\n",
             (unsigned long long)a, (unsigned long long)b, (unsigned long long)(a + b),
             (unsigned long long)(a - b), (unsigned long long)(a * b), (unsigned long long)(pu >> 64),
             (unsigned long long)(uint64_t)(ps >> 64), (unsigned long long)rv_div(a, b),
             (unsigned long long)rv_divu(a, b), (unsigned long long)rv_rem(a, b),
             (unsigned long long)rv_remu(a, b));
      printf("  w: add %08x sub %08x mul %08x divw %016llx remw %016llx divuw %016llx remuw %016llx "
             "sll %016llx srl %016llx sra %016llx sllw %08x srlw %08x sraw %08x cmp %d%d%d%d\n",
             (uint32_t)(wa + (uint32_t)wb), (uint32_t)((uint32_t)wa - (uint32_t)wb), (uint32_t)wa * (uint32_t)wb,
             (unsigned long long)rv_divw(a, b), (unsigned long long)rv_remw(a, b),
             (unsigned long long)rv_divuw(a, b), (unsigned long long)rv_remuw(a, b),
             (unsigned long long)(a << (b & 63)), (unsigned long long)(a >> (b & 63)),
             (unsigned long long)(sa >> (b & 63)), (uint32_t)a << (b & 31), (uint32_t)a >> (b & 31),
             (uint32_t)(wa >> (b & 31)), sa < sb, a < b, sa == sb, wa < wb);
    }
  for (unsigned i = 0; i < N; i++) {
    uint64_t a = V[i];
    printf("%016llx: clz %d ctz %d popcount %d parity %d bswap %016llx clz32 %d rot %016llx sext8 %lld sext16 "
           "%lld zext32 %llx\n",
           (unsigned long long)a, a ? __builtin_clzll(a) : 64, a ? __builtin_ctzll(a) : 64,
           __builtin_popcountll(a), __builtin_parityll(a), (unsigned long long)__builtin_bswap64(a),
           (uint32_t)a ? __builtin_clz((uint32_t)a) : 32, (unsigned long long)((a << 13) | (a >> 51)),
           (long long)(int8_t)a, (long long)(int16_t)a, (unsigned long long)(uint32_t)a);
  }
  unsigned __int128 big = ((unsigned __int128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL;
  for (unsigned j = 1; j < N; j++) {
    volatile uint64_t d = V[j];
    if (!d) continue;
    unsigned __int128 q = big / d, r = big % d;
    __int128 sq = (__int128)big / -(__int128)d;
    printf("u128 / %016llx = %016llx%016llx rem %016llx; s128 %016llx%016llx\n", (unsigned long long)d,
           (unsigned long long)(q >> 64), (unsigned long long)q, (unsigned long long)r,
           (unsigned long long)((unsigned __int128)sq >> 64), (unsigned long long)sq);
  }
  return 0;
}
