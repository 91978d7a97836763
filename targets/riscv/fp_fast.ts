/**
 * Fast paths for double-precision arithmetic, written in IR so both backends
 * run them (the JIT as native f64 ops). In round-to-nearest-even, with finite
 * operands and a comfortably normal result, the host's IEEE arithmetic gives
 * the exact same result as softfloat; the inexact flag comes from error-free
 * transforms (TwoSum, Veltkamp/Dekker TwoProduct). Everything else (other
 * rounding modes, NaN, infinities, overflow, tiny results) branches to the
 * softfloat helper.
 *
 * @module
 */

import { Cond, Op, STATE_BASE, type Temp } from "../../plugin_target.ts";
import { callHelper, type DisasContext, imm } from "./context.ts";
import { RiscvState } from "./state.ts";

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

interface Emitter {
  ctx: DisasContext;
  slow: number;
}

function f(e: Emitter, op: Op, a: Temp, b: Temp): Temp {
  const t = e.ctx.ir.temp();
  e.ctx.ir.binop(op, t, a, b);
  return t;
}

/** The biased exponent of binary64 bits `x`. */
function exponent(e: Emitter, x: Temp): Temp {
  const { ctx } = e;
  return f(e, Op.AND, f(e, Op.SHR, x, imm(ctx, 52)), imm(ctx, EXP_MASK));
}

/** Branches to the slow path unless `lo <= exponent(x) <= hi`. */
function requireExponent(e: Emitter, x: Temp, lo: bigint, hi: bigint): void {
  const { ctx } = e;
  const biased = f(e, Op.SUB, exponent(e, x), imm(ctx, lo));
  ctx.ir.brcond(Cond.GTU, biased, imm(ctx, hi - lo), e.slow);
}

/** Veltkamp split of `x` into a high and a low half (exact). */
function split(e: Emitter, x: Temp): [Temp, Temp] {
  const c = f(e, Op.FMUL64, x, imm(e.ctx, SPLITTER));
  const hi = f(e, Op.FSUB64, c, f(e, Op.FSUB64, c, x));
  return [hi, f(e, Op.FSUB64, x, hi)];
}

/** The rounding error of `p = a * b` (Dekker's TwoProduct), exact in range. */
function productError(e: Emitter, a: Temp, b: Temp, p: Temp): Temp {
  const [ah, al] = split(e, a), [bh, bl] = split(e, b);
  let err = f(e, Op.FSUB64, f(e, Op.FMUL64, ah, bh), p);
  err = f(e, Op.FADD64, err, f(e, Op.FMUL64, ah, bl));
  err = f(e, Op.FADD64, err, f(e, Op.FMUL64, al, bh));
  return f(e, Op.FADD64, err, f(e, Op.FMUL64, al, bl));
}

/** The rounding error of `s = a + b` (Knuth's TwoSum). */
function sumError(e: Emitter, a: Temp, b: Temp, s: Temp): Temp {
  const bb = f(e, Op.FSUB64, s, a);
  const ea = f(e, Op.FSUB64, a, f(e, Op.FSUB64, s, bb));
  return f(e, Op.FADD64, ea, f(e, Op.FSUB64, b, bb));
}

/** 1 when the binary64 value `x` is nonzero (either sign), else 0. */
function nonzero(e: Emitter, x: Temp): Temp {
  const t = e.ctx.ir.temp();
  e.ctx.ir.setcond(Cond.NE, t, f(e, Op.AND, x, imm(e.ctx, ~SIGN)), imm(e.ctx, 0));
  return t;
}

/**
 * `a + b` with its inexact flag; branches to slow for non-finite operands or an
 * infinite sum. A zero or subnormal sum is exact (no underflow: that needs an
 * inexact tiny result), with the host's signed zero.
 */
