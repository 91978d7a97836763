/**
 * Translation of Zbs (single-bit operations): set, clear, invert or extract
 * bit `rs2 & (XLEN - 1)` (or the immediate) of rs1. RV32 results are
 * sign-extended again, as bit 31 may change.
 *
 * @module
 */

import { Op, type Temp } from "../../plugin_target.ts";
import { aluImmTrans, aluRegTrans, type AluSpec } from "./alu.ts";
import { type DisasContext, imm, type TransTable } from "./context.ts";

/** `1 << (b & (XLEN - 1))`. */
function bitMask(ctx: DisasContext, b: Temp): Temp {
  const { ir } = ctx;
  const sh = ir.temp(), bit = ir.temp();
  ir.binop(Op.AND, sh, b, imm(ctx, ctx.xlen - 1));
  ir.binop(Op.SHL, bit, imm(ctx, 1), sh);
  return bit;
}

/** `d = a OP mask` (`invert`: OP with ~mask). */
function single(op: Op, invert = false): AluSpec {
  return {
    emit: (ctx, d, a, b) => {
      const { ir } = ctx;
      const bit = bitMask(ctx, b);
      if (invert) ir.binop(Op.XOR, bit, bit, imm(ctx, -1));
      if (ctx.xlen === 64) return ir.binop(op, d, a, bit);
      const t = ir.temp();
      ir.binop(op, t, a, bit);
      ir.binop(Op.EXT32S, d, t);
    },
  };
}

const BEXT: AluSpec = {
  emit: (ctx, d, a, b) => {
    const { ir } = ctx;
    const sh = ir.temp(), t = ir.temp();
    ir.binop(Op.AND, sh, b, imm(ctx, ctx.xlen - 1));
    ir.binop(Op.SHR, t, a, sh);
    ir.binop(Op.AND, d, t, imm(ctx, 1));
  },
};

const OPS = {
  bset: single(Op.OR),
  bclr: single(Op.AND, true),
  binv: single(Op.XOR),
  bext: BEXT,
};

/**
 * The Zbs translation functions.
 *
 * @example
 * ```ts
 * import { ZBS_TRANS } from "./trans_zbs.ts";
 * console.log("bexti" in ZBS_TRANS); // true
 * ```
 */
export const ZBS_TRANS: TransTable = {
  ...aluRegTrans(OPS),
  ...aluImmTrans({ bseti: OPS.bset, bclri: OPS.bclr, binvi: OPS.binv, bexti: OPS.bext }),
};
