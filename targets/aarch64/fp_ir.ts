/**
 * Scalar double-precision FP in IR, in front of the `a64_fp` helper: the
 * arithmetic (fadd, fsub, fmul, fnmul, fdiv, fsqrt and the four fused
 * multiply-adds), fcmp and fcmpe, scvtf and ucvtf from a general register, and
 * the conversions to a general register (fcvt[nzpma][su]). They use the
 * target-neutral fast paths of `core/float_ir.ts`, which leave to the helper
 * every case where Arm's rules matter: NaN operands (propagation, FPCR.DN),
 * infinities, overflow, tiny results (Arm detects tininess before rounding),
 * out-of-range conversions (saturation). Every fast path with float inputs
 * needs FPCR.FZ clear (it flushes denormal inputs, raising IDC); the
 * arithmetic also needs its round-to-nearest (the conversions to integers have
 * their own modes). The integer-to-double conversions take the fast
 * path when exact, whatever FPCR. The only flag a fast path raises is
 * inexact, ORed into FPSR.IXC.
 *
 * Single precision stays with the helper: the IR has binary64 ops only.
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
  RoundingMode,
  STATE_BASE,
  type Temp,
} from "../../plugin_target.ts";
import { type A64Context, imm, tmp } from "./context.ts";
import { FpOp } from "./fp_helpers.ts";
import { A64 } from "./state.ts";

/** The fast kind of each arithmetic operation: Arm's d = ±c ± a*b as RISC-V's fused ops. */
const ARITH_KIND: Partial<Record<number, FastKind>> = {
  [FpOp.ADD]: "fadd",
  [FpOp.SUB]: "fsub",
  [FpOp.MUL]: "fmul",
  [FpOp.NMUL]: "fmul",
  [FpOp.DIV]: "fdiv",
  [FpOp.SQRT]: "fsqrt",
  [FpOp.MADD]: "fmadd",
  [FpOp.MSUB]: "fnmsub",
  [FpOp.NMADD]: "fnmadd",
  [FpOp.NMSUB]: "fmsub",
};

/** FPCR.FZ: flushes denormal inputs (raising IDC), so every fast path needs it clear. */
const FPCR_FZ = 1n << 24n;
/** FPCR.RMode: round to nearest (0) for a fast path that rounds in FPCR's mode. */
const FPCR_RMODE = 3n << 22n;
/** FPSR.IXC (inexact), bit 4. */
const IXC_SHIFT = 4;
/** Softfloat's rounding mode for an Arm one (FpRound.RN..RA). */
const SOFTFLOAT_RM = [
  RoundingMode.RNE,
  RoundingMode.RUP,
  RoundingMode.RDN,
  RoundingMode.RTZ,
  RoundingMode.RMM,
];

/** What an operation reads: the decoded fields `a64_fp` gets (see `fpInfo`). */
export interface FpFields {
  op: number;
  d: number;
  n: number;
  m: number;
  /** the addend register of a fused operation */
  ra: number;
  /** 64-bit integer (sf) */
  sf: number;
  /** the rounding mode (FpRound) of a conversion to an integer, FpRound.FPCR for FPCR's */
  round: number;
}

/**
 * Emits a double-precision operation with a fast path in IR when it has one,
 * the helper call (`slow`) on every other path; returns false (emitting
 * nothing) when it has none.
 *
 * @example
 * ```ts ignore
 * emitFpDouble(ctx, { op: FpOp.ADD, d: 0, n: 1, m: 2, ra: 0, sf: 0, round: 5 }, call);
 * ```
 */
export function emitFpDouble(ctx: A64Context, a: FpFields, slow: () => void): boolean {
  const fast = fastPath(a);
  if (!fast) return false;
  const { ir } = ctx;
  const e: FloatIr = { ir, slow: ir.label() };
  const done = ir.label();
  const inexact = fast(ctx, e, a);
  if (inexact !== undefined) {
    const fpsr = ir.temp();
    ir.loadHost(fpsr, STATE_BASE + A64.FPSR);
    const ixc = tmp(ctx, Op.SHL, inexact, imm(ctx, IXC_SHIFT));
    ir.storeHost(STATE_BASE + A64.FPSR, tmp(ctx, Op.OR, fpsr, ixc));
  }
  ir.br(done);
  ir.setLabel(e.slow);
  slow();
  ir.setLabel(done);
  return true;
}

