/**
 * The bit-manipulation helpers whose IR would be long: counting (clz, ctz,
 * cpop), byte-wise operations (orc.b, rev8) and carry-less products. They are
 * pure functions of their arguments, so both engines call them without
 * syncing state. Results are signed 64-bit values, as registers hold
 * them; the translators narrow and sign-extend for 32-bit forms.
 *
 * @module
 */

import type { HelperDef } from "../../plugin.ts";

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

/** The 128-bit carry-less product of two 64-bit values. */
function clmul(a: bigint, b: bigint): bigint {
  const x = BigInt.asUintN(64, a);
  let y = BigInt.asUintN(64, b), p = 0n;
  for (let i = 0n; y !== 0n; i++, y >>= 1n) if (y & 1n) p ^= x << i;
  return p;
}

/**
 * The helpers: `clz(v, width)`, `ctz(v, width)`, `cpop(v)`, `orc_b(v)`,
 * `rev8(v)`, and `clmul(a, b, shift)` = bits `shift..shift+63` of the
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
  {
    name: "clmul",
    fn: (_cpu, a: bigint, b: bigint, shift: bigint) => BigInt.asIntN(64, clmul(a, b) >> shift),
    hasResult: true,
  },
];
