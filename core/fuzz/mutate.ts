/**
 * AFL's havoc stage: a stack of 2..128 random mutations (bit flips,
 * interesting values, arithmetic in both byte orders, random bytes, block
 * deletion, cloning and overwriting, dictionary tokens), and splicing two
 * inputs at a point where they differ.
 *
 * @module
 */

import type { FuzzRandom } from "./random.ts";

/** AFL's interesting values of 8, 16 and 32 bits (each list adds to the one before). */
export const INTERESTING_8 = [-128, -1, 0, 1, 16, 32, 64, 100, 127];
export const INTERESTING_16 = [
  ...INTERESTING_8,
  -32768,
  -129,
  128,
  255,
  256,
  512,
  1000,
  1024,
  4096,
  32767,
];
export const INTERESTING_32 = [
  ...INTERESTING_16,
  -2147483648,
  -100663046,
  -32769,
  32768,
  65535,
  65536,
  100663045,
  2147483647,
];
/** Largest value added or subtracted by arithmetic mutations (AFL's ARITH_MAX). */
export const ARITH_MAX = 35;
/** Block sizes for cloning and deletion (AFL's HAVOC_BLK_*). */
const BLK_SMALL = 32, BLK_MEDIUM = 128, BLK_LARGE = 1500, BLK_XL = 32768;
/** Largest input havoc grows (AFL's MAX_FILE). */
export const MAX_FILE = 1 << 20;
/**
 * One havoc stack grows an input to at most this many times its length (or
 * {@linkcode GROWTH_FLOOR} bytes): stacked block insertions would otherwise
 * double it many times over, and large inputs are slow to copy and to run.
 */
const GROWTH = 4, GROWTH_FLOOR = 4096;

function blockLen(r: FuzzRandom, limit: number): number {
  let min: number, max: number;
  switch (r.below(3)) {
    case 0:
      [min, max] = [1, BLK_SMALL];
      break;
    case 1:
      [min, max] = [BLK_SMALL, BLK_MEDIUM];
      break;
    default:
      [min, max] = r.below(10) ? [BLK_MEDIUM, BLK_LARGE] : [BLK_LARGE, BLK_XL];
  }
  if (min >= limit) min = 1;
  return min + r.below(Math.min(max, limit) - min + 1);
}

/** Writes `v` as `size` bytes at `at`, little or big endian. */
function put(buf: Uint8Array, at: number, size: number, v: number, big: boolean): void {
  for (let k = 0; k < size; k++) buf[at + (big ? size - 1 - k : k)] = (v >>> (8 * k)) & 0xff;
}

function get(buf: Uint8Array, at: number, size: number, big: boolean): number {
  let v = 0;
  for (let k = size - 1; k >= 0; k--) v = v * 256 + buf[at + (big ? size - 1 - k : k)];
  return v;
}

/** Opens a gap of `n` bytes at `at` in `w[0, len)`; returns the new length. */
function openGap(w: Uint8Array, len: number, at: number, n: number): number {
  w.copyWithin(at + n, at, len);
  return len + n;
}

/** Scratch space for a block cloned inside the buffer it is inserted into. */
const cloneScratch = new Uint8Array(BLK_XL);
const SIZES = [1, 2, 4];
/** The buffer havoc mutates in (grown as needed; the result is copied out). */
let work = new Uint8Array(GROWTH_FLOOR);

/**
 * One random havoc mutation of `w[0, len)` in place (`w` has room for
 * `w.length` bytes); returns the new length.
 */
