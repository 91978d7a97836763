/**
 * AFL's havoc stage: a stack of 2..128 random mutations (bit flips,
 * interesting values, arithmetic in both byte orders, random bytes, block
 * deletion, cloning and overwriting, dictionary tokens), and splicing two
 * inputs at a point where they differ.
 *
 * @module
 */

import type { FuzzRandom } from "./random.ts";

const INTERESTING_8 = [-128, -1, 0, 1, 16, 32, 64, 100, 127];
const INTERESTING_16 = [
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
const INTERESTING_32 = [
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
const ARITH_MAX = 35;
/** Block sizes for cloning and deletion (AFL's HAVOC_BLK_*). */
const BLK_SMALL = 32, BLK_MEDIUM = 128, BLK_LARGE = 1500, BLK_XL = 32768;
/** Largest input havoc grows (AFL's MAX_FILE). */
export const MAX_FILE = 1 << 20;

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

function splicedIn(buf: Uint8Array, at: number, insert: Uint8Array, removeLen = 0): Uint8Array {
  const out = new Uint8Array(buf.length - removeLen + insert.length);
  out.set(buf.subarray(0, at));
  out.set(insert, at);
  out.set(buf.subarray(at + removeLen), at + insert.length);
  return out;
}

/** One random havoc mutation of `buf` (which it may change in place); returns the result. */
function mutateOnce(buf: Uint8Array, r: FuzzRandom, dict: readonly Uint8Array[]): Uint8Array {
  const len = buf.length;
  const kinds = dict.length ? 16 : 14;
  const kind = r.below(kinds);
  if (len === 0 && kind < 12) return Uint8Array.of(r.below(256));
  const size = [1, 2, 4][r.below(3)];
  const big = r.below(2) === 1;
  switch (kind) {
    case 0: {
      const bit = r.below(len * 8);
      buf[bit >> 3] ^= 128 >> (bit & 7);
      return buf;
    }
    case 1:
    case 2: {
      if (len < size) return buf;
      const table = size === 1 ? INTERESTING_8 : size === 2 ? INTERESTING_16 : INTERESTING_32;
      put(buf, r.below(len - size + 1), size, table[r.below(table.length)], big);
      return buf;
    }
    case 3:
    case 4:
    case 5: {
      if (len < size) return buf;
      const at = r.below(len - size + 1), delta = 1 + r.below(ARITH_MAX);
      const v = get(buf, at, size, big) + (kind === 3 ? -delta : delta);
      put(buf, at, size, v, big);
      return buf;
    }
    case 6:
      buf[r.below(len)] ^= 1 + r.below(255);
      return buf;
    case 7:
    case 8: {
      if (len < 2) return buf;
      const del = blockLen(r, len - 1);
      const at = r.below(len - del + 1);
      return splicedIn(buf, at, new Uint8Array(), del);
    }
    case 9:
    case 10: {
      if (len + BLK_XL > MAX_FILE) return buf;
      const clone = blockLen(r, len);
      const from = r.below(len - clone + 1);
      const insert = r.below(4)
        ? buf.slice(from, from + clone)
        : new Uint8Array(clone).fill(r.below(2) ? r.below(256) : buf[r.below(len)]);
      return splicedIn(buf, r.below(len + 1), insert);
    }
    case 11:
    case 12:
    case 13: {
      if (len < 2) return buf;
      const n = blockLen(r, len - 1);
      const from = r.below(len - n + 1), to = r.below(len - n + 1);
      if (r.below(4)) buf.copyWithin(to, from, from + n);
      else buf.fill(r.below(2) ? r.below(256) : buf[r.below(len)], to, to + n);
      return buf;
    }
    case 14: {
      const t = dict[r.below(dict.length)];
      if (t.length > len) return buf;
      buf.set(t, r.below(len - t.length + 1));
      return buf;
    }
    default: {
      const t = dict[r.below(dict.length)];
      if (len + t.length > MAX_FILE) return buf;
      return splicedIn(buf, r.below(len + 1), t);
    }
  }
}

/**
 * AFL's havoc: a copy of `input` with a stack of 2^(1..7) random mutations.
 *
 * @example
 * ```ts
 * import { havoc } from "./mutate.ts";
 * import { FuzzRandom } from "./random.ts";
 * const out = havoc(new Uint8Array(8), new FuzzRandom(1), []);
 * console.log(out instanceof Uint8Array); // true
 * ```
 */
export function havoc(
  input: Uint8Array,
  r: FuzzRandom,
  dict: readonly Uint8Array[],
): Uint8Array {
  let buf: Uint8Array = input.slice();
  const stack = 1 << (1 + r.below(7));
  for (let i = 0; i < stack; i++) buf = mutateOnce(buf, r, dict);
  return buf;
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
