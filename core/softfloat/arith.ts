/**
 * Basic arithmetic: add, sub, mul, div, sqrt. Each operation has an exact
 * slow path (integer significands as bigint, one final {@link roundPack})
 * and, for RNE, a host-float fast path from `fast.ts`.
 *
 * @module
 */

import {
  type FloatEnv,
  FloatFlag,
  type FloatFormat,
  type FmtInfo,
  infBits,
  info,
  isInfBits,
  isNaNBits,
  isSNaNBits,
  isZeroBits,
  RoundingMode,
  signOf,
  unpackFinite,
  zeroBits,
} from "./format.ts";
import { bitLength, roundPack } from "./round.ts";
import {
  addF32Fast,
  addF64Fast,
  divF32Fast,
  divF64Fast,
  mulF32Fast,
  mulF64Fast,
  sqrtF32Fast,
  sqrtF64Fast,
} from "./fast.ts";

/**
 * Default-NaN result for an operation with at least one NaN operand: raises
 * NV if any operand is a signaling NaN and returns the canonical NaN.
 */
export function propagateNaN(f: FmtInfo, env: FloatEnv, ...ops: bigint[]): bigint {
  for (const x of ops) {
    if (isSNaNBits(f, x)) env.flags |= FloatFlag.NV;
  }
  return f.defaultNaN;
}

/** Raise NV and return the canonical NaN. */
export function invalid(f: FmtInfo, env: FloatEnv): bigint {
  env.flags |= FloatFlag.NV;
  return f.defaultNaN;
}

/**
 * Round the exact sum of two finite nonzero-or-zero terms
 * (-1)^sa * ma * 2^ea + (-1)^sb * mb * 2^eb. An exact zero sum of
 * opposite-signed terms is +0, or -0 under RDN.
 */
export function addExact(
  f: FmtInfo,
  sa: boolean,
  ea: number,
  ma: bigint,
  sb: boolean,
  eb: number,
  mb: bigint,
  env: FloatEnv,
): bigint {
  const e = Math.min(ea, eb);
  const A = ma << BigInt(ea - e);
  const B = mb << BigInt(eb - e);
  let sign: boolean;
  let mag: bigint;
  if (sa === sb) {
    sign = sa;
    mag = A + B;
  } else if (A >= B) {
    sign = sa;
    mag = A - B;
  } else {
    sign = sb;
    mag = B - A;
  }
  if (mag === 0n) return zeroBits(f, sa === sb ? sa : env.rm === RoundingMode.RDN);
  return roundPack(f, sign, e, mag, env);
}

/** Exact-then-round addition (no fast path). */
export function addSlow(f: FmtInfo, a: bigint, b: bigint, env: FloatEnv): bigint {
  if (isNaNBits(f, a) || isNaNBits(f, b)) return propagateNaN(f, env, a, b);
  const sa = signOf(f, a);
  const sb = signOf(f, b);
  const ai = isInfBits(f, a);
  const bi = isInfBits(f, b);
  if (ai || bi) {
    if (ai && bi && sa !== sb) return invalid(f, env);
    return ai ? a : b;
  }
  const az = isZeroBits(f, a);
  const bz = isZeroBits(f, b);
  if (az && bz) return zeroBits(f, sa === sb ? sa : env.rm === RoundingMode.RDN);
  if (az) return b;
  if (bz) return a;
  const ua = unpackFinite(f, a);
  const ub = unpackFinite(f, b);
  return addExact(f, ua.sign, ua.exp, ua.sig, ub.sign, ub.exp, ub.sig, env);
}

/** Exact-then-round multiplication (no fast path). */
export function mulSlow(f: FmtInfo, a: bigint, b: bigint, env: FloatEnv): bigint {
  if (isNaNBits(f, a) || isNaNBits(f, b)) return propagateNaN(f, env, a, b);
  const sign = signOf(f, a) !== signOf(f, b);
  const az = isZeroBits(f, a);
  const bz = isZeroBits(f, b);
  if (isInfBits(f, a) || isInfBits(f, b)) {
    if (az || bz) return invalid(f, env);
    return infBits(f, sign);
  }
  if (az || bz) return zeroBits(f, sign);
  const ua = unpackFinite(f, a);
  const ub = unpackFinite(f, b);
  return roundPack(f, sign, ua.exp + ub.exp, ua.sig * ub.sig, env);
}