function sum(e: Emitter, a: Temp, b: Temp): { r: Temp; inexact: Temp } {
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
function branchUnlessZeroProduct(e: Emitter, a: Temp, b: Temp, nonzeroProduct: number): void {
  const { ctx } = e;
  const zero = f(
    e,
    Op.OR,
    f(e, Op.XOR, nonzero(e, a), imm(ctx, 1)),
    f(e, Op.XOR, nonzero(e, b), imm(ctx, 1)),
  );
  ctx.ir.brcond(Cond.EQ, zero, imm(ctx, 0), nonzeroProduct);
  requireExponent(e, a, 0n, 0x7fen);
  requireExponent(e, b, 0n, 0x7fen);
}

function negate(e: Emitter, x: Temp): Temp {
  return f(e, Op.XOR, x, imm(e.ctx, SIGN));
}

function compute(e: Emitter, kind: FastKind, srcs: Temp[]): { r: Temp; inexact: Temp } {
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
      const differs = e.ctx.ir.temp();
      e.ctx.ir.setcond(Cond.NE, differs, p, a);
      return { r: q, inexact: f(e, Op.OR, differs, nonzero(e, productError(e, q, b, p))) };
    }
    case "fsqrt": {
      // positive, in [2^-900, 2^900): the root is in Dekker's range, r * r checks it
      const signAndExponent = f(e, Op.SHR, a, imm(e.ctx, 52));
      e.ctx.ir.brcond(
        Cond.GTU,
        f(e, Op.SUB, signAndExponent, imm(e.ctx, 123)),
        imm(e.ctx, 1799),
        e.slow,
      );
      const r = e.ctx.ir.temp();
      e.ctx.ir.binop(Op.FSQRT64, r, a);
      const p = f(e, Op.FMUL64, r, r);
      const differs = e.ctx.ir.temp();
      e.ctx.ir.setcond(Cond.NE, differs, p, a);
      return { r, inexact: f(e, Op.OR, differs, nonzero(e, productError(e, r, r, p))) };
    }
    default:
      return fusedMultiplyAdd(e, kind, a, b, c);
  }
}

