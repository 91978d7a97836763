/**
 * Translation of Zbc (carry-less multiplication): the low (`clmul`), high
 * (`clmulh`) and reversed (`clmulr`) halves of the carry-less product, through
 * the `clmul` helper. RV32 multiplies the zero-extended low words and keeps
 * bits 0-31, 32-63 or 31-62 of the product.
 *
 * @module
 */

import { Op } from "../../plugin_target.ts";
import { aluRegTrans, type AluSpec } from "./alu.ts";
import { imm, type TransTable } from "./context.ts";

/** The product's bits from `shift` (`shift32` on RV32). */
function clmul(shift: number, shift32: number): AluSpec {
  return {
    emit: (ctx, d, a, b) => {
      const { ir } = ctx;
      const index = ctx.helpers.index("clmul");
      if (ctx.xlen === 64) return void ir.call(d, index, [a, b, imm(ctx, shift)]);
      const x = ir.temp(), y = ir.temp(), p = ir.temp();
      ir.binop(Op.EXT32U, x, a);
      ir.binop(Op.EXT32U, y, b);
      ir.call(p, index, [x, y, imm(ctx, shift32)]);
      ir.binop(Op.EXT32S, d, p);
    },
  };
}

/**
 * The Zbc translation functions.
 *
 * @example
 * ```ts
 * import { ZBC_TRANS } from "./trans_zbc.ts";
 * console.log(Object.keys(ZBC_TRANS)); // ["clmul", "clmulh", "clmulr"]
 * ```
 */
export const ZBC_TRANS: TransTable = aluRegTrans({
  clmul: clmul(0, 0),
  clmulh: clmul(64, 32),
  clmulr: clmul(63, 31),
});
