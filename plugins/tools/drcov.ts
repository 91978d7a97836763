/**
 * drcov: writes a DynamoRIO drcov coverage log of the executed blocks, as
 * QEMU's contrib/plugins/drcov.c does, for Lighthouse, bncov or Cartographer.
 *
 * The file: a text header (`DRCOV VERSION: 2`, `DRCOV FLAVOR: drcov-64`),
 * a module table with every loaded module (`id, base, end, entry, path`: the
 * program, the dynamic loader and each shared library in user mode, the
 * `-bios`/`-kernel` ELF images in system mode), `BB Table: N bbs`, then N
 * binary entries of 8 bytes, little-endian: u32 start (offset from the
 * module's base), u16 size, u16 module id. Blocks outside every module (the
 * signal trampoline, raw binary images) are left out.
 *
 * Arguments: `filename=PATH` (default `file.drcov.trace`, like QEMU).
 *
 * @module
 */

import { EmuError, type LoadedModule, type ToolContext, type ToolPlugin } from "../../plugin.ts";
import { checkArgs, type Counter, CounterPool } from "./_util.ts";

/** A block of a module, as a drcov entry. */
export interface DrcovBlock {
  /** module id */
  module: number;
  /** offset from the module's base */
  offset: number;
  size: number;
}

/**
 * Encodes a drcov log: header, module table, and the block entries.
 *
 * @example
 * ```ts ignore
 * const bytes = encodeDrcov(ctx.modules!.list, [{ module: 0, offset: 0x544, size: 12 }]);
 * ```
 */
export function encodeDrcov(modules: readonly LoadedModule[], blocks: DrcovBlock[]): Uint8Array {
  const hex = (v: bigint) => `0x${v.toString(16)}`;
  const header = "DRCOV VERSION: 2\n" +
    "DRCOV FLAVOR: drcov-64\n" +
    `Module Table: version 2, count ${modules.length}\n` +
    "Columns: id, base, end, entry, path\n" +
    modules.map((m) => `${m.id}, ${hex(m.start)}, ${hex(m.end)}, ${hex(m.entry)}, ${m.path}\n`)
      .join("") +
    `BB Table: ${blocks.length} bbs\n`;
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(head.length + blocks.length * 8);
  out.set(head);
  const dv = new DataView(out.buffer, head.length);
  blocks.forEach((b, i) => {
    dv.setUint32(i * 8, b.offset, true);
    dv.setUint16(i * 8 + 4, b.size, true);
    dv.setUint16(i * 8 + 6, b.module, true);
  });
  return out;
}

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["filename"]);
  const filename = args.filename ?? "file.drcov.trace";
  const modules = ctx.modules;
  if (!modules) throw new EmuError("drcov: this machine has no module list to cover");
  const pool = new CounterPool(ctx.hooks);
  const blocks = new Map<string, DrcovBlock & { counter: Counter }>();
  ctx.hooks.onTranslate((tb) => {
    const m = modules.at(tb.pc);
    if (!m || tb.pc < m.start || tb.pc + BigInt(tb.size) > m.end) return;
    const key = `${tb.pc}:${tb.size}`;
    let b = blocks.get(key);
    if (!b) {
      const offset = Number(tb.pc - m.start);
      b = { module: m.id, offset, size: tb.size, counter: pool.take() };
      blocks.set(key, b);
    }
    tb.inlineAdd(b.counter.sb, 1n, b.counter.entry);
  });
  ctx.onExit(() => {
    const ran = [...blocks.values()].filter((b) => pool.get(b.counter) > 0n);
    ran.sort((a, b) => a.module - b.module || a.offset - b.offset || a.size - b.size);
    Deno.writeFileSync(filename, encodeDrcov(modules.list, ran));
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
