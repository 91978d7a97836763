/**
 * `-d op` and `-d op_opt` in both modes: the IR of each block as it is
 * translated, as the target made it (`op`) and as the backends run it, folded
 * and instrumented (`op_opt`), in the layout of QEMU's logs of TCG ops.
 *
 * @module
 */

import type { CpuCore } from "../cpu_core.ts";
import { formatIr } from "../ir_dump.ts";

/** QEMU's heading of each block in the `op_opt` log. */
const OP_OPT_TITLE = "OP after optimization and liveness analysis:";

/**
 * Logs the IR of every block `cpu` translates from now on (those whose first
 * address passes `filter`) through `write`: before folding when `items` has
 * `op`, after it when it has `op_opt`.
 *
 * @example
 * ```ts ignore
 * logOps(cpu, new Set(["op"]), (t) => Deno.stderr.writeSync(new TextEncoder().encode(t)));
 * ```
 */
export function logOps(
  cpu: CpuCore,
  items: ReadonlySet<string>,
  write: (text: string) => void,
  filter: (pc: bigint) => boolean = () => true,
): void {
  const names = { globals: cpu.target.state.globals, helpers: cpu.target.helpers };
  const shown = (pc: bigint, part: unknown) => !part && filter(pc);
  // The `op` text waits for the block's end, so that it follows the block's `in_asm`, as in QEMU.
  let unfolded = "";
  cpu.tbs.observers.push({
    translated: items.has("op")
      ? (ir, code, part) =>
        unfolded = shown(code.pc, part) ? formatIr("OP:", ir.finish(), names) : ""
      : undefined,
    onBlock: (tb) => {
      if (unfolded) write(unfolded);
      unfolded = "";
      if (items.has("op_opt") && shown(tb.pc, tb.part)) write(formatIr(OP_OPT_TITLE, tb.ir, names));
    },
  });
}
