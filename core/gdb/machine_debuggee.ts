/**
 * The gdb stub's view of a {@linkcode Machine}, in either mode: Machine
 * breakpoints and watchpoints (in any privilege mode in system mode),
 * syscalls and machine resets run through, user-mode faults and signals
 * reported as their (GDB-numbered) signals before the guest gets them (as
 * QEMU's user-mode stub: gdb's resume passes, changes or drops them),
 * poweroff as the exit. The run is recorded in
 * an {@linkcode ExecutionHistory}, so gdb can also go backwards.
 *
 * @module
 */

import type { RunEvent } from "../machine/events.ts";
import { ExecutionHistory, type HistoryOptions } from "../machine/history.ts";
import { type Machine, machineDriver } from "../machine/machine.ts";
import type { CpuCore } from "../cpu_core.ts";
import type { TargetArch } from "../target.ts";
import type { Debuggee, DebugStop, ResumeOptions, WatchKind } from "./debuggee.ts";
import { GdbSignal, gdbToLinuxSignal, linuxToGdbSignal } from "./signals.ts";

interface Watch {
  addr: bigint;
  length: number;
  kind: WatchKind;
  id: number;
}

/**
 * A {@linkcode Debuggee} over a machine of either mode.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "tests/guests/bin/hello.static.O2" });
 * const d = new MachineDebuggee(m);
 * d.addBreakpoint(m.symbol("main")!);
 * console.log(d.resume({ step: false, signal: 0, budget: 1e7 })); // { kind: "breakpoint" }
 * ```
 */
export class MachineDebuggee implements Debuggee {
  #watches: Watch[] = [];
  #breakpoints = new Set<bigint>();
  /** the Linux signal of a fault or signal reported to gdb and not yet delivered */
  #reported = 0;
  #exitStatus: number | null = null;
  /** the CPU whose registers gdb reads and writes (its `Hg`) */
  thread = 0;
  /** what gdb's reverse execution goes back through */
  readonly history: ExecutionHistory;

  /** Debugs `machine` from its current state on (`history`: how its run is recorded). */
  constructor(readonly machine: Machine, history: HistoryOptions = {}) {
    this.history = new ExecutionHistory(machine, history);
    machineDriver(machine).reportSignals?.(true);
  }

  /** The machine's target. */
  get target(): TargetArch {
    return machineDriver(this.machine).target;
  }

  /** Whether the guest is over (exited, powered off, killed). */
  get exited(): boolean {
    return machineDriver(this.machine).exited;
  }

  /** The exit or poweroff status once the guest is over. */
  get exitStatus(): number | null {
    return this.#exitStatus;
  }

  /** The auxiliary vector the program started with (empty in system mode). */
  auxv(): Uint8Array {
    return machineDriver(this.machine).auxv ?? new Uint8Array(0);
  }

  /** The program's path (empty in system mode). */
  execFile(): string {
    return machineDriver(this.machine).exePath ?? "";
  }

  /** One thread per CPU (system mode: per hart). */
  get threadCount(): number {
    return machineDriver(this.machine).cpus?.length ?? 1;
  }

  /** The CPU that was running when the guest stopped. */
  get stoppedThread(): number {
    return machineDriver(this.machine).currentCpu ?? 0;
  }

  /** Reads a register of the selected thread by canonical name. */
  readReg(name: string): bigint {
    return this.machine.readReg(name, this.thread);
  }

  /** The CPU gdb looks at (its `Hg`). */
  cpu(): CpuCore {
    return machineDriver(this.machine).cpus?.[this.thread] ?? this.machine.hooks.cpu;
  }

  /**
   * Changes the CPU gdb looks at, and its mirror in lockstep (the run's
   * future starts again from here).
   */
  writeCpu(change: (cpu: CpuCore) => void): void {
    change(this.cpu());
    const mirror = machineDriver(this.machine).mirrors?.[this.thread];
    if (mirror) change(mirror.cpu);
    this.history.rewrite();
  }

  /** The state block of the CPU gdb looks at (registers only gdb sees live there). */
  stateBlock(): Uint8Array {
    return this.cpu().stateBlock();
  }

  /**
   * Changes the state block, and its mirror's in lockstep (the run's future
   * starts again from here).
   */
  writeState(change: (state: Uint8Array) => void): void {
    this.writeCpu((cpu) => change(cpu.stateBlock()));
  }

  /** Writes a register by canonical name (the run's future starts again from here). */
  writeReg(name: string, value: bigint): void {
    this.machine.writeReg(name, value, this.thread);
    this.history.rewrite();
  }

  /** Reads guest memory through the selected thread's translation (throws when unreadable). */
  readMemory(addr: bigint, length: number): Uint8Array {
    return this.machine.peekMemory(addr, length, this.thread);
  }

  /**
   * Writes guest memory as the selected thread sees it, ignoring protections
   * (the run's future starts again from here).
   */
  writeMemory(addr: bigint, data: Uint8Array): void {
    this.machine.writeMemory(addr, data, this.thread);
    this.history.rewrite();
  }

