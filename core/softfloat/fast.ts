/**
 * Fast paths built on the host's IEEE-754 `number` arithmetic (which rounds
 * to nearest-even). Each function returns `undefined` when it cannot prove
 * that its answer and flags equal the exact slow path; callers then fall
 * back. Only RNE is handled, and only when operands and result are finite
 * and the result is comfortably normal (so UF/OF can never arise).
 *
 * Inexactness is decided exactly:
 * - f64 add: TwoSum error term;
 * - f64 mul/div/sqrt: Dekker (Veltkamp split) product error / residual;
 * - f32: the double-precision result is exact (mul) or is checked by an
 *   exact double product (div, sqrt) or TwoSum (add). Rounding a double
 *   result of + - * / sqrt of binary32 operands to binary32 is a correct
 *   single rounding because 53 >= 2*24 + 2.
 *
 * @module
 */

import { type FloatEnv, FloatFlag } from "./format.ts";

const buf = new ArrayBuffer(8);
const f64v = new Float64Array(buf);
const u64v = new BigUint64Array(buf);
const f32v = new Float32Array(buf);
const u32v = new Uint32Array(buf);

/** Reinterpret a binary64 bit pattern as a number. */
export function bitsToF64(a: bigint): number {
  u64v[0] = a;
  return f64v[0];
}

/** Reinterpret a (non-NaN) number as a binary64 bit pattern. */
export function f64ToBits(x: number): bigint {
  f64v[0] = x;
  return u64v[0];
}

/** Reinterpret a binary32 bit pattern as a number. */
export function bitsToF32(a: bigint): number {
  u32v[0] = Number(a);
  return f32v[0];
}

/** Reinterpret a (non-NaN, binary32-representable) number as a binary32 bit pattern. */
export function f32ToBits(x: number): bigint {
  f32v[0] = x;
  return BigInt(u32v[0]);
}

/** The bits of a fast path's result, or undefined. */
function f64BitsOf(x: number | undefined): bigint | undefined {
  return x === undefined ? undefined : f64ToBits(x);
}

/** The binary32 bits of a fast path's result, or undefined. */
function f32BitsOf(x: number | undefined): bigint | undefined {
  return x === undefined ? undefined : f32ToBits(x);
}

const MIN_NORMAL_F64 = 2 ** -1022;
const MIN_NORMAL_F32 = 2 ** -126;
const ADD_LIMIT = 2 ** 1020;
/** Operand range in which Dekker's product is exact (no overflow, no underflow). */
const SAFE_LO = 2 ** -450;
const SAFE_HI = 2 ** 450;
const SPLITTER = 134217729; // 2^27 + 1

/** Exact error x*y - fl(x*y) for x, y in [SAFE_LO, SAFE_HI] (Dekker). */
function productError(x: number, y: number, p: number): number {
  let c = SPLITTER * x;
  const xh = c - (c - x);
  const xl = x - xh;
  c = SPLITTER * y;
  const yh = c - (c - y);
  const yl = y - yh;
  return xl * yl - (((p - xh * yh) - xl * yh) - xh * yl);
}

function inSafe(ax: number): boolean {
  return ax >= SAFE_LO && ax <= SAFE_HI;
}

/**
 * f64 `x + y` in RNE, or undefined: the number form of {@linkcode addF64Fast}.
 *
 * @example
 * ```ts
 * import { addF64Number } from "./fast.ts";
 * const env = { rm: 0, flags: 0 };
 * console.log(addF64Number(1, 2 ** -60, env), env.flags !== 0); // 1 true
 * ```
 */
export function addF64Number(x: number, y: number, env: FloatEnv): number | undefined {
  if (env.rm !== 0) return undefined;
  const s = x + y;
  const as = Math.abs(s);
  if (
    !(as > MIN_NORMAL_F64 && as < ADD_LIMIT && Math.abs(x) < ADD_LIMIT && Math.abs(y) < ADD_LIMIT)
  ) return undefined;
  const bb = s - x;
  const err = (x - (s - bb)) + (y - bb);
  if (err !== 0) env.flags |= FloatFlag.NX;
  return s;
}

/** f64 a + b in RNE, or undefined. */
export function addF64Fast(a: bigint, b: bigint, env: FloatEnv): bigint | undefined {
  return f64BitsOf(addF64Number(bitsToF64(a), bitsToF64(b), env));
}

/**
 * f64 `x * y` in RNE, or undefined: the number form of {@linkcode mulF64Fast}.
 *
 * @example
 * ```ts
 * import { mulF64Number } from "./fast.ts";
 * console.log(mulF64Number(3, 0.5, { rm: 0, flags: 0 })); // 1.5
 * ```
 */
