/**
 * Fused multiply-add with a single rounding, following RISC-V/QEMU special
 * cases (inf * 0 raises NV even when the addend is a quiet NaN).
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
  RoundingMode,
  signOf,
  unpackFinite,
  zeroBits,
} from "./format.ts";
import { addExact, invalid } from "./arith.ts";
import { roundPack } from "./round.ts";
import { fmaF32Fast, fmaF64Fast } from "./fast.ts";

/**
 * Fused multiply-add: computes (±(a*b)) + (±c) with one rounding.
 * RISC-V fmadd = (false, false), fmsub = (false, true),
 * fnmsub = (true, false), fnmadd = (true, true).
 *
 * @example
 * ```ts
 * const env = { rm: RoundingMode.RNE, flags: 0 };
 * // 2 * 3 + 1 = 7
 * fmuladd("f32", 0x40000000n, 0x40400000n, 0x3f800000n, env, false, false); // 0x40e00000n
 * ```
 */
export function fmuladd(
  fmt: FloatFormat,
  a: bigint,
  b: bigint,
  c: bigint,
  env: FloatEnv,
  negateProduct: boolean,
  negateAddend: boolean,
): bigint {
  const r = fmt === "f64"
    ? fmaF64Fast(a, b, c, negateProduct, negateAddend, env)
    : fmt === "f32"
    ? fmaF32Fast(a, b, c, negateProduct, negateAddend, env)
    : undefined;
  return r ?? fmuladdSlow(fmt, a, b, c, env, negateProduct, negateAddend);
}

/** Exact-then-round fused multiply-add (no fast path). */
export function fmuladdSlow(
  fmt: FloatFormat,
  a: bigint,
  b: bigint,
  c: bigint,
  env: FloatEnv,
  negateProduct: boolean,
  negateAddend: boolean,
): bigint {
  const f = info(fmt);
  const az = isZeroBits(f, a);
  const bz = isZeroBits(f, b);
  const ai = isInfBits(f, a);
  const bi = isInfBits(f, b);
  const infTimesZero = (ai && bz) || (bi && az);
  if (isNaNBits(f, a) || isNaNBits(f, b) || isNaNBits(f, c)) {
    if (isSNaNBits(f, a) || isSNaNBits(f, b) || isSNaNBits(f, c) || infTimesZero) {
      env.flags |= FloatFlag.NV;
    }
    return f.defaultNaN;
  }
  if (infTimesZero) return invalid(f, env);
  const sp = (signOf(f, a) !== signOf(f, b)) !== negateProduct;
  const sc = signOf(f, c) !== negateAddend;
  const ci = isInfBits(f, c);
  if (ai || bi) {
    if (ci && sc !== sp) return invalid(f, env);
    return infBits(f, sp);
  }
  if (ci) return infBits(f, sc);
  const cz = isZeroBits(f, c);
  if (az || bz) {
    if (cz) return zeroBits(f, sp === sc ? sp : env.rm === RoundingMode.RDN);
    return c ^ (negateAddend ? f.signBit : 0n);
  }
  const ua = unpackFinite(f, a);
  const ub = unpackFinite(f, b);
  const pe = ua.exp + ub.exp;
  const pm = ua.sig * ub.sig;
  if (cz) return roundPack(f, sp, pe, pm, env);
  const uc = unpackFinite(f, c);
  return addExact(f, sp, pe, pm, sc, uc.exp, uc.sig, env);
}
