/**
 * Format descriptions, public constants and bit-pattern helpers for the
 * software floating-point library.
 *
 * All floating-point values are carried as raw bit patterns in `bigint`s:
 * binary32 in the low 32 bits (unsigned), binary64 as an unsigned 64-bit
 * value.
 *
 * @module
 */

/** Floating-point storage format: IEEE-754 binary16, binary32 or binary64. */
export type FloatFormat = "f16" | "f32" | "f64";

/** Rounding modes, numbered as RISC-V encodes them in frm. */
export const RoundingMode = { RNE: 0, RTZ: 1, RDN: 2, RUP: 3, RMM: 4 } as const;

/** Exception flags, bit positions as RISC-V fflags. */
export const FloatFlag = { NX: 1, UF: 2, OF: 4, DZ: 8, NV: 16 } as const;

/**
 * Mutable environment: rounding mode in, accrued flags out (OR-ed in).
 *
 * @example
 * ```ts
 * import { fdiv, FloatFlag, RoundingMode } from "./mod.ts";
 * const env = { rm: RoundingMode.RNE, flags: 0 };
 * fdiv("f64", 0x3ff0000000000000n, 0n, env); // 1.0 / 0.0
 * console.log(env.flags === FloatFlag.DZ); // true
 * ```
 */
export interface FloatEnv {
  /** Rounding mode (one of {@link RoundingMode}). */
  rm: number;
  /** Accrued exception flags (bits of {@link FloatFlag}). */
  flags: number;
}

/** Static description of one binary interchange format. */
export interface FmtInfo {
  /** Fraction (trailing significand) width in bits. */
  readonly fracBits: number;
  /** Exponent field width in bits. */
  readonly expBits: number;
  /** Precision p = fracBits + 1. */
  readonly p: number;
  /** Exponent bias. */
  readonly bias: number;
  /** Minimum normal unbiased exponent (1 - bias). */
  readonly emin: number;
  /** Maximum finite unbiased exponent (bias). */
  readonly emax: number;
  /** Largest biased exponent field value (all ones). */
  readonly expMax: number;
  readonly signBit: bigint;
  readonly fracMask: bigint;
  readonly expMask: bigint;
  readonly quietBit: bigint;
  readonly infBits: bigint;
  readonly maxFinite: bigint;
  readonly defaultNaN: bigint;
  /** Mask of the whole word (32 or 64 ones). */
  readonly wordMask: bigint;
  readonly fracBitsN: bigint;
}

function makeInfo(fracBits: number, expBits: number): FmtInfo {
  const bias = (1 << (expBits - 1)) - 1;
  const expMax = (1 << expBits) - 1;
  const fb = BigInt(fracBits);
  const fracMask = (1n << fb) - 1n;
  const expMask = BigInt(expMax) << fb;
  const signBit = 1n << BigInt(fracBits + expBits);
  return {
    fracBits,
    expBits,
    p: fracBits + 1,
    bias,
    emin: 1 - bias,
    emax: bias,
    expMax,
    signBit,
    fracMask,
    expMask,
    quietBit: 1n << (fb - 1n),
    infBits: expMask,
    maxFinite: expMask - 1n,
    defaultNaN: expMask | (1n << (fb - 1n)),
    wordMask: (signBit << 1n) - 1n,
    fracBitsN: fb,
  };
}

/** binary16 parameters. */
export const F16: FmtInfo = makeInfo(10, 5);
/** binary32 parameters. */
export const F32: FmtInfo = makeInfo(23, 8);
/** binary64 parameters. */
export const F64: FmtInfo = makeInfo(52, 11);

/** Look up the parameters of a format. */
export function info(fmt: FloatFormat): FmtInfo {
  return fmt === "f32" ? F32 : fmt === "f64" ? F64 : F16;
}

/** Canonical (default) NaN of binary16. */
export const CANONICAL_NAN_F16 = 0x7e00n;
/** Canonical (default) NaN of binary32. */
export const CANONICAL_NAN_F32 = 0x7fc00000n;
/** Canonical (default) NaN of binary64. */
export const CANONICAL_NAN_F64 = 0x7ff8000000000000n;

