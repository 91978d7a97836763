/**
 * Translation of Zba (address generation): `shNadd` adds rs1 shifted left by
 * N to rs2; the `.uw` forms (RV64) zero-extend the low word of rs1 first.
 *
 * @module
 */

import { Op } from "../../plugin_target.ts";
import { aluImmTrans, aluRegTrans, type AluSpec } from "./alu.ts";
import { imm, type TransTable } from "./context.ts";

/** `d = (uw ? zext32(a) : a) << shift + b`, wrapped to XLEN. */
function shiftAdd(shift: number, uw: boolean): AluSpec {
  return {
    emit: (ctx, d, a, b) => {
      const { ir } = ctx;
      const t = ir.temp();
      if (uw) ir.binop(Op.EXT32U, t, a);
      else ir.mov(t, a);
      ir.binop(Op.SHL, t, t, imm(ctx, shift));
      ir.binop(ctx.xlen === 32 ? Op.ADD32 : Op.ADD, d, t, b);
    },
  };
}

/** `slli.uw`: `d = zext32(a) << imm`. */
const SLLI_UW: AluSpec = {
  emit: (ctx, d, a, b) => {
    const t = ctx.ir.temp();
    ctx.ir.binop(Op.EXT32U, t, a);
    ctx.ir.binop(Op.SHL, d, t, b);
  },
};

/**
 * The Zba translation functions.
 *
 * @example
 * ```ts
 * import { ZBA_TRANS } from "./trans_zba.ts";
 * console.log("sh3add.uw" in ZBA_TRANS); // true
 * ```
 */
export const ZBA_TRANS: TransTable = {
  ...aluRegTrans({
    sh1add: shiftAdd(1, false),
    sh2add: shiftAdd(2, false),
    sh3add: shiftAdd(3, false),
    "add.uw": shiftAdd(0, true),
    "sh1add.uw": shiftAdd(1, true),
    "sh2add.uw": shiftAdd(2, true),
    "sh3add.uw": shiftAdd(3, true),
  }),
  ...aluImmTrans({ "slli.uw": SLLI_UW }),
};
