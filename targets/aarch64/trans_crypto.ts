/**
 * The Cryptographic Extension's translation: AES and SHA-256 through the `a64_crypto` helper
 * (`simd_crypto.ts`), SHA-1 in IR. OpenSSL's SHA-1 runs 92 of its instructions a block, each a
 * few 32-bit operations, so a helper call each made it slower than the scalar code it replaces;
 * SHA-256's rounds and AES's bytes are the helper's.
 *
 * A 32-bit word is held zero-extended in a 64-bit temp; the words of a register are its halves'
 * low and high 32 bits.
 *
 * @module
 */

import { Op, type Temp } from "../../plugin_target.ts";
import { type A64Context, imm, tmp, type TransTable } from "./context.ts";
import { A64_HELPER } from "./helpers.ts";
import { A64 } from "./state.ts";
import { setVec } from "./trans_simd.ts";

/** Each 32-bit half of `x` rotated left by `k` (1 to 31). */
function rotl32x2(ctx: A64Context, x: Temp, k: number): Temp {
  const lanes = (m: bigint) => imm(ctx, BigInt.asIntN(64, m | (m << 32n)));
  const high = lanes((0xffffffffn << BigInt(k)) & 0xffffffffn), low = lanes((1n << BigInt(k)) - 1n);
  const left = tmp(ctx, Op.AND, tmp(ctx, Op.SHL, x, imm(ctx, k)), high);
  return tmp(ctx, Op.OR, left, tmp(ctx, Op.AND, tmp(ctx, Op.SHR, x, imm(ctx, 32 - k)), low));
}

/** The four words of Vn, zero-extended. */
function words(ctx: A64Context, n: number): Temp[] {
  const k32 = imm(ctx, 32);
  return [A64.vLow(n), A64.vHigh(n)].flatMap((h) => [
    tmp(ctx, Op.EXT32U, h),
    tmp(ctx, Op.SHR, h, k32),
  ]);
}

/** Writes four zero-extended words to Vd. */
function setWords(ctx: A64Context, d: number, w: Temp[]): void {
  const k32 = imm(ctx, 32);
  const half = (lo: Temp, hi: Temp) => tmp(ctx, Op.OR, lo, tmp(ctx, Op.SHL, hi, k32));
  setVec(ctx, d, 1, half(w[0], w[1]), half(w[2], w[3]));
}

/** SHA-1's round functions on zero-extended words: Choose, Parity, Majority. */
const SHA1_F: ((ctx: A64Context, x: Temp, y: Temp, z: Temp) => Temp)[] = [
  (ctx, x, y, z) => tmp(ctx, Op.XOR, tmp(ctx, Op.AND, tmp(ctx, Op.XOR, y, z), x), z),
  (ctx, x, y, z) => tmp(ctx, Op.XOR, tmp(ctx, Op.XOR, x, y), z),
  (ctx, x, y, z) =>
    tmp(ctx, Op.OR, tmp(ctx, Op.AND, x, y), tmp(ctx, Op.AND, tmp(ctx, Op.OR, x, y), z)),
];

/** sha1c, sha1p, sha1m: four rounds on ABCD in Qd, E in Sn, the schedule words in Vm. */
function sha1Rounds(kind: number) {
  return (ctx: A64Context, a: Record<string, number>) => {
    const x = words(ctx, a.rd), w = words(ctx, a.rm), f = SHA1_F[kind];
    let y = tmp(ctx, Op.EXT32U, A64.vLow(a.rn));
    for (let e = 0; e < 4; e++) {
      const sum = [rotl32x2(ctx, x[0], 5), f(ctx, x[1], x[2], x[3]), w[e]].reduce(
        (s, v) => tmp(ctx, Op.ADD, s, v),
        y,
      );
      // <Y, X> = ROL(Y:X, 32), with X<63:32> rotated by 30 first
      y = x[3];
      x.splice(0, 4, tmp(ctx, Op.EXT32U, sum), x[0], rotl32x2(ctx, x[1], 30), x[2]);
    }
    setWords(ctx, a.rd, x);
    return true;
  };
}

/**
 * The translations.
 *
 * @example
 * ```ts
 * import { CRYPTO_TRANS } from "./trans_crypto.ts";
 * console.log(Object.keys(CRYPTO_TRANS).length); // 7
 * ```
 */
export const CRYPTO_TRANS: TransTable = {
  crypto(ctx, a) { // AES and SHA-256 (simd_crypto.ts)
    const args = [a.op, a.rd, a.rn, a.rm].map((v) => imm(ctx, v));
    ctx.ir.call(-1, A64_HELPER.CRYPTO, args);
    return true;
  },
  sha1c: sha1Rounds(0),
  sha1p: sha1Rounds(1),
  sha1m: sha1Rounds(2),
  sha1h(ctx, a) { // Vd = ROL(Sn, 30), zero-extended
    const r = rotl32x2(ctx, tmp(ctx, Op.EXT32U, A64.vLow(a.rn)), 30);
    setVec(ctx, a.rd, 0, r, r);
    return true;
  },
  sha1su0(ctx, a) { // Vn<63:0>:Vd<127:64> ^ Vd ^ Vm
    const dLo = A64.vLow(a.rd), dHi = A64.vHigh(a.rd);
    const xor = (x: Temp, y: Temp) => tmp(ctx, Op.XOR, x, y);
    const lo = xor(xor(dHi, dLo), A64.vLow(a.rm));
    setVec(ctx, a.rd, 1, lo, xor(xor(A64.vLow(a.rn), dHi), A64.vHigh(a.rm)));
    return true;
  },
  sha1su1(ctx, a) { // T = Vd ^ (Vn >> 32); each word ROL 1, word 3 ^= ROL(T<31:0>, 2)
    const nLo = A64.vLow(a.rn), nHi = A64.vHigh(a.rn), k32 = imm(ctx, 32);
    const shifted = tmp(ctx, Op.OR, tmp(ctx, Op.SHR, nLo, k32), tmp(ctx, Op.SHL, nHi, k32));
    const tLo = tmp(ctx, Op.XOR, A64.vLow(a.rd), shifted);
    const tHi = tmp(ctx, Op.XOR, A64.vHigh(a.rd), tmp(ctx, Op.SHR, nHi, k32));
    const extra = tmp(ctx, Op.SHL, rotl32x2(ctx, tmp(ctx, Op.EXT32U, tLo), 2), k32);
    setVec(ctx, a.rd, 1, rotl32x2(ctx, tLo, 1), tmp(ctx, Op.XOR, rotl32x2(ctx, tHi, 1), extra));
    return true;
  },
};
