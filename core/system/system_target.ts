/**
 * The system-mode side of the target interface: what a target provides to
 * run a whole machine (privileged architecture, MMU, traps, interrupts).
 * Kept out of `core/target.ts` so that the core target interface names no mode.
 *
 * @module
 */

import type { DeviceState } from "./vmstate.ts";
import type { VirtualClock } from "../clock.ts";
import type { CpuCore } from "../cpu_core.ts";
import type { TargetArch } from "../target.ts";
import type { Trap } from "../trap.ts";
import type { PhysicalBus } from "./bus.ts";
import type { EventQueue } from "./events.ts";
import type { InterruptSink } from "./irq.ts";
import type { SystemMemory } from "./system_memory.ts";

/** What a hart gets from the machine it is attached to. */
export interface SystemBinding {
  /** physical memory and devices (page-table walks, PMP, code tracking) */
  bus: PhysicalBus;
  /** the CPU's memory (its `resolve` and `probe` are installed by the target) */
  memory: SystemMemory;
  /** virtual time (the target's time counters) */
  clock: VirtualClock;
  /** the machine's virtual-time events (a hart's own timers, e.g. RISC-V's stimecmp) */
  events: EventQueue;
  /** `-d int`: called with one line per trap or interrupt taken */
  logInterrupt?: (line: string) => void;
  /** the hart's number on the machine (RISC-V's `mhartid`; default 0) */
  hartId?: number;
}

/**
 * The target side of the system run loop (see `core/system/run_loop.ts`):
 * one hart's privileged state, as the loop sees it. It is also the hart's
 * interrupt-pending input ({@linkcode InterruptSink}): devices set bits.
 */
export interface SystemHart extends InterruptSink {
  /** Power-on reset of the privileged state (the run loop sets the pc). */
  reset(): void;
  /**
   * Starts at `pc` with `args` in the registers the target's boot protocol
   * passes them in (RISC-V: a0, a1, a2), as the board's reset code would.
   */
  bootAt(pc: bigint, args: readonly bigint[]): void;
  /** Takes a trap raised by guest code (a precise exception) into the guest's handler. */
  deliverTrap(trap: Trap): void;
  /** Takes the highest-priority pending and enabled interrupt, if any; returns whether it did. */
  takeInterrupt(): boolean;
  /**
   * Drops the hart's load reservation (RISC-V LR/SC): called when it stops
   * running so another hart runs, whose stores it would not see.
   */
  breakReservation(): void;
  /** Whether the hart sleeps in `wfi` (no enabled interrupt pending to wake it). */
  readonly waiting: boolean;
  /** Saves the privileged state the CPU state block does not hold (CSRs kept in JS). */
  save?(): DeviceState;
  /** Loads what `save` returned. */
  load?(state: DeviceState): void;
  /**
   * Drops cached address translations (the MMU's and the soft TLB), as a
   * snapshot does so that a run after it and a run after its restore walk the
   * same page tables.
   */
  dropTranslations?(): void;
}

/**
 * A target's system-mode entry point.
 *
 * @example
 * ```ts ignore
 * const hart = systemSupport(target)!.attach(cpu, { bus, memory, clock, events });
 * if (!hart.takeInterrupt()) cpu.run(1000);
 * ```
 */
export interface SystemTarget {
  /** Binds the privileged architecture to `cpu` and installs its MMU as `binding.memory`'s resolver. */
  attach(cpu: CpuCore, binding: SystemBinding): SystemHart;
}

/** A target with system-mode support. */
export interface SystemCapableTarget extends TargetArch {
  /** Whole-machine (system mode) support: privileged architecture, MMU, traps, interrupts. */
  system: SystemTarget;
}

/**
 * The system-mode support of `target`, or undefined when it has none.
 *
 * @example
 * ```ts ignore
 * const system = systemSupport(target);
 * if (!system) throw new EmuError(`target ${target.name} has no system mode`);
 * ```
 */
export function systemSupport(target: TargetArch): SystemTarget | undefined {
  return (target as Partial<SystemCapableTarget>).system;
}
