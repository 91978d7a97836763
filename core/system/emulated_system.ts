/**
 * A whole emulated machine, assembled: host memory, physical bus, the CPU
 * with the target's privileged architecture attached, the board (machine
 * plugin) with its devices and images, and the run loop. `emu system` and
 * tests build machines with {@linkcode EmulatedSystem.create}.
 *
 * Machine reset (e.g. the guest's SBI reset through the SiFive test device)
 * restores what the board loaded (firmware, kernel, device tree, reset ROM),
 * as QEMU's ROM reset does, resets the devices and the hart, and restarts at
 * the reset vector. RAM is otherwise kept, and virtual time goes on.
 *
 * @module
 */

import type { PortableSnapshot } from "../snapshot/file.ts";
import { captureSystem, restoreSystem, type SystemSnapshot } from "./system_state.ts";
import { VirtualClock } from "../clock.ts";
import { CpuCore } from "../cpu_core.ts";
import { EmuError } from "../errors.ts";
import { HostMemory } from "../host_memory.ts";
import { JitBackend } from "../jit/jit_backend.ts";
import { loadMachinePlugin, targetForCpu } from "../plugin.ts";
import type { TargetArch } from "../target.ts";
import { type SystemHart, systemSupport } from "./system_target.ts";
import { PhysicalBus } from "./bus.ts";
import { SerialConsole } from "./console.ts";
import { EventQueue } from "./events.ts";
import type { BuiltMachine, MachineEnv, MachineOptions } from "./machine.ts";
import { type RunLoopOptions, type RunLoopResult, SystemRunLoop } from "./run_loop.ts";
import { SystemMemory } from "./system_memory.ts";
import { Hooks } from "../hooks/hooks.ts";
import { Breakpoints } from "../hooks/breakpoints.ts";

/** What {@linkcode EmulatedSystem.runEvents} yields. */
export type SystemEvent =
  | { type: "breakpoint"; pc: bigint }
  | { type: "reset" }
  | { type: "poweroff"; status: number }
  | { type: "stopped" };

/** Default `-icount shift`: 8 ns of virtual time per instruction. */
export const DEFAULT_ICOUNT_SHIFT = 3;

/** Everything needed to build a machine. */
export interface SystemConfig extends MachineOptions {
  /** `-M` name (a built-in board or a plugin path) */
  machineName: string;
  /** `-cpu` model, e.g. "rv64" */
  cpu: string;
  /** execution engine */
  accel: "interp" | "jit";
  /** seed of the devices' random streams */
  seed?: bigint;
  /**
   * Virtual time per instruction is 2^shift ns (QEMU's `-icount shift=N`).
   * Default 3: 8 ns, about the speed the JIT runs firmware at, so delays
   * such as U-Boot's autoboot countdown take about as long as on hardware.
   */
  icountShift?: number;
  /** serial port 0 (default: a fresh one) */
  console?: SerialConsole;
  /** `-d int` sink */
  logInterrupt?: (line: string) => void;
  runLoop?: RunLoopOptions;
  /** `MachineEnv` extras (file access, host time) */
  env?: Partial<Pick<MachineEnv, "readFile" | "writeFile" | "hostTimeNs">>;
}

/**
 * A built machine, ready to run.
 *
 * @example
 * ```ts ignore
 * const sys = await EmulatedSystem.create({ machineName: "virt", cpu: "rv64", accel: "jit",
 *   machine: new DeviceOptions("virt"), ramSize: 256n << 20n, bios: "none",
 *   kernel: "prog.elf", devices: [], drives: [] });
 * const result = await sys.run();
 * await sys.close();
 * ```
 */
export class EmulatedSystem {
  private constructor(
    readonly target: TargetArch,
    readonly cpu: CpuCore,
    readonly hart: SystemHart,
    readonly bus: PhysicalBus,
    readonly events: EventQueue,
    readonly clock: VirtualClock,
    readonly machine: BuiltMachine,
    readonly loop: SystemRunLoop,
    /** the instrumentation API on this machine's CPU (traps and interrupts are discontinuities) */
    readonly hooks: Hooks,
  ) {
    this.#breakpoints = new Breakpoints(hooks);
    loop.onReset = () => this.reset();
    loop.pauseRequested = () => this.#breakpoints.hit !== null || this.#pausing;
  }

  /** Builds the machine described by `config`. */
  static async create(config: SystemConfig): Promise<EmulatedSystem> {
    const target = await targetForCpu(config.cpu);
    const system = systemSupport(target);
    if (!system) {
      throw new EmuError(`-cpu ${config.cpu}: target ${target.name} has no system mode`);
    }
    const board = await loadMachinePlugin(config.machineName);
    const bus = new PhysicalBus(new HostMemory());
    const memory = new SystemMemory(bus);
    const cpu = new CpuCore(target, memory);
    if (config.accel === "jit") cpu.backend = new JitBackend(cpu);
    const shift = config.icountShift ?? DEFAULT_ICOUNT_SHIFT;
    const clock = new VirtualClock(() => cpu.icount + cpu.inFlight, 1n << BigInt(shift));
    const hart = system.attach(cpu, {
      bus,
      memory,
      clock,
      logInterrupt: config.logInterrupt,
    });
    const events = new EventQueue();
    const console = config.console ?? new SerialConsole(events, clock);
    // The board loads its images with bus.loadImage, which keeps them for reset.
    const machine = await board.build(
      { bus, events, clock, interrupts: hart, console, seed: config.seed, ...config.env },
      config,
    );
    const hooks = new Hooks(cpu);
    const loop = new SystemRunLoop(cpu, hart, { events, clock, control: machine.control }, {
      ...config.runLoop,
      events: hooks.events,
    });
    const sys = new EmulatedSystem(
      target,
      cpu,
      hart,
      bus,
      events,
      clock,
      machine,
      loop,
      hooks,
    );
    sys.#start();
    return sys;
  }

