/**
 * The scripting API: one {@linkcode Machine} for user mode (a Linux
 * program) and system mode (a board), driven event by event with the same
 * methods. Create one with `createMachine` (`create.ts`).
 *
 * Breakpoints stop before their instruction runs; watchpoints stop after
 * the accessing instruction. Runs are deterministic: the same program,
 * inputs and seed give the same event sequence on every engine.
 *
 * @module
 */

import type { ModuleList } from "../modules.ts";
import type { CpuCore } from "../cpu_core.ts";
import { concatBytes } from "../bytes.ts";
import type { ElfSymbol } from "../elf.ts";
import { EmuError } from "../errors.ts";
import { Perm } from "../guest_memory.ts";
import { Breakpoints } from "../hooks/breakpoints.ts";
import type { HookId, Hooks } from "../hooks/hooks.ts";
import type { Vcpu } from "../hooks/vcpu.ts";
import type { SerialConsole } from "../system/console.ts";
import type { MachineDriver, ModeSnapshot } from "./driver.ts";
import type { RunEvent } from "./events.ts";
import { loadSnapshot, restoreSnapshot, saveSnapshot, takeSnapshot } from "./snapshots.ts";

/** Instructions per slice of an awaited run. */
const SLICE = 1_000_000;
/** An awaited run gives the host event loop a turn at least this often (host ms). */
const YIELD_MS = 20;
/**
 * One turn of the host event loop (timers, I/O, serial input) without a timer's delay:
 * `setTimeout(r, 0)` also slept 1-2 ms (the timer granularity) at every turn, 404 ms of the
 * U-Boot bench's wall time against 152 (docs/perf.md, thirteenth session, system mode).
 */
const hostTurn = () => new Promise<void>((r) => setImmediate(r));

interface Watch {
  id: HookId;
  hit: Extract<RunEvent, { type: "watchpoint" }> | null;
}

/**
 * The state {@linkcode Machine.snapshot} returns: pass it to {@linkcode Machine.restore}.
 *
 * @example
 * ```ts ignore
 * const s = m.snapshot();
 * await m.runToExit();
 * m.restore(s); // back to where the snapshot was taken
 * ```
 */
export interface Snapshot {
  /** the mode of the machine it was taken on */
  readonly mode: "user" | "system";
}

const drivers = new WeakMap<Machine, MachineDriver>();

/** The mode driver behind `m` (for the CLI, the gdb stub and the bench; not public). */
export function machineDriver(m: Machine): MachineDriver {
  return drivers.get(m)!;
}

/**
 * An emulated machine, in user mode (a Linux program) or system mode (a
 * board booting firmware or a kernel), with the same methods in both.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * const m = await createMachine({ program: "tests/guests/bin/hello.static.O2" });
 * m.addBreakpoint(m.symbol("main")!);
 * console.log(m.next().type, m.readReg("a0")); // breakpoint 1n
 * await m.close();
 * ```
 */
export class Machine {
  /** The instrumentation API (QEMU's plugin model and Unicorn's hooks). */
  readonly hooks: Hooks;
  readonly #driver: MachineDriver;
  readonly #breakpoints: Breakpoints;
  readonly #output: Uint8Array[][] = [[], []];
  #watches = new Map<number, Watch>();
  /**
   * The instruction a watchpoint last stopped before: a run that starts there
   * lets its accesses pass once (as breakpoints do; see `Breakpoints.resume`).
   */
  #watchPass: { cpu: CpuCore; pc: bigint; icount: number } | null = null;
  #nextWatch = 1;
  #atExit: (() => void)[] = [];
  #finished = false;
  #stopping = false;

