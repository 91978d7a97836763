/**
 * The Cryptographic Extension of ARMv8.0 that a Cortex-A57 has: AES (aese, aesd, aesmc, aesimc),
 * SHA-1 (sha1c, sha1p, sha1m, sha1h, sha1su0, sha1su1) and SHA-256 (sha256h, sha256h2,
 * sha256su0, sha256su1), as the Arm ARM's pseudocode defines them, by one helper on the V
 * registers in the state block. OpenSSL, the Linux crypto code and glibc-free libraries pick
 * these paths from AT_HWCAP's aes, sha1 and sha2 bits (`features.ts`).
 *
 * A register is four 32-bit words, word 0 the lowest; AES's state is its 16 bytes, byte 0 the
 * lowest, in FIPS-197's column order (byte 4c + r is row r of column c).
 *
 * @module
 */

import type { CpuCore, HelperDef } from "../../plugin_target.ts";
import { A64 } from "./state.ts";

/**
 * The operations, by the number `a64_crypto`'s first argument carries.
 *
 * @example
 * ```ts
 * import { CryptoOp } from "./simd_crypto.ts";
 * console.log(CryptoOp.SHA256H); // 8
 * ```
 */
export const CryptoOp = {
  AESE: 0,
  AESD: 1,
  AESMC: 2,
  AESIMC: 3,
  SHA1C: 4,
  SHA1P: 5,
  SHA1M: 6,
  SHA1SU0: 7,
  SHA256H: 8,
  SHA256H2: 9,
  SHA256SU1: 10,
  SHA1H: 11,
  SHA1SU1: 12,
  SHA256SU0: 13,
} as const;

/** Multiplication in GF(2^8) modulo AES's polynomial x^8 + x^4 + x^3 + x + 1. */
function gmul(a: number, b: number): number {
  let r = 0;
  for (; b; b >>= 1) {
    if (b & 1) r ^= a;
    a = (a << 1) ^ (a & 0x80 ? 0x11b : 0);
  }
  return r;
}

/** AES's S-box, from its definition: the inverse in GF(2^8), then the affine map. */
function sboxes(): { sbox: Uint8Array; inverse: Uint8Array } {
  const sbox = new Uint8Array(256), inverse = new Uint8Array(256);
  const rotl8 = (x: number, k: number) => ((x << k) | (x >> (8 - k))) & 0xff;
  for (let x = 0; x < 256; x++) {
    let inv = 0;
    for (let y = 1; x && y < 256; y++) if (gmul(x, y) === 1) inv = y;
    const s = inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63;
    sbox[x] = s;
    inverse[s] = x;
  }
  return { sbox, inverse };
}
const { sbox: SBOX, inverse: INV_SBOX } = sboxes();

/** ShiftRows and its inverse: the source byte of each byte (row r moves left or right by r). */
const SHIFT_ROWS = Array.from({ length: 16 }, (_, i) => (i & 3) + 4 * (((i >> 2) + (i & 3)) & 3));
const INV_SHIFT_ROWS = Array.from(
  { length: 16 },
  (_, i) => (i & 3) + 4 * (((i >> 2) - (i & 3)) & 3),
);
/** The first row of the MixColumns matrix and of its inverse (each next row: rotated right). */
const MIX = [2, 3, 1, 1], INV_MIX = [14, 11, 13, 9];

/** The 16 bytes of Vn. */
function bytesOf(cpu: CpuCore, n: number): Uint8Array {
  const out = new Uint8Array(16), dv = cpu.host.dv;
  for (let h = 0; h < 2; h++) {
    const at = cpu.globalHostOffset(h ? A64.vHigh(n) : A64.vLow(n));
    for (let i = 0; i < 8; i++) out[8 * h + i] = dv.getUint8(at + i);
  }
  return out;
}

/** The four 32-bit words of Vn. */
function wordsOf(cpu: CpuCore, n: number): number[] {
  const dv = cpu.host.dv, out: number[] = [];
  for (const g of [A64.vLow(n), A64.vHigh(n)]) {
    const at = cpu.globalHostOffset(g);
    out.push(dv.getUint32(at, true), dv.getUint32(at + 4, true));
  }
  return out;
}

/** Writes 16 bytes, or four words, to Vd. */
function setVd(cpu: CpuCore, d: number, v: Uint8Array | number[]): void {
  const dv = cpu.host.dv, bytes = v instanceof Uint8Array;
  for (let h = 0; h < 2; h++) {
    const at = cpu.globalHostOffset(h ? A64.vHigh(d) : A64.vLow(d));
    if (bytes) { for (let i = 0; i < 8; i++) dv.setUint8(at + i, v[8 * h + i]); }
    else for (let i = 0; i < 2; i++) dv.setUint32(at + 4 * i, v[2 * h + i] >>> 0, true);
  }
}

/** aese and aesd: AddRoundKey (Vd xor Vn), then (Inv)ShiftRows and (Inv)SubBytes. */
function aesRound(cpu: CpuCore, d: number, n: number, decrypt: boolean): void {
  const x = bytesOf(cpu, d), k = bytesOf(cpu, n), out = new Uint8Array(16);
  const [shift, sbox] = decrypt ? [INV_SHIFT_ROWS, INV_SBOX] : [SHIFT_ROWS, SBOX];
  for (let i = 0; i < 16; i++) out[i] = sbox[x[shift[i]] ^ k[shift[i]]];
  setVd(cpu, d, out);
}

