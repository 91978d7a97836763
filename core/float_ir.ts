/**
 * Binary64 fast paths written in IR, shared by the targets' FP translators so
 * both backends run them (the JIT as native f64 ops). In round-to-nearest-even,
 * with finite operands and a comfortably normal result, the host's IEEE
 * arithmetic gives the exact same result as a soft-float; the inexact flag
 * comes from error-free transforms (TwoSum, Veltkamp/Dekker TwoProduct).
 * Everything else (other rounding modes, NaN, infinities, overflow, tiny
 * results) branches to the caller's slow label, where the target calls its
 * soft-float helper. No path produces a NaN, so the targets' NaN rules
 * (RISC-V's canonical NaN, Arm's propagation and FPCR.DN) stay in their
 * helpers. Targets: `targets/riscv/fp_fast.ts`, `targets/aarch64/fp_ir.ts`.
 *
 * @module
 */

import { Cond, type Label, Op, type Temp } from "./ir.ts";
import type { IrEmitter } from "./ir_builder.ts";
import { RoundingMode as Rounding } from "./softfloat/mod.ts";

const EXP_MASK = 0x7ffn;
const SIGN = 1n << 63n;
const MANTISSA = (1n << 52n) - 1n;
/** Biased exponents of operands whose Dekker product is exact: magnitudes in [2^-450, 2^450). */
const DEKKER_MIN = 1023n - 450n;
const DEKKER_MAX = 1023n + 449n;
/** The largest biased exponent of an FMA addend or result: magnitudes below 2^1020 (no overflow). */
const SUM_MAX = 1023n + 1019n;
/** 2^27 + 1, Veltkamp's splitting constant, as binary64 bits. */
const SPLITTER = 0x41a0000002000000n;

/** The arithmetic a fast path computes. */
export type FastKind =
  | "fadd"
  | "fsub"
  | "fmul"
  | "fdiv"
  | "fsqrt"
  | "fmadd"
  | "fmsub"
  | "fnmsub"
  | "fnmadd";

/** Where a fast path emits its IR, and the label of the slow path it branches to. */
export interface FloatIr {
  /** the block being built */
  ir: IrEmitter;
  /** where every case a fast path does not cover branches (the target's helper call) */
  slow: Label;
}

/** A constant temp. */
function k(e: FloatIr, v: bigint | number): Temp {
  return e.ir.constant(v);
}

function f(e: FloatIr, op: Op, a: Temp, b: Temp): Temp {
  const t = e.ir.temp();
  e.ir.binop(op, t, a, b);
  return t;
}

/** The biased exponent of binary64 bits `x`. */
function exponent(e: FloatIr, x: Temp): Temp {
  return f(e, Op.AND, f(e, Op.SHR, x, k(e, 52)), k(e, EXP_MASK));
}

/** Branches to the slow path unless `lo <= exponent(x) <= hi`. */
function requireExponent(e: FloatIr, x: Temp, lo: bigint, hi: bigint): void {
  const biased = f(e, Op.SUB, exponent(e, x), k(e, lo));
  e.ir.brcond(Cond.GTU, biased, k(e, hi - lo), e.slow);
}

/** Veltkamp split of `x` into a high and a low half (exact). */
function split(e: FloatIr, x: Temp): [Temp, Temp] {
  const c = f(e, Op.FMUL64, x, k(e, SPLITTER));
  const hi = f(e, Op.FSUB64, c, f(e, Op.FSUB64, c, x));
  return [hi, f(e, Op.FSUB64, x, hi)];
}

/** The rounding error of `p = a * b` (Dekker's TwoProduct), exact in range. */
function productError(e: FloatIr, a: Temp, b: Temp, p: Temp): Temp {
  const [ah, al] = split(e, a), [bh, bl] = split(e, b);
  let err = f(e, Op.FSUB64, f(e, Op.FMUL64, ah, bh), p);
  err = f(e, Op.FADD64, err, f(e, Op.FMUL64, ah, bl));
  err = f(e, Op.FADD64, err, f(e, Op.FMUL64, al, bh));
  return f(e, Op.FADD64, err, f(e, Op.FMUL64, al, bl));
}

