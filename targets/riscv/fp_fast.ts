/**
 * RISC-V's binary64 fast paths (`core/float_ir.ts`) in front of the softfloat
 * helpers: only in round-to-nearest-even (static, or dynamic with frm = RNE),
 * with the inexact flag ORed into fcsr; every other case calls the helper.
 *
 * @module
 */

import {
  Cond,
  emitF64Arith,
  emitF64Relations,
  emitF64ToInteger,
  type FastKind,
  type FloatIr,
  Op,
  STATE_BASE,
  type Temp,
} from "../../plugin_target.ts";
import { callHelper, type DisasContext, imm } from "./context.ts";
import { RiscvState } from "./state.ts";

export type { FastKind };

function f(e: FloatIr, op: Op, a: Temp, b: Temp): Temp {
  const t = e.ir.temp();
  e.ir.binop(op, t, a, b);
  return t;
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
    const { value, inexact } = emitF64ToInteger(e, src, rm === 7 ? 0 : rm);
    if (kind === "lu") ir.brcond(Cond.LT, value, imm(ctx, 0), e.slow);
    else if (kind !== "l") {
      const narrow = kind === "w" ? Op.EXT32S : Op.EXT32U;
      ir.brcond(Cond.NE, f(e, narrow, value, value), value, e.slow);
    }
    ir.storeHost(fcsrAddr, f(e, Op.OR, fcsr, inexact)); // NX is fflags bit 0
    return kind === "wu" ? f(e, Op.EXT32S, value, value) : value;
  });
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
    const { equal, less } = emitF64Relations(e, a, b);
    return kind === "feq" ? equal : kind === "flt" ? less : f(e, Op.OR, equal, less);
  });
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
    const { r, inexact } = emitF64Arith(e, kind, srcs);
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
  fast: (e: FloatIr) => Temp,
): void {
  const { ir } = ctx;
  const e: FloatIr = { ir, slow: ir.label() };
  const done = ir.label();
  ir.mov(rd, fast(e));
  ir.br(done);
  ir.setLabel(e.slow);
  ir.mov(rd, callHelper(ctx, helper, helperArgs));
  ir.setLabel(done);
}
