/**
 * bbv: basic block vectors for SimPoint (QEMU's contrib/plugins/bbv.c).
 *
 * Every `interval` instructions, appends a line to `<outfile>.0.bb`:
 * `T` then `:INDEX:COUNT ` for each block that ran in the interval, where
 * INDEX numbers blocks from 0 in translation order and COUNT is the
 * instructions the block executed. The last, partial interval is not written
 * (as in QEMU).
 *
 * Arguments: `outfile=PREFIX` (required), `interval=N` (default 100000000).
 *
 * ```
 * emu user -plugin bbv,interval=1000000,outfile=compute tests/guests/bin/compute.static.O2 3
 * $ head -c 60 compute.0.bb
 * T:0:1 :1:6 :2:10 :3:8 :4:20 :5:105 :6:2 :7:9 :8:153 :9:7 ...
 * ```
 *
 * @module
 */

import { Cond, EmuError, type ToolContext, type ToolPlugin } from "../../plugin.ts";
import { checkArgs, type Counter, CounterPool, intArg } from "./_util.ts";

/** A block (by start pc) with its index and instruction counter. */
interface VectorBlock {
  index: number;
  counter: Counter;
}

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["interval", "outfile"]);
  const outfile = args.outfile;
  if (!outfile) throw new EmuError("outfile unspecified", "use bbv,outfile=PREFIX");
  const interval = intArg(args, "interval", 100_000_000n);
  if (interval === 0n) throw new EmuError("interval must be positive");
  const file = Deno.openSync(`${outfile}.0.bb`, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  const total = ctx.hooks.scoreboard(); // instructions since the last vector
  const pool = new CounterPool(ctx.hooks);
  const byPc = new Map<bigint, VectorBlock>();
  const blocks: VectorBlock[] = [];

  const writeVector = () => {
    total.set(0, total.get() - interval);
    let line = "T";
    for (const b of blocks) {
      const n = pool.get(b.counter);
      if (!n) continue;
      line += `:${b.index}:${n} `;
      b.counter.sb.set(b.counter.entry, 0n);
    }
    const bytes = enc.encode(line + "\n");
    for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
  };

  ctx.hooks.onTranslate((tb) => {
    let b = byPc.get(tb.pc);
    if (!b) {
      b = { index: blocks.length, counter: pool.take() };
      byPc.set(tb.pc, b);
      blocks.push(b);
    }
    const n = BigInt(tb.insns.length);
    tb.inlineAdd(total, n);
    tb.inlineAdd(b.counter.sb, n, b.counter.entry);
    tb.insns[0].onExecIf(total, Cond.GEU, interval, writeVector, { regs: "none" });
  });
  ctx.onExit(() => file.close());
}

/**
 * The bbv tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["bbv,interval=10000,outfile=prog"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "bbv",
  apiVersion: { min: 2, cur: 2 },
  description: "SimPoint basic block vectors to OUTFILE.0.bb (interval=N, outfile=PREFIX)",
  install,
};
export default plugin;
