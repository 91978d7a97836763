/**
 * The reciprocal and reciprocal square root estimates and steps (frecpe, frsqrte, frecpx,
 * frsqrts; urecpe and ursqrte take the integer tables), as the Arm ARM's pseudocode defines
 * them: `RecipEstimate` and `RecipSqrtEstimate` give 8 bits from a 9-bit input, which
 * `FPRecipEstimate` and `FPRSqrtEstimate` scale by the operand's exponent. The estimates are
 * the same on every Armv8.0 CPU (without FEAT_RPRES), so qemu-aarch64 and Denemu agree bit for bit.
 *
 * FPCR.FZ is the caller's (`simd_fp.ts` flushes the inputs, and a frecpe result below the normal
 * range, as the pseudocode's FZ case does).
 *
 * @module
 */

import { type FloatEnv, FloatFlag } from "../../plugin_target.ts";
import { arith, type Fmt, FpOp, processNaNs } from "./fp_helpers.ts";

/**
 * Arm's RecipEstimate: 1/x for x = a/512 (256 <= a < 512), as r/256 with 256 <= r < 512.
 *
 * @example
 * ```ts
 * import { recipEstimate } from "./fp_estimate.ts";
 * console.log(recipEstimate(256)); // 511
 * ```
 */
export function recipEstimate(a: number): number {
  const b = Math.floor(2 ** 19 / (2 * a + 1));
  return (b + 1) >> 1;
}

/**
 * Arm's RecipSqrtEstimate: 1/sqrt(x) for x = a/512 (128 <= a < 512), as r/256 with
 * 256 <= r < 512.
 *
 * @example
 * ```ts
 * import { recipSqrtEstimate } from "./fp_estimate.ts";
 * console.log(recipSqrtEstimate(128)); // 511
 * ```
 */
export function recipSqrtEstimate(a: number): number {
  const x = a < 256 ? 2 * a + 1 : 2 * ((a & ~1) + 1);
  // The largest b with x * b^2 < 2^28, counted up from a float estimate a step or two below it.
  let b = Math.max(512, Math.floor(Math.sqrt(2 ** 28 / x)) - 2);
  while (x * (b + 1) * (b + 1) < 2 ** 28) b++;
  return (b + 1) >> 1;
}

/** The fields of a format's value: sign bit, biased exponent, fraction as 52 bits. */
function fields(f: Fmt, x: bigint) {
  const m = BigInt(f.mantissa), expBits = f.bits - 1 - f.mantissa;
  return {
    sign: x & (1n << BigInt(f.bits - 1)),
    exp: Number((x >> m) & BigInt((1 << expBits) - 1)),
    frac: (x & ((1n << m) - 1n)) << (52n - m),
    maxExp: (1 << expBits) - 1,
    bias: (1 << (expBits - 1)) - 1,
  };
}

const FRAC52 = (1n << 52n) - 1n;

/** Bits of the value sign:exp:frac (frac 52 bits wide) in format `f`. */
const pack = (f: Fmt, sign: bigint, exp: number, frac: bigint) =>
  sign | (BigInt(exp) << BigInt(f.mantissa)) | (frac >> BigInt(52 - f.mantissa));

/**
 * FPRecipEstimate: about 1/x, in Arm rounding mode `mode` (for the overflow of tiny inputs).
 *
 * @example
 * ```ts
 * import { frecpe } from "./fp_estimate.ts";
 * import { F32 } from "./fp_helpers.ts";
 * const env = { rm: 0, flags: 0 };
 * console.log(frecpe(F32, 0x40000000n, 0, env, false).toString(16)); // "3eff8000" (2 -> 0.4990)
 * ```
 */
export function frecpe(f: Fmt, x: bigint, mode: number, env: FloatEnv, dn: boolean): bigint {
  const nan = processNaNs(f, env, dn, [x]);
  if (nan !== null) return nan;
  const { sign, exp, frac, maxExp, bias } = fields(f, x);
  if (exp === maxExp) return sign;
  if (exp === 0 && frac === 0n) {
    env.flags |= FloatFlag.DZ;
    return pack(f, sign, maxExp, 0n);
  }
  if (exp === 0 && frac >> 50n === 0n) {
    // Below 2^-(bias+1): 1/x overflows, to infinity or the largest normal as rounding goes.
    env.flags |= FloatFlag.OF | FloatFlag.NX;
    // By Arm mode: RN, RP, RM, RZ.
    const toInf = [true, sign === 0n, sign !== 0n, false][mode];
    return toInf ? pack(f, sign, maxExp, 0n) : pack(f, sign, maxExp - 1, FRAC52);
  }
  // The input as 0.5 <= x < 1.0 in steps of 1/512, and the exponent of the result.
  let e = exp, scaledFrac = frac;
  if (e === 0) {
    e = frac >> 51n ? 0 : -1;
    scaledFrac = (frac << (frac >> 51n ? 1n : 2n)) & FRAC52;
  }
  let resultExp = 2 * bias - 1 - e;
  let out = BigInt(recipEstimate(256 + Number(scaledFrac >> 44n)) & 0xff) << 44n;
  if (resultExp <= 0) {
    // A denormal result: the implicit 1 shifted in.
    out = ((1n << 52n) | out) >> BigInt(1 - resultExp);
    resultExp = 0;
  }
  return pack(f, sign, resultExp, out);
}

