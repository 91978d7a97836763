/**
 * The single rounding step shared by every operation: an exact (or
 * sticky-folded) value sign * sig * 2^exp is rounded to a format under the
 * environment's rounding mode, raising NX/UF/OF as RISC-V (tininess after
 * rounding) does.
 *
 * @module
 */

import { type FloatEnv, FloatFlag, type FmtInfo, RoundingMode } from "./format.ts";

/** Number of significant bits of a non-negative bigint (0 for 0). */
export function bitLength(x: bigint): number {
  let n = 0;
  while (x > 0xffffffffn) {
    x >>= 32n;
    n += 32;
  }
  return n + 32 - Math.clz32(Number(x));
}

/**
 * Drop the low `k` (>= 1) bits of the magnitude `m`, rounding according to
 * `rm` for a value of sign `sign`. Returns the rounded integer and whether
 * any dropped bit was nonzero.
 */
export function shiftRound(
  m: bigint,
  k: number,
  sign: boolean,
  rm: number,
): { q: bigint; inexact: boolean } {
  const kb = BigInt(k);
  let q = m >> kb;
  const rem = m - (q << kb);
  if (rem === 0n) return { q, inexact: false };
  const half = 1n << (kb - 1n);
  let up: boolean;
  switch (rm) {
    case RoundingMode.RNE:
      up = rem > half || (rem === half && (q & 1n) === 1n);
      break;
    case RoundingMode.RTZ:
      up = false;
      break;
    case RoundingMode.RDN:
      up = sign;
      break;
    case RoundingMode.RUP:
      up = !sign;
      break;
    case RoundingMode.RMM:
      up = rem >= half;
      break;
    default:
      throw new RangeError(`invalid rounding mode ${rm}`);
  }
  if (up) q += 1n;
  return { q, inexact: true };
}

/** Result of an overflow under the given rounding mode (OF|NX are raised). */
export function overflowResult(f: FmtInfo, sign: boolean, env: FloatEnv): bigint {
  env.flags |= FloatFlag.OF | FloatFlag.NX;
  const rm = env.rm;
  let toInf: boolean;
  if (rm === RoundingMode.RNE || rm === RoundingMode.RMM) toInf = true;
  else if (rm === RoundingMode.RTZ) toInf = false;
  else if (rm === RoundingMode.RDN) toInf = sign;
  else if (rm === RoundingMode.RUP) toInf = !sign;
  else throw new RangeError(`invalid rounding mode ${rm}`);
  const mag = toInf ? f.infBits : f.maxFinite;
  return sign ? f.signBit | mag : mag;
}

/**
 * Round the value (-1)^sign * sig * 2^exp to format `f`.
 *
 * `sig` must be exact, or — when the caller folded a sticky bit into its
 * least significant bit — carry at least two bits more than the format's
 * precision so that the folded bit can never sit on a rounding boundary.
 * A zero `sig` yields a zero of the given sign (the caller decides the sign
 * of exact zero results).
 */
export function roundPack(
  f: FmtInfo,
  sign: boolean,
  exp: number,
  sig: bigint,
  env: FloatEnv,
): bigint {
  const signBits = sign ? f.signBit : 0n;
  if (sig === 0n) return signBits;
  const len = bitLength(sig);
  let msbExp = exp + len - 1;
  const p = f.p;
  if (msbExp >= f.emin) {
    const k = len - p;
    let q: bigint;
    if (k <= 0) {
      q = sig << BigInt(-k);
    } else {
      const r = shiftRound(sig, k, sign, env.rm);
      q = r.q;
      if (r.inexact) env.flags |= FloatFlag.NX;
      if (q >> BigInt(p) !== 0n) {
        q >>= 1n;
        msbExp++;
      }
    }
    if (msbExp > f.emax) {
      // Undo a possibly raised NX: overflowResult raises OF|NX anyway.
      return overflowResult(f, sign, env);
    }
    return signBits | (BigInt(msbExp + f.bias) << f.fracBitsN) | (q & f.fracMask);
  }
  // Below the normal range: the result's LSB has weight 2^(emin - p + 1).
  const lsbExp = f.emin - p + 1;
  const k = lsbExp - exp;
  if (k <= 0) {
    // Exactly representable as a subnormal: no flags.
    return signBits | (sig << BigInt(-k));
  }
  const r = shiftRound(sig, k, sign, env.rm);
  if (r.inexact) {
    // Tininess after rounding: tiny unless rounding to p bits with an
    // unbounded exponent reaches 2^emin.
    let tiny = true;
    if (msbExp === f.emin - 1 && len > p) {
      const r2 = shiftRound(sig, len - p, sign, env.rm);
      if (r2.q >> BigInt(p) !== 0n) tiny = false;
    }
    env.flags |= tiny ? FloatFlag.UF | FloatFlag.NX : FloatFlag.NX;
  }
  // A carry into bit p-1 lands exactly on the smallest normal encoding.
  return signBits | r.q;
}
