/**
 * The one vocabulary of a run, in both modes: what {@linkcode Machine.next}
 * returns and {@linkcode Machine.run} yields.
 *
 * @module
 */

import type { Trap } from "../trap.ts";

/**
 * A syscall about to run (user mode): `skip(ret)` makes it return `ret` without running.
 *
 * @example
 * ```ts ignore
 * for await (const ev of m.run()) {
 *   if (ev.type === "syscall" && ev.name === "getpid") ev.skip(42n);
 * }
 * ```
 */
export interface SyscallRunEvent {
  /** the event's kind */
  type: "syscall";
  /** the syscall number */
  number: number;
  /** its name, e.g. "write" */
  name: string;
  /** its arguments */
  args: bigint[];
  /** the pc of the syscall instruction */
  pc: bigint;
  /** does not run it; the guest sees `ret` */
  skip(ret: bigint): void;
}

/**
 * A memory fault (user mode), reported before the guest gets its signal.
 *
 * @example
 * ```ts ignore
 * for await (const ev of m.run()) {
 *   if (ev.type === "fault" && ev.access === "write") {
 *     m.mapMemory(ev.address & ~0xfffn, 0x1000n, "rw");
 *     ev.retry();
 *   }
 * }
 * ```
 */
export interface FaultRunEvent {
  /** the event's kind */
  type: "fault";
  /** the faulting instruction */
  pc: bigint;
  /** the address it accessed */
  address: bigint;
  /** the kind of access */
  access: "read" | "write" | "fetch";
  /** the signal the guest gets unless the script retries */
  signal: number;
  /** the trap, as the target reported it */
  trap: Trap;
  /** the script fixed the cause (e.g. mapped the page): run the instruction again */
  retry(): void;
}

/**
 * What a run reports, in both modes.
 *
 * - `breakpoint`: before the instruction at `pc` runs; `watchpoint`: after the access;
 * - `syscall`, `fault`, `illegal`, `signal`: user mode (a Linux process);
 * - `signal_stop`: user mode under a debugger (the gdb stub): a signal is about to be
 *   delivered, and is on the next run unless the debugger drops it;
 * - `poweroff` and `reset`: system mode (the board's reset device);
 * - `exit`: the program ended (user mode), or the run was ended by a tool or debugger;
 * - `budget`: the instruction budget given to `run`, `next` or `step` is used up, or a
 *   system-mode guest waits for input that only an awaited run can bring;
 * - `stop`: {@linkcode Machine.stop} or a hook's `vcpu.stop()` ended the run.
 *
 * @example
 * ```ts
 * import type { RunEvent } from "../../mod.ts";
 * function describe(ev: RunEvent): string {
 *   return ev.type === "exit" ? `exit ${ev.status}` : ev.type;
 * }
 * console.log(describe({ type: "exit", status: 0, signal: null })); // exit 0
 * ```
 */
export type RunEvent =
  | SyscallRunEvent
  | { type: "breakpoint"; pc: bigint }
  | { type: "watchpoint"; pc: bigint; address: bigint; size: number; write: boolean; value: bigint }
  | FaultRunEvent
  | { type: "illegal"; pc: bigint; bits: bigint; signal: number }
  | { type: "signal"; signal: number; handler: bigint }
  | { type: "signal_stop"; signal: number }
  | { type: "poweroff"; status: number }
  | { type: "reset" }
  | { type: "budget"; icount: number }
  | { type: "stop" }
  | { type: "exit"; status: number; signal: number | null };
