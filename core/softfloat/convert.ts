/**
 * Conversions between formats and to/from integers (RISC-V semantics:
 * saturating float-to-integer, canonical NaNs).
 *
 * @module
 */

import {
  type FloatEnv,
  FloatFlag,
  type FloatFormat,
  infBits,
  info,
  isInfBits,
  isNaNBits,
  isSNaNBits,
  isZeroBits,
  signOf,
  unpackFinite,
  zeroBits,
} from "./format.ts";
import { roundPack, shiftRound } from "./round.ts";
import { bitsToF32, bitsToF64, f32ToBits, f64ToBits } from "./fast.ts";

const TWO53 = 2 ** 53;

/**
 * Host-number fast path of {@link fcvtToInt} for |a| < 2^53 whose rounded
 * value is in range; undefined otherwise.
 */
export function fcvtToIntFast(
  fmt: FloatFormat,
  a: bigint,
  bits: 32 | 64,
  signed: boolean,
  env: FloatEnv,
): bigint | undefined {
  if (fmt === "f16") return undefined;
  const x = fmt === "f64" ? bitsToF64(a) : bitsToF32(a);
  if (!(Math.abs(x) < TWO53)) return undefined; // also rejects NaN and infinities
  let r = Math.trunc(x);
  const frac = Math.abs(x - r); // exact
  if (frac !== 0) {
    let away: boolean;
    switch (env.rm) {
      case 0:
        away = frac > 0.5 || (frac === 0.5 && r % 2 !== 0);
        break;
      case 1:
        away = false;
        break;
      case 2:
        away = x < 0;
        break;
      case 3:
        away = x > 0;
        break;
      case 4:
        away = frac >= 0.5;
        break;
      default:
        return undefined;
    }
    if (away) r += x < 0 ? -1 : 1;
  }
  if (signed) {
    if (bits === 32 && (r > 2147483647 || r < -2147483648)) return undefined;
  } else {
    if (r < 0 || (bits === 32 && r > 4294967295)) return undefined;
  }
  if (r !== x) env.flags |= FloatFlag.NX;
  const v = BigInt(r);
  return BigInt.asUintN(64, bits === 32 ? BigInt.asIntN(32, v) : v);
}

/**
 * Convert between binary32 and binary64 (fcvt.s.d / fcvt.d.s). NaNs become
 * the canonical NaN of the destination (NV if signaling).
 *
 * @example
 * ```ts
 * const env = { rm: RoundingMode.RNE, flags: 0 };
 * fcvtFF("f32", "f64", 0x3f800000n, env); // 0x3ff0000000000000n
 * ```
 */
export function fcvtFF(
  fromFmt: FloatFormat,
  toFmt: FloatFormat,
  a: bigint,
  env: FloatEnv,
): bigint {
  const s = info(fromFmt);
  const d = info(toFmt);
  if (isNaNBits(s, a)) {
    if (isSNaNBits(s, a)) env.flags |= FloatFlag.NV;
    return d.defaultNaN;
  }
  const sign = signOf(s, a);
  if (isInfBits(s, a)) return infBits(d, sign);
  if (isZeroBits(s, a)) return zeroBits(d, sign);
  const u = unpackFinite(s, a);
  return roundPack(d, sign, u.exp, u.sig, env);
}

/**
 * Convert to a 32- or 64-bit integer with RISC-V saturation (fcvt.w/wu/l/lu).
 * NaN gives the maximum, out-of-range values saturate, both raising NV only;
 * in-range inexact results raise NX. The result is the two's-complement bit
 * pattern as an unsigned 64-bit bigint; 32-bit results (signed or not) are
 * sign-extended from bit 31.
 *
 * @example
 * ```ts
 * const env = { rm: RoundingMode.RTZ, flags: 0 };
 * fcvtToInt("f64", 0xc004000000000000n, 32, true, env); // -2 as 0xfffffffffffffffen, NX
 * ```
 */
export function fcvtToInt(
  fmt: FloatFormat,
  a: bigint,
  bits: 32 | 64,
  signed: boolean,
  env: FloatEnv,
): bigint {
  return fcvtToIntFast(fmt, a, bits, signed, env) ?? fcvtToIntSlow(fmt, a, bits, signed, env);
}

/** Exact bigint implementation of {@link fcvtToInt} (no fast path). */
export function fcvtToIntSlow(
  fmt: FloatFormat,
  a: bigint,
  bits: 32 | 64,
  signed: boolean,
  env: FloatEnv,
): bigint {
  const f = info(fmt);
  const bb = BigInt(bits);
  const max = signed ? (1n << (bb - 1n)) - 1n : (1n << bb) - 1n;
  const min = signed ? -(1n << (bb - 1n)) : 0n;
  const out = (v: bigint) => BigInt.asUintN(64, BigInt.asIntN(bits, v));
  if (isNaNBits(f, a)) {
    env.flags |= FloatFlag.NV;
    return out(max);
  }
  const sign = signOf(f, a);
  if (isInfBits(f, a)) {
    env.flags |= FloatFlag.NV;
    return out(sign ? min : max);
  }
  if (isZeroBits(f, a)) return 0n;
  const u = unpackFinite(f, a);
  let mag: bigint;
  let inexact = false;
  if (u.exp >= 0) {
    // Cap the shift: anything this large is out of range anyway.
    mag = u.sig << BigInt(Math.min(u.exp, 80));
  } else {
    const r = shiftRound(u.sig, -u.exp, sign, env.rm);
    mag = r.q;
    inexact = r.inexact;
  }
  const v = sign ? -mag : mag;
  if (v > max || v < min) {
    env.flags |= FloatFlag.NV;
    return out(v > max ? max : min);
  }
  if (inexact) env.flags |= FloatFlag.NX;
  return out(v);
}

/**
 * Convert a 32- or 64-bit integer (low `bits` bits of `x`, read as signed or
 * unsigned) to a float (fcvt.s.w, fcvt.d.lu, ...), rounding per env.rm.
 *
 * @example
 * ```ts
 * const env = { rm: RoundingMode.RNE, flags: 0 };
 * fcvtFromInt("f32", 0xffffffffn, 32, true, env); // 0xbf800000n (-1.0)
 * ```
 */
export function fcvtFromInt(
  fmt: FloatFormat,
  x: bigint,
  bits: 32 | 64,
  signed: boolean,
  env: FloatEnv,
): bigint {
  const f = info(fmt);
  const v = signed ? BigInt.asIntN(bits, x) : BigInt.asUintN(bits, x);
  if (v === 0n) return 0n;
  // Fast path: integers that convert exactly.
  if (fmt === "f64") {
    if (v >= -9007199254740992n && v <= 9007199254740992n) return f64ToBits(Number(v));
  } else if (fmt === "f32" && v >= -16777216n && v <= 16777216n) {
    return f32ToBits(Number(v));
  }
  const sign = v < 0n;
  return roundPack(f, sign, 0, sign ? -v : v, env);
}