export function mulF64Number(x: number, y: number, env: FloatEnv): number | undefined {
  if (env.rm !== 0) return undefined;
  if (!(inSafe(Math.abs(x)) && inSafe(Math.abs(y)))) return undefined;
  const p = x * y;
  if (productError(x, y, p) !== 0) env.flags |= FloatFlag.NX;
  return p;
}

/** f64 a * b in RNE, or undefined. */
export function mulF64Fast(a: bigint, b: bigint, env: FloatEnv): bigint | undefined {
  return f64BitsOf(mulF64Number(bitsToF64(a), bitsToF64(b), env));
}

/** f64 a / b in RNE, or undefined. */
export function divF64Fast(a: bigint, b: bigint, env: FloatEnv): bigint | undefined {
  if (env.rm !== 0) return undefined;
  const x = bitsToF64(a);
  const y = bitsToF64(b);
  const q = x / y;
  if (!(inSafe(Math.abs(q)) && inSafe(Math.abs(y)))) return undefined;
  const ph = q * y;
  if (ph !== x || productError(q, y, ph) !== 0) env.flags |= FloatFlag.NX;
  return f64ToBits(q);
}

/** f64 sqrt(a) in RNE, or undefined. */
export function sqrtF64Fast(a: bigint, env: FloatEnv): bigint | undefined {
  if (env.rm !== 0) return undefined;
  const x = bitsToF64(a);
  const r = Math.sqrt(x);
  if (!inSafe(r)) return undefined;
  const ph = r * r;
  if (ph !== x || productError(r, r, ph) !== 0) env.flags |= FloatFlag.NX;
  return f64ToBits(r);
}

function f32Ok(r: number): boolean {
  const ar = Math.abs(r);
  return ar > MIN_NORMAL_F32 && ar < Infinity;
}

/**
 * f32 `x + y` in RNE (binary32 values as numbers), or undefined: the number form of
 * {@linkcode addF32Fast}.
 *
 * @example
 * ```ts
 * import { addF32Number } from "./fast.ts";
 * console.log(addF32Number(1, 0.5, { rm: 0, flags: 0 })); // 1.5
 * ```
 */
export function addF32Number(x: number, y: number, env: FloatEnv): number | undefined {
  if (env.rm !== 0) return undefined;
  const s = x + y;
  const r = Math.fround(s);
  if (!f32Ok(r)) return undefined;
  const bb = s - x;
  const err = (x - (s - bb)) + (y - bb);
  if (err !== 0 || r !== s) env.flags |= FloatFlag.NX;
  return r;
}

/** f32 a + b in RNE, or undefined. */
export function addF32Fast(a: bigint, b: bigint, env: FloatEnv): bigint | undefined {
  return f32BitsOf(addF32Number(bitsToF32(a), bitsToF32(b), env));
}

/**
 * f32 `x * y` in RNE (binary32 values as numbers), or undefined: the number form of
 * {@linkcode mulF32Fast}.
 *
 * @example
 * ```ts
 * import { mulF32Number } from "./fast.ts";
 * console.log(mulF32Number(3, 0.5, { rm: 0, flags: 0 })); // 1.5
 * ```
 */
export function mulF32Number(x: number, y: number, env: FloatEnv): number | undefined {
  if (env.rm !== 0) return undefined;
  const p = x * y; // exact: 24x24 bits within double range
  const r = Math.fround(p);
  if (!f32Ok(r)) return undefined;
  if (r !== p) env.flags |= FloatFlag.NX;
  return r;
}

/** f32 a * b in RNE, or undefined. */
export function mulF32Fast(a: bigint, b: bigint, env: FloatEnv): bigint | undefined {
  return f32BitsOf(mulF32Number(bitsToF32(a), bitsToF32(b), env));
}

/** f32 a / b in RNE, or undefined. */
export function divF32Fast(a: bigint, b: bigint, env: FloatEnv): bigint | undefined {
  if (env.rm !== 0) return undefined;
  const x = bitsToF32(a);
  const y = bitsToF32(b);
  const r = Math.fround(x / y);
  if (!f32Ok(r)) return undefined;
  if (r * y !== x) env.flags |= FloatFlag.NX; // r*y is exact in double
  return f32ToBits(r);
}

/** f32 sqrt(a) in RNE, or undefined. */
export function sqrtF32Fast(a: bigint, env: FloatEnv): bigint | undefined {
  if (env.rm !== 0) return undefined;
  const x = bitsToF32(a);
  const r = Math.fround(Math.sqrt(x));
  if (!f32Ok(r)) return undefined;
  if (r * r !== x) env.flags |= FloatFlag.NX;
  return f32ToBits(r);
}

/**
 * f32 fused `x*y + z` in RNE (binary32 values as numbers), or undefined. The product is exact in
 * a double; when TwoSum shows the double sum is exact too, one `fround` is the single correct
 * rounding.
 *
 * @example
 * ```ts
 * import { fmaF32Number } from "./fast.ts";
 * console.log(fmaF32Number(3, 0.5, 1, { rm: 0, flags: 0 })); // 2.5
 * ```
 */
