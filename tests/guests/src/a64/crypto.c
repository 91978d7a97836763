// The Cryptographic Extension (AES, SHA-1, SHA-256), freestanding: each instruction on 300
// random operand sets, the results folded into one hash per instruction (with Vd, Vn and Vm
// the same register too), then FIPS-197's AES-128 example encrypted and decrypted with
// aese/aesmc and aesd/aesimc, and SHA-1 and SHA-256 of "abc" with their instructions. Printed
// for the comparison with qemu-aarch64 (tests/aarch64_guests_test.ts).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <arm_neon.h>
#include "report.h"

static u64 seed = 0x243f6a8885a308d3ul;
static u64 next(void) {
  seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
  return seed;
}
static uint8x16_t random128(void) {
  return vreinterpretq_u8_u64(vcombine_u64(vcreate_u64(next()), vcreate_u64(next())));
}
static u64 fold(u64 h, uint8x16_t v) {
  uint64x2_t w = vreinterpretq_u64_u8(v);
  h = (h ^ vgetq_lane_u64(w, 0)) * 1099511628211ul;
  return (h ^ vgetq_lane_u64(w, 1)) * 1099511628211ul;
}
#define U32(v) vreinterpretq_u32_u8(v)
#define U8(v) vreinterpretq_u8_u32(v)

enum { ROUNDS = 300 };

/** Each instruction on random operands; `h` one hash per instruction. */
static void each_instruction(void) {
  u64 h[16] = {0};
  for (int i = 0; i < ROUNDS; i++) {
    uint8x16_t a = random128(), b = random128(), c = random128();
    uint32_t e = (uint32_t)next();
    h[0] = fold(h[0], vaeseq_u8(a, b));
    h[1] = fold(h[1], vaesdq_u8(a, b));
    h[2] = fold(h[2], vaesmcq_u8(a));
    h[3] = fold(h[3], vaesimcq_u8(a));
    h[4] = fold(h[4], U8(vsha1cq_u32(U32(a), e, U32(b))));
    h[5] = fold(h[5], U8(vsha1pq_u32(U32(a), e, U32(b))));
    h[6] = fold(h[6], U8(vsha1mq_u32(U32(a), e, U32(b))));
    h[7] = fold(h[7] ^ vsha1h_u32(e), U8(vsha1su0q_u32(U32(a), U32(b), U32(c))));
    h[8] = fold(h[8], U8(vsha1su1q_u32(U32(a), U32(b))));
    h[9] = fold(h[9], U8(vsha256hq_u32(U32(a), U32(b), U32(c))));
    h[10] = fold(h[10], U8(vsha256h2q_u32(U32(a), U32(b), U32(c))));
    h[11] = fold(h[11], U8(vsha256su0q_u32(U32(a), U32(b))));
    h[12] = fold(h[12], U8(vsha256su1q_u32(U32(a), U32(b), U32(c))));
    // One register for every operand (the helper reads them all before it writes).
    uint8x16_t s = a;
    __asm__("aese %0.16b, %0.16b\n\taesmc %0.16b, %0.16b" : "+w"(s));
    h[13] = fold(h[13], s);
    s = a;
    __asm__("sha256h %q0, %q0, %0.4s\n\tsha1su0 %0.4s, %0.4s, %0.4s" : "+w"(s));
    h[14] = fold(h[14], s);
    s = a;
    __asm__("sha1c %q0, %s0, %0.4s\n\tsha256su1 %0.4s, %0.4s, %0.4s" : "+w"(s));
    h[15] = fold(h[15], s);
  }
  static const char *names[16] = {
      "aese",      "aesd",    "aesmc",   "aesimc",    "sha1c",     "sha1p",
      "sha1m",     "sha1su0", "sha1su1", "sha256h",   "sha256h2",  "sha256su0",
      "sha256su1", "aes_rd",  "sha_rd1", "sha_rd2",
  };
  for (int i = 0; i < 16; i++) put(names[i], h[i]);
}

static uint8x16_t load(const unsigned char *p) {
  uint8x16_t v;
  __builtin_memcpy(&v, p, 16);
  return v;
}

