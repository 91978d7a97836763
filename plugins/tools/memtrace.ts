/**
 * memtrace: a line per guest memory access, in the CSV format of QEMU's
 * tests/tcg/plugins/mem.c with `print-accesses=on`:
 * `insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value`
 * (size in bits; user mode has no physical addresses, so mem_hwaddr is 0x0
 * as in QEMU's user mode). A summary `mem accesses: N` ends the trace.
 *
 * Arguments: `track=r|w|rw` (default rw).
 *
 * ```
 * emu user -plugin memtrace,track=w prog
 * insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value
 * 0x10514,main,0x4000800e68,0x0,64,store,0x0000000000010548
 * ```
 *
 * @module
 */

import { EmuError, type ToolContext, type ToolPlugin } from "../../plugin.ts";
import { checkArgs, functionName } from "./_util.ts";

const TRACK: Record<string, "read" | "write" | "rw"> = { r: "read", w: "write", rw: "rw" };

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["track"]);
  const access = TRACK[args.track ?? "rw"];
  if (!access) throw new EmuError(`invalid value for argument track: ${args.track}`);
  let count = 0;
  ctx.out("insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value\n");
  ctx.hooks.onTranslate((tb) => {
    for (const insn of tb.insns) {
      const prefix = `0x${insn.pc.toString(16)},${functionName(ctx, insn.pc) ?? ""},`;
      insn.onMem((_v, a) => {
        count++;
        const value = a.value.toString(16).padStart(a.size * 2, "0");
        ctx.out(
          `${prefix}0x${a.address.toString(16)},0x0,${a.size * 8},` +
            `${a.write ? "store" : "load"},0x${value}\n`,
        );
      }, { regs: "none", access });
    }
  });
  ctx.onExit(() => ctx.out(`mem accesses: ${count}\n`));
}

/**
 * The memtrace tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["memtrace,track=w"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "memtrace",
  apiVersion: { min: 2, cur: 2 },
  description: "trace every memory access as CSV like QEMU's mem plugin (track=r|w|rw)",
  install,
};
export default plugin;
