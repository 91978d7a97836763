/**
 * Scalar floating point (single and double), through `core/softfloat` for
 * everything that rounds: one helper, `a64_fp`, reads its operands from the
 * V registers, honours FPCR (the rounding mode, DN) and ORs the exceptions
 * into FPSR's cumulative flags.
 *
 * What Arm does differently from the RISC-V semantics softfloat implements,
 * and is done here: NaN operands propagate (the first signalling NaN,
 * quietened, else the first quiet NaN; the default NaN when FPCR.DN is
 * set) instead of becoming the canonical NaN; fmin/fmax propagate NaNs
 * (fminnm/fmaxnm are IEEE minNum/maxNum); conversions to integers give 0
 * for NaN and saturate; Arm detects tininess before rounding
 * (`tinyBeforeRounding`). Not done: FPCR.FZ (flush to zero).
 *
 * @module
 */

import {
  type CpuCore,
  fadd,
  fcvtFF,
  fcvtFromInt,
  fdiv,
  type FloatEnv,
  FloatFlag,
  type FloatFormat,
  fmul,
  fmuladd,
  fsqrt,
  fsub,
  type HelperDef,
} from "../../plugin_target.ts";
import { A64 } from "./state.ts";
import { numberLanes, sameFast } from "./simd_fp_fast.ts";

/**
 * The operations, by `a64_fp`'s first argument.
 *
 * @example
 * ```ts
 * import { FpOp } from "./fp_helpers.ts";
 * console.log(FpOp.DIV); // 3
 * ```
 */
export const FpOp = {
  ADD: 0,
  SUB: 1,
  MUL: 2,
  DIV: 3,
  MAX: 4,
  MIN: 5,
  MAXNM: 6,
  MINNM: 7,
  NMUL: 8,
  SQRT: 9,
  CVT: 10,
  FRINT: 11,
  CMP: 12,
  CMPE: 13,
  MADD: 14,
  MSUB: 15,
  NMADD: 16,
  NMSUB: 17,
  SCVTF: 18,
  UCVTF: 19,
  TO_SINT: 20,
  TO_UINT: 21,
  ABD: 22,
  /** fcvt from single or double (`double`) to half precision */
  CVT_TO_H: 23,
  /** fcvt from half precision to single or double (`double`) */
  CVT_FROM_H: 24,
} as const;

/**
 * Rounding of `info`'s mode field: the Arm modes, `FPCR` for FPCR.RMode,
 * `EXACT` for FPCR.RMode raising inexact (frintx).
 */
export const FpRound = { RN: 0, RP: 1, RM: 2, RZ: 3, RA: 4, FPCR: 5, EXACT: 6 } as const;

/**
 * Packs `a64_fp`'s info argument.
 *
 * @example
 * ```ts
 * import { fpInfo, FpRound } from "./fp_helpers.ts";
 * console.log(fpInfo({ double: 1, round: FpRound.RZ })); // 193
 * ```
 */
export function fpInfo(
  f: { double: number; ra?: number; round?: number; sf?: number; fbits?: number; vreg?: number },
): number {
  return f.double | ((f.ra ?? 0) << 1) | ((f.round ?? FpRound.FPCR) << 6) | ((f.sf ?? 0) << 9) |
    ((f.fbits ?? 0) << 10) | ((f.vreg ?? 0) << 17);
}

/** Softfloat's round-toward-zero. */
const RTZ = 1;
/** Softfloat's rounding mode for an Arm one (RA is RMM). */
const SOFTFLOAT_RM = [0, 3, 2, 1, 4];

/** FPSR.IDC (input denormal) among the flags: softfloat has no such flag. */
const IDC = 32;

/** FPSR's cumulative bits for softfloat's flags. */
function fpsrBits(flags: number): bigint {
  let v = flags & IDC ? 0x80 : 0;
  if (flags & FloatFlag.NV) v |= 1;
  if (flags & FloatFlag.DZ) v |= 2;
  if (flags & FloatFlag.OF) v |= 4;
  if (flags & FloatFlag.UF) v |= 8;
  if (flags & FloatFlag.NX) v |= 16;
  return BigInt(v);
}

/** A format: single or double precision. */
export interface Fmt {
  name: FloatFormat;
  bits: number;
  mantissa: number;
  quiet: bigint;
  defaultNaN: bigint;
  /** the exponent field's bits, in place (an infinity's magnitude) */
  expMask: bigint;
  /** the fraction field's bits */
  fracMask: bigint;
}