/** The rounding error of `s = a + b` (Knuth's TwoSum). */
function sumError(e: FloatIr, a: Temp, b: Temp, s: Temp): Temp {
  const bb = f(e, Op.FSUB64, s, a);
  const ea = f(e, Op.FSUB64, a, f(e, Op.FSUB64, s, bb));
  return f(e, Op.FADD64, ea, f(e, Op.FSUB64, b, bb));
}

/** 1 when the binary64 value `x` is nonzero (either sign), else 0. */
function nonzero(e: FloatIr, x: Temp): Temp {
  const t = e.ir.temp();
  e.ir.setcond(Cond.NE, t, f(e, Op.AND, x, k(e, ~SIGN)), k(e, 0));
  return t;
}

/**
 * `a + b` with its inexact flag; branches to slow for non-finite operands or an
 * infinite sum. A zero or subnormal sum is exact (no underflow: that needs an
 * inexact tiny result), with the host's signed zero.
 */
function sum(e: FloatIr, a: Temp, b: Temp): { r: Temp; inexact: Temp } {
  requireExponent(e, a, 0n, 0x7fen);
  requireExponent(e, b, 0n, 0x7fen);
  const r = f(e, Op.FADD64, a, b);
  requireExponent(e, r, 0n, 0x7fen);
  return { r, inexact: nonzero(e, sumError(e, a, b, r)) };
}

/**
 * Branches to `nonzeroProduct` unless `a` or `b` is a zero; falls through
 * (a zero product, exact) when both are finite, else branches to slow.
 */
function branchUnlessZeroProduct(e: FloatIr, a: Temp, b: Temp, nonzeroProduct: number): void {
  const zero = f(
    e,
    Op.OR,
    f(e, Op.XOR, nonzero(e, a), k(e, 1)),
    f(e, Op.XOR, nonzero(e, b), k(e, 1)),
  );
  e.ir.brcond(Cond.EQ, zero, k(e, 0), nonzeroProduct);
  requireExponent(e, a, 0n, 0x7fen);
  requireExponent(e, b, 0n, 0x7fen);
}

function negate(e: FloatIr, x: Temp): Temp {
  return f(e, Op.XOR, x, k(e, SIGN));
}

/**
 * `kind(srcs)` rounded to nearest-even, with 1 in `inexact` when rounding lost
 * something (the only flag a fast path can raise); other cases go to `e.slow`.
 *
 * @example
 * ```ts
 * import { emitF64Arith } from "./float_ir.ts";
 * import { IrBuilder } from "./ir_builder.ts";
 * const ir = new IrBuilder(2);
 * const { r } = emitF64Arith({ ir, slow: ir.label() }, "fadd", [0, 1]);
 * console.log(r >= 2); // true
 * ```
 */
export function emitF64Arith(
  e: FloatIr,
  kind: FastKind,
  srcs: Temp[],
): { r: Temp; inexact: Temp } {
  const [a, b, c] = srcs;
  switch (kind) {
    case "fadd":
      return sum(e, a, b);
    case "fsub":
      return sum(e, a, negate(e, b));
    case "fmul":
      return multiply(e, a, b);
    case "fdiv": {
      // q * b rounds to about a: a's exponent keeps the product's error term normal
      requireExponent(e, a, 107n, 0x7fen - 28n);
      requireExponent(e, b, 1n, 0x7fen - 28n);
      const q = f(e, Op.FDIV64, a, b);
      requireExponent(e, q, 107n, 0x7fen - 28n);
      // q is exact iff q * b == a exactly
      const p = f(e, Op.FMUL64, q, b);
      const differs = e.ir.temp();
      e.ir.setcond(Cond.NE, differs, p, a);
      return { r: q, inexact: f(e, Op.OR, differs, nonzero(e, productError(e, q, b, p))) };
    }
    case "fsqrt": {
      // positive, in [2^-900, 2^900): the root is in Dekker's range, r * r checks it
      const signAndExponent = f(e, Op.SHR, a, k(e, 52));
      e.ir.brcond(
        Cond.GTU,
        f(e, Op.SUB, signAndExponent, k(e, 123)),
        k(e, 1799),
        e.slow,
      );
      const r = e.ir.temp();
      e.ir.binop(Op.FSQRT64, r, a);
      const p = f(e, Op.FMUL64, r, r);
      const differs = e.ir.temp();
      e.ir.setcond(Cond.NE, differs, p, a);
      return { r, inexact: f(e, Op.OR, differs, nonzero(e, productError(e, r, r, p))) };
    }
    default:
      return fusedMultiplyAdd(e, kind, a, b, c);
  }
}

