/**
 * Translation of the D extension (double precision): the shared FP
 * translators instantiated for binary64, plus the conversions between the
 * two formats.
 *
 * @module
 */

import type { TransTable } from "./context.ts";
import { fpTrans, fpViaHelper } from "./trans_fp.ts";

/**
 * The D-extension translation functions.
 *
 * @example
 * ```ts
 * import { RVD_TRANS } from "./trans_rvd.ts";
 * console.log("fcvt.s.d" in RVD_TRANS); // true
 * ```
 */
export const RVD_TRANS: TransTable = {
  ...fpTrans("f64"),
  "fcvt.s.d": fpViaHelper("fcvt_f32_f64", ["rs1"], true),
  "fcvt.d.s": fpViaHelper("fcvt_f64_f32", ["rs1"], true),
};