/** The format of `bits` bits with `mantissa` fraction bits, its masks made once. */
function format(name: FloatFormat, bits: number, mantissa: number, defaultNaN: bigint): Fmt {
  const fracMask = (1n << BigInt(mantissa)) - 1n;
  const expMask = ((1n << BigInt(bits - 1)) - 1n) ^ fracMask;
  return { name, bits, mantissa, quiet: 1n << BigInt(mantissa - 1), defaultNaN, expMask, fracMask };
}
/** Single precision. */
export const F32: Fmt = format("f32", 32, 23, 0x7fc00000n);
/** Double precision. */
export const F64: Fmt = format("f64", 64, 52, 0x7ff8000000000000n);
/** Half precision (fcvt's only: no FP16 arithmetic). */
export const F16: Fmt = format("f16", 16, 10, 0x7e00n);

const isNaN = (f: Fmt, v: bigint) => (v & f.expMask) === f.expMask && (v & f.fracMask) !== 0n;
const isSignalling = (f: Fmt, v: bigint) => isNaN(f, v) && (v & f.quiet) === 0n;

/** Whether one of `a`, `b` is an infinity and the other a zero. */
export function infTimesZero(f: Fmt, a: bigint, b: bigint): boolean {
  const magnitude = f.expMask | f.fracMask, inf = f.expMask;
  const ma = a & magnitude, mb = b & magnitude;
  return (ma === inf && mb === 0n) || (ma === 0n && mb === inf);
}

/** Arm's NaN processing of `ops`: null when none is a NaN. */
export function processNaNs(f: Fmt, env: FloatEnv, dn: boolean, ops: bigint[]): bigint | null {
  const snan = ops.find((v) => isSignalling(f, v));
  const nan = snan ?? ops.find((v) => isNaN(f, v));
  if (nan === undefined) return null;
  if (snan !== undefined) env.flags |= FloatFlag.NV;
  return dn ? f.defaultNaN : nan | f.quiet;
}

/** Eight bytes that carry a value between its bits and a number (the helpers never nest). */
const scratch = new DataView(new ArrayBuffer(8));

/** The value of a format's bits as a JS number (exact). */
export function toNumber(f: Fmt, v: bigint): number {
  const dv = scratch;
  if (f.bits === 64) {
    dv.setBigUint64(0, v);
    return dv.getFloat64(0);
  }
  dv.setUint32(0, Number(v));
  return dv.getFloat32(0);
}

/** A number as a format's bits (exact for values of that format). */
function fromNumber(f: Fmt, x: number): bigint {
  const dv = scratch;
  if (f.bits === 64) {
    dv.setFloat64(0, x);
    return dv.getBigUint64(0);
  }
  dv.setFloat32(0, x);
  return BigInt(dv.getUint32(0));
}

/** `x` rounded to an integral value in Arm mode `mode` (RN, RP, RM, RZ, RA). */
function roundIntegral(x: number, mode: number): number {
  const r = [roundEven, Math.ceil, Math.floor, Math.trunc, roundAway][mode](x);
  return r === 0 ? (Object.is(x, -0) || x < 0 ? -0 : 0) : r;
}
function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(r - x) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
function roundAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** fmax/fmin (NaNs propagate) and fmaxnm/fminnm (a quiet NaN loses to a number). */
export function minMax(
  f: Fmt,
  op: number,
  a: bigint,
  b: bigint,
  env: FloatEnv,
  dn: boolean,
): bigint {
  const numeric = op === FpOp.MAXNM || op === FpOp.MINNM;
  if (numeric && !isSignalling(f, a) && !isSignalling(f, b)) {
    if (isNaN(f, a) && !isNaN(f, b)) return b;
    if (isNaN(f, b) && !isNaN(f, a)) return a;
  }
  const nan = processNaNs(f, env, dn, [a, b]);
  if (nan !== null) return nan;
  const x = toNumber(f, a), y = toNumber(f, b);
  const max = op === FpOp.MAX || op === FpOp.MAXNM;
  if (x === y) return max ? a & b : a | b; // +0 and -0: the sign bit of the larger one
  return (x > y) === max ? a : b;
}