/** FIPS-197 appendix C.1: AES-128, key 000102...0f, plaintext 00112233...ff. */
static void aes128(void) {
  static const unsigned char rcon[10] = {1, 2, 4, 8, 16, 32, 64, 128, 0x1b, 0x36};
  unsigned char key[176];
  for (int i = 0; i < 16; i++) key[i] = i;
  for (int i = 16; i < 176; i += 4) { // the key expansion, with aese for SubWord
    unsigned char t[4] = {key[i - 4], key[i - 3], key[i - 2], key[i - 1]};
    if (i % 16 == 0) {
      unsigned char s[16] = {0};
      for (int k = 0; k < 4; k++) s[k] = t[(k + 1) & 3]; // RotWord; row 0 does not shift
      uint8x16_t v = vaeseq_u8(load(s), vdupq_n_u8(0)); // SubBytes (and row 0's ShiftRows)
      t[0] = vgetq_lane_u8(v, 0) ^ rcon[i / 16 - 1];
      t[1] = vgetq_lane_u8(v, 13), t[2] = vgetq_lane_u8(v, 10), t[3] = vgetq_lane_u8(v, 7);
    }
    for (int k = 0; k < 4; k++) key[i + k] = key[i - 16 + k] ^ t[k];
  }
  unsigned char pt[16];
  for (int i = 0; i < 16; i++) pt[i] = i * 0x11;
  uint8x16_t s = load(pt);
  for (int r = 0; r < 9; r++) s = vaesmcq_u8(vaeseq_u8(s, load(key + 16 * r)));
  s = veorq_u8(vaeseq_u8(s, load(key + 144)), load(key + 160));
  uint64x2_t c = vreinterpretq_u64_u8(s);
  put("aes128_ct_lo", vgetq_lane_u64(c, 0));
  put("aes128_ct_hi", vgetq_lane_u64(c, 1));
  // The equivalent inverse cipher: aesimc of the middle round keys.
  s = veorq_u8(vaesdq_u8(s, load(key + 160)), vdupq_n_u8(0));
  for (int r = 9; r >= 1; r--) s = vaesdq_u8(vaesimcq_u8(s), vaesimcq_u8(load(key + 16 * r)));
  s = veorq_u8(s, load(key));
  uint64x2_t p = vreinterpretq_u64_u8(s);
  put("aes128_pt_lo", vgetq_lane_u64(p, 0));
  put("aes128_pt_hi", vgetq_lane_u64(p, 1));
}

/** The one padded block of "abc", as big-endian words. */
static void abc_block(uint32_t w[16]) {
  for (int i = 0; i < 16; i++) w[i] = 0;
  w[0] = 0x61626380, w[15] = 24;
}

static void sha1_abc(void) {
  uint32_t w[16], abcd0[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  abc_block(w);
  uint32x4_t m[4], abcd = vld1q_u32(abcd0);
  for (int i = 0; i < 4; i++) m[i] = vld1q_u32(w + 4 * i);
  uint32_t e = 0xc3d2e1f0;
  static const uint32_t K[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
  for (int g = 0; g < 20; g++) { // 20 groups of four rounds
    uint32x4_t wk = vaddq_u32(m[g & 3], vdupq_n_u32(K[g / 5]));
    uint32_t e1 = vsha1h_u32(vgetq_lane_u32(abcd, 0));
    abcd = g < 5 ? vsha1cq_u32(abcd, e, wk) : (g < 10 || g >= 15) ? vsha1pq_u32(abcd, e, wk)
                                                                  : vsha1mq_u32(abcd, e, wk);
    e = e1;
    m[g & 3] = vsha1su1q_u32(vsha1su0q_u32(m[g & 3], m[(g + 1) & 3], m[(g + 2) & 3]),
                             m[(g + 3) & 3]);
  }
  abcd = vaddq_u32(abcd, vld1q_u32(abcd0));
  put("sha1_abc_0", ((u64)vgetq_lane_u32(abcd, 0) << 32) | vgetq_lane_u32(abcd, 1));
  put("sha1_abc_1", ((u64)vgetq_lane_u32(abcd, 2) << 32) | vgetq_lane_u32(abcd, 3));
  put("sha1_abc_2", e + 0xc3d2e1f0u);
}

static void sha256_abc(void) {
  static const uint32_t H[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint32_t K[64], w[16];
  // K: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
  for (int n = 2, k = 0; k < 64; n++) {
    int prime = 1;
    for (int d = 2; d * d <= n; d++) prime &= n % d != 0;
    if (!prime) continue;
    double r = n;
    for (int i = 0; i < 60; i++) r -= (r * r * r - n) / (3 * r * r); // Newton's cube root
    K[k++] = (uint32_t)((r - (int)r) * 4294967296.0);
  }
  abc_block(w);
  uint32x4_t m[4], abcd = vld1q_u32(H), efgh = vld1q_u32(H + 4);
  for (int i = 0; i < 4; i++) m[i] = vld1q_u32(w + 4 * i);
  for (int g = 0; g < 16; g++) {
    uint32x4_t wk = vaddq_u32(m[g & 3], vld1q_u32(K + 4 * g)), old = abcd;
    abcd = vsha256hq_u32(abcd, efgh, wk);
    efgh = vsha256h2q_u32(efgh, old, wk);
    m[g & 3] = vsha256su1q_u32(vsha256su0q_u32(m[g & 3], m[(g + 1) & 3]), m[(g + 2) & 3],
                               m[(g + 3) & 3]);
  }
  abcd = vaddq_u32(abcd, vld1q_u32(H)), efgh = vaddq_u32(efgh, vld1q_u32(H + 4));
  put("sha256_abc_0", ((u64)vgetq_lane_u32(abcd, 0) << 32) | vgetq_lane_u32(abcd, 1));
  put("sha256_abc_1", ((u64)vgetq_lane_u32(abcd, 2) << 32) | vgetq_lane_u32(abcd, 3));
  put("sha256_abc_2", ((u64)vgetq_lane_u32(efgh, 0) << 32) | vgetq_lane_u32(efgh, 1));
  put("sha256_abc_3", ((u64)vgetq_lane_u32(efgh, 2) << 32) | vgetq_lane_u32(efgh, 3));
}

void _start(void) {
  each_instruction();
  aes128();
  sha1_abc();
  sha256_abc();
  put("checksum", checksum);
  sys3(93, 0, 0, 0);
}
