/**
 * What the gdb stub drives: a target-independent view of a stopped or
 * running guest. User mode adapts a {@linkcode Machine} (`machine_debuggee.ts`);
 * system mode can provide its own.
 *
 * @module
 */

import type { TargetArch } from "../target.ts";
import type { RegisterFile } from "./registers.ts";

/** Kinds of watchpoint, as gdb's Z2 (write), Z3 (read) and Z4 (access). */
export type WatchKind = "write" | "read" | "rw";

/** Why the guest stopped (signal numbers are GDB's). */
export type DebugStop =
  /** a breakpoint was reached (the pc is at it; it has not run) */
  | { kind: "breakpoint" }
  /** a single step finished */
  | { kind: "step" }
  /** a watchpoint was hit: `address` is the watched address */
  | { kind: "watch"; watch: WatchKind; address: bigint }
  /** the guest got signal `signal` (a fault, or an interrupt from gdb) */
  | { kind: "signal"; signal: number }
  /** the program exited with `status` */
  | { kind: "exited"; status: number }
  /** the program was killed by `signal` */
  | { kind: "killed"; signal: number }
  /** going backwards reached the start of the recorded history (gdb's `replaylog:begin`) */
  | { kind: "history_begin" };

/** How {@linkcode Debuggee.resume} runs the guest. */
export interface ResumeOptions {
  step: boolean;
  signal: number;
  budget: number;
  /** the only thread (0-based) that runs; absent: every thread */
  thread?: number;
}

/**
 * A debuggable guest.
 *
 * @example
 * ```ts ignore
 * const d: Debuggee = new MachineDebuggee(machine);
 * d.addBreakpoint(machine.symbol("main")!);
 * let stop = null;
 * while (!stop) stop = d.resume({ step: false, signal: 0, budget: 100_000 });
 * ```
 */
export interface Debuggee extends RegisterFile {
  readonly target: TargetArch;
  /** Reads guest memory; throws when it is not readable. */
  readMemory(addr: bigint, length: number): Uint8Array;
  /** Writes guest memory (ignoring protections, like a debugger); throws when unmapped. */
  writeMemory(addr: bigint, data: Uint8Array): void;
  addBreakpoint(pc: bigint): void;
  /** Removes a breakpoint; false when there was none at `pc`. */
  removeBreakpoint(pc: bigint): boolean;
  addWatchpoint(addr: bigint, length: number, kind: WatchKind): void;
  /** Removes a watchpoint added with the same arguments; false when there was none. */
  removeWatchpoint(addr: bigint, length: number, kind: WatchKind): boolean;

  /**
   * Runs at most `budget` instructions, or exactly one with `step`. `signal`
   * (GDB's number, 0 for none) is what gdb passes to the guest: with 0 a
   * pending fault is dropped and the instruction runs again. Returns why it
   * stopped, or null when the budget ran out. With `thread` (0-based) only
   * that thread runs (or steps), the others stay stopped.
   */
  resume(opts: ResumeOptions): DebugStop | null;
  /**
   * Goes backwards (gdb's `bs` and `bc`): one instruction with `step`, else to
   * the last breakpoint or watchpoint hit before the current point, or to the
   * start of the history. Absent when the guest cannot go backwards.
   */
  reverse?(opts: { step: boolean }): DebugStop;
  /** How many threads gdb sees (system mode: one per hart, as QEMU's stub); absent: one. */
  readonly threadCount?: number;
  /** gdb's id of each thread (user mode: the guest's TIDs); absent: 1 to {@linkcode threadCount}. */
  readonly threadIds?: readonly number[];
  /** The thread (0-based) whose registers {@linkcode readReg} and friends use: gdb's `Hg`. */
  thread?: number;
  /** The thread (0-based) that was running when the guest last stopped. */
  readonly stoppedThread?: number;
  /**
   * Whether `readMemory` and `writeMemory` take physical addresses (QEMU's
   * `qemu.PhyMemMode`, system mode); absent where there is no such mode (user mode).
   */
  physicalMemory?: boolean;
  /** Ends the guest (gdb's `k`). */
  kill(): void;
  /** Removes every breakpoint and watchpoint (gdb's `D`: the guest runs on alone). */
  detach(): void;
  /** Whether the program is over. */
  readonly exited: boolean;
  /**
   * The auxiliary vector the program started with (user mode): gdb finds a
   * PIE program's load address (AT_ENTRY) and the dynamic loader (AT_BASE) in it.
   */
  auxv?(): Uint8Array;
  /** The path of the program (user mode), for gdb's `qXfer:exec-file:read`. */
  execFile?(): string;
}