/** NZCV of a comparison: unordered 0011, equal 0110, less 1000, greater 0010. */
export function compare(f: Fmt, a: bigint, b: bigint, env: FloatEnv, signalAll: boolean): number {
  if (isNaN(f, a) || isNaN(f, b)) {
    if (signalAll || isSignalling(f, a) || isSignalling(f, b)) env.flags |= FloatFlag.NV;
    return 0b0011;
  }
  const x = toNumber(f, a), y = toNumber(f, b);
  return x === y ? 0b0110 : x < y ? 0b1000 : 0b0010;
}

/** Conversion to a `bits`-bit integer (signed or not) of `x * 2^fbits`, Arm's saturation. */
export function toInt(
  f: Fmt,
  a: bigint,
  signed: boolean,
  bits: number,
  fbits: number,
  mode: number,
  env: FloatEnv,
) {
  if (isNaN(f, a)) {
    env.flags |= FloatFlag.NV;
    return 0n;
  }
  const x = toNumber(f, a) * 2 ** fbits;
  const r = roundIntegral(x, mode);
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (!Number.isFinite(r) || BigInt(r) < min || BigInt(r) > max) {
    env.flags |= FloatFlag.NV;
    return r > 0 ? max : min;
  }
  if (r !== x) env.flags |= FloatFlag.NX;
  return BigInt(r);
}

/** fcvt between single and double; NaNs keep their payload (quietened), as Arm converts them. */
export function convert(from: Fmt, to: Fmt, a: bigint, env: FloatEnv, dn: boolean): bigint {
  if (isNaN(from, a)) {
    if (isSignalling(from, a)) env.flags |= FloatFlag.NV;
    if (dn) return to.defaultNaN;
    const sign = a >> BigInt(from.bits - 1);
    const payload = a & ((1n << BigInt(from.mantissa)) - 1n);
    const moved = to.mantissa > from.mantissa
      ? payload << BigInt(to.mantissa - from.mantissa)
      : payload >> BigInt(from.mantissa - to.mantissa);
    const exp = ((1n << BigInt(to.bits - 1 - to.mantissa)) - 1n) << BigInt(to.mantissa);
    return (sign << BigInt(to.bits - 1)) | exp | moved | to.quiet;
  }
  const r = fcvtFF(from.name, to.name, a, env);
  tinyBeforeRounding(to, r, env, () => fcvtFF(from.name, to.name, a, { rm: RTZ, flags: 0 }));
  return r;
}

/**
 * fcvt to or from half precision, in FPCR.AHP's alternative format when `ahp`: no infinities or
 * NaNs, exponent 31 holding normal numbers up to 131008. From it, such a number converts
 * exactly; to it, a NaN is a zero and an infinity or a value too large the largest number, all
 * three invalid operations (and not inexact).
 */
export function convertHalf(
  from: Fmt,
  to: Fmt,
  a: bigint,
  env: FloatEnv,
  dn: boolean,
  ahp: boolean,
): bigint {
  if (!ahp) return convert(from, to, a, env, dn);
  const expBits = from.bits - 1 - from.mantissa, maxExp = (1 << expBits) - 1;
  const exp = Number(a >> BigInt(from.mantissa)) & maxExp, unbiased = exp - (maxExp >> 1);
  const sign = (a >> BigInt(from.bits - 1)) & 1n;
  if (from === F16) {
    if (exp !== 31) return convert(from, to, a, env, dn);
    const toExp = BigInt(unbiased + (1 << (to.bits - 2 - to.mantissa)) - 1);
    return (sign << BigInt(to.bits - 1)) | (toExp << BigInt(to.mantissa)) |
      ((a & 0x3ffn) << BigInt(to.mantissa - 10));
  }
  const largest = (sign << 15n) | 0x7fffn;
  if (exp === maxExp) {
    env.flags |= FloatFlag.NV;
    return a & ((1n << BigInt(from.mantissa)) - 1n) ? sign << 15n : largest;
  }
  if (unbiased < 15) return convert(from, to, a, env, dn);
  // From 2^15 up: half the value to IEEE half precision (the same rounding, exactly), then the
  // exponent one higher; IEEE's overflow is the alternative format's.
  const local: FloatEnv = { rm: env.rm, flags: 0 };
  const r = convert(from, F16, a - (1n << BigInt(from.mantissa)), local, dn);
  env.flags |= local.flags & FloatFlag.OF ? FloatFlag.NV : local.flags;
  return local.flags & FloatFlag.OF ? largest : r + 0x400n;
}

