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
import { gotoTargets } from "./ir_pack.ts";
import type { TranslationBlock } from "./tb.ts";

/** QEMU's target page: a direct jump chains only within the page its block starts on. */
const PAGE = 4096n;

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
  const chains = exec && !nochain ? new Chains() : undefined;
  return {
    name: inner.name,
    exec: (cpu, tb, budget) => {
      // a block whose first fetch faults only raises the fault: QEMU makes none, and logs none
      if (!tb.insnCount) return inner.exec(cpu, tb, budget);
      const shown = filter(tb.pc);
      const from = chains?.enter(tb);
      if (from && filter(from.tb.pc)) {
        write(`Linking TBs ${hex(from.tb.pc)} index ${from.slot} -> ${hex(tb.pc)}`);
      }
      const logged = shown && from !== null;
      if (exec && logged && !tb.part?.first) {
        const fn = symbols.logSymbolAt(tb.pc) ?? "";
        const fields = [
          word(0n, 16),
          word(tb.pc, 16),
          word(BigInt(tb.flags >>> 0), 8),
          word(0n, 8),
        ];
        write(`Trace ${index}: ${hex(tb.pc)} [${fields.join("/")}] ${fn}`);
      }
      if (cpuRegs && logged) write(dump(cpu, fpu).join("\n"));
      if (!chains) return inner.exec(cpu, tb, nochain ? Math.min(budget, tb.insnCount) : budget);
      // QEMU's chaining is replayed here: one block a call, so that each exit is seen
      const done = inner.exec(cpu, tb, Math.min(budget, tb.insnCount));
      chains.left(cpu, tb, done);
      return done;
    },
  };
}

/**
 * QEMU's TB chaining under `-d exec`, replayed over Denemu's blocks: a block left by a direct
 * jump (a GOTO_TB, to a pc on its first page, as QEMU's translator_use_goto_tb allows) is linked
 * to the next block the first time (QEMU's `Linking TBs` line, then its `Trace`), and entered
 * unlogged through the link after. QEMU's slot: 1 for a conditional branch's fall-through (the
 * first of two exits, as riscv's gen_branch numbers them), else 0. Blocks are known by pc and
 * flags: Denemu drops the blocks of a page a store hits, where QEMU keeps those it does not touch.
 */
class Chains {
  #links = new Map<string, string[]>();
  /** the block last left by a direct jump, its slot, and where it went (another thread's pc: none) */
  #last: { tb: TranslationBlock; slot: number; to: bigint } | null = null;

  /** How `tb` is entered: through a new link (returned), an old one (null), or none (undefined). */
  enter(tb: TranslationBlock): { tb: TranslationBlock; slot: number } | null | undefined {
    const from = this.#last;
    this.#last = null;
    if (!from || tb.part || tb.pc !== from.to) return undefined;
    const key = `${from.tb.pc}/${from.tb.flags}`, to = `${tb.pc}/${tb.flags}`;
    const slots = this.#links.get(key) ?? [];
    this.#links.set(key, slots);
    if (slots[from.slot] === to) return null;
    slots[from.slot] = to;
    return from;
  }

  /** Notes how `tb` was left: `done` instructions run, the pc where it went. */
  left(cpu: CpuCore, tb: TranslationBlock, done: number): void {
    if (tb.part || done !== tb.insnCount || cpu.trap) return;
    const exits = gotoTargets(tb.code);
    const slot = exits.length === 2 && cpu.pc === exits[0] ? 1 : 0;
    const samePage = (cpu.pc ^ tb.pc) < PAGE;
    if (exits.includes(cpu.pc) && samePage) this.#last = { tb, slot, to: cpu.pc };
  }
}