/** True if `a` encodes any NaN. */
export function isNaNBits(f: FmtInfo, a: bigint): boolean {
  return (a & f.expMask) === f.expMask && (a & f.fracMask) !== 0n;
}

/** True if `a` encodes a signaling NaN. */
export function isSNaNBits(f: FmtInfo, a: bigint): boolean {
  return isNaNBits(f, a) && (a & f.quietBit) === 0n;
}

/** True if `a` encodes ±infinity. */
export function isInfBits(f: FmtInfo, a: bigint): boolean {
  return (a & ~f.signBit) === f.infBits;
}

/** True if `a` encodes ±0. */
export function isZeroBits(f: FmtInfo, a: bigint): boolean {
  return (a & ~f.signBit) === 0n;
}

/** Sign bit of `a` as a boolean (true = negative). */
export function signOf(f: FmtInfo, a: bigint): boolean {
  return (a & f.signBit) !== 0n;
}

/**
 * A finite nonzero value decoded as sign * sig * 2^exp with an integer
 * significand (no hidden-bit normalisation beyond the format's own).
 */
export interface Unpacked {
  sign: boolean;
  exp: number;
  sig: bigint;
}

/** Decode a finite, nonzero bit pattern into sign, exponent and integer significand. */
export function unpackFinite(f: FmtInfo, a: bigint): Unpacked {
  const sign = (a & f.signBit) !== 0n;
  const be = Number((a & f.expMask) >> f.fracBitsN);
  const frac = a & f.fracMask;
  if (be === 0) return { sign, exp: f.emin - f.fracBits, sig: frac };
  return { sign, exp: be - f.bias - f.fracBits, sig: frac | (1n << f.fracBitsN) };
}

/** Signed zero of the format. */
export function zeroBits(f: FmtInfo, sign: boolean): bigint {
  return sign ? f.signBit : 0n;
}

/** Signed infinity of the format. */
export function infBits(f: FmtInfo, sign: boolean): bigint {
  return sign ? f.signBit | f.infBits : f.infBits;
}

/** Mask an arbitrary bigint to the format's word width. */
export function toWord(f: FmtInfo, a: bigint): bigint {
  return a & f.wordMask;
}

const BOX_HIGH = 0xffffffff00000000n;

/**
 * NaN-box a binary32 pattern into a 64-bit register value (upper 32 bits all ones).
 *
 * @example
 * ```ts
 * nanBox32(0x3f800000n); // 0xffffffff3f800000n
 * ```
 */
export function nanBox32(bits: bigint): bigint {
  return BOX_HIGH | (bits & 0xffffffffn);
}

/**
 * Read a binary32 value out of a 64-bit register: a properly NaN-boxed value
 * yields its low 32 bits, anything else the canonical NaN 0x7fc00000.
 *
 * @example
 * ```ts
 * unboxF32(0xffffffff3f800000n); // 0x3f800000n
 * unboxF32(0x000000003f800000n); // 0x7fc00000n
 * ```
 */
export function unboxF32(reg64: bigint): bigint {
  return (reg64 & BOX_HIGH) === BOX_HIGH ? reg64 & 0xffffffffn : CANONICAL_NAN_F32;
}

const BOX_HIGH_16 = 0xffffffffffff0000n;

/**
 * NaN-box a binary16 pattern into a 64-bit register value (upper 48 bits all ones).
 *
 * @example
 * ```ts
 * nanBox16(0x3c00n); // 0xffffffffffff3c00n
 * ```
 */
export function nanBox16(bits: bigint): bigint {
  return BOX_HIGH_16 | (bits & 0xffffn);
}

/**
 * Read a binary16 value out of a 64-bit register: a properly NaN-boxed value
 * yields its low 16 bits, anything else the canonical NaN 0x7e00.
 *
 * @example
 * ```ts
 * unboxF16(0xffffffffffff3c00n); // 0x3c00n
 * unboxF16(0xffffffff00003c00n); // 0x7e00n
 * ```
 */
export function unboxF16(reg64: bigint): bigint {
  return (reg64 & BOX_HIGH_16) === BOX_HIGH_16 ? reg64 & 0xffffn : CANONICAL_NAN_F16;
}