/** The low `f.bits` of Vn. */
function operand(cpu: CpuCore, f: Fmt, n: number): bigint {
  return BigInt.asUintN(f.bits, cpu.getGlobal(A64.vLow(n)));
}

/** Writes a scalar result to Vd (the rest of the register is zeroed). */
function setResult(cpu: CpuCore, d: number, v: bigint): void {
  cpu.setGlobal(A64.vLow(d), BigInt.asIntN(64, v));
  cpu.setGlobal(A64.vHigh(d), 0n);
}

/** Sets the flag globals from NZCV (bits 3..0 of `nzcv`). */
function setNzcv(cpu: CpuCore, nzcv: number): void {
  cpu.setGlobal(A64.NF, nzcv & 8 ? -1n : 0n);
  cpu.setGlobal(A64.ZF, nzcv & 4 ? 0n : 1n);
  cpu.setGlobal(A64.CF, BigInt((nzcv >> 1) & 1));
  cpu.setGlobal(A64.VF, nzcv & 1 ? -1n : 0n);
}

const ARITH: Partial<Record<number, typeof fadd>> = {
  [FpOp.ADD]: fadd,
  [FpOp.SUB]: fsub,
  [FpOp.MUL]: fmul,
  [FpOp.DIV]: fdiv,
  [FpOp.NMUL]: fmul,
  [FpOp.ABD]: fsub,
};

/**
 * The result of a rounding operation on `a`, `b` (and the fused operations' addend `c`), with
 * Arm's NaN processing.
 */
export function arith(
  op: number,
  f: Fmt,
  a: bigint,
  b: bigint,
  c: bigint,
  env: FloatEnv,
  dn: boolean,
): bigint {
  if (op === FpOp.SQRT) return processNaNs(f, env, dn, [a]) ?? fsqrt(f.name, a, env);
  if (op >= FpOp.MADD && op <= FpOp.NMSUB) {
    // d = ±c ± a*b: msub negates the product (as a), fnmadd both, fnmsub the addend. Arm
    // negates the operands first, so a negated NaN operand comes out with its sign flipped.
    const sign = 1n << BigInt(f.bits - 1);
    const na = op === FpOp.MSUB || op === FpOp.NMADD ? a ^ sign : a;
    const nc = op === FpOp.NMADD || op === FpOp.NMSUB ? c ^ sign : c;
    if (infTimesZero(f, na, b) && isNaN(f, nc) && !isSignalling(f, nc)) {
      env.flags |= FloatFlag.NV; // Arm: 0 * inf + qNaN is invalid, the default NaN
      return f.defaultNaN;
    }
    const nan = processNaNs(f, env, dn, [nc, na, b]);
    if (nan !== null) return nan;
    const fma = (e: FloatEnv) => fmuladd(f.name, na, b, nc, e, false, false);
    const r = fma(env);
    tinyBeforeRounding(f, r, env, () => fma({ rm: RTZ, flags: 0 }));
    return r;
  }
  if (op >= FpOp.MAX && op <= FpOp.MINNM) return minMax(f, op, a, b, env, dn);
  let r = processNaNs(f, env, dn, [a, b]);
  if (r === null) {
    r = ARITH[op]!(f.name, a, b, env);
    tinyBeforeRounding(f, r, env, () => ARITH[op]!(f.name, a, b, { rm: RTZ, flags: 0 }));
  }
  // fnmul negates and fabd takes the absolute value of the result, a NaN too.
  const sign = 1n << BigInt(f.bits - 1);
  return op === FpOp.NMUL ? r ^ sign : op === FpOp.ABD ? r & ~sign : r;
}

/** `a` rounded to an integral value in Arm mode `mode`; `exact` raises inexact (frintx). */
export function frint(
  f: Fmt,
  a: bigint,
  mode: number,
  exact: boolean,
  env: FloatEnv,
  dn: boolean,
): bigint {
  const nan = processNaNs(f, env, dn, [a]);
  if (nan !== null) return nan;
  const x = toNumber(f, a), r = roundIntegral(x, mode);
  if (!Number.isFinite(x)) return a;
  if (exact && r !== x) env.flags |= FloatFlag.NX;
  return fromNumber(f, r);
}

/** The `bits`-bit integer `x` (signed or not) divided by 2^fbits, rounded to format `f`. */
export function fromInt(
  f: Fmt,
  x: bigint,
  bits: 32 | 64,
  signed: boolean,
  fbits: number,
  env: FloatEnv,
): bigint {
  const r = fcvtFromInt(f.name, x, bits, signed, env);
  return fbits ? fromNumber(f, toNumber(f, r) / 2 ** fbits) : r;
}

