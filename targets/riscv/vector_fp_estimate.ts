/**
 * vfrec7.v and vfrsqrt7.v: the 7-bit reciprocal and reciprocal square-root
 * estimates of the V specification. Its two 128-entry tables are generated
 * here from their definition: entry `i` is the 7-bit significand of the
 * estimate at the midpoint of the input interval `i` selects, rounded to
 * nearest (a test compares every entry with qemu-riscv64).
 *
 * @module
 */

import { type FloatEnv, FloatFlag, type FloatFormat, RoundingMode } from "../../plugin_target.ts";

/** The field widths of each format, its all-ones exponent and its canonical NaN. */
function info(fmt: FloatFormat) {
  const [fracBits, expBits] = fmt === "f16" ? [10, 5] : fmt === "f32" ? [23, 8] : [52, 11];
  const expMax = (1 << expBits) - 1;
  const defaultNaN = (BigInt(expMax) << BigInt(fracBits)) | (1n << BigInt(fracBits - 1));
  return { fracBits, expBits, expMax, defaultNaN };
}

/** vfrec7: input significands 1 + (i + 0.5)/128 in [1, 2); output significand of 2/x. */
const REC7 = Array.from({ length: 128 }, (_, i) => {
  const x = 1 + (i + 0.5) / 128;
  return Math.min(127, Math.round((2 / x - 1) * 128));
});

/**
 * vfrsqrt7: the index is the exponent's low bit and six significand bits;
 * every bias is odd, so an even biased exponent means an input in [2, 4).
 */
const RSQRT7 = Array.from({ length: 128 }, (_, i) => {
  const x = ((i >> 6) === 0 ? 2 : 1) * (1 + ((i & 63) + 0.5) / 64);
  return Math.min(127, Math.round((2 / Math.sqrt(x) - 1) * 128));
});

/** The fields of a finite nonzero value, subnormals normalized (exponent then <= 0). */
function normalize(fmt: FloatFormat, x: bigint): { exp: number; sig: bigint } {
  const f = info(fmt), fracMask = (1n << BigInt(f.fracBits)) - 1n;
  let exp = Number((x >> BigInt(f.fracBits)) & BigInt(f.expMax)), sig = x & fracMask;
  if (exp === 0) {
    while ((sig & (1n << BigInt(f.fracBits - 1))) === 0n) {
      sig <<= 1n;
      exp--;
    }
    sig = (sig << 1n) & fracMask;
  }
  return { exp, sig };
}

/** The special cases both estimates share: NaN in, and the sign and class of x. */
function classify(fmt: FloatFormat, x: bigint) {
  const f = info(fmt), total = 1 + f.expBits + f.fracBits;
  const sign = (x >> BigInt(total - 1)) & 1n, mag = x & ((1n << BigInt(total - 1)) - 1n);
  const inf = BigInt(f.expMax) << BigInt(f.fracBits);
  return { f, sign, mag, inf, nan: mag > inf, zero: mag === 0n, isInf: mag === inf, total };
}

/**
 * The reciprocal estimate of `x` (vfrec7.v).
 *
 * @example
 * ```ts
 * import { frec7 } from "./vector_fp_estimate.ts";
 * console.log(frec7("f32", 0x40000000n, { rm: 0, flags: 0 }).toString(16)); // "3eff0000" (~0.498)
 * ```
 */
export function frec7(fmt: FloatFormat, x: bigint, env: FloatEnv): bigint {
  const c = classify(fmt, x), f = c.f, signBit = c.sign << BigInt(c.total - 1);
  if (c.nan) return nanResult(fmt, x, env);
  if (c.isInf) return signBit;
  if (c.zero) {
    env.flags |= FloatFlag.DZ;
    return signBit | c.inf;
  }
  const { exp, sig } = normalize(fmt, x);
  const bias = f.expMax >> 1;
  if (exp < -1) {
    env.flags |= FloatFlag.OF | FloatFlag.NX;
    const toMax = env.rm === RoundingMode.RTZ ||
      (env.rm === RoundingMode.RDN && c.sign === 0n) ||
      (env.rm === RoundingMode.RUP && c.sign === 1n);
    return signBit | (toMax ? c.inf - 1n : c.inf);
  }
  let outExp = 2 * bias - 1 - exp;
  let outSig = BigInt(REC7[Number(sig >> BigInt(f.fracBits - 7))]) << BigInt(f.fracBits - 7);
  if (outExp < 1) {
    outSig = ((1n << BigInt(f.fracBits)) | outSig) >> BigInt(1 - outExp);
    outExp = 0;
  }
  return signBit | (BigInt(outExp) << BigInt(f.fracBits)) | outSig;
}

/**
 * The reciprocal square-root estimate of `x` (vfrsqrt7.v).
 *
 * @example
 * ```ts
 * import { frsqrt7 } from "./vector_fp_estimate.ts";
 * console.log(frsqrt7("f32", 0x40800000n, { rm: 0, flags: 0 }).toString(16)); // "3eff0000" (~0.498)
 * ```
 */
export function frsqrt7(fmt: FloatFormat, x: bigint, env: FloatEnv): bigint {
  const c = classify(fmt, x), f = c.f, signBit = c.sign << BigInt(c.total - 1);
  if (c.nan) return nanResult(fmt, x, env);
  if (c.zero) {
    env.flags |= FloatFlag.DZ;
    return signBit | c.inf;
  }
  if (c.sign) {
    env.flags |= FloatFlag.NV;
    return f.defaultNaN;
  }
  if (c.isInf) return 0n;
  const { exp, sig } = normalize(fmt, x);
  const bias = f.expMax >> 1;
  const index = ((exp & 1) << 6) | Number(sig >> BigInt(f.fracBits - 6));
  const outExp = Math.floor((3 * bias - 1 - exp) / 2);
  return (BigInt(outExp) << BigInt(f.fracBits)) | (BigInt(RSQRT7[index]) << BigInt(f.fracBits - 7));
}

/** A NaN input: the canonical NaN, invalid when it signals. */
function nanResult(fmt: FloatFormat, x: bigint, env: FloatEnv): bigint {
  const f = info(fmt);
  if (((x >> BigInt(f.fracBits - 1)) & 1n) === 0n) env.flags |= FloatFlag.NV;
  return f.defaultNaN;
}
