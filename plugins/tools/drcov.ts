/**
 * drcov: writes a DynamoRIO drcov coverage log of the executed blocks, as
 * QEMU's contrib/plugins/drcov.c does, for Lighthouse, bncov or Cartographer.
 *
 * The file: a text header (`DRCOV VERSION: 2`, `DRCOV FLAVOR: drcov-64`),
 * a module table with the main program (`0, base, end, entry, path`),
 * `BB Table: N bbs`, then N binary entries of 8 bytes, little-endian:
 * u32 start (offset from the module base), u16 size, u16 module id.
 * Blocks outside the program (e.g. the signal trampoline) are left out.
 *
 * Arguments: `filename=PATH` (default `file.drcov.trace`, like QEMU).
 *
 * @module
 */

import { EmuError, type ToolBinary, type ToolContext, type ToolPlugin } from "../../plugin.ts";
import { checkArgs, type Counter, CounterPool } from "./_util.ts";

/** A translated block of the program and its execution counter. */
interface CoveredBlock {
  offset: number;
  size: number;
  counter: Counter;
}

/**
 * Encodes a drcov log: header, one-module table, and the block entries.
 *
 * @example
 * ```ts ignore
 * const bytes = encodeDrcov(ctx.binary!, [{ offset: 0x544, size: 12 }]);
 * ```
 */
export function encodeDrcov(bin: ToolBinary, blocks: { offset: number; size: number }[]) {
  const header = "DRCOV VERSION: 2\n" +
    "DRCOV FLAVOR: drcov-64\n" +
    "Module Table: version 2, count 1\n" +
    "Columns: id, base, end, entry, path\n" +
    `0, 0x${bin.start.toString(16)}, 0x${bin.end.toString(16)}, 0x${bin.entry.toString(16)}, ` +
    `${bin.path}\n` +
    `BB Table: ${blocks.length} bbs\n`;
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(head.length + blocks.length * 8);
  out.set(head);
  const dv = new DataView(out.buffer, head.length);
  blocks.forEach((b, i) => {
    dv.setUint32(i * 8, b.offset, true);
    dv.setUint16(i * 8 + 4, b.size, true);
    dv.setUint16(i * 8 + 6, 0, true);
  });
  return out;
}

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["filename"]);
  const filename = args.filename ?? "file.drcov.trace";
  const bin = ctx.binary;
  if (!bin) throw new EmuError("drcov: no program to cover (no main binary)");
  const pool = new CounterPool(ctx.hooks);
  const blocks = new Map<string, CoveredBlock>();
  ctx.hooks.onTranslate((tb) => {
    if (tb.pc < bin.start || tb.pc + BigInt(tb.size) > bin.end) return;
    const key = `${tb.pc}:${tb.size}`;
    let b = blocks.get(key);
    if (!b) {
      b = { offset: Number(tb.pc - bin.start), size: tb.size, counter: pool.take() };
      blocks.set(key, b);
    }
    tb.inlineAdd(b.counter.sb, 1n, b.counter.entry);
  });
  ctx.onExit(() => {
    const ran = [...blocks.values()].filter((b) => pool.get(b.counter) > 0n);
    ran.sort((a, b) => a.offset - b.offset || a.size - b.size);
    Deno.writeFileSync(filename, encodeDrcov(bin, ran));
  });
}

/**
 * The drcov tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["drcov,filename=prog.drcov"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "drcov",
  apiVersion: { min: 2, cur: 2 },
  description: "write a drcov coverage log for Lighthouse (filename=PATH)",
  install,
};
export default plugin;