/** What every operation reads from FPCR: the rounding (softfloat's and Arm's mode), DN, FZ. */
export interface FpControl {
  env: FloatEnv;
  /** the Arm rounding mode (FpRound.RN..RA) */
  mode: number;
  dn: boolean;
  fz: boolean;
  /** FPCR.AHP: half precision in the alternative format */
  ahp: boolean;
}

/** The control of an operation whose `round` field is `round` (FpRound), from FPCR. */
export function fpControl(cpu: CpuCore, round: number): FpControl {
  const fpcr = Number(cpu.getState(A64.FPCR));
  const mode = round >= FpRound.FPCR ? (fpcr >> 22) & 3 : round;
  const env = { rm: SOFTFLOAT_RM[mode], flags: 0 };
  const bit = (n: number) => ((fpcr >> n) & 1) === 1;
  return { env, mode, dn: bit(25), fz: bit(24), ahp: bit(26) };
}

/** `v` flushed to a zero of its sign when it is a denormal (raising IDC). */
function flushInput(f: Fmt, v: bigint, env: FloatEnv): bigint {
  const sign = 1n << BigInt(f.bits - 1), fraction = (1n << BigInt(f.mantissa)) - 1n;
  if ((v & ~sign & ~fraction) !== 0n || (v & fraction) === 0n) return v;
  env.flags |= IDC;
  return v & sign;
}

/**
 * Runs `op` on `inputs` as FPCR.FZ = 1 does (Arm's FPUnpack and FPRound): denormal inputs are
 * zeros, with IDC; a result `out` (its format; null when not a float) whose exact value is
 * below the normal range is a zero of its sign, with UFC and without IXC.
 */
export function flushToZero(
  f: Fmt,
  out: Fmt | null,
  inputs: bigint[],
  env: FloatEnv,
  op: (ins: bigint[], env: FloatEnv) => bigint,
): bigint {
  const local: FloatEnv = { rm: env.rm, flags: 0 };
  const r = op(inputs.map((v) => flushInput(f, v, local)), local);
  const sign = out ? 1n << BigInt(out.bits - 1) : 0n, m = r & ~sign;
  const minNormal = out ? 1n << BigInt(out.mantissa) : 0n;
  const tiny = out !== null && ((m !== 0n && m < minNormal) ||
    ((m === 0n || m === minNormal) && (local.flags & FloatFlag.UF) !== 0));
  env.flags |= tiny ? (local.flags & ~FloatFlag.NX) | FloatFlag.UF : local.flags;
  return tiny ? r & sign : r;
}

/** ORs the exceptions an operation raised into FPSR's cumulative flags. */
export function raiseFlags(cpu: CpuCore, env: FloatEnv): void {
  if (env.flags) cpu.setState(A64.FPSR, cpu.getState(A64.FPSR) | fpsrBits(env.flags));
}

/**
 * Arm detects tininess before rounding, softfloat after: they differ only when
 * a result rounds to the smallest normal magnitude. Then the exact value was
 * tiny if rounding it toward zero (`towardZero`) gives a subnormal.
 */
function tinyBeforeRounding(f: Fmt, r: bigint, env: FloatEnv, towardZero: () => bigint): void {
  const magnitude = r & ((1n << BigInt(f.bits - 1)) - 1n);
  if (magnitude !== 1n << BigInt(f.mantissa) || !(env.flags & FloatFlag.NX)) return;
  const z = towardZero() & ((1n << BigInt(f.bits - 1)) - 1n);
  if (z < 1n << BigInt(f.mantissa)) env.flags |= FloatFlag.UF;
}