/** aesmc and aesimc: (Inv)MixColumns of Vn into Vd. */
function aesMix(cpu: CpuCore, d: number, n: number, inverse: boolean): void {
  const x = bytesOf(cpu, n), out = new Uint8Array(16), row = inverse ? INV_MIX : MIX;
  for (let c = 0; c < 16; c += 4) {
    for (let r = 0; r < 4; r++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v ^= gmul(x[c + k], row[(k - r) & 3]);
      out[c + r] = v;
    }
  }
  setVd(cpu, d, out);
}

const rol = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
const ror = (x: number, k: number) => rol(x, 32 - k);
/** SHA-1's round functions: Choose (sha1c), Parity (sha1p), Majority (sha1m). */
const SHA1_F = [
  (x: number, y: number, z: number) => ((y ^ z) & x) ^ z,
  (x: number, y: number, z: number) => x ^ y ^ z,
  (x: number, y: number, z: number) => (x & y) | ((x | y) & z),
];

/** sha1c, sha1p, sha1m: four rounds on the hash ABCD in Qd, E in Sn, the schedule words in Vm. */
function sha1Rounds(cpu: CpuCore, kind: number, d: number, n: number, m: number): void {
  const x = wordsOf(cpu, d), w = wordsOf(cpu, m), f = SHA1_F[kind];
  let y = wordsOf(cpu, n)[0];
  for (let e = 0; e < 4; e++) {
    y = (y + rol(x[0], 5) + f(x[1], x[2], x[3]) + w[e]) >>> 0;
    x[1] = rol(x[1], 30);
    // <Y, X> = ROL(Y:X, 32)
    const top = x[3];
    x[3] = x[2], x[2] = x[1], x[1] = x[0], x[0] = y, y = top;
  }
  setVd(cpu, d, x);
}

/** sha256h (part 1: the new ABCD) and sha256h2 (the new EFGH): four rounds. */
function sha256Rounds(cpu: CpuCore, d: number, n: number, m: number, part1: boolean): void {
  const a = wordsOf(cpu, d), b = wordsOf(cpu, n), w = wordsOf(cpu, m);
  const [x, y] = part1 ? [a, b] : [b, a];
  for (let e = 0; e < 4; e++) {
    const chs = ((y[1] ^ y[2]) & y[0]) ^ y[2];
    const maj = (x[0] & x[1]) | ((x[0] | x[1]) & x[2]);
    const t = (y[3] + (ror(y[0], 6) ^ ror(y[0], 11) ^ ror(y[0], 25)) + chs + w[e]) >>> 0;
    x[3] = (t + x[3]) >>> 0;
    y[3] = (t + (ror(x[0], 2) ^ ror(x[0], 13) ^ ror(x[0], 22)) + maj) >>> 0;
    // <Y, X> = ROL(Y:X, 32)
    const xTop = x[3], yTop = y[3];
    x.copyWithin(1, 0, 3), y.copyWithin(1, 0, 3);
    x[0] = yTop, y[0] = xTop;
  }
  setVd(cpu, d, part1 ? x : y);
}

/** The message schedule updates. */
function schedule(cpu: CpuCore, op: number, d: number, n: number, m: number): void {
  const a = wordsOf(cpu, d), b = wordsOf(cpu, n);
  if (op === CryptoOp.SHA1SU0) {
    const c = wordsOf(cpu, m), t = [a[2], a[3], b[0], b[1]];
    return setVd(cpu, d, t.map((v, i) => v ^ a[i] ^ c[i]));
  }
  if (op === CryptoOp.SHA1SU1) {
    const t = a.map((v, i) => v ^ (b[i + 1] ?? 0));
    const out = t.map((v) => rol(v, 1));
    out[3] = (out[3] ^ rol(t[0], 2)) >>> 0;
    return setVd(cpu, d, out);
  }
  if (op === CryptoOp.SHA256SU0) {
    const t = [a[1], a[2], a[3], b[0]];
    return setVd(cpu, d, t.map((v, i) => (ror(v, 7) ^ ror(v, 18) ^ (v >>> 3)) + a[i]));
  }
  // sha256su1
  const c = wordsOf(cpu, m), t0 = [b[1], b[2], b[3], c[0]];
  const sigma1 = (v: number) => ror(v, 17) ^ ror(v, 19) ^ (v >>> 10);
  const out = [c[2], c[3], 0, 0];
  for (let e = 0; e < 4; e++) out[e] = (sigma1(e < 2 ? out[e] : out[e - 2]) + a[e] + t0[e]) >>> 0;
  setVd(cpu, d, out);
}

/** `a64_crypto`: operation `op` on Vd, Vn and Vm. */
function crypto(cpu: CpuCore, op: number, d: number, n: number, m: number): void {
  if (op <= CryptoOp.AESD) return aesRound(cpu, d, n, op === CryptoOp.AESD);
  if (op <= CryptoOp.AESIMC) return aesMix(cpu, d, n, op === CryptoOp.AESIMC);
  if (op <= CryptoOp.SHA1M) return sha1Rounds(cpu, op - CryptoOp.SHA1C, d, n, m);
  if (op === CryptoOp.SHA256H || op === CryptoOp.SHA256H2) {
    return sha256Rounds(cpu, d, n, m, op === CryptoOp.SHA256H);
  }
  if (op === CryptoOp.SHA1H) return setVd(cpu, d, [rol(wordsOf(cpu, n)[0], 30), 0, 0, 0]);
  schedule(cpu, op, d, n, m);
}

/**
 * The cryptographic helper.
 *
 * @example
 * ```ts
 * import { CRYPTO_HELPER } from "./simd_crypto.ts";
 * console.log(CRYPTO_HELPER.name); // "a64_crypto"
 * ```
 */
export const CRYPTO_HELPER: HelperDef = {
  name: "a64_crypto",
  fn: crypto,
  smallArgs: true,
  hasResult: false,
  flags: { readsState: true, writesState: true },
};