  /** @internal use `createMachine` */
  constructor(driver: MachineDriver) {
    this.#driver = driver;
    drivers.set(this, driver);
    this.hooks = driver.hooks;
    this.#breakpoints = new Breakpoints(driver.hooks, this.#stops);
    driver.hooks.symbolizer = (pc) => this.symbolAt(pc);
    driver.hooks.events.on("exit", () => this.#finish());
  }

  /** "user" (a Linux program) or "system" (a board). */
  get mode(): "user" | "system" {
    return this.#driver.mode;
  }

  /** @internal collects guest output for {@linkcode stdout} / {@linkcode stderr}. */
  capture(fd: 1 | 2, bytes: Uint8Array): void {
    this.#output[fd - 1].push(bytes.slice());
  }

  /** Guest stdout as text: captured output in user mode, serial port 0's output in system mode. */
  get stdout(): string {
    const serial = this.#driver.serial;
    if (serial) return serial.output;
    return new TextDecoder().decode(concatBytes(this.#output[0]));
  }

  /** Captured guest stderr (user mode; empty in system mode). */
  get stderr(): string {
    return new TextDecoder().decode(concatBytes(this.#output[1]));
  }

  /** Serial port 0 (system mode): `expect(/=> /)`, `write("version\n")`. */
  get serial(): SerialConsole {
    const serial = this.#driver.serial;
    if (serial) return serial;
    throw new EmuError("a user-mode machine has no serial port", "read m.stdout instead");
  }

  /**
   * Reads a register by name ("a0", "x10", "pc", "f1", "fcsr") of vCPU
   * `vcpu`: in system mode the hart id (default 0, as QEMU's `vcpu_index`).
   *
   * @example
   * ```ts ignore
   * const m = await createMachine({ system: { bios: "none", kernel: "smp.elf", smp: 2 } });
   * m.step(1000);
   * console.log(m.readReg("pc", 1)); // hart 1's pc
   * ```
   */
  readReg(name: string, vcpu = 0): bigint {
    return this.#vcpu(vcpu).readReg(name);
  }

  /** Writes a register by name, of vCPU `vcpu` (system mode: the hart id; default 0). */
  writeReg(name: string, value: bigint, vcpu = 0): void {
    this.#vcpu(vcpu).writeReg(name, value);
    this.#driver.mirrors?.[vcpu].writeReg(name, value);
  }

  #vcpu(index: number): Vcpu {
    const vcpus = this.#driver.vcpus ?? [this.hooks.vcpu];
    const v = vcpus[index];
    if (v) return v;
    throw new EmuError(
      `no vCPU ${index}: this machine has ${vcpus.length}`,
      `pass a hart id from 0 to ${vcpus.length - 1} (-smp sets how many)`,
    );
  }

  /** The guest pc. */
  get pc(): bigint {
    return this.#driver.cpu.pc;
  }

  set pc(v: bigint) {
    this.writeReg("pc", v);
  }

  /** Guest instructions retired so far. */
  get icount(): number {
    return this.#driver.icount ?? this.#driver.cpu.icount;
  }

  /** Reads memory at a virtual address, as the CPU would now. */
  readMemory(addr: bigint, length: number): Uint8Array {
    return this.hooks.vcpu.readMemory(addr, length);
  }

  /**
   * Reads memory as a debugger looks at it: like {@linkcode readMemory}, but
   * device registers read as 0 and no device sees the read (a read of a
   * UART's receive register would take a byte the guest has not read yet).
   * `vcpu` (system mode: the hart id, default 0) is whose address translation
   * the address goes through.
   */
  peekMemory(addr: bigint, length: number, vcpu = 0): Uint8Array {
    return this.#vcpu(vcpu).cpu.mem.readBytes(addr, length, "read", undefined, "zero");
  }

  /**
   * Writes memory at a virtual address of vCPU `vcpu` (system mode: the hart
   * id, default 0), ignoring page protection, like a debugger.
   */
  writeMemory(addr: bigint, data: Uint8Array, vcpu = 0): void {
    this.#vcpu(vcpu).writeMemory(addr, data);
    this.#driver.mirrors?.[vcpu].writeMemory(addr, data);
  }

  /** Maps fresh zeroed memory (user mode; `perms` from "rwx" letters). */
  mapMemory(addr: bigint, length: bigint, perms = "rw"): void {
    const p = (perms.includes("r") ? Perm.R : 0) | (perms.includes("w") ? Perm.W : 0) |
      (perms.includes("x") ? Perm.X : 0);
    this.#driver.mapMemory(addr, length, p);
  }

  /**
   * The loaded ELF images, each with its path, load base, segments and
   * symbols: in user mode the program, its dynamic loader and each shared
   * library as it is mapped (`hooks.on("module_load")` tells when); in system
   * mode the -bios and -kernel ELF files.
   */
  get modules(): ModuleList {
    return this.#driver.modules;
  }

  /** The named ELF symbols of every module, at their run-time addresses. */
  get symbols(): readonly ElfSymbol[] {
    return this.modules.list.flatMap((m) => m.symbols);
  }

  /** The address of ELF symbol `name`: in the program, else the first module that has it. */
  symbol(name: string): bigint | undefined {
    return this.modules.symbol(name);
  }

  /** The symbol containing `pc` in any module, as `name` or `name+0xoff`, if known. */
  symbolAt(pc: bigint): string | undefined {
    return this.modules.symbolAt(pc);
  }

  /**
   * Stops before the instruction at `pc` runs (any privilege mode in system
   * mode; in user mode in the program's process, not in children it forks).
   */
  addBreakpoint(pc: bigint): void {
    this.#breakpoints.add(pc);
  }

  /** Whether there is a breakpoint at `pc`. */
  hasBreakpoint(pc: bigint): boolean {
    return this.#breakpoints.has(pc);
  }

  /** Removes the breakpoint at `pc`. */
  removeBreakpoint(pc: bigint): void {
    this.#breakpoints.remove(pc);
  }

  /**
   * Stops after an instruction accesses `[address, address+length)`, or with
   * `before` before it does (the pc at that instruction, which has not run,
   * or for a vector load or store, has run up to vstart); returns an id.
   */
  addWatchpoint(
    address: bigint,
    length: number,
    access: "read" | "write" | "rw" = "write",
    { before = false } = {},
  ): number {
    const key = this.#nextWatch++;
    const w: Watch = { id: 0, hit: null };
    w.id = this.hooks.addMemHook((v, a) => {
      if (!this.#stops(v)) return;
      if (a.before && this.#resumedAt(v.cpu, a.pc)) return;
      const { before: _, ...access } = a;
      w.hit = { type: "watchpoint", ...access };
      v.stop();
      if (!a.before) return;
      this.#watchPass = { cpu: v.cpu, pc: a.pc, icount: v.cpu.icount + v.cpu.inFlight };
      v.setPc(a.pc);
    }, {
      begin: address,
      end: address + BigInt(Math.max(1, length) - 1),
      access,
      regs: before ? "write" : "none",
      before,
    });
    this.#watches.set(key, w);
    return key;
  }

  /** Whether the instruction at `pc` running now is the one a watchpoint last stopped before. */
  /**
   * Whether breakpoints and watchpoints stop vCPU `v`: every hart in system
   * mode; in user mode the program's process, not the children it forks (they
   * run on, as a qemu-user child leaves gdb).
   */
  readonly #stops = (v: Vcpu): boolean =>
    this.#driver.mode === "system" || v.index === this.#driver.hooks.index;

  #resumedAt(cpu: CpuCore, pc: bigint): boolean {
    const pass = this.#watchPass;
    return pass?.cpu === cpu && pass.pc === pc && cpu.icount + cpu.inFlight === pass.icount;
  }

  /** Removes a watchpoint. */
  removeWatchpoint(id: number): void {
    const w = this.#watches.get(id);
    if (w) this.hooks.remove(w.id);
    this.#watches.delete(id);
  }

  /** @internal calls `cb` once when the guest is over or the machine closes (tools' output). */
  onExit(cb: () => void): void {
    this.#atExit.push(cb);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const cb of this.#atExit) cb();
  }

  /**
   * Ends the current or next run: `run()` yields `{ type: "stop" }` and
   * returns, `next()` returns it. Callable from hooks and from other tasks
   * (e.g. when `serial.expect` resolves).
   */
  stop(): void {
    this.#stopping = true;
    // whichever CPU runs (a hook on hart 2 calls this while hart 2 runs); a parked one's
    // request is dropped when it next runs
    for (const cpu of this.#driver.cpus ?? [this.#driver.cpu]) {
      cpu.stopRequested = true;
      cpu.exitRequest = true;
    }
    this.#driver.wake();
  }

  #paused = (): boolean => {
    if (this.#stopping || this.#breakpoints.hit !== null) return true;
    for (const w of this.#watches.values()) if (w.hit) return true;
    return false;
  };

  /** One slice of at most `budget` instructions: its event, or null. */
  #slice(budget: number): RunEvent | null {
    if (this.#stopping) {
      this.#stopping = false;
      return { type: "stop" };
    }
    const d = this.#driver;
    // a breakpoint the CPU that runs on is stopped at lets its instruction run once
    this.#breakpoints.resume((d.cpus?.[d.currentCpu ?? 0] ?? d.cpu).pc);
    const pass = this.#watchPass;
    if (pass && (pass.cpu.pc !== pass.pc || pass.cpu.icount !== pass.icount)) {
      this.#watchPass = null; // the hart went on since (or another way: a restore)
    }
    const ev = this.#driver.slice(budget, this.#paused);
    if (ev?.type !== "stop") return ev;
    const bp = this.#breakpoints.hit;
    if (bp !== null) {
      this.#breakpoints.hit = null;
      return { type: "breakpoint", pc: bp };
    }
    for (const w of this.#watches.values()) {
      if (w.hit) {
        const hit = w.hit;
        w.hit = null;
        return hit;
      }
    }
    this.#stopping = false;
    return ev;
  }

  /**
   * Runs until the next event, or `budget` instructions (then `budget`),
   * synchronously. A system-mode guest idling for input also gives
   * `budget`: only an awaited {@linkcode run} waits for input. So does a
   * slice that retires nothing (a guest trapping over and over at a trap
   * vector that faults, each trap counted as one instruction of the budget):
   * `budget` then comes before that many instructions ran.
   */
  next(budget = 10_000_000): RunEvent {
    const stopAt = this.icount + budget;
    for (;;) {
      const from = this.icount;
      const ev = this.#slice(Math.max(0, stopAt - from));
      if (ev) return ev;
      // a slice that retired nothing spent its budget otherwise (a guest trapping in a loop)
      if (this.icount >= stopAt || this.icount === from || this.#driver.idle) {
        return { type: "budget", icount: this.icount };
      }
    }
  }

  /**
   * Yields every event until the guest exits or powers off, or the run is
   * stopped. With `budget`, yields a `budget` event and returns after that
   * many instructions. Awaits between slices, so serial `expect`s settle and
   * input arrives; an idle guest sleeps until input.
   */
  async *run(opts: { budget?: number } = {}): AsyncGenerator<RunEvent> {
    const stopAt = opts.budget === undefined ? Infinity : this.icount + opts.budget;
    let lastYield = performance.now();
    for (;;) {
      const left = stopAt - this.icount;
      if (left <= 0) {
        yield { type: "budget", icount: this.icount };
        return;
      }
      const ev = this.#slice(Math.min(left, SLICE));
      if (ev) {
        yield ev;
        if (ev.type === "exit" || ev.type === "poweroff" || ev.type === "stop") return;
      } else if (this.#driver.idle) await this.#driver.waitForInput();
      else if (performance.now() - lastYield >= YIELD_MS) {
        await hostTurn();
        lastYield = performance.now();
      } else await Promise.resolve();
    }
  }

  /** Runs exactly `n` instructions unless an event comes first (returned), else null. */
  step(n = 1): RunEvent | null {
    const ev = this.next(n);
    return ev.type === "budget" && !this.#driver.idle ? null : ev;
  }

  /** Runs until the pc reaches `pc` or another event (syscalls and resets just run). */
  runUntil(pc: bigint): RunEvent {
    const had = this.#breakpoints.has(pc);
    if (!had) this.addBreakpoint(pc);
    try {
      for (;;) {
        const ev = this.next();
        if (ev.type === "budget" && this.#driver.idle) return ev;
        if (ev.type !== "budget" && ev.type !== "syscall" && ev.type !== "reset") return ev;
      }
    } finally {
      if (!had) this.removeBreakpoint(pc);
    }
  }

  /** Runs to the end, handling nothing; returns the exit or poweroff status (0 if stopped). */
  async runToExit(): Promise<number> {
    for await (const ev of this.run()) {
      if (ev.type === "exit" || ev.type === "poweroff") return ev.status;
    }
    return 0;
  }

  /**
   * Captures the whole machine state in memory (CPU, clock, memory, OS or
   * device state).
   */
  snapshot(): Snapshot {
    return takeSnapshot(this.mode, this.#driver.state);
  }

  /** Puts the machine back into the state of `snapshot` (taken on this machine). */
  restore(snapshot: Snapshot): void {
    restoreSnapshot(this.mode, this.#driver.state, snapshot as ModeSnapshot);
  }

  /** Writes a snapshot file (QEMU's `savevm`); `createMachine({ loadvm })` reads it. */
  save(path: string): Promise<void> {
    return saveSnapshot(this.#driver.state, path, this.#driver.identity);
  }

  /**
   * Loads a snapshot file of this machine (QEMU's `loadvm`), as
   * `createMachine({ loadvm })` does at start.
   *
   * @example
   * ```ts ignore
   * await m.save("vm.snap");
   * await m.runToExit();
   * await m.load("vm.snap"); // back to where the file was saved
   * ```
   */
  load(path: string): Promise<void> {
    return loadSnapshot(this.#driver.state, path, this.#driver.identity);
  }

  /** Runs the tools' exit callbacks and releases host resources (files, disk images). */
  async close(): Promise<void> {
    this.#finish();
    await this.#driver.close();
  }
}
