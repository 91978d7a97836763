/**
 * Translation of Zicond: `czero.eqz` / `czero.nez` zero rd when rs2 is /
 * is not zero, else copy rs1 (one conditional move each).
 *
 * @module
 */

import { Cond } from "../../plugin_target.ts";
import { aluRegTrans, type AluSpec } from "./alu.ts";
import { imm, type TransTable } from "./context.ts";

function czero(cond: Cond): AluSpec {
  return {
    emit: (ctx, d, a, b) => {
      const zero = imm(ctx, 0);
      ctx.ir.movcond(cond, d, b, zero, zero, a);
    },
  };
}

/**
 * The Zicond translation functions.
 *
 * @example
 * ```ts
 * import { ZICOND_TRANS } from "./trans_zicond.ts";
 * console.log(Object.keys(ZICOND_TRANS)); // ["czero.eqz", "czero.nez"]
 * ```
 */
export const ZICOND_TRANS: TransTable = aluRegTrans({
  "czero.eqz": czero(Cond.EQ),
  "czero.nez": czero(Cond.NE),
});
