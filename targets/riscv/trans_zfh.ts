/**
 * Translation of Zfh (half precision): the shared FP translators
 * instantiated for binary16, plus the conversions to and from single and
 * double (Zfhmin's subset is decoded by tag; the functions are the same).
 *
 * @module
 */

import type { TransTable } from "./context.ts";
import { fpTrans, fpViaHelper } from "./trans_fp.ts";

/**
 * The Zfh translation functions.
 *
 * @example
 * ```ts
 * import { ZFH_TRANS } from "./trans_zfh.ts";
 * console.log("fcvt.h.d" in ZFH_TRANS, "fmadd.h" in ZFH_TRANS); // true true
 * ```
 */
export const ZFH_TRANS: TransTable = {
  ...fpTrans("f16"),
  "fcvt.s.h": fpViaHelper("fcvt_f32_f16", ["rs1"], true),
  "fcvt.h.s": fpViaHelper("fcvt_f16_f32", ["rs1"], true),
  "fcvt.d.h": fpViaHelper("fcvt_f64_f16", ["rs1"], true),
  "fcvt.h.d": fpViaHelper("fcvt_f16_f64", ["rs1"], true),
};
