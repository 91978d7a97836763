/**
 * Translation of the F extension (single precision): the shared FP
 * translators instantiated for binary32.
 *
 * @module
 */

import type { TransTable } from "./context.ts";
import { fpTrans } from "./trans_fp.ts";

/**
 * The F-extension translation functions.
 *
 * @example
 * ```ts
 * import { RVF_TRANS } from "./trans_rvf.ts";
 * console.log("fmv.x.w" in RVF_TRANS); // true
 * ```
 */
export const RVF_TRANS: TransTable = fpTrans("f32");