/** `a * b` with its inexact flag: a zero product (exact) or a normal one with Dekker's error. */
function multiply(e: FloatIr, a: Temp, b: Temp): { r: Temp; inexact: Temp } {
  const { ir } = e;
  const r = ir.temp(), inexact = ir.temp();
  const nonzeroProduct = ir.label(), join = ir.label();
  branchUnlessZeroProduct(e, a, b, nonzeroProduct);
  ir.mov(r, f(e, Op.FMUL64, a, b));
  ir.movi(inexact, 0n);
  ir.br(join);
  ir.setLabel(nonzeroProduct);
  requireExponent(e, a, 1n, 0x7fen - 28n);
  requireExponent(e, b, 1n, 0x7fen - 28n);
  ir.mov(r, f(e, Op.FMUL64, a, b));
  requireExponent(e, r, 107n, 0x7fen - 28n);
  ir.mov(inexact, nonzero(e, productError(e, a, b, r)));
  ir.setLabel(join);
  return { r, inexact };
}

/**
 * `±(a * b) ± c` rounded once. A zero product leaves the finite addend as the
 * host's sum with a signed zero (exact). Otherwise, for operands in Dekker's
 * range, `ph + pl = a * b` (TwoProduct), `s + e1 = ph + c`, `t + e2 = e1 + pl`
 * and `r + e3 = s + t` (TwoSum): the exact result is `r + e3 + e2`. With
 * `e2 = 0`, `r` is the correct rounding of `s + t`; otherwise `r` is still
 * correct when `|e3| + |e2|` stays below the distance from `r` to the nearest
 * rounding boundary (half an ulp, a quarter below a power of two). Every other
 * case (NaN, infinite or out-of-range operands, a result near a rounding
 * boundary) goes to the helper.
 */
function fusedMultiplyAdd(
  e: FloatIr,
  kind: FastKind,
  a: Temp,
  b: Temp,
  c: Temp,
): { r: Temp; inexact: Temp } {
  const { ir } = e;
  const x = kind === "fnmsub" || kind === "fnmadd" ? negate(e, a) : a;
  const addend = kind === "fmsub" || kind === "fnmadd" ? negate(e, c) : c;
  const r = ir.temp(), inexact = ir.temp();
  const nonzeroProduct = ir.label(), join = ir.label();
  branchUnlessZeroProduct(e, a, b, nonzeroProduct);
  requireExponent(e, addend, 0n, 0x7fen);
  ir.mov(r, f(e, Op.FADD64, f(e, Op.FMUL64, x, b), addend));
  ir.movi(inexact, 0n);
  ir.br(join);
  ir.setLabel(nonzeroProduct);
  requireExponent(e, a, DEKKER_MIN, DEKKER_MAX);
  requireExponent(e, b, DEKKER_MIN, DEKKER_MAX);
  requireExponent(e, addend, 0n, SUM_MAX);
  const ph = f(e, Op.FMUL64, x, b), pl = productError(e, x, b, ph);
  const s = f(e, Op.FADD64, ph, addend), e1 = sumError(e, ph, addend, s);
  const t = f(e, Op.FADD64, e1, pl), e2 = sumError(e, e1, pl, t);
  ir.mov(r, f(e, Op.FADD64, s, t));
  const e3 = sumError(e, s, t, r);
  // The exact result is zero or at least 2^-1004 (the product is a multiple of 2^-1004 and an
  // addend that cancels it one of 2^-953), so never tiny; below 2^1021, so it never overflows.
  // With e2 = 0, r = RN(s + t) is the exact result rounded.
  const checked = ir.label();
  ir.brcond(Cond.EQ, nonzero(e, e2), k(e, 0), checked);
  requireGap(e, r, e3, e2);
  ir.setLabel(checked);
  ir.mov(inexact, nonzero(e, f(e, Op.FADD64, e3, e2)));
  ir.setLabel(join);
  return { r, inexact };
}