/** `a * b` with its inexact flag: a zero product (exact) or a normal one with Dekker's error. */
function multiply(e: Emitter, a: Temp, b: Temp): { r: Temp; inexact: Temp } {
  const { ir } = e.ctx;
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
  e: Emitter,
  kind: FastKind,
  a: Temp,
  b: Temp,
  c: Temp,
): { r: Temp; inexact: Temp } {
  const { ctx } = e, { ir } = ctx;
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
  ir.brcond(Cond.EQ, nonzero(e, e2), imm(ctx, 0), checked);
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
function requireGap(e: Emitter, r: Temp, e3: Temp, e2: Temp): void {
  const { ctx } = e, { ir } = ctx;
  const exp = exponent(e, r);
  ir.brcond(Cond.LTU, exp, imm(ctx, 55), e.slow);
  const mantissaZero = ir.temp();
  ir.setcond(Cond.EQ, mantissaZero, f(e, Op.AND, r, imm(ctx, MANTISSA)), imm(ctx, 0));
  const gapExp = f(e, Op.SUB, f(e, Op.SUB, exp, imm(ctx, 53)), mantissaZero);
  const gap = f(e, Op.SHL, gapExp, imm(ctx, 52));
  const magnitude = f(
    e,
    Op.FADD64,
    f(e, Op.AND, e3, imm(ctx, ~SIGN)),
    f(e, Op.AND, e2, imm(ctx, ~SIGN)),
  );
  ir.brcond(Cond.GEU, magnitude, gap, e.slow);
}

/**
 * Emits `rd = fcvt.d.<kind>(rs)`: w and wu are always exact, l and lu when the
 * value fits in 53 bits, so no flags and no rounding; a larger l or lu, and a
 * dynamic rounding mode with a reserved frm (to trap), go to the helper.
 *
 * @example
 * ```ts ignore
 * emitIntToF64(ctx, gpr(ctx, a.rs1), "w", a.rm, "fcvt_f64_w", args, fpr(a.rd));
 * ```
 */
export function emitIntToF64(
  ctx: DisasContext,
  src: Temp,
  kind: "w" | "wu" | "l" | "lu",
  rm: number,
  helper: string,
  helperArgs: Temp[],
  rd: Temp,
): void {
  fastOrHelper(ctx, helper, helperArgs, rd, (e) => {
    const { ir } = ctx;
    if (rm === 7) {
      const fcsr = ir.temp();
      ir.loadHost(fcsr, STATE_BASE + RiscvState.FCSR);
      ir.brcond(Cond.GEU, f(e, Op.AND, fcsr, imm(ctx, 0xe0)), imm(ctx, 0xa0), e.slow);
    }
    if (kind === "l") {
      ir.brcond(Cond.GEU, f(e, Op.ADD, src, imm(ctx, 1n << 53n)), imm(ctx, 1n << 54n), e.slow);
    } else if (kind === "lu") ir.brcond(Cond.GEU, src, imm(ctx, 1n << 53n), e.slow);
    const value = kind === "w"
      ? f(e, Op.EXT32S, src, src)
      : kind === "wu"
      ? f(e, Op.EXT32U, src, src)
      : src;
    return f(e, Op.I64_TO_F64, value, value);
  });
}

/** The static rounding modes (the instruction's rm field; 7 is dynamic). */
const Rounding = { RNE: 0, RTZ: 1, RDN: 2, RUP: 3, RMM: 4 } as const;

/**
 * Emits `rd = fcvt.<kind>.d(src)`: binary64 below 2^63 in magnitude rounded to
 * an integer with integer IR on its bits, in the static rounding mode `rm` (or
 * a dynamic one with frm = RNE), setting inexact when a fraction was dropped.
 * NaNs, infinities, larger magnitudes, results out of `kind`'s range (invalid)
 * and the other dynamic modes go to the helper.
 *
 * @example
 * ```ts ignore
 * emitF64ToInt(ctx, fpr(a.rs1), "l", a.rm, "fcvt_l_f64", args, gprDest(ctx, a.rd));
 * ```
 */
export function emitF64ToInt(
  ctx: DisasContext,
  src: Temp,
  kind: "w" | "wu" | "l" | "lu",
  rm: number,
  helper: string,
  helperArgs: Temp[],
  rd: Temp,
): void {
  fastOrHelper(ctx, helper, helperArgs, rd, (e) => {
    const { ir } = ctx;
    const fcsrAddr = STATE_BASE + RiscvState.FCSR;
    const fcsr = ir.temp();
    ir.loadHost(fcsr, fcsrAddr);
    if (rm === 7) ir.brcond(Cond.NE, f(e, Op.AND, fcsr, imm(ctx, 0xe0)), imm(ctx, 0), e.slow);
    const { value, inexact } = roundToInteger(e, src, rm === 7 ? Rounding.RNE : rm);
    if (kind === "lu") ir.brcond(Cond.LT, value, imm(ctx, 0), e.slow);
    else if (kind !== "l") {
      const narrow = kind === "w" ? Op.EXT32S : Op.EXT32U;
      ir.brcond(Cond.NE, f(e, narrow, value, value), value, e.slow);
    }
    ir.storeHost(fcsrAddr, f(e, Op.OR, fcsr, inexact)); // NX is fflags bit 0
    return kind === "wu" ? f(e, Op.EXT32S, value, value) : value;
  });
}

/**
 * Binary64 `x` (magnitude below 2^63, else slow) rounded to a signed integer
 * in `mode`, with 1 in `inexact` when it had a fraction. The significand is
 * shifted right by at most 54 bits (a smaller `x` still leaves a nonzero rest
 * below half a unit) or left, exactly, from 2^52 up.
 */
function roundToInteger(e: Emitter, x: Temp, mode: number): { value: Temp; inexact: Temp } {
  const { ctx } = e, { ir } = ctx;
  const exp = exponent(e, x);
  ir.brcond(Cond.GTU, exp, imm(ctx, 1023 + 62), e.slow);
  const normal = ir.temp();
  ir.setcond(Cond.NE, normal, exp, imm(ctx, 0));
  const sig = f(e, Op.OR, f(e, Op.AND, x, imm(ctx, MANTISSA)), f(e, Op.SHL, normal, imm(ctx, 52)));
  const magnitude = ir.temp(), inexact = ir.temp();
  const fraction = ir.label(), join = ir.label();
  ir.brcond(Cond.LTU, exp, imm(ctx, 1075), fraction);
  ir.mov(magnitude, f(e, Op.SHL, sig, f(e, Op.SUB, exp, imm(ctx, 1075))));
  ir.movi(inexact, 0n);
  ir.br(join);
  ir.setLabel(fraction);
  const down = f(e, Op.SUB, imm(ctx, 1075), exp), drop = ir.temp();
  ir.movcond(Cond.LTU, drop, down, imm(ctx, 54), down, imm(ctx, 54));
  const whole = f(e, Op.SHR, sig, drop);
  const unit = f(e, Op.SHL, imm(ctx, 1), drop);
  const rest = f(e, Op.AND, sig, f(e, Op.SUB, unit, imm(ctx, 1)));
  ir.setcond(Cond.NE, inexact, rest, imm(ctx, 0));
  const up = roundsUp(e, mode, x, whole, rest, f(e, Op.SHR, unit, imm(ctx, 1)), inexact);
  ir.mov(magnitude, up ? f(e, Op.ADD, whole, up) : whole);
  ir.setLabel(join);
  const negative = f(e, Op.SAR, x, imm(ctx, 63)); // all ones or zero
  return { value: f(e, Op.SUB, f(e, Op.XOR, magnitude, negative), negative), inexact };
}

/**
 * 1 when the magnitude `whole` + `rest` / (2 * `half`) rounds up to `whole + 1`
 * in `mode` (`x` gives the sign), else 0; undefined for RTZ (never).
 */
function roundsUp(
  e: Emitter,
  mode: number,
  x: Temp,
  whole: Temp,
  rest: Temp,
  half: Temp,
  inexact: Temp,
): Temp | undefined {
  const { ctx } = e, { ir } = ctx;
  const compare = (cond: Cond) => {
    const t = ir.temp();
    ir.setcond(cond, t, rest, half);
    return t;
  };
  const sign = () => f(e, Op.SHR, x, imm(ctx, 63));
  switch (mode) {
    case Rounding.RNE: {
      const tieToOdd = f(e, Op.AND, compare(Cond.EQ), f(e, Op.AND, whole, imm(ctx, 1)));
      return f(e, Op.OR, compare(Cond.GTU), tieToOdd);
    }
    case Rounding.RMM:
      return compare(Cond.GEU);
    case Rounding.RDN:
      return f(e, Op.AND, sign(), inexact);
    case Rounding.RUP:
      return f(e, Op.AND, f(e, Op.XOR, sign(), imm(ctx, 1)), inexact);
    default:
      return undefined;
  }
}

/** The binary64 comparisons with a fast path. */
export type CompareKind = "feq" | "flt" | "fle";

/**
 * Emits `rd = kind(a, b)` for binary64 (1 or 0): without a NaN operand the
 * comparison raises no flag and orders the bit patterns as sign-magnitude
 * integers (with -0 = +0); a NaN goes to `helper` (for the invalid flag).
 *
 * @example
 * ```ts ignore
 * emitCompareF64(ctx, "flt", fpr(a.rs1), fpr(a.rs2), "flt_f64", args, gprDest(ctx, a.rd));
 * ```
 */
export function emitCompareF64(
  ctx: DisasContext,
  kind: CompareKind,
  a: Temp,
  b: Temp,
  helper: string,
  helperArgs: Temp[],
  rd: Temp,
): void {
  fastOrHelper(ctx, helper, helperArgs, rd, (e) => {
    const { ir } = ctx, infinity = imm(ctx, EXP_MASK << 52n);
    ir.brcond(Cond.GTU, f(e, Op.AND, a, imm(ctx, ~SIGN)), infinity, e.slow);
    ir.brcond(Cond.GTU, f(e, Op.AND, b, imm(ctx, ~SIGN)), infinity, e.slow);
    const zeros = ir.temp(), order = ir.temp();
    ir.setcond(Cond.EQ, zeros, f(e, Op.AND, f(e, Op.OR, a, b), imm(ctx, ~SIGN)), imm(ctx, 0));
    if (kind === "feq") ir.setcond(Cond.EQ, order, a, b);
    else ir.setcond(kind === "flt" ? Cond.LT : Cond.LE, order, orderKey(e, a), orderKey(e, b));
    // two zeros are equal whatever their signs
    return kind === "flt"
      ? f(e, Op.AND, order, f(e, Op.XOR, zeros, imm(ctx, 1)))
      : f(e, Op.OR, order, zeros);
  });
}

/** Binary64 bits as a signed integer in the order of their (non-NaN) values, -0 below +0. */
function orderKey(e: Emitter, x: Temp): Temp {
  const negativeMask = f(e, Op.SHR, f(e, Op.SAR, x, imm(e.ctx, 63)), imm(e.ctx, 1));
  return f(e, Op.XOR, x, negativeMask);
}

/**
 * Emits `rd = kind(srcs)` for binary64: the IR fast path when the static
 * rounding mode `rm` is RNE or dynamic, with a call of `helper` (args:
 * `helperArgs`) on every path the fast path does not cover.
 *
 * @example
 * ```ts ignore
 * emitFastF64(ctx, "fadd", [fpr(a.rs1), fpr(a.rs2)], a.rm, "fadd_f64", args, fpr(a.rd));
 * ```
 */
export function emitFastF64(
  ctx: DisasContext,
  kind: FastKind,
  srcs: Temp[],
  rm: number,
  helper: string,
  helperArgs: Temp[],
  rd: Temp,
): void {
  const { ir } = ctx;
  if (rm !== 0 && rm !== 7) {
    ir.mov(rd, callHelper(ctx, helper, helperArgs));
    return;
  }
  fastOrHelper(ctx, helper, helperArgs, rd, (e) => {
    const fcsrAddr = STATE_BASE + RiscvState.FCSR;
    const fcsr = ir.temp();
    ir.loadHost(fcsr, fcsrAddr);
    if (rm === 7) {
      // dynamic rounding: only frm = RNE takes the fast path
      ir.brcond(Cond.NE, f(e, Op.AND, fcsr, imm(ctx, 0xe0)), imm(ctx, 0), e.slow);
    }
    const { r, inexact } = compute(e, kind, srcs);
    ir.storeHost(fcsrAddr, f(e, Op.OR, fcsr, inexact)); // NX is fflags bit 0
    return r;
  });
}

/**
 * The diamond both emitters share: `fast` emits IR that may branch to
 * `e.slow` and returns its result; the slow side calls `helper`. Either way
 * the result lands in `rd`.
 */
function fastOrHelper(
  ctx: DisasContext,
  helper: string,
  helperArgs: Temp[],
  rd: Temp,
  fast: (e: Emitter) => Temp,
): void {
  const { ir } = ctx;
  const e: Emitter = { ctx, slow: ir.label() };
  const done = ir.label();
  ir.mov(rd, fast(e));
  ir.br(done);
  ir.setLabel(e.slow);
  ir.mov(rd, callHelper(ctx, helper, helperArgs));
  ir.setLabel(done);
}
