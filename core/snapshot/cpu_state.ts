/**
 * The CPU part of a snapshot: the target's state block (registers, CSRs, the
 * pc, whatever the target keeps there), the retired-instruction count and the
 * virtual clock's idle skip.
 *
 * @module
 */

import type { VirtualClock } from "../clock.ts";
import type { CpuCore } from "../cpu_core.ts";

/** A CPU at one moment. */
export interface CpuSnapshot {
  /** the target state block's bytes */
  readonly state: Uint8Array;
  /** instructions retired */
  readonly icount: number;
  /** virtual time skipped while idle */
  readonly skippedNs: bigint;
}

/**
 * Saves the CPU state of `cpu` and the clock's skipped time.
 *
 * @example
 * ```ts ignore
 * const s = captureCpu(cpu, clock);
 * cpu.pc = 0n;
 * restoreCpu(cpu, clock, s); // the pc is back
 * ```
 */
export function captureCpu(cpu: CpuCore, clock: VirtualClock): CpuSnapshot {
  return {
    state: cpu.stateBlock().slice(),
    icount: cpu.icount,
    skippedNs: clock.skippedNs,
  };
}

/** Puts the CPU state and the clock back as `s` saved them. */
export function restoreCpu(cpu: CpuCore, clock: VirtualClock, s: CpuSnapshot): void {
  cpu.stateBlock().set(s.state);
  cpu.icount = s.icount;
  cpu.inFlight = 0;
  cpu.trap = null;
  cpu.stopRequested = false;
  cpu.exitRequest = false;
  clock.skippedNs = s.skippedNs;
}
