/**
 * The element functions of the vector floating-point instructions, through
 * `core/softfloat`: each takes `a` (the vs2 element), `b` (the vs1 element
 * or the scalar), `d` (the old destination element), the format of SEW and
 * the float environment, and returns the result bits. Widening operations
 * convert their SEW operands to 2*SEW first (exactly), as QEMU does.
 *
 * @module
 */

import {
  fadd,
  fclass,
  fcvtFF,
  fcvtFromInt,
  fcvtToInt,
  fdiv,
  feq,
  fle,
  type FloatEnv,
  FloatFlag,
  type FloatFormat,
  flt,
  fmax,
  fmin,
  fmul,
  fmuladd,
  fsqrt,
  fsub,
  RoundingMode,
  unboxF16,
  unboxF32,
} from "../../plugin_target.ts";
import { frec7, frsqrt7 } from "./vector_fp_estimate.ts";

/**
 * The scalar f[rs1] (a raw 64-bit register) as an element of SEW bits: a
 * half or single that is not properly NaN-boxed is the canonical NaN.
 *
 * @example
 * ```ts
 * import { unboxScalar } from "./vector_fp_ops.ts";
 * console.log(unboxScalar(0x3f800000n, 32).toString(16)); // "7fc00000"
 * ```
 */
export function unboxScalar(x: bigint, sew: number): bigint {
  if (sew === 64) return BigInt.asUintN(64, x);
  return sew === 32 ? unboxF32(x) : unboxF16(x);
}

/** The format of each FP SEW. */
export const FP_FORMAT: Record<number, FloatFormat> = { 16: "f16", 32: "f32", 64: "f64" };

/** An FP element function. */
export type FpElemFn = (a: bigint, b: bigint, d: bigint, fmt: FloatFormat, env: FloatEnv) => bigint;

const signBit = (fmt: FloatFormat) => 1n << BigInt(fmt === "f16" ? 15 : fmt === "f32" ? 31 : 63);
const b2n = (on: boolean): bigint => (on ? 1n : 0n);

/** A fused multiply-add: `product` operands, addend, and its sign changes. */
const fma = (np: boolean, na: boolean, addendIsD: boolean): FpElemFn => (a, b, d, fmt, env) =>
  addendIsD ? fmuladd(fmt, b, a, d, env, np, na) : fmuladd(fmt, b, d, a, env, np, na);

/** SEW-wide operations. */
export const FP_SINGLE: Record<string, FpElemFn> = {
  vfadd: (a, b, _d, f, e) => fadd(f, a, b, e),
  vfsub: (a, b, _d, f, e) => fsub(f, a, b, e),
  vfrsub: (a, b, _d, f, e) => fsub(f, b, a, e),
  vfmul: (a, b, _d, f, e) => fmul(f, a, b, e),
  vfdiv: (a, b, _d, f, e) => fdiv(f, a, b, e),
  vfrdiv: (a, b, _d, f, e) => fdiv(f, b, a, e),
  vfmin: (a, b, _d, f, e) => fmin(f, a, b, e),
  vfmax: (a, b, _d, f, e) => fmax(f, a, b, e),
  vfsgnj: (a, b, _d, f) => (a & ~signBit(f)) | (b & signBit(f)),
  vfsgnjn: (a, b, _d, f) => (a & ~signBit(f)) | (~b & signBit(f)),
  vfsgnjx: (a, b, _d, f) => a ^ (b & signBit(f)),
  vfmacc: fma(false, false, true),
  vfnmacc: fma(true, true, true),
  vfmsac: fma(false, true, true),
  vfnmsac: fma(true, false, true),
  vfmadd: fma(false, false, false),
  vfnmadd: fma(true, true, false),
  vfmsub: fma(false, true, false),
  vfnmsub: fma(true, false, false),
};

/** Comparisons into a mask bit (vmfgt/vmfge swap operands of flt/fle). */
export const FP_COMPARE: Record<string, FpElemFn> = {
  vmfeq: (a, b, _d, f, e) => feq(f, a, b, e),
  vmfne: (a, b, _d, f, e) => b2n(feq(f, a, b, e) === 0n),
  vmflt: (a, b, _d, f, e) => flt(f, a, b, e),
  vmfle: (a, b, _d, f, e) => fle(f, a, b, e),
  vmfgt: (a, b, _d, f, e) => flt(f, b, a, e),
  vmfge: (a, b, _d, f, e) => fle(f, b, a, e),
};