/** A fast path: emits it, writing its results; returns the inexact flag's temp, if it can raise it. */
type Fast = (ctx: A64Context, e: FloatIr, a: FpFields) => Temp | undefined;

function fastPath(a: FpFields): Fast | undefined {
  if (ARITH_KIND[a.op] !== undefined) return arithmetic;
  if (a.op === FpOp.CMP || a.op === FpOp.CMPE) return compare;
  if (a.op === FpOp.SCVTF || a.op === FpOp.UCVTF) return fromInteger;
  if (a.op === FpOp.TO_SINT || a.op === FpOp.TO_UINT) return toInteger;
  return undefined;
}

/** Branches to the slow path unless the FPCR bits of `mask` are all clear. */
function requireClear(ctx: A64Context, e: FloatIr, mask: bigint): void {
  const fpcr = ctx.ir.temp();
  ctx.ir.loadHost(fpcr, STATE_BASE + A64.FPCR);
  ctx.ir.brcond(Cond.NE, tmp(ctx, Op.AND, fpcr, imm(ctx, mask)), imm(ctx, 0), e.slow);
}

/** Writes a double to Vd, the rest of the register zeroed. */
function setDouble(ctx: A64Context, d: number, v: Temp): void {
  ctx.ir.mov(A64.vLow(d), v);
  ctx.ir.movi(A64.vHigh(d), 0n);
}

const arithmetic: Fast = (ctx, e, a) => {
  requireClear(ctx, e, FPCR_RMODE | FPCR_FZ);
  const srcs = [A64.vLow(a.n), A64.vLow(a.m), A64.vLow(a.ra)];
  const { r, inexact } = emitF64Arith(e, ARITH_KIND[a.op]!, srcs);
  // fnmul negates the rounded product (never a NaN here).
  setDouble(ctx, a.d, a.op === FpOp.NMUL ? tmp(ctx, Op.XOR, r, imm(ctx, 1n << 63n)) : r);
  return inexact;
};

/** NZCV: less 1000, equal 0110, greater 0010 (unordered goes to the helper). */
const compare: Fast = (ctx, e, a) => {
  requireClear(ctx, e, FPCR_FZ);
  const b = a.m === 32 ? imm(ctx, 0) : A64.vLow(a.m);
  const { equal, less } = emitF64Relations(e, A64.vLow(a.n), b);
  const one = imm(ctx, 1);
  ctx.ir.binop(Op.SUB, A64.NF, imm(ctx, 0), less);
  ctx.ir.binop(Op.XOR, A64.ZF, equal, one);
  ctx.ir.binop(Op.XOR, A64.CF, less, one);
  ctx.ir.movi(A64.VF, 0n);
  return undefined;
};

/** scvtf/ucvtf Dd, Wn/Xn: exact (no flag, any rounding) for a value below 2^53. */
const fromInteger: Fast = (ctx, e, a) => {
  const { ir } = ctx;
  const signed = a.op === FpOp.SCVTF;
  const src = a.n === 32 ? imm(ctx, 0) : a.n;
  let value = src;
  if (!a.sf) value = tmp(ctx, signed ? Op.EXT32S : Op.EXT32U, src);
  else if (signed) {
    ir.brcond(Cond.GEU, tmp(ctx, Op.ADD, src, imm(ctx, 1n << 53n)), imm(ctx, 1n << 54n), e.slow);
  } else ir.brcond(Cond.GEU, src, imm(ctx, 1n << 53n), e.slow);
  setDouble(ctx, a.d, tmp(ctx, Op.I64_TO_F64, value));
  return undefined;
};

/** fcvt<mode>[su] Wd/Xd, Dn (their own rounding mode, never FPCR's): in range. */
const toInteger: Fast = (ctx, e, a) => {
  const { ir } = ctx;
  requireClear(ctx, e, FPCR_FZ);
  const { value, inexact } = emitF64ToInteger(e, A64.vLow(a.n), SOFTFLOAT_RM[a.round]);
  if (a.op === FpOp.TO_UINT && a.sf) ir.brcond(Cond.LT, value, imm(ctx, 0), e.slow);
  else if (!a.sf) {
    const narrow = tmp(ctx, a.op === FpOp.TO_SINT ? Op.EXT32S : Op.EXT32U, value);
    ir.brcond(Cond.NE, narrow, value, e.slow);
  }
  if (a.d !== 31) ir.binop(a.sf ? Op.MOV : Op.EXT32U, a.d, value);
  return inexact;
};
