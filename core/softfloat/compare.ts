/**
 * Comparisons, minimum/maximum and classification (RISC-V semantics).
 *
 * @module
 */

import {
  type FloatEnv,
  FloatFlag,
  type FloatFormat,
  type FmtInfo,
  info,
  isNaNBits,
  isSNaNBits,
  isZeroBits,
} from "./format.ts";

/** Total-order key of a non-NaN value, with -0 and +0 equal. */
function key(f: FmtInfo, a: bigint): bigint {
  const mag = a & ~f.signBit;
  return (a & f.signBit) !== 0n ? -mag : mag;
}

/**
 * Quiet equality (RISC-V feq): 1n if equal, else 0n; NV only for a signaling NaN.
 *
 * @example
 * ```ts
 * const env = { rm: 0, flags: 0 };
 * feq("f32", 0x80000000n, 0x00000000n, env); // 1n (-0 == +0)
 * ```
 */
export function feq(fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv): bigint {
  const f = info(fmt);
  if (isNaNBits(f, a) || isNaNBits(f, b)) {
    if (isSNaNBits(f, a) || isSNaNBits(f, b)) env.flags |= FloatFlag.NV;
    return 0n;
  }
  return a === b || (isZeroBits(f, a) && isZeroBits(f, b)) ? 1n : 0n;
}

/**
 * Signaling less-than (RISC-V flt): NV for any NaN operand.
 *
 * @example
 * ```ts
 * const env = { rm: 0, flags: 0 };
 * flt("f64", 0xbff0000000000000n, 0x0n, env); // 1n (-1 < 0)
 * ```
 */
export function flt(fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv): bigint {
  const f = info(fmt);
  if (isNaNBits(f, a) || isNaNBits(f, b)) {
    env.flags |= FloatFlag.NV;
    return 0n;
  }
  return key(f, a) < key(f, b) ? 1n : 0n;
}

/**
 * Signaling less-or-equal (RISC-V fle): NV for any NaN operand.
 *
 * @example
 * ```ts
 * const env = { rm: 0, flags: 0 };
 * fle("f32", 0x3f800000n, 0x3f800000n, env); // 1n
 * ```
 */
export function fle(fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv): bigint {
  const f = info(fmt);
  if (isNaNBits(f, a) || isNaNBits(f, b)) {
    env.flags |= FloatFlag.NV;
    return 0n;
  }
  return key(f, a) <= key(f, b) ? 1n : 0n;
}

function minMax(fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv, isMax: boolean): bigint {
  const f = info(fmt);
  const an = isNaNBits(f, a);
  const bn = isNaNBits(f, b);
  if (an || bn) {
    if (isSNaNBits(f, a) || isSNaNBits(f, b)) env.flags |= FloatFlag.NV;
    if (an && bn) return f.defaultNaN;
    return an ? b : a;
  }
  const ka = key(f, a);
  const kb = key(f, b);
  if (ka === kb) {
    // Equal values: only ±0 can differ; -0 < +0.
    const aNeg = (a & f.signBit) !== 0n;
    return aNeg === isMax ? b : a;
  }
  return (ka < kb) !== isMax ? a : b;
}

/**
 * Minimum (IEEE 754-2019 minimumNumber, RISC-V fmin): a NaN operand yields
 * the other operand; two NaNs give the canonical NaN; sNaN raises NV; -0 < +0.
 *
 * @example
 * ```ts
 * const env = { rm: 0, flags: 0 };
 * fmin("f32", 0x00000000n, 0x80000000n, env); // 0x80000000n (-0)
 * ```
 */
export function fmin(fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv): bigint {
  return minMax(fmt, a, b, env, false);
}

/**
 * Maximum (IEEE 754-2019 maximumNumber, RISC-V fmax).
 *
 * @example
 * ```ts
 * const env = { rm: 0, flags: 0 };
 * fmax("f32", 0x7fc00000n, 0x3f800000n, env); // 0x3f800000n (NaN ignored)
 * ```
 */
export function fmax(fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv): bigint {
  return minMax(fmt, a, b, env, true);
}

/**
 * RISC-V fclass: one-hot 10-bit mask. Bit 0 -inf, 1 negative normal,
 * 2 negative subnormal, 3 -0, 4 +0, 5 positive subnormal, 6 positive normal,
 * 7 +inf, 8 signaling NaN, 9 quiet NaN.
 *
 * @example
 * ```ts
 * fclass("f64", 0xfff0000000000000n); // 1n (-inf)
 * fclass("f32", 0x7fc00000n); // 512n (quiet NaN)
 * ```
 */
export function fclass(fmt: FloatFormat, a: bigint): bigint {
  const f = info(fmt);
  const neg = (a & f.signBit) !== 0n;
  const e = a & f.expMask;
  const m = a & f.fracMask;
  let bit: number;
  if (e === f.expMask) {
    if (m === 0n) bit = neg ? 0 : 7;
    else bit = (m & f.quietBit) !== 0n ? 9 : 8;
  } else if (e === 0n) {
    if (m === 0n) bit = neg ? 3 : 4;
    else bit = neg ? 2 : 5;
  } else {
    bit = neg ? 1 : 6;
  }
  return 1n << BigInt(bit);
}