/** The format twice as wide. */
export const WIDER: Record<string, FloatFormat> = { f16: "f32", f32: "f64" };

/** `x` of format `fmt` converted (exactly) to the format twice as wide. */
function widen(x: bigint, fmt: FloatFormat, env: FloatEnv): bigint {
  return fcvtFF(fmt, WIDER[fmt], x, env);
}

/** A widening operation: `op` at 2*SEW on operands widened (vs2 already wide for `.w`). */
function wide(op: FpElemFn, vs2Wide: boolean): FpElemFn {
  return (a, b, d, f, e) => {
    const w = WIDER[f];
    return op(vs2Wide ? a : widen(a, f, e), widen(b, f, e), d, w, e);
  };
}

/** Widening operations (`.w` forms read vs2 at 2*SEW). */
export const FP_WIDENING: Record<string, FpElemFn> = {
  vfwadd: wide(FP_SINGLE.vfadd, false),
  vfwsub: wide(FP_SINGLE.vfsub, false),
  "vfwadd.w": wide(FP_SINGLE.vfadd, true),
  "vfwsub.w": wide(FP_SINGLE.vfsub, true),
  vfwmul: wide(FP_SINGLE.vfmul, false),
  vfwmacc: wide(FP_SINGLE.vfmacc, false),
  vfwnmacc: wide(FP_SINGLE.vfnmacc, false),
  vfwmsac: wide(FP_SINGLE.vfmsac, false),
  vfwnmsac: wide(FP_SINGLE.vfnmsac, false),
};

/** `x` (zero-extended `bits` wide) to an integer of `bits` bits, saturating (NV only) as RISC-V. */
function toInt(fmt: FloatFormat, x: bigint, bits: number, signed: boolean, env: FloatEnv) {
  if (bits >= 32) return fcvtToInt(fmt, x, bits as 32 | 64, signed, env);
  const trial = { rm: env.rm, flags: 0 };
  const r = BigInt.asIntN(64, fcvtToInt(fmt, x, 64, signed, trial));
  const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const overflow = r < lo || r > hi || (!signed && (trial.flags & FloatFlag.NV) !== 0);
  if (!overflow) {
    env.flags |= trial.flags;
    return r;
  }
  env.flags |= FloatFlag.NV;
  // NaN and positive overflow saturate high (unsigned NaN too); negative values low.
  const negative = (x >> BigInt(fmtBits(fmt) - 1)) & 1n;
  const nan = fclass(fmt, x) >= 0x100n;
  return nan || !negative ? hi : lo;
}

const fmtBits = (fmt: FloatFormat) => (fmt === "f16" ? 16 : fmt === "f32" ? 32 : 64);

/** An integer of `bits` bits (zero-extended) to `fmt`. */
function fromInt(fmt: FloatFormat, x: bigint, bits: number, signed: boolean, env: FloatEnv) {
  const v = signed ? BigInt.asIntN(bits, x) : BigInt.asUintN(bits, x);
  return fcvtFromInt(fmt, v, bits > 32 ? 64 : 32, signed, env);
}

/** With the rounding mode forced to round-towards-zero. */
const rtz = (f: (env: FloatEnv) => bigint, env: FloatEnv): bigint => {
  const t = { rm: RoundingMode.RTZ, flags: 0 }, r = f(t);
  env.flags |= t.flags;
  return r;
};

/**
 * A unary operation: source and destination widths in bits (`src`, `dst`,
 * multiples of SEW given as 1 or 2), and the function of the source value.
 */
export interface FpUnary {
  readonly src: 1 | 2;
  readonly dst: 1 | 2;
  readonly fn: (x: bigint, sew: number, env: FloatEnv) => bigint;
}

/** The float format of `bits`. */
const F = (bits: number) => FP_FORMAT[bits];

/** Round to odd (vfncvt.rod.f.f.w): truncate, then set the last bit when inexact. */
function roundToOdd(x: bigint, from: FloatFormat, to: FloatFormat, env: FloatEnv): bigint {
  const t = { rm: RoundingMode.RTZ, flags: 0 }, r = fcvtFF(from, to, x, t);
  env.flags |= t.flags;
  const finite = fclass(to, r) & 0x7en; // normal or subnormal, either sign, not zero/inf/nan
  return (t.flags & FloatFlag.NX) && finite ? r | 1n : r;
}

