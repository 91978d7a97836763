/**
 * What {@linkcode Machine} needs from a mode: user mode (a Linux process,
 * `user.ts`) and system mode (a board, `system.ts`) each implement it once,
 * so every Machine method works the same in both.
 *
 * @module
 */

import type { ModuleList } from "../modules.ts";
import type { SnapshotIdentity } from "../snapshot/file.ts";
import type { CpuCore } from "../cpu_core.ts";
import type { Hooks } from "../hooks/hooks.ts";
import type { Vcpu } from "../hooks/vcpu.ts";
import type { SerialConsole } from "../system/console.ts";
import type { ToolBinary } from "../plugin.ts";
import type { TargetArch } from "../target.ts";
import type { RunEvent } from "./events.ts";
import type { InputLog } from "../replay/input_log.ts";

/** The opaque in-memory state a mode captures (its own type; scripts only pass it back). */
export interface ModeSnapshot {
  /** the mode that took it */
  readonly mode: "user" | "system";
}

/** A mode's part of a machine. */
export interface MachineDriver {
  readonly mode: "user" | "system";
  readonly cpu: CpuCore;
  /** Every CPU that runs guest code (system mode: the harts, by hart id); default `[cpu]`. */
  readonly cpus?: readonly CpuCore[];
  /** The index in {@linkcode cpus} of the CPU that runs now (or ran last); default 0. */
  readonly currentCpu?: number;
  /**
   * Runs only CPU `index` from the next slice on, the others stopped (a
   * debugger resuming one hart), or every CPU again with null. Absent: one CPU.
   */
  runAlone?(index: number | null): void;
  /** The ids of the guest's threads on its one CPU (user mode: their TIDs, in creation order). */
  readonly threadIds?: readonly number[];
  /** The index in {@linkcode threadIds} of the thread that runs (or ran last). */
  readonly currentThread?: number;
  /** The id of the thread that ran instructions last (null: none since it was set to null). */
  ranThread?: number | null;
  /**
   * Puts thread `index`'s registers (of {@linkcode threadIds}) in the CPU for
   * a debugger while the guest is stopped; null puts the running thread's back.
   */
  viewThread?(index: number | null): void;
  /** Instructions retired by every CPU (system mode: all harts); default `cpu.icount`. */
  readonly icount?: number;
  readonly hooks: Hooks;
  readonly target: TargetArch;
  /** Every CPU's registers and memory as scripts see them (system mode: by hart id); default `[hooks.vcpu]`. */
  readonly vcpus?: readonly Vcpu[];
  /** A second machine that must see the script's register and memory writes (lockstep), by vCPU index. */
  readonly mirrors?: readonly Vcpu[];
  /** Serial port 0 (system mode). */
  readonly serial?: SerialConsole;
  /** Whether the guest is over (exited, powered off, killed). */
  readonly exited: boolean;
  /**
   * Runs at most `budget` instructions. Returns the event that ended the
   * slice; `{ type: "stop" }` when a hook or breakpoint stopped the CPU; null
   * when the budget is used up or the guest idles until input arrives.
   * `paused()` says whether a stop the CPU reports is the script's (system
   * mode also stops the CPU to take interrupts).
   */
  slice(budget: number, paused: () => boolean): RunEvent | null;
  /** Whether the guest can only go on after input (system mode: `wfi` with no timer). */
  readonly idle: boolean;
  /** Resolves when input may have woken an idle guest. */
  waitForInput(): Promise<void>;
  /** Wakes `waitForInput` (a stop request while idle). */
  wake(): void;
  /** Ends the guest with `status` (a tool's exit, gdb's kill). */
  end(status: number, signal: number | null): void;
  /** The loaded ELF images: program, ld.so and libraries, or the -bios/-kernel files. */
  readonly modules: ModuleList;
  /** What a snapshot file of this machine must match (machine, target, options). */
  readonly identity: SnapshotIdentity;
  /** The auxiliary vector the program started with (user mode, for gdb). */
  readonly auxv?: Uint8Array;
  /** The program's path as the guest sees it (user mode, for gdb). */
  readonly exePath?: string;
  /** The main program (user mode) or kernel image, for tools. */
  binary(): ToolBinary | undefined;
  /** Maps zeroed memory (user mode). */
  mapMemory(addr: bigint, length: bigint, perms: number): void;
  /**
   * Drops the fault just reported (the instruction runs again), or the
   * signal of a `signal_stop` (user mode).
   */
  dropFault(): void;
  /** Queues a signal for the guest, delivered with no `signal_stop` (gdb's continue-with-signal; user mode). */
  sendSignal(signal: number): void;
  /** Stops with `signal_stop` before delivering a signal, as for a debugger (user mode). */
  reportSignals?(on: boolean): void;
  /**
   * Drops (true) or passes on (false) the guest's output to the host (stdout
   * and stderr, serial port 0), while a history re-executes a run the host
   * already saw.
   */
  muteOutput(on: boolean): void;
  /**
   * The log the guest's outside input goes through (record/replay, or kept
   * in memory for a history to re-execute with), if any.
   */
  readonly inputLog?: InputLog;
  /** The mode's state object, which snapshots capture (`snapshots.ts`). */
  readonly state: object;
  close(): Promise<void>;
}
