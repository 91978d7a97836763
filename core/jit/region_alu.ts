/**
 * Emits the IR ops of a region that compute a value from operands: moves,
 * shifts and extensions of 32-bit values, comparisons, float arithmetic,
 * vector lanes, and the ops with a wasm opcode sequence (region_opcodes.ts)
 * or an internal helper function (wasm_helpers.ts).
 *
 * @module
 */

import { type Cond, type IrOp, isVectorOp, Op } from "../ir.ts";
import { W } from "./wasm_code.ts";
import { HELPER_OPS } from "./wasm_helpers.ts";
import { CMP, FLOAT, SIMPLE } from "./region_opcodes.ts";
import { emitVectorAlu } from "./region_vector.ts";
import type { TbEmitter } from "./region_tb.ts";

const EXT_S: Record<number, number> = {
  [Op.EXT8S]: W.i64Extend8S,
  [Op.EXT16S]: W.i64Extend16S,
  [Op.EXT32S]: W.i64Extend32S,
};
/**
 * The 32-bit ops (RV64's `addw`, `sllw`...) as i32 arithmetic on the wrapped operands: TurboFan
 * then does the op in a 32-bit register and sign-extends it once (`addl`, `movslq`), where the i64
 * form with `i64.extend32_s` costs an extra zero-extending move, and i32 shifts mask their count.
 */
const OPS32: Record<number, number> = {
  [Op.ADD32]: W.i32Add,
  [Op.SUB32]: W.i32Sub,
  [Op.MUL32]: W.i32Mul,
  [Op.SHL32]: W.i32Shl,
  [Op.SHR32]: W.i32ShrU,
  [Op.SAR32]: W.i32ShrS,
};
const EXT_U: Record<number, bigint> = {
  [Op.EXT8U]: 0xffn,
  [Op.EXT16U]: 0xffffn,
  [Op.EXT32U]: 0xffffffffn,
};

/**
 * Emits ALU op `o` of the TB `t` emits.
 *
 * @example
 * ```ts ignore
 * emitAlu(tbEmitter, { op: Op.ADD, d: 5, a: 1, b: 2 } as IrOp);
 * ```
 */
export function emitAlu(t: TbEmitter, o: IrOp): void {
  const { c, src, loc } = t;
  switch (o.op) {
    case Op.MOV:
      c.operand(src(o.a)).localSet(loc(o.d));
      break;
    case Op.MOVI:
      if (!t.isConstant(o.d)) c.i64Const(o.imm).localSet(loc(o.d));
      break;
    case Op.ADD32:
    case Op.SUB32:
    case Op.MUL32:
    case Op.SHL32:
    case Op.SHR32:
    case Op.SAR32:
      c.operand(src(o.a)).op(W.i32WrapI64).operand(src(o.b)).op(W.i32WrapI64).op(OPS32[o.op])
        .op(W.i64ExtendI32S).localSet(loc(o.d));
      break;
    case Op.EXT8S:
    case Op.EXT16S:
    case Op.EXT32S:
      c.operand(src(o.a)).op(EXT_S[o.op]).localSet(loc(o.d));
      break;
    case Op.EXT8U:
    case Op.EXT16U:
    case Op.EXT32U:
      c.operand(src(o.a)).i64Const(EXT_U[o.op]).op(W.i64And).localSet(loc(o.d));
      break;
    case Op.SETCOND:
      c.operand(src(o.a)).operand(src(o.b)).op(CMP[o.cond as Cond]).op(W.i64ExtendI32U)
        .localSet(loc(o.d));
      break;
    case Op.MOVCOND:
      c.operand(src(o.c)).operand(src(o.e)).operand(src(o.a)).operand(src(o.b))
        .op(CMP[o.cond]).op(W.select).localSet(loc(o.d));
      break;
    default:
      emitArith(t, o);
  }
}

/** Float arithmetic, vector ops, and the ops of `SIMPLE` or `HELPER_OPS`. */
function emitArith(t: TbEmitter, o: IrOp): void {
  const { c, src, loc } = t;
  if (o.op === Op.FADD64 || o.op === Op.FSUB64 || o.op === Op.FMUL64 || o.op === Op.FDIV64) {
    c.operand(src(o.a)).op(W.f64ReinterpretI64).operand(src(o.b)).op(W.f64ReinterpretI64)
      .op(FLOAT[o.op]!).op(W.i64ReinterpretF64).localSet(loc(o.d));
  } else if (o.op === Op.FSQRT64) {
    c.operand(src(o.a)).op(W.f64ReinterpretI64).op(W.f64Sqrt).op(W.i64ReinterpretF64)
      .localSet(loc(o.d));
  } else if (o.op === Op.I64_TO_F64) {
    c.operand(src(o.a)).op(W.f64ConvertI64S).op(W.i64ReinterpretF64).localSet(loc(o.d));
  } else if (isVectorOp(o.op)) {
    emitVectorAlu(c, o, src);
  } else {
    const simple = SIMPLE[o.op];
    c.operand(src(o.a)).operand(src(o.b));
    if (simple) simple.forEach((x) => c.op(x));
    else c.call(t.r.firstAluHelper + HELPER_OPS.indexOf(o.op));
    c.localSet(loc(o.d));
  }
}
