/**
 * Scalar floating point: arithmetic, fused multiply-add, square root,
 * rounding to integral, conversions (between single and double, to and
 * from integers and fixed point) and comparisons through the `a64_fp`
 * helper (`fp_helpers.ts`); moves, fabs, fneg, fcsel and fmov (immediate)
 * are IR. Single (type 0) and double (type 1); half precision (type 3) only
 * in fcvt.
 *
 * @module
 */

import { Cond, Op, type Temp } from "../../plugin_target.ts";
import { type A64Context, condHolds, imm, tmp, type TransTable } from "./context.ts";
import { fpInfo, FpOp } from "./fp_helpers.ts";
import { A64_HELPER } from "./helpers.ts";
import { A64 } from "./state.ts";
import { expandImm } from "./trans_simd.ts";

type Args = Record<string, number>;

/** Calls `a64_fp`. */
function fpCall(ctx: A64Context, op: number, d: number, n: number, m: number, info: number): void {
  ctx.ir.call(-1, A64_HELPER.FP, [op, d, n, m, info].map((v) => imm(ctx, v)));
}

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
    fpCall(ctx, a.op, a.rd, a.rn, a.rm, fpInfo({ double: a.type }));
    return true;
  },
  fp3(ctx, a) {
    if (!supported(a)) return false;
    fpCall(ctx, a.op, a.rd, a.rn, a.rm, fpInfo({ double: a.type, ra: a.ra }));
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
    fpCall(ctx, a.op, 0, a.rn, a.zero ? 32 : a.rm, fpInfo({ double: a.type }));
    return true;
  },
  fccmp(ctx, a) {
    if (!supported(a)) return false;
    const { ir } = ctx;
    const holds = condHolds(ctx, a.cond);
    const zero = imm(ctx, 0);
    const nf = imm(ctx, a.nzcv & 8 ? -1 : 0), zf = imm(ctx, a.nzcv & 4 ? 0 : 1);
    const cf = imm(ctx, (a.nzcv >> 1) & 1), vf = imm(ctx, a.nzcv & 1 ? -1 : 0);
    // The comparison runs either way (its flags are dropped when the condition fails), so an
    // invalid-operation flag may be raised where Arm raises none.
    fpCall(ctx, a.op, 0, a.rn, a.rm, fpInfo({ double: a.type }));
    for (const [flag, value] of [[A64.NF, nf], [A64.ZF, zf], [A64.CF, cf], [A64.VF, vf]]) {
      ir.movcond(Cond.NE, flag, holds, zero, flag, value);
    }
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
    fpCall(ctx, a.op, a.rd, n, 0, fpInfo({ double: a.type, sf: a.sf, fbits: 64 - a.scale }));
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
    fpCall(ctx, a.op, a.rd, a.rn, 0, info);
    return true;
  },
};
