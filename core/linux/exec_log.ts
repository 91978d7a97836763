/**
 * The `-d exec`, `-d cpu` and `-d nochain` log items of user mode, as
 * qemu-riscv64 prints them: a backend that writes a line (and the registers)
 * before each block it runs, and with `nochain` runs one block per call.
 *
 * @module
 */

import type { Backend } from "../cpu_core.ts";
import { hex } from "../errors.ts";
import { registerRows } from "../register_dump.ts";

/**
 * `inner` with the log items of `categories` written to `write`; `inner`
 * itself when none of them is asked for.
 *
 * @example
 * ```ts ignore
 * cpu.backend = withExecLog(cpu.backend, new Set(["exec"]), console.error);
 * ```
 */
export function withExecLog(
  inner: Backend,
  categories: Set<string>,
  write: (line: string) => void,
): Backend {
  const exec = categories.has("exec"), cpuRegs = categories.has("cpu");
  const nochain = categories.has("nochain");
  if (!exec && !cpuRegs && !nochain) return inner;
  return {
    name: inner.name,
    exec: (cpu, tb, budget) => {
      if (exec && !tb.part?.first) write(`Trace 0: ${hex(tb.pc)} [${tb.flags}]`);
      if (cpuRegs) write(registerRows(cpu).join("\n"));
      // nochain: a budget of one block makes the JIT come back after each block.
      return inner.exec(cpu, tb, nochain ? Math.min(budget, tb.insnCount) : budget);
    },
  };
}
