/**
 * Translation of Zifencei: `fence.i` drops every translated block (so
 * modified code is retranslated) and ends the TB.
 *
 * @module
 */

import type { CpuCore, HelperDef } from "../../mod.ts";
import type { TransTable } from "./context.ts";

/**
 * The `fence_i` helper: flushes the CPU's TB cache.
 *
 * @example
 * ```ts
 * import { FENCE_I_HELPER } from "./trans_zifencei.ts";
 * console.log(FENCE_I_HELPER.name); // "fence_i"
 * ```
 */
export const FENCE_I_HELPER: HelperDef = {
  name: "fence_i",
  fn: (cpu: CpuCore) => cpu.tbs.flush(),
  hasResult: false,
  // Compiled code must leave after it: the code that follows may be stale.
  flags: { mayExit: true },
};

/**
 * The Zifencei translation functions.
 *
 * @example
 * ```ts
 * import { ZIFENCEI_TRANS } from "./trans_zifencei.ts";
 * console.log(Object.keys(ZIFENCEI_TRANS)); // ["fence.i"]
 * ```
 */
export const ZIFENCEI_TRANS: TransTable = {
  "fence.i"(ctx) {
    ctx.ir.call(-1, ctx.helpers.index("fence_i"), []);
    ctx.endAfter = true;
    return true;
  },
};
