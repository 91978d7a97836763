/**
 * Software breakpoints on top of instruction hooks, for the run layers (user
 * mode's `Machine`, system mode's `EmulatedSystem`): a breakpoint stops the
 * run before its instruction, and a run that resumes on a breakpoint's
 * address runs that instruction first instead of stopping again at once.
 *
 * @module
 */

import type { HookId, Hooks } from "./hooks.ts";
import type { Vcpu } from "./vcpu.ts";

/**
 * The breakpoints of one CPU.
 *
 * @example
 * ```ts ignore
 * const bps = new Breakpoints(hooks);
 * bps.add(0x10400n);
 * bps.resume(cpu.pc);
 * cpu.run(1_000_000); // stops before 0x10400; bps.hit === 0x10400n
 * ```
 */
export class Breakpoints {
  readonly #ids = new Map<bigint, HookId>();
  #resumeFrom: bigint | null = null;
  /** The breakpoint that stopped the run, until {@linkcode Breakpoints.resume}. */
  hit: bigint | null = null;

  /** `stops`: the vCPUs a breakpoint stops (absent: every one). */
  constructor(readonly hooks: Hooks, readonly stops?: (v: Vcpu) => boolean) {}

  /** Whether there is a breakpoint at `pc`. */
  has(pc: bigint): boolean {
    return this.#ids.has(pc);
  }

  /** Stops before the instruction at `pc` runs. */
  add(pc: bigint): void {
    if (this.#ids.has(pc)) return;
    const id = this.hooks.addInsnHook((v) => {
      if (this.stops && !this.stops(v)) return;
      if (this.#resumeFrom === pc) {
        this.#resumeFrom = null;
        return;
      }
      this.hit = pc;
      v.stop();
      v.setPc(pc);
    }, { begin: pc, end: pc });
    this.#ids.set(pc, id);
  }

  /** Removes the breakpoint at `pc`. */
  remove(pc: bigint): void {
    const id = this.#ids.get(pc);
    if (id !== undefined) this.hooks.remove(id);
    this.#ids.delete(pc);
  }

  /** Call before a run continues at `pc`: forgets the last hit; a breakpoint at `pc` lets its instruction run once. */
  resume(pc: bigint): void {
    this.hit = null;
    this.#resumeFrom = this.#ids.has(pc) ? pc : null;
  }
}
