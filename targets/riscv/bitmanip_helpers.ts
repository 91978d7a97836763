/**
 * The bit-manipulation helpers whose IR would be long: counting (clz, ctz,
 * cpop), byte-wise operations (orc.b, rev8, brev8), bit interleaving (zip,
 * unzip), crossbar permutations (xperm4, xperm8) and carry-less products. They are
 * pure functions of their arguments, so both engines call them without
 * syncing state. Results are signed 64-bit values, as registers hold
 * them; the translators narrow and sign-extend for 32-bit forms.
 *
 * @module
 */

import type { HelperDef } from "../../plugin_target.ts";

/** Leading zeros of the low `width` bits of `v`. */
function clz(v: bigint, width: bigint): bigint {
  const x = BigInt.asUintN(Number(width), v);
  return x === 0n ? width : width - BigInt(x.toString(2).length);
}

/** Trailing zeros of the low `width` bits of `v`. */
function ctz(v: bigint, width: bigint): bigint {
  const x = BigInt.asUintN(Number(width), v);
  if (x === 0n) return width;
  let n = 0n;
  for (let y = x; (y & 1n) === 0n; y >>= 1n) n++;
  return n;
}

function cpop(v: bigint): bigint {
  let n = 0n;
  for (let x = BigInt.asUintN(64, v); x !== 0n; x &= x - 1n) n++;
  return n;
}

/** Each byte becomes 0xff if it was non-zero. */
function orcB(v: bigint): bigint {
  let out = 0n;
  for (let i = 0n; i < 64n; i += 8n) if ((v >> i) & 0xffn) out |= 0xffn << i;
  return out;
}

/** The 8 bytes in reverse order. */
function rev8(v: bigint): bigint {
  let out = 0n;
  for (let i = 0n; i < 64n; i += 8n) out = (out << 8n) | ((v >> i) & 0xffn);
  return out;
}

/** The bits of each byte in reverse order (brev8). */
function brev8(v: bigint): bigint {
  let out = 0n;
  for (let bit = 0n; bit < 64n; bit++) {
    if ((v >> bit) & 1n) out |= 1n << ((bit & ~7n) | (7n - (bit & 7n)));
  }
  return out;
}

/** zip: bit i of the low half goes to bit 2i, bit i of the high half to 2i+1 (32 bits). */
function zip32(v: bigint): bigint {
  let out = 0n;
  for (let i = 0n; i < 16n; i++) {
    out |= ((v >> i) & 1n) << (2n * i) | ((v >> (i + 16n)) & 1n) << (2n * i + 1n);
  }
  return out;
}

/** unzip, zip's inverse: even bits to the low half, odd bits to the high half (32 bits). */
function unzip32(v: bigint): bigint {
  let out = 0n;
  for (let i = 0n; i < 16n; i++) {
    out |= ((v >> (2n * i)) & 1n) << i | ((v >> (2n * i + 1n)) & 1n) << (i + 16n);
  }
  return out;
}

/**
 * xperm4/xperm8: each `size`-bit element of `indices` picks that element of
 * `table` (0 when the index is past XLEN), over the low `xlen` bits.
 */
function xperm(table: bigint, indices: bigint, size: bigint, xlen: bigint): bigint {
  const mask = (1n << size) - 1n, count = xlen / size;
  let out = 0n;
  for (let i = 0n; i < xlen; i += size) {
    const index = (indices >> i) & mask;
    if (index < count) out |= ((table >> (index * size)) & mask) << i;
  }
  return BigInt.asIntN(Number(xlen), out);
}

/** The 128-bit carry-less product of two 64-bit values. */
function clmul(a: bigint, b: bigint): bigint {
  const x = BigInt.asUintN(64, a);
  let y = BigInt.asUintN(64, b), p = 0n;
  for (let i = 0n; y !== 0n; i++, y >>= 1n) if (y & 1n) p ^= x << i;
  return p;
}

/**
 * The helpers: `clz(v, width)`, `ctz(v, width)`, `cpop(v)`, `orc_b(v)`,
 * `rev8(v)`, `brev8(v)`, `zip(v)` and `unzip(v)` (low word),
 * `xperm(table, indices, size, xlen)` (xperm4 and xperm8, sign-extended
 * from XLEN), and `clmul(a, b, shift)` = bits `shift..shift+63` of the
 * carry-less product (0: clmul, 64: clmulh, 63: clmulr).
 *
 * @example
 * ```ts
 * import { BITMANIP_HELPERS } from "./bitmanip_helpers.ts";
 * const cpop = BITMANIP_HELPERS.find((h) => h.name === "cpop")!;
 * console.log(cpop.fn(null as never, 0xf0n)); // 4n
 * ```
 */
export const BITMANIP_HELPERS: HelperDef[] = [
  { name: "clz", fn: (_cpu, v: bigint, w: bigint) => clz(v, w), hasResult: true },
  { name: "ctz", fn: (_cpu, v: bigint, w: bigint) => ctz(v, w), hasResult: true },
  { name: "cpop", fn: (_cpu, v: bigint) => cpop(v), hasResult: true },
  { name: "orc_b", fn: (_cpu, v: bigint) => BigInt.asIntN(64, orcB(v)), hasResult: true },
  { name: "rev8", fn: (_cpu, v: bigint) => BigInt.asIntN(64, rev8(v)), hasResult: true },
  { name: "brev8", fn: (_cpu, v: bigint) => BigInt.asIntN(64, brev8(v)), hasResult: true },
  { name: "zip", fn: (_cpu, v: bigint) => zip32(v), hasResult: true },
  { name: "unzip", fn: (_cpu, v: bigint) => unzip32(v), hasResult: true },
  {
    name: "xperm",
    fn: (_cpu, t: bigint, i: bigint, size: bigint, xlen: bigint) => xperm(t, i, size, xlen),
    hasResult: true,
  },
  {
    name: "clmul",
    fn: (_cpu, a: bigint, b: bigint, shift: bigint) => BigInt.asIntN(64, clmul(a, b) >> shift),
    hasResult: true,
  },
];