  /** Adds a software breakpoint. */
  addBreakpoint(pc: bigint): void {
    this.#breakpoints.add(pc);
    this.machine.addBreakpoint(pc);
  }

  /** Removes a software breakpoint. */
  removeBreakpoint(pc: bigint): void {
    this.#breakpoints.delete(pc);
    this.machine.removeBreakpoint(pc);
  }

  /** Adds a watchpoint on `[addr, addr+length)`. */
  addWatchpoint(addr: bigint, length: number, kind: WatchKind): void {
    const before = this.target.gdb?.stopBeforeWatchpoint ?? false;
    const id = this.machine.addWatchpoint(addr, Math.max(1, length), kind, { before });
    this.#watches.push({ addr, length, kind, id });
  }

  /** Removes the watchpoint added with the same arguments. */
  removeWatchpoint(addr: bigint, length: number, kind: WatchKind): void {
    const i = this.#watches.findIndex((w) =>
      w.addr === addr && w.length === length && w.kind === kind
    );
    if (i < 0) return;
    this.machine.removeWatchpoint(this.#watches[i].id);
    this.#watches.splice(i, 1);
  }

  /** Ends the run with status 0, as QEMU ends it on gdb's kill ("Terminated via GDBstub"). */
  kill(): void {
    machineDriver(this.machine).end(0, null);
  }

  /**
   * Removes every breakpoint and watchpoint and stops reporting signals; a
   * pending fault or signal is delivered to the guest.
   */
  detach(): void {
    for (const pc of [...this.#breakpoints]) this.removeBreakpoint(pc);
    for (const w of [...this.#watches]) this.removeWatchpoint(w.addr, w.length, w.kind);
    this.#reported = 0;
    machineDriver(this.machine).reportSignals?.(false);
  }

  /** Runs a slice (or one instruction with `step`); see {@linkcode Debuggee.resume}. */
  resume(opts: ResumeOptions): DebugStop | null {
    this.#applySignal(opts.signal);
    const h = this.history;
    h.soloCpu = opts.thread ?? null;
    // the ecall is the step: it runs the syscall
    if (opts.step) return this.#stop(h.stepForward()) ?? { kind: "step" };
    const stopAt = this.machine.icount + opts.budget;
    for (;;) {
      const ev = h.next(Math.max(0, stopAt - this.machine.icount));
      const stop = this.#stop(ev);
      if (stop) return stop;
      if (ev.type === "budget") return null; // used up, or a system guest idles for input
    }
  }

  /** Goes back one instruction, or to the last breakpoint or watchpoint hit (gdb's `bs`, `bc`). */
  reverse(opts: { step: boolean }): DebugStop {
    this.#reported = 0; // the fault or signal, if any, is in the future now
    const h = this.history;
    if (opts.step) return h.reverseStep() ? { kind: "step" } : { kind: "history_begin" };
    const stop = h.reverseContinue();
    return stop.type === "history_begin" ? { kind: "history_begin" } : this.#stop(stop)!;
  }

  /**
   * What gdb passes on resuming decides the fate of a reported fault or
   * signal: the same signal delivers it, another replaces it, none drops it.
   */
  #applySignal(gdbSignal: number): void {
    const d = machineDriver(this.machine);
    const sig = gdbToLinuxSignal(gdbSignal);
    const reported = this.#reported;
    this.#reported = 0;
    // A reported fault or signal reaches the guest on the next step unless dropped.
    if (reported && sig === reported) return;
    if (reported) d.dropFault();
    if (sig) d.sendSignal(sig);
    if (reported || sig) this.history.rewrite(); // a future the recorded run did not have
  }

  /** The stop an event means, or null for events the guest runs through. */
  #stop(ev: RunEvent): DebugStop | null {
    switch (ev.type) {
      case "breakpoint":
        return { kind: "breakpoint" };
      case "watchpoint": {
        const end = ev.address + BigInt(ev.size);
        const w = this.#watches.find((w) => w.addr < end && ev.address < w.addr + BigInt(w.length));
        return { kind: "watch", watch: w?.kind ?? "write", address: w?.addr ?? ev.address };
      }
      case "fault":
      case "illegal":
      case "signal_stop":
        this.#reported = ev.signal;
        return { kind: "signal", signal: linuxToGdbSignal(ev.signal) };
      case "stop":
        return { kind: "signal", signal: GdbSignal.TRAP };
      case "poweroff":
        this.#exitStatus = ev.status;
        return { kind: "exited", status: ev.status & 0xff };
      case "exit":
        this.#exitStatus = ev.status;
        return ev.signal === null
          ? { kind: "exited", status: ev.status & 0xff }
          : { kind: "killed", signal: linuxToGdbSignal(ev.signal) };
      default:
        return null; // syscall, signal delivery, reset, budget
    }
  }
}
