/**
 * The `-d exec`, `-d cpu` and `-d nochain` log items of both modes, as
 * qemu-riscv64 and qemu-system-riscv64 print them: a backend that writes a
 * line (and the registers) before each block it runs, and with `nochain` runs
 * one block per call.
 *
 * @module
 */

import type { Backend, CpuCore } from "./cpu_core.ts";
import { hex } from "./errors.ts";

/**
 * `inner` with the log items of `log.categories` written by `log.write`;
 * `inner` itself when none of them is asked for. A `-d exec` line has QEMU's
 * shape, `Trace 0: PTR [CS_BASE/PC/FLAGS/CFLAGS] SYMBOL`: Denemu has no host
 * pointer to give and shows the block's pc there, with its own flags and zero
 * for the rest (`Trace N`: the hart's index, 0 in user mode). `-d cpu`
 * writes the rows `dump` gives (QEMU's layout for the mode and machine), with
 * the FP registers when `fpu` is asked for too.
 *
 * @example
 * ```ts ignore
 * cpu.backend = withExecLog(cpu.backend, p.log, (c, fpu) => hartRows(c, fpu), p.modules);
 * ```
 */
export function withExecLog(
  inner: Backend,
  log: {
    categories: Set<string>;
    write: (line: string) => void;
    filter?: (pc: bigint) => boolean;
  },
  dump: (cpu: CpuCore, fpu: boolean) => string[],
  symbols: { logSymbolAt(pc: bigint): string | undefined },
  index = 0,
): Backend {
  const { categories, write, filter = () => true } = log;
  const exec = categories.has("exec"), cpuRegs = categories.has("cpu"), fpu = categories.has("fpu");
  const nochain = categories.has("nochain");
  if (!exec && !cpuRegs && !nochain) return inner;
  const word = (v: bigint, digits: number) => v.toString(16).padStart(digits, "0");
  return {
    name: inner.name,
    exec: (cpu, tb, budget) => {
      // a block whose first fetch faults only raises the fault: QEMU makes none, and logs none
      if (!tb.insnCount) return inner.exec(cpu, tb, budget);
      const shown = filter(tb.pc);
      if (exec && shown && !tb.part?.first) {
        const fn = symbols.logSymbolAt(tb.pc) ?? "";
        const fields = [
          word(0n, 16),
          word(tb.pc, 16),
          word(BigInt(tb.flags >>> 0), 8),
          word(0n, 8),
        ];
        write(`Trace ${index}: ${hex(tb.pc)} [${fields.join("/")}] ${fn}`);
      }
      if (cpuRegs && shown) write(dump(cpu, fpu).join("\n"));
      // nochain: a budget of one block makes the JIT come back after each block.
      return inner.exec(cpu, tb, nochain ? Math.min(budget, tb.insnCount) : budget);
    },
  };
}
