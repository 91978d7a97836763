/**
 * traps: counts interrupts, exceptions and host calls (QEMU's
 * contrib/plugins/traps.c), from the discontinuity events. In Linux user
 * mode a signal caused by the instruction (a fault, `ebreak`, a synchronous
 * `raise`) is an exception, a signal delivered from elsewhere an interrupt,
 * and every system call a host call.
 *
 * No arguments.
 *
 * ```
 * emu user -plugin traps prog
 * VCPU, interrupts, exceptions, hostcalls
 *    0,          6,          3,         64
 * ```
 *
 * @module
 */

import type { ToolContext, ToolPlugin } from "../../plugin.ts";
import { checkArgs } from "./_util.ts";

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, []);
  const counts = { interrupt: 0, exception: 0, hostcall: 0 };
  ctx.hooks.on("discontinuity", (e) => counts[e.kind]++);
  ctx.onExit(() => {
    const col = (n: number) => String(n).padStart(10);
    ctx.out(
      "VCPU, interrupts, exceptions, hostcalls\n" +
        `${"0".padStart(4)}, ${col(counts.interrupt)}, ${col(counts.exception)}, ` +
        `${col(counts.hostcall)}\n`,
    );
  });
}

/**
 * The traps tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["traps"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "traps",
  apiVersion: { min: 2, cur: 2 },
  description: "count interrupts, exceptions (signals) and host calls (syscalls)",
  install,
};
export default plugin;