/**
 * Branches to the slow path unless `|e3| + |e2|` is below the distance from the
 * normal `r` to its nearest rounding boundary: half an ulp of `r`, a quarter
 * when `r` is a power of two (the boundary below is closer). The host's sum of
 * the magnitudes rounds monotonically, so a rounded sum below the (representable)
 * distance proves the exact one is too.
 */
function requireGap(e: FloatIr, r: Temp, e3: Temp, e2: Temp): void {
  const { ir } = e;
  const exp = exponent(e, r);
  ir.brcond(Cond.LTU, exp, k(e, 55), e.slow);
  const mantissaZero = ir.temp();
  ir.setcond(Cond.EQ, mantissaZero, f(e, Op.AND, r, k(e, MANTISSA)), k(e, 0));
  const gapExp = f(e, Op.SUB, f(e, Op.SUB, exp, k(e, 53)), mantissaZero);
  const gap = f(e, Op.SHL, gapExp, k(e, 52));
  const magnitude = f(
    e,
    Op.FADD64,
    f(e, Op.AND, e3, k(e, ~SIGN)),
    f(e, Op.AND, e2, k(e, ~SIGN)),
  );
  ir.brcond(Cond.GEU, magnitude, gap, e.slow);
}

/**
 * Binary64 `x` (magnitude below 2^63, else slow) rounded to a signed integer
 * in softfloat's rounding `mode` ({@linkcode Rounding}), with 1 in `inexact`
 * when it had a fraction. The significand is shifted right by at most 54 bits
 * (a smaller `x` still leaves a nonzero rest below half a unit) or left,
 * exactly, from 2^52 up. The caller checks the range of its integer kind.
 *
 * @example
 * ```ts
 * import { emitF64ToInteger } from "./float_ir.ts";
 * import { IrBuilder } from "./ir_builder.ts";
 * const ir = new IrBuilder(1);
 * const { value } = emitF64ToInteger({ ir, slow: ir.label() }, 0, 1);
 * console.log(value >= 1); // true
 * ```
 */
export function emitF64ToInteger(
  e: FloatIr,
  x: Temp,
  mode: number,
): { value: Temp; inexact: Temp } {
  const { ir } = e;
  const exp = exponent(e, x);
  ir.brcond(Cond.GTU, exp, k(e, 1023 + 62), e.slow);
  const normal = ir.temp();
  ir.setcond(Cond.NE, normal, exp, k(e, 0));
  const sig = f(e, Op.OR, f(e, Op.AND, x, k(e, MANTISSA)), f(e, Op.SHL, normal, k(e, 52)));
  const magnitude = ir.temp(), inexact = ir.temp();
  const fraction = ir.label(), join = ir.label();
  ir.brcond(Cond.LTU, exp, k(e, 1075), fraction);
  ir.mov(magnitude, f(e, Op.SHL, sig, f(e, Op.SUB, exp, k(e, 1075))));
  ir.movi(inexact, 0n);
  ir.br(join);
  ir.setLabel(fraction);
  const down = f(e, Op.SUB, k(e, 1075), exp), drop = ir.temp();
  ir.movcond(Cond.LTU, drop, down, k(e, 54), down, k(e, 54));
  const whole = f(e, Op.SHR, sig, drop);
  const unit = f(e, Op.SHL, k(e, 1), drop);
  const rest = f(e, Op.AND, sig, f(e, Op.SUB, unit, k(e, 1)));
  ir.setcond(Cond.NE, inexact, rest, k(e, 0));
  const up = roundsUp(e, mode, x, whole, rest, f(e, Op.SHR, unit, k(e, 1)), inexact);
  ir.mov(magnitude, up ? f(e, Op.ADD, whole, up) : whole);
  ir.setLabel(join);
  const negative = f(e, Op.SAR, x, k(e, 63)); // all ones or zero
  return { value: f(e, Op.SUB, f(e, Op.XOR, magnitude, negative), negative), inexact };
}

