/**
 * Scalar floating point: arithmetic, fused multiply-add, square root,
 * rounding to integral, conversions (between single and double, to and
 * from integers and fixed point) and comparisons through the `a64_fp`
 * helper (`fp_helpers.ts`), doubles first through their fast paths in IR
 * (`fp_ir.ts`); moves, fabs, fneg, fcsel and fmov (immediate) are IR. Single (type 0) and double (type 1); half precision (type 3) only
 * in fcvt.
 *
 * @module
 */

import { Cond, Op, type Temp } from "../../plugin_target.ts";
import { type A64Context, condHolds, imm, tmp, type TransTable } from "./context.ts";
import { fpInfo, FpOp, FpRound } from "./fp_helpers.ts";
import { emitFpDouble, type FpFields } from "./fp_ir.ts";
import { A64_HELPER } from "./helpers.ts";
import { A64 } from "./state.ts";
import { expandImm } from "./trans_simd.ts";

type Args = Record<string, number>;

/** Calls `a64_fp`. */
function fpCall(ctx: A64Context, op: number, d: number, n: number, m: number, info: number): void {
  ctx.ir.call(-1, A64_HELPER.FP, [op, d, n, m, info].map((v) => imm(ctx, v)));
}

/**
 * `a64_fp` on `fields`, in IR with the call on its slow path for a double with a fast path
 * (`fp_ir.ts`; with `fbits`, never).
 */
function fpOp(ctx: A64Context, fields: FpFields, type: number, info: number, fbits = 0): void {
  const { op, d, n, m } = fields;
  const call = () => fpCall(ctx, op, d, n, m, info);
  if (type !== 1 || fbits || !emitFpDouble(ctx, fields, call)) call();
}

/** The fields of an operation without an addend, a size or a rounding mode of its own. */
const fields = (op: number, d: number, n: number, m: number): FpFields => ({
  op,
  d,
  n,
  m,
  ra: 0,
  sf: 0,
  round: FpRound.FPCR,
});

/** Writes a scalar result to Vd: `v` (its low 32 bits for a single), the rest zeroed. */
function setScalar(ctx: A64Context, d: number, type: number, v: Temp): void {
  ctx.ir.binop(type ? Op.MOV : Op.EXT32U, A64.vLow(d), v);
  ctx.ir.movi(A64.vHigh(d), 0n);
}

/** Only single and double precision. */
const supported = (a: Args) => a.type <= 1;

/** A bit operation on the sign bit (fabs: clear, fneg: flip). */
function signOp(op: Op) {
  return (ctx: A64Context, a: Args) => {
    if (!supported(a)) return false;
    const sign = a.type ? 1n << 63n : 1n << 31n;
    const v = tmp(ctx, op, A64.vLow(a.rn), imm(ctx, op === Op.AND ? ~sign : sign));
    setScalar(ctx, a.rd, a.type, v);
    return true;
  };
}

/**
 * The translation functions of this group.
 *
 * @example
 * ```ts
 * import { FP_TRANS } from "./trans_fp.ts";
 * console.log("fcsel" in FP_TRANS); // true
 * ```
 */
export const FP_TRANS: TransTable = {
  fp2(ctx, a) {
    if (!supported(a)) return false;
    fpOp(ctx, fields(a.op, a.rd, a.rn, a.rm), a.type, fpInfo({ double: a.type }));
    return true;
  },
  fp3(ctx, a) {
    if (!supported(a)) return false;
    const info = fpInfo({ double: a.type, ra: a.ra });
    fpOp(ctx, { ...fields(a.op, a.rd, a.rn, a.rm), ra: a.ra }, a.type, info);
    return true;
  },
  frint(ctx, a) {
    if (!supported(a)) return false;
    fpCall(ctx, FpOp.FRINT, a.rd, a.rn, 0, fpInfo({ double: a.type, round: a.round }));
    return true;
  },
  fcvt(ctx, a) {
    if (a.type === 2 || a.opc === 2 || a.opc === a.type) return false;
    // Single and double each way, or half precision from or to one of them.
    const op = a.type === 3 ? FpOp.CVT_FROM_H : a.opc === 3 ? FpOp.CVT_TO_H : FpOp.CVT;
    fpCall(ctx, op, a.rd, a.rn, 0, fpInfo({ double: a.type === 3 ? a.opc : a.type }));
    return true;
  },
  fcmp(ctx, a) {
    if (!supported(a)) return false;
    fpOp(ctx, fields(a.op, 0, a.rn, a.zero ? 32 : a.rm), a.type, fpInfo({ double: a.type }));
    return true;
  },
  fccmp(ctx, a) {
    if (!supported(a)) return false;
    const { ir } = ctx;
    const fails = ir.label(), done = ir.label();
    ir.brcond(Cond.EQ, condHolds(ctx, a.cond), imm(ctx, 0), fails);
    // Only a comparison that runs raises its flags (fccmpe's invalid operation on a quiet NaN).
    fpOp(ctx, fields(a.op, 0, a.rn, a.rm), a.type, fpInfo({ double: a.type }));
    ir.br(done);
    ir.setLabel(fails);
    ir.movi(A64.NF, a.nzcv & 8 ? -1n : 0n);
    ir.movi(A64.ZF, a.nzcv & 4 ? 0n : 1n);
    ir.movi(A64.CF, BigInt((a.nzcv >> 1) & 1));
    ir.movi(A64.VF, a.nzcv & 1 ? -1n : 0n);
    ir.setLabel(done);
    return true;
  },
  fcsel(ctx, a) {
    if (!supported(a)) return false;
    const holds = condHolds(ctx, a.cond);
    const r = ctx.ir.temp();
    ctx.ir.movcond(Cond.NE, r, holds, imm(ctx, 0), A64.vLow(a.rn), A64.vLow(a.rm));
    setScalar(ctx, a.rd, a.type, r);
    return true;
  },
  fmov_reg(ctx, a) {
    if (!supported(a)) return false;
    setScalar(ctx, a.rd, a.type, A64.vLow(a.rn));
    return true;
  },
  fabs: signOp(Op.AND),
  fneg: signOp(Op.XOR),
  fmov_i(ctx, a) {
    if (!supported(a)) return false;
    setScalar(ctx, a.rd, a.type, imm(ctx, expandImm(a.type, 15, a.imm8)));
    return true;
  },
  cvtf(ctx, a) {
    if (!supported(a) || (!a.sf && a.scale < 32)) return false;
    // n = 32: XZR (the helper reads general register n).
    const n = a.rn === 31 ? 32 : a.rn;
    const info = fpInfo({ double: a.type, sf: a.sf, fbits: 64 - a.scale });
    fpOp(ctx, { ...fields(a.op, a.rd, n, 0), sf: a.sf }, a.type, info, 64 - a.scale);
    return true;
  },
  cvt_vreg(ctx, a) {
    const info = fpInfo({ double: a.type, sf: a.type, round: a.round ?? 5, vreg: 1 });
    fpCall(ctx, a.op, a.rd, a.rn, 0, info);
    return true;
  },
  fcvt_int(ctx, a) {
    if (!supported(a) || (!a.sf && a.scale < 32)) return false;
    const info = fpInfo({ double: a.type, sf: a.sf, fbits: 64 - a.scale, round: a.round });
    const op = { ...fields(a.op, a.rd, a.rn, 0), sf: a.sf, round: a.round };
    fpOp(ctx, op, a.type, info, 64 - a.scale);
    return true;
  },
};
