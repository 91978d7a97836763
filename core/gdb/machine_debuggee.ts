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
import type { SystemDriver } from "../machine/system.ts";
import { peekPhysical, pokePhysical, writeDebug } from "./physical.ts";
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
  /** gdb's breakpoints: how many at each pc */
  #breakpoints = new Map<bigint, number>();
  /** the Linux signal of a fault or signal reported to gdb and not yet delivered */
  #reported = 0;
  #exitStatus: number | null = null;
  /** the thread whose registers gdb reads and writes (its `Hg`) */
  #thread = 0;
  /** memory packets take physical addresses (system mode) */
  #physical = false;
  /** the user-mode thread a step stopped (its turn may have ended on it) */
  #stepped: number | null = null;
  /** what gdb's reverse execution goes back through */
  readonly history: ExecutionHistory;

  /** Debugs `machine` from its current state on (`history`: how its run is recorded). */
  constructor(readonly machine: Machine, history: HistoryOptions = {}) {
    this.history = new ExecutionHistory(machine, history);
    const d = machineDriver(machine);
    d.reportSignals?.(true);
    if (d.auxv) this.auxv = () => d.auxv!;
    if (d.exePath !== undefined) this.execFile = () => d.exePath!;
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

  /**
   * The auxiliary vector the program started with (user mode; absent in
   * system mode, where qemu-system does not offer gdb one either).
   */
  readonly auxv?: () => Uint8Array;

  /** The program's path (user mode; absent in system mode, as in qemu-system). */
  readonly execFile?: () => string;

  /** One thread per CPU (system mode: per hart), or per guest thread (user mode). */
  get threadCount(): number {
    const d = machineDriver(this.machine);
    return d.cpus?.length ?? d.threadIds?.length ?? 1;
  }

  /** The guest's thread ids (user mode: TIDs, as qemu-user gives gdb its host TIDs). */
  get threadIds(): readonly number[] | undefined {
    return machineDriver(this.machine).threadIds;
  }

  /** The thread that was running when the guest stopped. */
  get stoppedThread(): number {
    const d = machineDriver(this.machine);
    return this.#stepped ?? d.currentCpu ?? d.currentThread ?? 0;
  }

  /** The thread gdb looks at (its `Hg`); a user-mode thread's registers are put in the CPU. */
  get thread(): number {
    return this.#thread;
  }

  set thread(index: number) {
    this.#thread = index;
    machineDriver(this.machine).viewThread?.(index);
  }

  /** The CPU of the selected thread (user mode: the one CPU, holding that thread's registers). */
  get #vcpu(): number {
    return machineDriver(this.machine).cpus ? this.#thread : 0;
  }

  /** Reads a register of the selected thread by canonical name. */
  readReg(name: string): bigint {
    return this.machine.readReg(name, this.#vcpu);
  }

  /** The CPU gdb looks at (its `Hg`). */
  cpu(): CpuCore {
    return machineDriver(this.machine).cpus?.[this.#vcpu] ?? this.machine.hooks.cpu;
  }

  /**
   * Changes the CPU gdb looks at, and its mirror in lockstep (the run's
   * future starts again from here).
   */
  writeCpu(change: (cpu: CpuCore) => void): void {
    change(this.cpu());
    const mirror = machineDriver(this.machine).mirrors?.[this.#vcpu];
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
    this.machine.writeReg(name, value, this.#vcpu);
    this.history.rewrite();
  }

  /** Whether memory accesses take physical addresses (system mode; undefined in user mode). */
  get physicalMemory(): boolean | undefined {
    return machineDriver(this.machine).mode === "system" ? this.#physical : undefined;
  }

  set physicalMemory(on: boolean | undefined) {
    this.#physical = on === true && machineDriver(this.machine).mode === "system";
  }

  /**
   * Reads guest memory through the selected thread's translation, or at a
   * physical address (throws when unreadable).
   */
  readMemory(addr: bigint, length: number): Uint8Array {
    if (this.#physical) return peekPhysical(this.#system().sys.bus, addr, length);
    return this.machine.peekMemory(addr, length, this.#vcpu);
  }

  /**
   * Writes guest memory as the selected thread sees it (ignoring protections in system mode),
   * or at a physical address (the run's future starts again from here).
   */
  writeMemory(addr: bigint, data: Uint8Array): void {
    if (this.#physical) {
      const { sys, shadow } = this.#system();
      pokePhysical(shadow ? [sys.bus, shadow.bus] : [sys.bus], addr, data);
      return this.history.rewrite();
    }
    if (machineDriver(this.machine).mode !== "system") {
      // as qemu-user's: a page the guest may not write is EFAULT
      return this.writeCpu((cpu) => cpu.mem.writeBytes(addr, data));
    }
    // as QEMU's (address_space_write_rom): a device register there keeps its value, and bytes
    // where nothing is on the bus are dropped; an address that does not translate is EFAULT
    this.writeCpu((cpu) => writeDebug(cpu, addr, data));
  }

  #system(): SystemDriver {
    return machineDriver(this.machine) as SystemDriver;
  }

  /** Adds a software breakpoint (gdb may add one at a pc twice, as Z0 and Z1: each counts). */
  addBreakpoint(pc: bigint): void {
    const n = this.#breakpoints.get(pc) ?? 0;
    this.#breakpoints.set(pc, n + 1);
    if (!n) this.machine.addBreakpoint(pc);
  }

  /** Removes one software breakpoint at `pc`; false when there was none, as QEMU's -ENOENT. */
  removeBreakpoint(pc: bigint): boolean {
    const n = this.#breakpoints.get(pc);
    if (!n) return false;
    if (n > 1) this.#breakpoints.set(pc, n - 1);
    else {
      this.#breakpoints.delete(pc);
      this.machine.removeBreakpoint(pc);
    }
    return true;
  }

  /** Adds a watchpoint on `[addr, addr+length)`. */
  addWatchpoint(addr: bigint, length: number, kind: WatchKind): void {
    const before = this.target.gdb?.stopBeforeWatchpoint ?? false;
    const id = this.machine.addWatchpoint(addr, Math.max(1, length), kind, { before });
    this.#watches.push({ addr, length, kind, id });
  }

  /** Removes the watchpoint added with the same arguments. */
  removeWatchpoint(addr: bigint, length: number, kind: WatchKind): boolean {
    const i = this.#watches.findIndex((w) =>
      w.addr === addr && w.length === length && w.kind === kind
    );
    if (i < 0) return false;
    this.machine.removeWatchpoint(this.#watches[i].id);
    this.#watches.splice(i, 1);
    return true;
  }

  /** Ends the run with status 0, as QEMU ends it on gdb's kill ("Terminated via GDBstub"). */
  kill(): void {
    this.#runningThread();
    machineDriver(this.machine).end(0, null);
  }

  /**
   * Removes every breakpoint and watchpoint and stops reporting signals; a
   * pending fault or signal is delivered to the guest.
   */
  detach(): void {
    this.#runningThread();
    for (const pc of [...this.#breakpoints.keys()]) {
      this.#breakpoints.delete(pc);
      this.machine.removeBreakpoint(pc);
    }
    for (const w of [...this.#watches]) this.removeWatchpoint(w.addr, w.length, w.kind);
    this.#reported = 0;
    machineDriver(this.machine).reportSignals?.(false);
  }

  /** Runs a slice (or one instruction with `step`); see {@linkcode Debuggee.resume}. */
  resume(opts: ResumeOptions): DebugStop | null {
    this.#runningThread();
    this.#stepped = null;
    this.#applySignal(opts.signal);
    const h = this.history;
    // user mode's threads share one CPU: a step steps the running one
    h.soloCpu = machineDriver(this.machine).cpus ? opts.thread ?? null : null;
    if (opts.step) return this.#step(opts);
    const stopAt = this.machine.icount + opts.budget;
    for (;;) {
      const ev = h.next(Math.max(0, stopAt - this.machine.icount));
      const stop = this.#stop(ev);
      if (stop) return stop;
      if (ev.type === "budget") return null; // used up, or a system guest idles for input
    }
  }

  /**
   * One instruction of the thread gdb steps (an ecall's step runs the
   * syscall). User-mode threads share one CPU: the others' turns, as the
   * scheduler gives them, run first (at most `budget` instructions a call)
   * when the stepped thread does not run now, or its turn ends on the step.
   */
  #step(opts: ResumeOptions): DebugStop | null {
    const d = machineDriver(this.machine);
    const tid = d.cpus ? undefined : d.threadIds?.[opts.thread ?? d.currentThread ?? 0];
    for (let i = 0; i < Math.max(1, opts.budget); i++) {
      d.ranThread = null;
      const stop = this.#stop(this.history.stepForward());
      if (stop) return stop;
      if (tid === undefined || d.ranThread === tid || !d.threadIds?.includes(tid)) {
        const index = tid === undefined ? -1 : d.threadIds!.indexOf(tid);
        this.#stepped = index < 0 ? null : index;
        return { kind: "step" };
      }
    }
    return null;
  }

  /** Goes back one instruction, or to the last breakpoint or watchpoint hit (gdb's `bs`, `bc`). */
  reverse(opts: { step: boolean }): DebugStop {
    this.#runningThread();
    this.#stepped = null;
    this.#reported = 0; // the fault or signal, if any, is in the future now
    const h = this.history;
    if (opts.step) return h.reverseStep() ? { kind: "step" } : { kind: "history_begin" };
    const stop = h.reverseContinue();
    return stop.type === "history_begin" ? { kind: "history_begin" } : this.#stop(stop)!;
  }

  /** Puts the running thread's registers back in the CPU (user mode), before the guest goes on. */
  #runningThread(): void {
    machineDriver(this.machine).viewThread?.(null);
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