export function fmaF32Number(x: number, y: number, z: number, env: FloatEnv): number | undefined {
  if (env.rm !== 0) return undefined;
  const p = x * y;
  const s = p + z;
  const r = Math.fround(s);
  if (!f32Ok(r)) return undefined;
  const bb = s - p;
  const err = (p - (s - bb)) + (z - bb); // exact value is s + err
  if (err !== 0 && r !== s) {
    // s = RN64(exact). Rounding s to binary32 equals rounding the exact value
    // unless s sits exactly on a binary32 midpoint: then bail out.
    f32v[0] = r;
    u32v[0] = (s > r) === (r > 0) ? u32v[0] + 1 : u32v[0] - 1;
    if ((s - r) * 2 === f32v[0] - r) return undefined;
  }
  if (err !== 0 || r !== s) env.flags |= FloatFlag.NX;
  return r;
}

/** f32 fused ±(a*b) ± c in RNE, or undefined (see {@linkcode fmaF32Number}). */
export function fmaF32Fast(
  a: bigint,
  b: bigint,
  c: bigint,
  negP: boolean,
  negC: boolean,
  env: FloatEnv,
): bigint | undefined {
  const x = bitsToF32(a), z = bitsToF32(c);
  return f32BitsOf(fmaF32Number(negP ? -x : x, bitsToF32(b), negC ? -z : z, env));
}

/**
 * f64 fused `x*y + z` in RNE, or undefined. With ph + pl = x*y (Dekker) and
 * s + e1 = ph + z (TwoSum), the exact result is s + e1 + pl; when e1 + pl is
 * itself exact (t), RN(s + t) is the correctly rounded result and TwoSum of
 * (s, t) tells whether it is inexact.
 *
 * @example
 * ```ts
 * import { fmaF64Number } from "./fast.ts";
 * console.log(fmaF64Number(3, 0.5, 1, { rm: 0, flags: 0 })); // 2.5
 * ```
 */
export function fmaF64Number(x: number, y: number, z: number, env: FloatEnv): number | undefined {
  if (env.rm !== 0) return undefined;
  // A zero product of finite operands leaves a nonzero addend exact.
  if ((x === 0 && Number.isFinite(y)) || (y === 0 && Number.isFinite(x))) {
    return z !== 0 && Math.abs(z) < Infinity ? z : undefined;
  }
  if (!(inSafe(Math.abs(x)) && inSafe(Math.abs(y)) && Math.abs(z) < ADD_LIMIT)) return undefined;
  const ph = x * y;
  const pl = productError(x, y, ph);
  const s = ph + z;
  let bb = s - ph;
  const e1 = (ph - (s - bb)) + (z - bb);
  const t = e1 + pl;
  bb = t - e1;
  const e2 = (e1 - (t - bb)) + (pl - bb); // exact value is s + t + e2
  const r = s + t;
  const ar = Math.abs(r);
  if (!(ar > MIN_NORMAL_F64 && ar < ADD_LIMIT)) return undefined;
  bb = r - s;
  const e3 = (s - (r - bb)) + (t - bb); // exact value is r + e3 + e2
  if (e2 === 0) {
    if (e3 !== 0) env.flags |= FloatFlag.NX;
    return r;
  }
  // r = RN(s + t); the exact value differs by e2. r stays correct as long as
  // |e3| + |e2| is below the distance from r to the rounding boundary on
  // that side: half an ulp, or a quarter when stepping below a power of two.
  const dlt = e3 + e2; // sign (and zeroness) of the exact e3 + e2
  if (dlt === 0) return r; // exact after all
  f64v[0] = ar;
  const high = u32v[1];
  const ulp = 2 ** ((high >>> 20) - 1075);
  const pow2 = (high & 0xfffff) === 0 && u32v[0] === 0;
  const towardZero = (dlt < 0) === (r > 0);
  const gap = pow2 && towardZero ? ulp / 4 : ulp / 2;
  if (!(Math.abs(e3) + Math.abs(e2) < gap * (1 - 2 ** -50))) return undefined;
  env.flags |= FloatFlag.NX;
  return r;
}

/** f64 fused ±(a*b) ± c in RNE, or undefined (see {@linkcode fmaF64Number}). */
export function fmaF64Fast(
  a: bigint,
  b: bigint,
  c: bigint,
  negP: boolean,
  negC: boolean,
  env: FloatEnv,
): bigint | undefined {
  const x = bitsToF64(a), z = bitsToF64(c);
  return f64BitsOf(fmaF64Number(negP ? -x : x, bitsToF64(b), negC ? -z : z, env));
}