/** Conversions, square root and class (vs1 selects the operation). */
export const FP_UNARY: Record<string, FpUnary> = {
  "vfsqrt.v": { src: 1, dst: 1, fn: (x, s, e) => fsqrt(F(s), x, e) },
  "vfclass.v": { src: 1, dst: 1, fn: (x, s) => fclass(F(s), x) },
  "vfrec7.v": { src: 1, dst: 1, fn: (x, s, e) => frec7(F(s), x, e) },
  "vfrsqrt7.v": { src: 1, dst: 1, fn: (x, s, e) => frsqrt7(F(s), x, e) },
  "vfcvt.xu.f.v": { src: 1, dst: 1, fn: (x, s, e) => toInt(F(s), x, s, false, e) },
  "vfcvt.x.f.v": { src: 1, dst: 1, fn: (x, s, e) => toInt(F(s), x, s, true, e) },
  "vfcvt.rtz.xu.f.v": {
    src: 1,
    dst: 1,
    fn: (x, s, e) => rtz((t) => toInt(F(s), x, s, false, t), e),
  },
  "vfcvt.rtz.x.f.v": { src: 1, dst: 1, fn: (x, s, e) => rtz((t) => toInt(F(s), x, s, true, t), e) },
  "vfcvt.f.xu.v": { src: 1, dst: 1, fn: (x, s, e) => fromInt(F(s), x, s, false, e) },
  "vfcvt.f.x.v": { src: 1, dst: 1, fn: (x, s, e) => fromInt(F(s), x, s, true, e) },
  "vfwcvt.xu.f.v": { src: 1, dst: 2, fn: (x, s, e) => toInt(F(s), x, 2 * s, false, e) },
  "vfwcvt.x.f.v": { src: 1, dst: 2, fn: (x, s, e) => toInt(F(s), x, 2 * s, true, e) },
  "vfwcvt.rtz.xu.f.v": {
    src: 1,
    dst: 2,
    fn: (x, s, e) => rtz((t) => toInt(F(s), x, 2 * s, false, t), e),
  },
  "vfwcvt.rtz.x.f.v": {
    src: 1,
    dst: 2,
    fn: (x, s, e) => rtz((t) => toInt(F(s), x, 2 * s, true, t), e),
  },
  "vfwcvt.f.xu.v": { src: 1, dst: 2, fn: (x, s, e) => fromInt(F(2 * s), x, s, false, e) },
  "vfwcvt.f.x.v": { src: 1, dst: 2, fn: (x, s, e) => fromInt(F(2 * s), x, s, true, e) },
  "vfwcvt.f.f.v": { src: 1, dst: 2, fn: (x, s, e) => fcvtFF(F(s), F(2 * s), x, e) },
  "vfncvt.xu.f.w": { src: 2, dst: 1, fn: (x, s, e) => toInt(F(2 * s), x, s, false, e) },
  "vfncvt.x.f.w": { src: 2, dst: 1, fn: (x, s, e) => toInt(F(2 * s), x, s, true, e) },
  "vfncvt.rtz.xu.f.w": {
    src: 2,
    dst: 1,
    fn: (x, s, e) => rtz((t) => toInt(F(2 * s), x, s, false, t), e),
  },
  "vfncvt.rtz.x.f.w": {
    src: 2,
    dst: 1,
    fn: (x, s, e) => rtz((t) => toInt(F(2 * s), x, s, true, t), e),
  },
  "vfncvt.f.xu.w": { src: 2, dst: 1, fn: (x, s, e) => fromInt(F(s), x, 2 * s, false, e) },
  "vfncvt.f.x.w": { src: 2, dst: 1, fn: (x, s, e) => fromInt(F(s), x, 2 * s, true, e) },
  "vfncvt.f.f.w": { src: 2, dst: 1, fn: (x, s, e) => fcvtFF(F(2 * s), F(s), x, e) },
  "vfncvt.rod.f.f.w": { src: 2, dst: 1, fn: (x, s, e) => roundToOdd(x, F(2 * s), F(s), e) },
};