/** The `a64_fp` helper: operation `op` on Vd/Xd from Vn/Xn and Vm (see {@linkcode fpInfo}). */
function fp(cpu: CpuCore, op: number, d: number, n: number, m: number, info: number): void {
  const f = info & 1 ? F64 : F32;
  const round = (info >> 6) & 7, sf = (info >> 9) & 1, fbits = (info >> 10) & 127;
  // The integer is in a V register (the AdvSIMD scalar forms), not a general one.
  const vreg = (info >> 17) & 1;
  const { env, mode, dn, fz, ahp } = fpControl(cpu, round);
  // Register 32: zero (fcmp with #0.0; scvtf and ucvtf from xzr read general register n).
  const a = n === 32 ? 0n : operand(cpu, f, n), b = m === 32 ? 0n : operand(cpu, f, m);
  /** `g` on the float operands `ins`, under FPCR.FZ; `out` is the result's format. */
  const run = (out: Fmt | null, ins: bigint[], g: (ins: bigint[], e: FloatEnv) => bigint) =>
    fz ? flushToZero(f, out, ins, env, g) : g(ins, env);
  switch (op) {
    case FpOp.CMP:
    case FpOp.CMPE: {
      const signal = op === FpOp.CMPE;
      setNzcv(cpu, Number(run(null, [a, b], ([x, y], e) => BigInt(compare(f, x, y, e, signal)))));
      break;
    }
    case FpOp.CVT: {
      const to = f === F64 ? F32 : F64;
      setResult(cpu, d, run(to, [a], ([x], e) => convert(f, to, x, e, dn)));
      break;
    }
    case FpOp.CVT_TO_H: // FZ flushes the input only (Arm's FPRoundCV ignores FZ16)
      setResult(cpu, d, run(null, [a], ([x], e) => convertHalf(f, F16, x, e, dn, ahp)));
      break;
    case FpOp.CVT_FROM_H: // no flushing (Arm's FPUnpackCV ignores FZ16)
      setResult(cpu, d, convertHalf(F16, f, operand(cpu, F16, n), env, dn, ahp));
      break;
    case FpOp.FRINT:
      setResult(cpu, d, run(f, [a], ([x], e) => frint(f, x, mode, round === FpRound.EXACT, e, dn)));
      break;
    case FpOp.SCVTF:
    case FpOp.UCVTF: {
      const x = vreg ? cpu.getGlobal(A64.vLow(n)) : n === 32 ? 0n : cpu.getGlobal(n);
      setResult(cpu, d, fromInt(f, x, sf ? 64 : 32, op === FpOp.SCVTF, fbits, env));
      break;
    }
    case FpOp.TO_SINT:
    case FpOp.TO_UINT: {
      const signed = op === FpOp.TO_SINT, bits = sf ? 64 : 32;
      const v = run(null, [a], ([x], e) => toInt(f, x, signed, bits, fbits, mode, e));
      const value = sf ? BigInt.asIntN(64, v) : BigInt.asUintN(32, v);
      if (vreg) setResult(cpu, d, value);
      else if (d !== 31) cpu.setGlobal(d, value);
      break;
    }
    default: {
      const fast = fz ? undefined : SCALAR_NUMBER_LANES[op]?.[f === F64 ? 1 : 0];
      const shape = { d, n, m, a: (info >> 1) & 31, e: f.bits / 8, count: 1, elem: -1 };
      if (fast && sameFast(cpu, fast, shape, env)) break;
      // Only the operands the operation has: FPCR.FZ raises IDC for a denormal one.
      const fused = op >= FpOp.MADD && op <= FpOp.NMSUB;
      const ins = fused
        ? [a, b, operand(cpu, f, (info >> 1) & 31)]
        : op === FpOp.SQRT
        ? [a]
        : [a, b];
      setResult(cpu, d, run(f, ins, ([x, y, z], e) => arith(op, f, x, y ?? 0n, z ?? 0n, e, dn)));
    }
  }
  raiseFlags(cpu, env);
}

/** The scalar operations with a fast path, by their number. */
const SCALAR_NUMBER_LANES = Object.fromEntries(
  [
    [FpOp.ADD, "fadd"],
    [FpOp.SUB, "fsub"],
    [FpOp.MUL, "fmul"],
    [FpOp.NMUL, "fnmul"],
    [FpOp.MADD, "fmadd"],
    [FpOp.MSUB, "fmsub"],
    [FpOp.NMADD, "fnmadd"],
    [FpOp.NMSUB, "fnmsub"],
  ].map(([op, name]) => [op, numberLanes([name as string])[0]]),
);

/**
 * The scalar FP helper.
 *
 * @example
 * ```ts
 * import { FP_HELPER } from "./fp_helpers.ts";
 * console.log(FP_HELPER.name); // "a64_fp"
 * ```
 */
export const FP_HELPER: HelperDef = {
  name: "a64_fp",
  fn: fp,
  smallArgs: true,
  hasResult: false,
  flags: { readsState: true, writesState: true },
};
