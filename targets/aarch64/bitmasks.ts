/**
 * The Arm ARM's `DecodeBitMasks`: the masks of logical immediates and of the
 * bitfield moves, computed at translation time.
 *
 * @module
 */

/** Ones in the low `n` bits. */
const ones = (n: number): bigint => (1n << BigInt(n)) - 1n;

/** `v` (of `size` bits) rotated right by `r`. */
export function rotateRight(v: bigint, r: number, size: number): bigint {
  if (r === 0) return v;
  return ((v >> BigInt(r)) | (v << BigInt(size - r))) & ones(size);
}

/** `v` (of `esize` bits) repeated to fill `size` bits. */
function replicate(v: bigint, esize: number, size: number): bigint {
  let out = 0n;
  for (let i = 0; i < size; i += esize) out |= v << BigInt(i);
  return out;
}

/**
 * The write mask and the top mask of `(n, imms, immr)` for a `size`-bit
 * operation, or null for a reserved encoding. `logical`: a logical
 * immediate, where an all-ones element is reserved.
 *
 * @example
 * ```ts
 * import { decodeBitMasks } from "./bitmasks.ts";
 * console.log(decodeBitMasks(1, 0b000111, 0, true, 64)?.wmask); // 255n
 * ```
 */
export function decodeBitMasks(
  n: number,
  imms: number,
  immr: number,
  logical: boolean,
  size: number,
): { wmask: bigint; tmask: bigint } | null {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return null;
  const len = 31 - Math.clz32(combined);
  if (len < 1 || (1 << len) > size) return null;
  const levels = (1 << len) - 1;
  if (logical && (imms & levels) === levels) return null;
  const s = imms & levels, r = immr & levels;
  const esize = 1 << len;
  const d = (s - r) & levels;
  const welem = rotateRight(ones(s + 1), r, esize);
  return { wmask: replicate(welem, esize, size), tmask: replicate(ones(d + 1), esize, size) };
}