function mutateOnce(
  w: Uint8Array,
  len: number,
  r: FuzzRandom,
  dict: readonly Uint8Array[],
): number {
  const kind = r.below(dict.length ? 16 : 14);
  if (len === 0 && kind < 12) {
    w[0] = r.below(256);
    return 1;
  }
  const size = SIZES[r.below(3)];
  const big = r.below(2) === 1;
  switch (kind) {
    case 0: {
      const bit = r.below(len * 8);
      w[bit >> 3] ^= 128 >> (bit & 7);
      return len;
    }
    case 1:
    case 2: {
      if (len < size) return len;
      const table = size === 1 ? INTERESTING_8 : size === 2 ? INTERESTING_16 : INTERESTING_32;
      put(w, r.below(len - size + 1), size, table[r.below(table.length)], big);
      return len;
    }
    case 3:
    case 4:
    case 5: {
      if (len < size) return len;
      const at = r.below(len - size + 1), delta = 1 + r.below(ARITH_MAX);
      put(w, at, size, get(w, at, size, big) + (kind === 3 ? -delta : delta), big);
      return len;
    }
    case 6:
      w[r.below(len)] ^= 1 + r.below(255);
      return len;
    case 7:
    case 8: {
      if (len < 2) return len;
      const del = blockLen(r, len - 1);
      const at = r.below(len - del + 1);
      w.copyWithin(at, at + del, len);
      return len - del;
    }
    case 9:
    case 10:
      return insertBlock(w, len, r);
    case 11:
    case 12:
    case 13: {
      if (len < 2) return len;
      const n = blockLen(r, len - 1);
      const from = r.below(len - n + 1), to = r.below(len - n + 1);
      if (r.below(4)) w.copyWithin(to, from, from + n);
      else w.fill(r.below(2) ? r.below(256) : w[r.below(len)], to, to + n);
      return len;
    }
    case 14:
      return overwriteToken(w, len, dict[r.below(dict.length)], r);
    default:
      return insertToken(w, len, dict[r.below(dict.length)], r);
  }
}

/** Havoc's block insertion: a copy of a block of `w`, or a run of one byte, at a random place. */
function insertBlock(w: Uint8Array, len: number, r: FuzzRandom): number {
  const clone = blockLen(r, len);
  if (len + clone > w.length) return len;
  const from = r.below(len - clone + 1);
  const copy = r.below(4) !== 0;
  const value = r.below(2) ? r.below(256) : w[r.below(len)];
  if (copy) cloneScratch.set(w.subarray(from, from + clone));
  const at = r.below(len + 1);
  const grown = openGap(w, len, at, clone);
  if (copy) w.set(cloneScratch.subarray(0, clone), at);
  else w.fill(value, at, at + clone);
  return grown;
}

/** Writes the dictionary token `t` over `w` at a random place (when it fits). */
function overwriteToken(w: Uint8Array, len: number, t: Uint8Array, r: FuzzRandom): number {
  if (t.length > len) return len;
  w.set(t, r.below(len - t.length + 1));
  return len;
}

/** Inserts the dictionary token `t` into `w` at a random place (when there is room). */
function insertToken(w: Uint8Array, len: number, t: Uint8Array, r: FuzzRandom): number {
  if (len + t.length > w.length) return len;
  const at = r.below(len + 1);
  const grown = openGap(w, len, at, t.length);
  w.set(t, at);
  return grown;
}

/**
 * AFL's havoc: a copy of `input` with a stack of 2^(1..7) random mutations,
 * and how many (afl-fuzz names a find from it `op:havoc,rep:N`).
 *
 * @example
 * ```ts
 * import { havoc } from "./mutate.ts";
 * import { FuzzRandom } from "./random.ts";
 * const { data, stacked } = havoc(new Uint8Array(8), new FuzzRandom(1), []);
 * console.log(data instanceof Uint8Array, stacked >= 2 && stacked <= 128); // true true
 * ```
 */
export function havoc(
  input: Uint8Array,
  r: FuzzRandom,
  dict: readonly Uint8Array[],
): { data: Uint8Array; stacked: number } {
  const stack = 1 << (1 + r.below(7));
  const maxLen = Math.min(MAX_FILE, Math.max(input.length * GROWTH, GROWTH_FLOOR));
  if (work.length < maxLen) work = new Uint8Array(maxLen);
  const w = work.subarray(0, maxLen);
  w.set(input);
  let len = input.length;
  for (let i = 0; i < stack; i++) len = mutateOnce(w, len, r, dict);
  return { data: w.slice(0, len), stacked: stack };
}

/**
 * AFL's splice: the head of `a` up to a random point between the first and
 * last byte where `a` and `b` differ, then the tail of `b`; null when they
 * differ in fewer than two places.
 */
export function splice(a: Uint8Array, b: Uint8Array, r: FuzzRandom): Uint8Array | null {
  const n = Math.min(a.length, b.length);
  let first = -1, last = -1;
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0 || last < 2 || first === last) return null;
  const at = first + r.below(last - first);
  const out = new Uint8Array(b.length);
  out.set(a.subarray(0, at));
  out.set(b.subarray(at), at);
  return out;
}
