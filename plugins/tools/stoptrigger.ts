/**
 * stoptrigger: ends the run after N instructions or on reaching an address
 * (QEMU's contrib/plugins/stoptrigger.c).
 *
 * Arguments: `icount=N[:CODE]` (exit with CODE, default 0, when about to run
 * instruction N+1, so exactly N ran), `addr=A[:CODE]` (exit before the
 * instruction at A runs). The message goes to the plugin output:
 * `icount reached at 0xPC, exiting` or `0xA reached, exiting`.
 *
 * ```
 * emu user -plugin stoptrigger,icount=1000:3 prog; echo $?
 * icount reached at 0x24288, exiting
 * 3
 * ```
 *
 * @module
 */

import { Cond, EmuError, type ToolContext, type ToolPlugin } from "../../plugin.ts";
import { checkArgs } from "./_util.ts";

/** Splits `VALUE[:CODE]` (C integer syntax: decimal or 0x hex). */
function valueAndCode(arg: string, what: string): { value: bigint; code: number } {
  const [v, c] = arg.split(":", 2);
  const num = (s: string) => {
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(s)) {
      throw new EmuError(`${what} parsing failed: '${s}' must be a positive integer`);
    }
    return BigInt(s);
  };
  return { value: num(v), code: c === undefined ? 0 : Number(num(c)) };
}

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["icount", "addr"]);
  if (args.icount === undefined && args.addr === undefined) {
    throw new EmuError("'icount' or 'addr' argument missing");
  }
  const icount = args.icount === undefined ? null : valueAndCode(args.icount, "icount");
  if (icount && icount.value < 1n) {
    throw new EmuError(`icount parsing failed: '${args.icount}' must be a positive integer`);
  }
  const addr = args.addr === undefined ? null : valueAndCode(args.addr, "addr");
  const count = ctx.hooks.scoreboard();
  const stop = (message: string, code: number) => {
    ctx.out(message);
    ctx.exit(code);
  };
  ctx.hooks.onTranslate((tb) => {
    for (const insn of tb.insns) {
      if (icount) {
        const pc = insn.pc;
        insn.inlineAdd(count, 1n);
        insn.onExecIf(count, Cond.EQ, icount.value + 1n, () => {
          stop(`icount reached at 0x${pc.toString(16)}, exiting\n`, icount.code);
        }, { regs: "write" });
      }
      if (addr && insn.pc === addr.value) {
        insn.onExec(() => {
          stop(`0x${addr.value.toString(16)} reached, exiting\n`, addr.code);
        }, { regs: "write" });
      }
    }
  });
}

/**
 * The stoptrigger tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["stoptrigger,icount=1000"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "stoptrigger",
  apiVersion: { min: 2, cur: 2 },
  description: "exit after N instructions or at an address (icount=N[:CODE], addr=A[:CODE])",
  install,
};
export default plugin;
