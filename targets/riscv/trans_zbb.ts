/**
 * Translation of Zbb (basic bit manipulation): logic with negation, counts,
 * min/max, sign and zero extension, rotations, orc.b and rev8. Counting and
 * byte-wise operations call the pure helpers of `bitmanip_helpers.ts`.
 *
 * RV32 values stay sign-extended in their 64-bit slots: 32-bit rotations
 * rotate a doubled word, and byte-wise results are sign-extended again.
 *
 * @module
 */

import { Cond, type IrEmitter, Op, type Temp } from "../../plugin_target.ts";
import { aluImmTrans, aluRegTrans, type AluSpec } from "./alu.ts";
import { type DisasContext, imm, type TransTable } from "./context.ts";

/** `d = a OP ~b` (andn, orn). */
function withInverted(op: Op): AluSpec {
  return {
    emit: (ctx, d, a, b) => {
      const t = ctx.ir.temp();
      ctx.ir.binop(Op.XOR, t, b, imm(ctx, -1));
      ctx.ir.binop(op, d, a, t);
    },
  };
}

const XNOR: AluSpec = {
  emit: (ctx, d, a, b) => {
    const t = ctx.ir.temp();
    ctx.ir.binop(Op.XOR, t, a, b);
    ctx.ir.binop(Op.XOR, d, t, imm(ctx, -1));
  },
};

/** `d = helper(a [, extra])`, on the low word zero-extended when `word` (the W forms, RV32). */
function unaryHelper(name: string, word: boolean, extra?: (ctx: DisasContext) => number): AluSpec {
  return {
    emit: (ctx, d, a) => {
      let x = a;
      if (word || ctx.xlen === 32) {
        x = ctx.ir.temp();
        ctx.ir.binop(Op.EXT32U, x, a);
      }
      const args = extra ? [x, imm(ctx, extra(ctx))] : [x];
      ctx.ir.call(d, ctx.helpers.index(name), args);
    },
  };
}

/** A count over XLEN bits, or over the low word (`word`). */
const count = (name: string, word: boolean) =>
  unaryHelper(name, word, (ctx) => (word ? 32 : ctx.xlen));

/**
 * A byte-wise helper; on RV32 `fix` puts the low word's result back in sign-extended form.
 *
 * @example
 * ```ts ignore
 * const brev8 = bytewise("brev8", (ir, d, r) => ir.binop(Op.EXT32S, d, r));
 * ```
 */
export function bytewise(
  name: string,
  fix32: (ir: IrEmitter, d: Temp, r: Temp, ctx: DisasContext) => void,
): AluSpec {
  return {
    emit: (ctx, d, a) => {
      if (ctx.xlen === 64) return void ctx.ir.call(d, ctx.helpers.index(name), [a]);
      const r = ctx.ir.temp();
      ctx.ir.call(r, ctx.helpers.index(name), [a]);
      fix32(ctx.ir, d, r, ctx);
    },
  };
}

const select = (cond: Cond): AluSpec => ({
  emit: (ctx, d, a, b) => ctx.ir.movcond(cond, d, a, b, a, b),
});

const unary = (op: Op): AluSpec => ({ emit: (ctx, d, a) => ctx.ir.binop(op, d, a) });

/** 32-bit rotation of the low word of `a` by `b & 31`, sign-extended. */
function rotate32(ctx: DisasContext, d: Temp, a: Temp, b: Temp, left: boolean): void {
  const { ir } = ctx;
  const x = ir.temp(), doubled = ir.temp(), sh = ir.temp(), t = ir.temp();
  ir.binop(Op.EXT32U, x, a);
  ir.binop(Op.SHL, doubled, x, imm(ctx, 32));
  ir.binop(Op.OR, doubled, doubled, x);
  ir.binop(Op.AND, sh, b, imm(ctx, 31));
  if (left) {
    ir.binop(Op.SHL, t, doubled, sh);
    ir.binop(Op.SAR, d, t, imm(ctx, 32));
  } else {
    ir.binop(Op.SHR, t, doubled, sh);
    ir.binop(Op.EXT32S, d, t);
  }
}

/** Rotation by XLEN (`word`: always 32 bits, the W forms). */
function rotate(left: boolean, word: boolean): AluSpec {
  return {
    emit: (ctx, d, a, b) => {
      if (word || ctx.xlen === 32) return rotate32(ctx, d, a, b, left);
      const { ir } = ctx;
      const there = ir.temp(), back = ir.temp(), neg = ir.temp();
      ir.binop(Op.SUB, neg, imm(ctx, 0), b);
      ir.binop(left ? Op.SHL : Op.SHR, there, a, b);
      ir.binop(left ? Op.SHR : Op.SHL, back, a, neg);
      ir.binop(Op.OR, d, there, back);
    },
  };
}

/**
 * The Zbb translation functions.
 *
 * @example
 * ```ts
 * import { ZBB_TRANS } from "./trans_zbb.ts";
 * console.log("rev8" in ZBB_TRANS, "roriw" in ZBB_TRANS); // true true
 * ```
 */
export const ZBB_TRANS: TransTable = {
  ...aluRegTrans({
    andn: withInverted(Op.AND),
    orn: withInverted(Op.OR),
    xnor: XNOR,
    clz: count("clz", false),
    ctz: count("ctz", false),
    cpop: unaryHelper("cpop", false),
    clzw: count("clz", true),
    ctzw: count("ctz", true),
    cpopw: unaryHelper("cpop", true),
    max: select(Cond.GT),
    maxu: select(Cond.GTU),
    min: select(Cond.LT),
    minu: select(Cond.LTU),
    "sext.b": unary(Op.EXT8S),
    "sext.h": unary(Op.EXT16S),
    "zext.h": unary(Op.EXT16U),
    rol: rotate(true, false),
    ror: rotate(false, false),
    rolw: rotate(true, true),
    rorw: rotate(false, true),
    "orc.b": bytewise("orc_b", (ir, d, r) => ir.binop(Op.EXT32S, d, r)),
    // The reversed low word is in the high half: shifting it down sign-extends it.
    rev8: bytewise("rev8", (ir, d, r, ctx) => ir.binop(Op.SAR, d, r, imm(ctx, 32))),
  }),
  ...aluImmTrans({ rori: rotate(false, false), roriw: rotate(false, true) }),
};