/**
 * 1 when the magnitude `whole` + `rest` / (2 * `half`) rounds up to `whole + 1`
 * in `mode` (`x` gives the sign), else 0; undefined for RTZ (never).
 */
function roundsUp(
  e: FloatIr,
  mode: number,
  x: Temp,
  whole: Temp,
  rest: Temp,
  half: Temp,
  inexact: Temp,
): Temp | undefined {
  const { ir } = e;
  const compare = (cond: Cond) => {
    const t = ir.temp();
    ir.setcond(cond, t, rest, half);
    return t;
  };
  const sign = () => f(e, Op.SHR, x, k(e, 63));
  switch (mode) {
    case Rounding.RNE: {
      const tieToOdd = f(e, Op.AND, compare(Cond.EQ), f(e, Op.AND, whole, k(e, 1)));
      return f(e, Op.OR, compare(Cond.GTU), tieToOdd);
    }
    case Rounding.RMM:
      return compare(Cond.GEU);
    case Rounding.RDN:
      return f(e, Op.AND, sign(), inexact);
    case Rounding.RUP:
      return f(e, Op.AND, f(e, Op.XOR, sign(), k(e, 1)), inexact);
    default:
      return undefined;
  }
}

/**
 * The relations of binary64 `a` and `b` (1 or 0 each), branching to `e.slow`
 * when either is a NaN (whose comparison may raise invalid). Without NaNs no
 * comparison raises a flag, and the bit patterns order as sign-magnitude
 * integers, two zeros being equal whatever their signs.
 *
 * @example
 * ```ts
 * import { emitF64Relations } from "./float_ir.ts";
 * import { IrBuilder } from "./ir_builder.ts";
 * const ir = new IrBuilder(2);
 * const { equal, less } = emitF64Relations({ ir, slow: ir.label() }, 0, 1);
 * console.log(equal !== less); // true
 * ```
 */
export function emitF64Relations(e: FloatIr, a: Temp, b: Temp): { equal: Temp; less: Temp } {
  const { ir } = e, infinity = k(e, EXP_MASK << 52n);
  ir.brcond(Cond.GTU, f(e, Op.AND, a, k(e, ~SIGN)), infinity, e.slow);
  ir.brcond(Cond.GTU, f(e, Op.AND, b, k(e, ~SIGN)), infinity, e.slow);
  const zeros = ir.temp(), same = ir.temp(), below = ir.temp();
  ir.setcond(Cond.EQ, zeros, f(e, Op.AND, f(e, Op.OR, a, b), k(e, ~SIGN)), k(e, 0));
  ir.setcond(Cond.EQ, same, a, b);
  ir.setcond(Cond.LT, below, orderKey(e, a), orderKey(e, b));
  return {
    equal: f(e, Op.OR, same, zeros),
    less: f(e, Op.AND, below, f(e, Op.XOR, zeros, k(e, 1))),
  };
}

/** Binary64 bits as a signed integer in the order of their (non-NaN) values, -0 below +0. */
function orderKey(e: FloatIr, x: Temp): Temp {
  const negativeMask = f(e, Op.SHR, f(e, Op.SAR, x, k(e, 63)), k(e, 1));
  return f(e, Op.XOR, x, negativeMask);
}
