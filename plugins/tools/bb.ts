/**
 * bb: counts executed basic blocks and their instructions (QEMU's
 * tests/tcg/plugins/bb.c).
 *
 * Arguments: `inline=on` (inline adds instead of a callback per block),
 * `idle=on` (accepted for QEMU compatibility; user mode never idles).
 *
 * ```
 * emu user -plugin bb,inline=on prog
 * CPU0: bb's: 6643, insns: 20325
 * Total: bb's: 6643, insns: 20325
 * ```
 *
 * @module
 */

import type { ToolContext, ToolPlugin } from "../../plugin.ts";
import { boolArg, checkArgs } from "./_util.ts";

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["inline", "idle"]);
  const inline = boolArg(args, "inline");
  boolArg(args, "idle");
  // entry 0: blocks, entry 1: instructions (QEMU's CPUCount)
  const sb = ctx.hooks.scoreboard(2);
  let blocks = 0n, insns = 0n;
  ctx.hooks.onTranslate((tb) => {
    const n = BigInt(tb.insns.length);
    if (inline) {
      tb.inlineAdd(sb, 1n, 0);
      tb.inlineAdd(sb, n, 1);
    } else {
      tb.onExec(() => {
        blocks++;
        insns += n;
      }, { regs: "none" });
    }
  });
  ctx.onExit(() => {
    const b = sb.get(0) + blocks, i = sb.get(1) + insns;
    const cpu = b ? `CPU0: bb's: ${b}, insns: ${i}\n` : "";
    ctx.out(`${cpu}Total: bb's: ${b}, insns: ${i}\n`);
  });
}

/**
 * The bb tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["bb,inline=on"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "bb",
  apiVersion: { min: 2, cur: 2 },
  description: "count executed basic blocks and their instructions (inline=on)",
  install,
};
export default plugin;
