/**
 * hotpages: the pages that saw the most memory accesses (QEMU's
 * contrib/plugins/hotpages.c).
 *
 * Arguments: `sortby=reads|writes|address` (default: reads + writes),
 * `pagesize=N` (default 4096), `io=on` (accepted; user mode has no I/O).
 *
 * ```
 * emu user -plugin hotpages prog
 * Addr, RCPUs, Reads, WCPUs, Writes
 * 0x0000004000800000, 0x0001, 2052, 0x0001, 506
 * 0x0000000000074000, 0x0001, 1876, 0x0001, 16
 * ```
 *
 * @module
 */

import { EmuError, type ToolContext, type ToolPlugin } from "../../plugin.ts";
import { boolArg, checkArgs, hex, intArg } from "./_util.ts";

/** Accesses to one page. */
interface PageCount {
  page: bigint;
  reads: number;
  writes: number;
}

const SORTS: Record<string, (a: PageCount, b: PageCount) => number> = {
  rw: (a, b) => b.reads + b.writes - (a.reads + a.writes),
  reads: (a, b) => b.reads - a.reads,
  writes: (a, b) => b.writes - a.writes,
  address: (a, b) => (a.page > b.page ? -1 : a.page < b.page ? 1 : 0),
};

/** Rows printed (QEMU's fixed limit). */
const LIMIT = 50;

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["sortby", "pagesize", "io"]);
  boolArg(args, "io");
  const sortby = args.sortby ?? "rw";
  const sort = SORTS[sortby];
  if (!sort) {
    throw new EmuError(`invalid value to sortby: ${sortby}`, "use reads, writes or address");
  }
  const pageSize = intArg(args, "pagesize", 4096n);
  if (pageSize === 0n || (pageSize & (pageSize - 1n)) !== 0n) {
    throw new EmuError(`pagesize=${pageSize}: not a power of two`);
  }
  const mask = ~(pageSize - 1n);
  const pages = new Map<bigint, PageCount>();

  ctx.hooks.onTranslate((tb) => {
    for (const insn of tb.insns) {
      insn.onMem((_v, a) => {
        const page = a.address & mask;
        let c = pages.get(page);
        if (!c) pages.set(page, c = { page, reads: 0, writes: 0 });
        if (a.write) c.writes++;
        else c.reads++;
      }, { regs: "none" });
    }
  });

  ctx.onExit(() => {
    const rows = [...pages.values()].sort((a, b) => sort(a, b) || SORTS.address(a, b));
    let text = "Addr, RCPUs, Reads, WCPUs, Writes\n";
    for (const p of rows.slice(0, LIMIT)) {
      const rcpus = p.reads ? 1 : 0, wcpus = p.writes ? 1 : 0;
      text += `${hex(p.page, 16)}, ${hex(rcpus, 4)}, ${p.reads}, ${hex(wcpus, 4)}, ${p.writes}\n`;
    }
    ctx.out(text);
  });
}

/**
 * The hotpages tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["hotpages,sortby=writes"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "hotpages",
  apiVersion: { min: 2, cur: 2 },
  description: "pages with the most memory accesses (sortby=reads|writes|address, pagesize=N)",
  install,
};
export default plugin;