/** Quotient-plus-sticky division (no fast path). */
export function divSlow(f: FmtInfo, a: bigint, b: bigint, env: FloatEnv): bigint {
  if (isNaNBits(f, a) || isNaNBits(f, b)) return propagateNaN(f, env, a, b);
  const sign = signOf(f, a) !== signOf(f, b);
  const ai = isInfBits(f, a);
  const bi = isInfBits(f, b);
  const az = isZeroBits(f, a);
  const bz = isZeroBits(f, b);
  if (ai) return bi ? invalid(f, env) : infBits(f, sign);
  if (bi) return zeroBits(f, sign);
  if (bz) {
    if (az) return invalid(f, env);
    env.flags |= FloatFlag.DZ;
    return infBits(f, sign);
  }
  if (az) return zeroBits(f, sign);
  const ua = unpackFinite(f, a);
  const ub = unpackFinite(f, b);
  // Scale the dividend so the quotient has at least p + 2 bits.
  const s = Math.max(0, f.p + 3 + bitLength(ub.sig) - bitLength(ua.sig));
  const n = ua.sig << BigInt(s);
  const q = n / ub.sig;
  const r = n - q * ub.sig;
  const sig = (q << 1n) | (r !== 0n ? 1n : 0n);
  return roundPack(f, sign, ua.exp - s - ub.exp - 1, sig, env);
}

/** Integer square root: floor(sqrt(n)) for n >= 0. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1); // >= sqrt(n)
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Integer-root-plus-sticky square root (no fast path). */
export function sqrtSlow(f: FmtInfo, a: bigint, env: FloatEnv): bigint {
  if (isNaNBits(f, a)) return propagateNaN(f, env, a);
  if (isZeroBits(f, a)) return a; // sqrt(±0) = ±0
  if (signOf(f, a)) return invalid(f, env);
  if (isInfBits(f, a)) return a;
  const u = unpackFinite(f, a);
  let sig = u.sig;
  let e = u.exp;
  if (e & 1) {
    sig <<= 1n;
    e -= 1;
  }
  // Scale so the root has at least p + 2 bits.
  const t = Math.max(0, f.p + 3 - (bitLength(sig) >> 1));
  sig <<= BigInt(2 * t);
  e -= 2 * t;
  const root = isqrt(sig);
  const rem = sig - root * root;
  const out = (root << 1n) | (rem !== 0n ? 1n : 0n);
  return roundPack(f, false, e / 2 - 1, out, env);
}

/**
 * Add two floating-point values: a + b, correctly rounded.
 *
 * @example
 * ```ts
 * const env = { rm: RoundingMode.RNE, flags: 0 };
 * fadd("f64", 0x3ff0000000000000n, 0x3ff0000000000000n, env); // 0x4000000000000000n (2.0)
 * ```
 */
export function fadd(fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv): bigint {
  const r = fmt === "f64"
    ? addF64Fast(a, b, env)
    : fmt === "f32"
    ? addF32Fast(a, b, env)
    : undefined;
  return r ?? addSlow(info(fmt), a, b, env);
}

/**
 * Subtract: a - b, correctly rounded.
 *
 * @example
 * ```ts
 * const env = { rm: RoundingMode.RNE, flags: 0 };
 * fsub("f32", 0x40400000n, 0x3f800000n, env); // 0x40000000n (3 - 1 = 2)
 * ```
 */
export function fsub(fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv): bigint {
  const f = info(fmt);
  const nb = b ^ f.signBit;
  const r = fmt === "f64"
    ? addF64Fast(a, nb, env)
    : fmt === "f32"
    ? addF32Fast(a, nb, env)
    : undefined;
  return r ?? addSlow(f, a, nb, env);
}

/**
 * Multiply: a * b, correctly rounded.
 *
 * @example
 * ```ts
 * const env = { rm: RoundingMode.RNE, flags: 0 };
 * fmul("f32", 0x40000000n, 0x40400000n, env); // 0x40c00000n (6.0)
 * ```
 */
export function fmul(fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv): bigint {
  const r = fmt === "f64"
    ? mulF64Fast(a, b, env)
    : fmt === "f32"
    ? mulF32Fast(a, b, env)
    : undefined;
  return r ?? mulSlow(info(fmt), a, b, env);
}

/**
 * Divide: a / b, correctly rounded; x/0 for finite nonzero x raises DZ.
 *
 * @example
 * ```ts
 * const env = { rm: RoundingMode.RNE, flags: 0 };
 * fdiv("f64", 0x3ff0000000000000n, 0x4008000000000000n, env); // 0x3fd5555555555555n, env.flags = NX
 * ```
 */
export function fdiv(fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv): bigint {
  const r = fmt === "f64"
    ? divF64Fast(a, b, env)
    : fmt === "f32"
    ? divF32Fast(a, b, env)
    : undefined;
  return r ?? divSlow(info(fmt), a, b, env);
}

/**
 * Square root, correctly rounded; sqrt(-0) = -0, sqrt of a negative raises NV.
 *
 * @example
 * ```ts
 * const env = { rm: RoundingMode.RNE, flags: 0 };
 * fsqrt("f32", 0x40800000n, env); // 0x40000000n (sqrt 4 = 2)
 * ```
 */
export function fsqrt(fmt: FloatFormat, a: bigint, env: FloatEnv): bigint {
  const r = fmt === "f64" ? sqrtF64Fast(a, env) : fmt === "f32" ? sqrtF32Fast(a, env) : undefined;
  return r ?? sqrtSlow(info(fmt), a, env);
}
