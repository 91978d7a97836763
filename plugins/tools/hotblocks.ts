/**
 * hotblocks: the most executed blocks (QEMU's contrib/plugins/hotblocks.c).
 *
 * Arguments: `inline=on` (inline counters instead of a callback per block),
 * `limit=N` or `top=N` (rows to print, default 20).
 *
 * ```
 * emu user -plugin hotblocks,inline=on,limit=2 tests/guests/bin/sort.static.O2
 * collected 1151 entries in the hash table
 * pc, tcount, icount, ecount
 * 0x000000000001099e, 1, 6, 260901
 * 0x0000000000014d62, 1, 4, 240902
 * ```
 *
 * @module
 */

import type { ToolContext, ToolPlugin } from "../../plugin.ts";
import { boolArg, checkArgs, type Counter, CounterPool, hex, intArg } from "./_util.ts";

/** One block as QEMU keys it: start pc and instruction count. */
interface BlockCount {
  pc: bigint;
  insns: number;
  /** times translated */
  tcount: number;
  /** inline counter, or callback count in `calls` */
  counter: Counter | null;
  calls: bigint;
}

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["inline", "limit", "top"]);
  const inline = boolArg(args, "inline");
  const limit = Number(intArg(args, "limit", intArg(args, "top", 20n)));
  const pool = new CounterPool(ctx.hooks);
  const blocks = new Map<string, BlockCount>();
  const ecount = (b: BlockCount) => (b.counter ? pool.get(b.counter) : 0n) + b.calls;

  ctx.hooks.onTranslate((tb) => {
    const key = `${tb.pc}:${tb.insns.length}`;
    let b = blocks.get(key);
    if (b) b.tcount++;
    else {
      b = { pc: tb.pc, insns: tb.insns.length, tcount: 1, counter: null, calls: 0n };
      blocks.set(key, b);
    }
    const block = b;
    if (inline) {
      block.counter ??= pool.take();
      tb.inlineAdd(block.counter.sb, 1n, block.counter.entry);
    } else {
      tb.onExec(() => block.calls++, { regs: "none" });
    }
  });

  ctx.onExit(() => {
    const rows = [...blocks.values()].map((b) => ({ b, n: ecount(b) }));
    rows.sort((x, y) => (x.n === y.n ? (x.b.pc < y.b.pc ? -1 : 1) : x.n > y.n ? -1 : 1));
    let text = `collected ${blocks.size} entries in the hash table\n`;
    if (rows.length) text += "pc, tcount, icount, ecount\n";
    for (const { b, n } of rows.slice(0, limit)) {
      text += `${hex(b.pc, 16)}, ${b.tcount}, ${b.insns}, ${n}\n`;
    }
    ctx.out(text);
  });
}

/**
 * The hotblocks tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["hotblocks,limit=5"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "hotblocks",
  apiVersion: { min: 2, cur: 2 },
  description: "the most executed blocks: pc, translations, insns, executions (inline=on, limit=N)",
  install,
};
export default plugin;