  /** The serial console of port 0. */
  get console(): SerialConsole {
    return this.machine.console;
  }

  /** The serial console of port 0 (`sys.serial.expect(/=> /)`, `sys.serial.write("version\n")`). */
  get serial(): SerialConsole {
    return this.machine.console;
  }

  /** Power-on state of the hart at the reset vector. */
  #start(): void {
    const { cpu, target, machine } = this;
    target.reset(cpu);
    this.hart.reset();
    const { entryXlen } = machine;
    if (entryXlen === undefined || entryXlen === target.xlen) cpu.pc = machine.entryPc;
    else {
      // The board's reset code is for another register width: start where it would jump.
      this.hart.bootAt(machine.boot.pc, machine.boot.args);
    }
  }

  /** Machine reset: images restored, devices and hart reset, back to the reset vector. */
  reset(): void {
    this.bus.reloadImages();
    for (const d of this.machine.devices) d.reset?.();
    this.#start();
  }

  /**
   * Saves the whole machine (CPU, RAM, devices, timers); {@linkcode restore}
   * puts it back, copying only the RAM pages written since.
   */
  snapshot(): SystemSnapshot {
    return captureSystem(this);
  }

  /** Puts the machine back as {@linkcode snapshot} saved it, or as a snapshot file holds it. */
  restore(s: SystemSnapshot | PortableSnapshot): void {
    restoreSystem(this, s);
  }

  /** Runs until the guest powers off or the loop is stopped. */
  async run(): Promise<RunLoopResult> {
    this.#started();
    return this.#ended(await this.loop.run());
  }

  #running = false;

  /** vcpu_init for hooks, once, before the first instruction. */
  #started(): void {
    if (this.#running) return;
    this.#running = true;
    this.hooks.events.emit("vcpu_init", { index: 0 });
  }

  /** vcpu_exit and exit for hooks when the machine powers off. */
  #ended(r: RunLoopResult): RunLoopResult {
    if (r.kind === "poweroff") {
      this.hooks.events.emit("vcpu_exit", { index: 0 });
      this.hooks.events.emit("exit", { status: r.status });
    }
    return r;
  }

  readonly #breakpoints: Breakpoints;

  /** Stops before the instruction at virtual address `pc` runs (in any privilege mode). */
  addBreakpoint(pc: bigint): void {
    this.#breakpoints.add(pc);
  }

  /** Removes a breakpoint. */
  removeBreakpoint(pc: bigint): void {
    this.#breakpoints.remove(pc);
  }

  /**
   * Runs the machine and yields its events: breakpoints, device events
   * (`reset` from the board's reset device, `poweroff` with the exit status),
   * and `stopped` after {@linkcode SystemRunLoop.stop}. Ends after poweroff
   * or stop. Traps and interrupts are reported through
   * `hooks.on("discontinuity")`.
   *
   * @example
   * ```ts ignore
   * sys.addBreakpoint(0x80200000n);
   * for await (const ev of sys.runEvents()) {
   *   if (ev.type === "breakpoint") console.log("kernel entry", sys.cpu.pc);
   * }
   * ```
   */
  async *runEvents(): AsyncGenerator<SystemEvent> {
    for (;;) {
      this.#beforeResume();
      this.#started();
      const ev = this.#event(this.#ended(await this.loop.runUntilEvent()));
      yield ev;
      if (ev.type === "poweroff" || ev.type === "stopped") return;
    }
  }

  /**
   * Runs at most `budget` instructions synchronously (for debuggers); returns
   * the event that ended the slice, or null.
   */
  runSlice(budget: number): SystemEvent | null {
    this.#beforeResume();
    this.#started();
    const r = this.loop.runSlice(budget, true);
    return r ? this.#event(this.#ended(r)) : null;
  }

  /** Ends the current run or slice after the current instruction (a debugger's stop). */
  pause(): void {
    this.#pausing = true;
    this.cpu.stopRequested = true;
    this.cpu.exitRequest = true;
  }

  #pausing = false;

  /** A breakpoint at the pc does not fire again as execution resumes from it. */
  #beforeResume(): void {
    this.#breakpoints.resume(this.cpu.pc);
    this.#pausing = false;
  }

  #event(r: RunLoopResult): SystemEvent {
    if (r.kind === "poweroff") return { type: "poweroff", status: r.status };
    if (r.kind === "reset") return { type: "reset" };
    const hit = this.#breakpoints.hit;
    if (hit !== null) return { type: "breakpoint", pc: hit };
    return { type: "stopped" };
  }

  /** Releases host resources (disk images). */
  close(): Promise<void> {
    return this.machine.close();
  }
}
