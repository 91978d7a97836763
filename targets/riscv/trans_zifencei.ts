/**
 * Translation of Zifencei: `fence.i` ends the TB and does nothing else, as in
 * QEMU. Stale translated code never runs without it: a store (or DMA, or a
 * loader) to a page holding code drops that code at once (see `core/tb.ts`
 * and `core/system/system_memory.ts`), and the store's own region leaves.
 * Flushing every TB here, as Denemu once did, cost a Linux boot about 200
 * full flushes and their retranslation, and hid a bug (a cached fetch-fault
 * TB) that made Linux hang at /init without the flush.
 *
 * @module
 */

import type { TransTable } from "./context.ts";

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
    ctx.endAfter = true;
    return true;
  },
};