/**
 * FPRSqrtEstimate: about 1/sqrt(x).
 *
 * @example
 * ```ts
 * import { frsqrte } from "./fp_estimate.ts";
 * import { F32 } from "./fp_helpers.ts";
 * const env = { rm: 0, flags: 0 };
 * console.log(frsqrte(F32, 0x40800000n, env, false).toString(16)); // "3eff8000" (4 -> 0.4990)
 * ```
 */
export function frsqrte(f: Fmt, x: bigint, env: FloatEnv, dn: boolean): bigint {
  const nan = processNaNs(f, env, dn, [x]);
  if (nan !== null) return nan;
  const { sign, exp, frac, maxExp, bias } = fields(f, x);
  if (exp === 0 && frac === 0n) {
    env.flags |= FloatFlag.DZ;
    return pack(f, sign, maxExp, 0n);
  }
  if (sign) {
    env.flags |= FloatFlag.NV;
    return f.defaultNaN;
  }
  if (exp === maxExp) return 0n;
  // Normalise a denormal; then 0.25 <= x < 1.0 by the parity of the exponent.
  let e = exp, norm = frac;
  if (e === 0) {
    while (!(norm >> 51n)) {
      norm <<= 1n;
      e--;
    }
    norm = (norm << 1n) & FRAC52;
  }
  const scaled = e & 1 ? 128 + Number(norm >> 45n) : 256 + Number(norm >> 44n);
  const resultExp = Math.floor((3 * bias - 1 - e) / 2);
  return pack(f, 0n, resultExp, BigInt(recipSqrtEstimate(scaled) & 0xff) << 44n);
}

/**
 * FPRecpX: the sign and the complemented exponent of `x` (the largest normal exponent for a
 * zero or denormal), with a zero fraction.
 *
 * @example
 * ```ts
 * import { frecpx } from "./fp_estimate.ts";
 * import { F32 } from "./fp_helpers.ts";
 * const env = { rm: 0, flags: 0 };
 * console.log(frecpx(F32, 0x40000000n, env, false).toString(16)); // "3f800000" (2 -> 1)
 * ```
 */
export function frecpx(f: Fmt, x: bigint, env: FloatEnv, dn: boolean): bigint {
  const nan = processNaNs(f, env, dn, [x]);
  if (nan !== null) return nan;
  const { sign, exp, maxExp } = fields(f, x);
  return pack(f, sign, exp === 0 ? maxExp - 1 : ~exp & maxExp, 0n);
}

/**
 * FPRSqrtStepFused: (3 - x*y) / 2 with one rounding, and 1.5 for an infinity times a zero. One
 * operand is halved first when that is exact (a normal number), so that the product never
 * overflows when the halved result would not; otherwise both are tiny and the result, about
 * 3, is halved after rounding, exactly.
 *
 * @example
 * ```ts
 * import { frsqrts } from "./fp_estimate.ts";
 * import { F32 } from "./fp_helpers.ts";
 * const env = { rm: 0, flags: 0 };
 * console.log(frsqrts(F32, 0x3f800000n, 0x3f800000n, env, false).toString(16)); // "3f800000"
 * ```
 */
export function frsqrts(f: Fmt, x: bigint, y: bigint, env: FloatEnv, dn: boolean): bigint {
  const fx = fields(f, x), fy = fields(f, y), one = 1n << BigInt(f.mantissa);
  const zero = (v: ReturnType<typeof fields>) => v.exp === 0 && v.frac === 0n;
  const inf = (v: ReturnType<typeof fields>) => v.exp === v.maxExp && v.frac === 0n;
  if ((inf(fx) && zero(fy)) || (zero(fx) && inf(fy))) return pack(f, 0n, fx.bias, 1n << 51n);
  const minus = x ^ (1n << BigInt(f.bits - 1));
  const e = Math.max(fx.exp, fy.exp);
  if (e === fx.maxExp || e <= 1) {
    const three = pack(f, 0n, fx.bias + 1, 1n << 51n);
    const r = arith(FpOp.MADD, f, minus, y, three, env, dn);
    return e <= 1 ? r - one : r;
  }
  const onePointFive = pack(f, 0n, fx.bias, 1n << 51n);
  const [a, b] = fx.exp >= fy.exp ? [minus - one, y] : [minus, y - one];
  return arith(FpOp.MADD, f, a, b, onePointFive, env, dn);
}
