/**
 * insn: counts executed instructions (QEMU's tests/tcg/plugins/insn.c).
 *
 * Arguments: `inline=on` (count with inline adds instead of callbacks),
 * `sizes=on` (report translated instructions by length instead),
 * `match=PREFIX` (track instructions whose disassembly starts with PREFIX),
 * `trace=on` (print a line for every matched instruction executed).
 *
 * ```
 * emu user -plugin insn,inline=on prog
 * cpu 0 insns: 20325
 * total insns: 20325
 * ```
 *
 * @module
 */

import type { ToolContext, ToolPlugin } from "../../plugin.ts";
import { boolArg, checkArgs } from "./_util.ts";

/** A matched instruction: where, what, and how often. */
interface MatchRecord {
  pc: bigint;
  disas: string;
  hits: number;
}

/** Per-prefix statistics of `match=` (QEMU's MatchCount). */
interface MatchStats {
  prefix: string;
  hits: number;
  lastHit: bigint;
  totalDelta: bigint;
  records: Map<string, MatchRecord>;
}

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["inline", "sizes", "match", "trace"]);
  const inline = boolArg(args, "inline");
  const sizes = boolArg(args, "sizes");
  const trace = boolArg(args, "trace");
  const sb = ctx.hooks.scoreboard();
  let called = 0n; // the callback count when not inline
  const count = () => sb.get() + called;
  const bySize = new Map<number, number>();
  const match: MatchStats | null = args.match === undefined
    ? null
    : { prefix: args.match, hits: 0, lastHit: 0n, totalDelta: 0n, records: new Map() };

  const onMatch = (m: MatchStats, rec: MatchRecord) => {
    rec.hits++;
    const now = count();
    const delta = now - m.lastHit;
    m.hits++;
    m.totalDelta += delta;
    m.lastHit = now;
    if (trace) {
      ctx.out(
        `0x${
          rec.pc.toString(16)
        }, '${rec.disas}', ${rec.hits} hits , cpu 0, ${m.hits} match hits,` +
          ` Δ+${delta} since last match, ${m.totalDelta / BigInt(m.hits)} avg insns/match\n`,
      );
    }
  };

  ctx.hooks.onTranslate((tb) => {
    for (const insn of tb.insns) {
      if (inline) insn.inlineAdd(sb, 1n);
      else insn.onExec(() => called++, { regs: "none" });
      if (sizes) bySize.set(insn.size, (bySize.get(insn.size) ?? 0) + 1);
      if (!match) continue;
      const disas = insn.disassembly;
      if (!disas.startsWith(match.prefix)) continue;
      const key = `${insn.pc.toString(16)} ${disas}`;
      let rec = match.records.get(key);
      if (!rec) {
        match.records.set(key, rec = { pc: insn.pc, disas, hits: 0 });
        ctx.out(`Created record for: ${key}\n`);
      }
      const r = rec;
      insn.onExec(() => onMatch(match, r), { regs: "none" });
    }
  });

  ctx.onExit(() => {
    let text = "";
    if (sizes) {
      for (const [len, n] of [...bySize].sort((a, b) => a[0] - b[0])) {
        text += `len ${len} bytes: ${n} insns\n`;
      }
    } else {
      text += `cpu 0 insns: ${count()}\ntotal insns: ${count()}\n`;
    }
    if (match) {
      text += `Match: ${match.prefix}, hits ${match.hits}\n`;
      for (const r of match.records.values()) {
        text += `  ${r.pc.toString(16)}: ${r.disas} (hits ${r.hits})\n`;
      }
    }
    ctx.out(text);
  });
}

/**
 * The insn tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["insn,inline=on"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "insn",
  apiVersion: { min: 2, cur: 2 },
  description: "count executed instructions (inline=on, sizes=on, match=PREFIX, trace=on)",
  install,
};
export default plugin;
