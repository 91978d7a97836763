/**
 * The Cryptographic Extension of ARMv8.0 that a Cortex-A57 has, but SHA-1 (IR: `trans_crypto.ts`):
 * AES (aese, aesd, aesmc, aesimc) and SHA-256 (sha256h, sha256h2, sha256su0, sha256su1), as the
 * Arm ARM's pseudocode defines them, by one helper on the V registers in the state block. OpenSSL, the Linux crypto code and glibc-free libraries pick
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
 * console.log(CryptoOp.SHA256H); // 4
 * ```
 */
export const CryptoOp = {
  AESE: 0,
  AESD: 1,
  AESMC: 2,
  AESIMC: 3,
  SHA256H: 4,
  SHA256H2: 5,
  SHA256SU0: 6,
  SHA256SU1: 7,
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
/**
 * MixColumns and its inverse: the first row of each matrix (each next row is it rotated right),
 * as tables of the products by its coefficients.
 */
const mulTables = (row: number[]) =>
  row.map((c) => Uint8Array.from({ length: 256 }, (_, x) => gmul(x, c)));
const MIX = mulTables([2, 3, 1, 1]), INV_MIX = mulTables([14, 11, 13, 9]);

/** Scratch state of the AES operations (a helper runs to its end: no other call shares them). */
const aesIn = new Uint8Array(16), aesKey = new Uint8Array(16), aesOut = new Uint8Array(16);

/** Reads the 16 bytes of Vn into `out`. */
function readBytes(cpu: CpuCore, n: number, out: Uint8Array): Uint8Array {
  const mem = cpu.host.u8, lo = cpu.globalHostOffset(A64.vLow(n));
  const hi = cpu.globalHostOffset(A64.vHigh(n));
  out.set(mem.subarray(lo, lo + 8));
  out.set(mem.subarray(hi, hi + 8), 8);
  return out;
}

/** Scratch words of the SHA-256 operations: Vd, Vn, Vm and the result. */
const wd = new Uint32Array(4), wn = new Uint32Array(4), wm = new Uint32Array(4);
const wOut = new Uint32Array(4);

/** Reads the four 32-bit words of Vn into `out`. */
function readWords(cpu: CpuCore, n: number, out: Uint32Array): Uint32Array {
  const dv = cpu.host.dv, lo = cpu.globalHostOffset(A64.vLow(n));
  const hi = cpu.globalHostOffset(A64.vHigh(n));
  out[0] = dv.getUint32(lo, true), out[1] = dv.getUint32(lo + 4, true);
  out[2] = dv.getUint32(hi, true), out[3] = dv.getUint32(hi + 4, true);
  return out;
}

/** Writes 16 bytes, or four words, to Vd. */
function setVd(cpu: CpuCore, d: number, v: Uint8Array | Uint32Array): void {
  const u8 = new Uint8Array(v.buffer, v.byteOffset, 16);
  cpu.host.u8.set(u8.subarray(0, 8), cpu.globalHostOffset(A64.vLow(d)));
  cpu.host.u8.set(u8.subarray(8), cpu.globalHostOffset(A64.vHigh(d)));
}

/** aese and aesd: AddRoundKey (Vd xor Vn), then (Inv)ShiftRows and (Inv)SubBytes. */
function aesRound(cpu: CpuCore, d: number, n: number, decrypt: boolean): void {
  const x = readBytes(cpu, d, aesIn), k = readBytes(cpu, n, aesKey);
  const [shift, sbox] = decrypt ? [INV_SHIFT_ROWS, INV_SBOX] : [SHIFT_ROWS, SBOX];
  for (let i = 0; i < 16; i++) aesOut[i] = sbox[x[shift[i]] ^ k[shift[i]]];
  setVd(cpu, d, aesOut);
}

/** aesmc and aesimc: (Inv)MixColumns of Vn into Vd. */
function aesMix(cpu: CpuCore, d: number, n: number, inverse: boolean): void {
  const x = readBytes(cpu, n, aesIn), [m0, m1, m2, m3] = inverse ? INV_MIX : MIX;
  for (let c = 0; c < 16; c += 4) {
    const a0 = x[c], a1 = x[c + 1], a2 = x[c + 2], a3 = x[c + 3];
    aesOut[c] = m0[a0] ^ m1[a1] ^ m2[a2] ^ m3[a3];
    aesOut[c + 1] = m3[a0] ^ m0[a1] ^ m1[a2] ^ m2[a3];
    aesOut[c + 2] = m2[a0] ^ m3[a1] ^ m0[a2] ^ m1[a3];
    aesOut[c + 3] = m1[a0] ^ m2[a1] ^ m3[a2] ^ m0[a3];
  }
  setVd(cpu, d, aesOut);
}

const ror = (x: number, k: number) => ((x >>> k) | (x << (32 - k))) >>> 0;
/** sha256h (part 1: the new ABCD) and sha256h2 (the new EFGH): four rounds. */
function sha256Rounds(cpu: CpuCore, d: number, n: number, m: number, part1: boolean): void {
  const w = readWords(cpu, m, wm);
  let [x0, x1, x2, x3] = readWords(cpu, part1 ? d : n, wd);
  let [y0, y1, y2, y3] = readWords(cpu, part1 ? n : d, wn);
  for (let e = 0; e < 4; e++) {
    const chs = ((y1 ^ y2) & y0) ^ y2, maj = (x0 & x1) | ((x0 | x1) & x2);
    const t = y3 + (ror(y0, 6) ^ ror(y0, 11) ^ ror(y0, 25)) + chs + w[e];
    const xTop = (t + x3) >>> 0, yTop = (t + (ror(x0, 2) ^ ror(x0, 13) ^ ror(x0, 22)) + maj) >>> 0;
    // <Y, X> = ROL(Y:X, 32)
    x3 = x2, x2 = x1, x1 = x0, x0 = yTop;
    y3 = y2, y2 = y1, y1 = y0, y0 = xTop;
  }
  if (part1) wOut[0] = x0, wOut[1] = x1, wOut[2] = x2, wOut[3] = x3;
  else wOut[0] = y0, wOut[1] = y1, wOut[2] = y2, wOut[3] = y3;
  setVd(cpu, d, wOut);
}

const sigma0 = (v: number) => ror(v, 7) ^ ror(v, 18) ^ (v >>> 3);
const sigma1 = (v: number) => ror(v, 17) ^ ror(v, 19) ^ (v >>> 10);

/** SHA-256's message schedule updates. */
function schedule(cpu: CpuCore, op: number, d: number, n: number, m: number): void {
  const a = readWords(cpu, d, wd), b = readWords(cpu, n, wn), o = wOut;
  if (op === CryptoOp.SHA256SU0) {
    o[0] = sigma0(a[1]) + a[0], o[1] = sigma0(a[2]) + a[1];
    o[2] = sigma0(a[3]) + a[2], o[3] = sigma0(b[0]) + a[3];
  } else {
    const c = readWords(cpu, m, wm);
    o[0] = sigma1(c[2]) + a[0] + b[1], o[1] = sigma1(c[3]) + a[1] + b[2];
    o[2] = sigma1(o[0]) + a[2] + b[3], o[3] = sigma1(o[1]) + a[3] + c[0];
  }
  setVd(cpu, d, o);
}

/** `a64_crypto`: operation `op` on Vd, Vn and Vm. */
function crypto(cpu: CpuCore, op: number, d: number, n: number, m: number): void {
  if (op <= CryptoOp.AESD) return aesRound(cpu, d, n, op === CryptoOp.AESD);
  if (op <= CryptoOp.AESIMC) return aesMix(cpu, d, n, op === CryptoOp.AESIMC);
  if (op === CryptoOp.SHA256H || op === CryptoOp.SHA256H2) {
    return sha256Rounds(cpu, d, n, m, op === CryptoOp.SHA256H);
  }
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
