/**
 * A whole emulated machine, assembled: host memory, physical bus, the CPU
 * with the target's privileged architecture attached, the board (machine
 * plugin) with its devices and images, and the run loop. `createMachine`
 * builds machines with {@linkcode EmulatedSystem.create}.
 *
 * With `smp: N` there are N harts (CPUs), each with its own memory view
 * (MMU, TB cache) over the one bus, run in turns by the run loop; the
 * virtual clock counts the instructions of all of them.
 *
 * Machine reset (e.g. the guest's SBI reset through the SiFive test device)
 * restores what the board loaded (firmware, kernel, device tree, reset ROM),
 * as QEMU's ROM reset does, resets the devices and the harts, and restarts
 * them at the reset vector. RAM is otherwise kept, and virtual time goes on.
 *
 * @module
 */

import { type Accel, useAccel } from "../accel.ts";
import { JitBackend } from "../jit/jit_backend.ts";
import type { PortableSnapshot } from "../snapshot/file.ts";
import { captureSystem, restoreSystem, type SystemSnapshot } from "./system_state.ts";
import { VirtualClock } from "../clock.ts";
import { CpuCore } from "../cpu_core.ts";
import { EmuError } from "../errors.ts";
import { HostMemory } from "../host_memory.ts";
import { loadMachinePlugin, targetForCpu } from "../plugin.ts";
import type { TargetArch } from "../target.ts";
import { type SystemHart, systemSupport } from "./system_target.ts";
import { PhysicalBus } from "./bus.ts";
import { SerialConsole } from "./console.ts";
import { EventQueue } from "./events.ts";
import type { BuiltMachine, MachineEnv, MachineOptions } from "./machine.ts";
import { ModuleList } from "../modules.ts";
import { type LoopHart, SystemRunLoop } from "./run_loop.ts";
import { SystemMemory } from "./system_memory.ts";
import { Hooks } from "../hooks/hooks.ts";
import { readInputFile } from "../host_files.ts";
import { type ElfFile, parseElf } from "../elf.ts";
import { type InputLog, takeTime } from "../replay/input_log.ts";

/** Default `-icount shift`: 8 ns of virtual time per instruction. */
export const DEFAULT_ICOUNT_SHIFT = 3;

/** Everything needed to build a machine. */
export interface SystemConfig extends MachineOptions {
  /** `-M` name (a built-in board or a plugin path) */
  machineName: string;
  /** `-cpu` model, e.g. "rv64" */
  cpu: string;
  /**
   * execution engine (system-mode lockstep runs two machines, see
   * `core/machine/system.ts`: per-block lockstep would repeat device accesses)
   */
  accel: Exclude<Accel, "lockstep">;
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
  /** `MachineEnv` extras (file access, host time) */
  env?: Partial<Pick<MachineEnv, "readFile" | "writeFile" | "hostTimeNs" | "warn">>;
  /** record/replay: the log serial input and host time (`-rtc base=utc`) go through */
  inputLog?: InputLog;
  /** `-smp N`: the number of harts (default 1) */
  smp?: number;
  /** `-smp`: instructions a hart runs before the next one's turn (default `DEFAULT_HART_QUANTUM`) */
  quantum?: number;
  /**
   * `--symbols FILE`: ELF files whose symbols name guest addresses (a
   * `vmlinux` for a kernel booted from its raw `Image`); nothing is loaded
   */
  symbols?: string[];
  /** `-accel tcg,tb-size=N`: each hart's TB cache size, MiB (default: `TB_CACHE_BYTES`) */
  tbSize?: number;
}

/** The most harts a machine may have (QEMU's virt allows 512; each hart here costs a TB cache). */
export const MAX_HARTS = 64;

/** Executions after which a TB gets compiled, in system mode (see {@linkcode tuneForSystem}). */
const SYSTEM_HOT_THRESHOLD = 128;
/** TBs per region at most, in system mode (see {@linkcode tuneForSystem}). */
const SYSTEM_MAX_REGION_TBS = 16;

/**
 * The JIT's settings for a guest kernel and its firmware (docs/perf.md, twelfth and fourteenth
 * sessions). Kernels flush the soft TLB and touch MMIO too often for miss exits to pay: the
 * Linux boot took 9 % more CPU with them. A boot runs much of its code a few dozen times and
 * then no more: compiling it at 32 runs made 1,559 regions, each a wasm module that costs V8
 * 11-24 KiB of native memory, and V8 recompiled the busy ones with its optimising tier in the
 * background (1.8 s of CPU for 216 functions, about linear in their size), which the boot's
 * code did not run enough to earn back. At 128 runs and 16 TBs a region, the boot makes 1,084
 * regions and its peak RSS is about 22 MiB lower, with less CPU.
 */
function tuneForSystem(jit: JitBackend): void {
  jit.missExits = false;
  jit.hotThreshold = SYSTEM_HOT_THRESHOLD;
  jit.maxRegionTbs = SYSTEM_MAX_REGION_TBS;
}

/** The virtual clock of a board: it advances with the instructions all its harts ran. */
function hartsClock(cpus: readonly CpuCore[], icountShift: number): VirtualClock {
  return new VirtualClock(() => {
    let n = 0;
    for (const c of cpus) n += c.icount + c.inFlight;
    return n;
  }, 1n << BigInt(icountShift));
}

/**
 * The harts' CPUs on one bus. One running CPU holds the state block at a time: all but hart 0
 * start parked.
 */
function createHarts(target: TargetArch, bus: PhysicalBus, smp: number, accel: Accel): CpuCore[] {
  const cpus: CpuCore[] = [];
  for (let h = 0; h < smp; h++) {
    cpus[h - 1]?.park();
    cpus.push(new CpuCore(target, new SystemMemory(bus)));
    useAccel(cpus[h], accel);
    const backend = cpus[h].backend;
    if (backend instanceof JitBackend) tuneForSystem(backend);
  }
  cpus.at(-1)!.park();
  cpus[0].unpark();
  return cpus;
}

/**
 * A built machine: the parts system mode runs. Scripts get one through
 * `createMachine({ system: ... })`, which drives it.
 */
export class EmulatedSystem {
  private constructor(
    readonly target: TargetArch,
    /** the harts (CPUs and their privileged state), by hart id */
    readonly harts: readonly LoopHart[],
    readonly bus: PhysicalBus,
    readonly events: EventQueue,
    readonly clock: VirtualClock,
    readonly machine: BuiltMachine,
    readonly loop: SystemRunLoop,
    /**
     * the hooks of each hart, by hart id, sharing their registrations (a hook
     * added through any of them instruments every hart; callbacks get the
     * hart's vCPU, whose `index` is the hart id)
     */
    readonly hartHooks: readonly Hooks[],
    /** the ELF images the board loaded (`-bios`, `-kernel`), for symbols and coverage tools */
    readonly modules: ModuleList,
    /** record/replay: the log serial input and host time go through */
    readonly inputLog: InputLog | undefined,
  ) {
    loop.onReset = () => this.reset();
  }

  /** Builds the machine described by `config`. */
  static async create(config: SystemConfig): Promise<EmulatedSystem> {
    const target = await targetForCpu(config.cpu);
    const system = systemSupport(target);
    if (!system) {
      throw new EmuError(`-cpu ${config.cpu}: target ${target.name} has no system mode`);
    }
    const board = await loadMachinePlugin(config.machineName);
    const smp = config.smp ?? 1;
    if (!Number.isInteger(smp) || smp < 1 || smp > MAX_HARTS) {
      throw new EmuError(`-smp ${smp}: the number of harts must be within 1..${MAX_HARTS}`);
    }
    const bus = new PhysicalBus(new HostMemory());
    const cpus = createHarts(target, bus, smp, config.accel);
    if (config.tbSize) { for (const cpu of cpus) cpu.tbs.maxBytes = config.tbSize * 2 ** 20; }
    const clock = hartsClock(cpus, config.icountShift ?? DEFAULT_ICOUNT_SHIFT);
    const events = new EventQueue();
    const harts = cpus.map((cpu, hartId) => ({
      cpu,
      hart: system.attach(cpu, {
        bus,
        memory: cpu.mem as SystemMemory,
        clock,
        events,
        logInterrupt: config.logInterrupt,
        hartId,
      }),
    }));
    const console = config.console ?? new SerialConsole(events, clock);
    const log = config.inputLog;
    const hostTimeNs = config.env?.hostTimeNs ?? (() => BigInt(Date.now()) * 1_000_000n);
    if (log) {
      log.attach(clock);
      console.useInputLog(log);
    }
    // The board loads its images with bus.loadImage, which keeps them for reset.
    const modules = new ModuleList();
    const machine = await board.build(
      {
        bus,
        events,
        clock,
        interrupts: harts[0].hart,
        harts: harts.map((h) => h.hart),
        console,
        seed: config.seed,
        isa: target.isa,
        modules,
        readFile: (path: string) => Promise.resolve(readInputFile(path)),
        ...config.env,
        hostTimeNs: log ? () => takeTime(log, hostTimeNs) : hostTimeNs,
      },
      config,
    );
    for (const path of config.symbols ?? []) modules.add(path, readSymbolFile(path), 0n, "system");
    const hartHooks: Hooks[] = [];
    for (const cpu of cpus) hartHooks.push(new Hooks(cpu, hartHooks[0]));
    const loop = new SystemRunLoop(
      harts,
      { events, clock, control: machine.control },
      hartHooks[0].events,
      config.quantum,
    );
    const sys = new EmulatedSystem(
      target,
      harts,
      bus,
      events,
      clock,
      machine,
      loop,
      hartHooks,
      modules,
      log,
    );
    sys.#start();
    return sys;
  }

  /** Hart 0's CPU (the one the gdb stub sees). */
  get cpu(): CpuCore {
    return this.harts[0].cpu;
  }

  /**
   * The instrumentation API (traps and interrupts are discontinuities): hart
   * 0's hooks, whose registrations apply to every hart.
   */
  get hooks(): Hooks {
    return this.hartHooks[0];
  }

  /** Hart 0's privileged state. */
  get hart(): SystemHart {
    return this.harts[0].hart;
  }

  /** The serial console of port 0. */
  get console(): SerialConsole {
    return this.machine.console;
  }

  /** The serial console of port 0 (`sys.serial.expect(/=> /)`, `sys.serial.write("version\n")`). */
  get serial(): SerialConsole {
    return this.machine.console;
  }

  /** Power-on state of the harts at the reset vector. */
  #start(): void {
    const { target, machine } = this;
    const { entryXlen } = machine;
    this.harts.forEach(({ cpu, hart }, hartId) => {
      target.reset(cpu);
      hart.reset();
      if (entryXlen === undefined || entryXlen === target.xlen) cpu.pc = machine.entryPc;
      else {
        // The board's reset code is for another register width: start where it would jump.
        hart.bootAt(machine.boot.pc, [BigInt(hartId), ...machine.boot.args.slice(1)]);
      }
    });
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

  /** The most a snapshot file's blob may inflate to: the RAM's size. */
  get snapshotBlobLimit(): number {
    return this.bus.regions.reduce((n, r) => n + (r.kind === "ram" ? Number(r.size) : 0), 0);
  }

  /** Puts the machine back as {@linkcode snapshot} saved it, or as a snapshot file holds it. */
  restore(s: SystemSnapshot | PortableSnapshot): void {
    restoreSystem(this, s);
  }

  /** Releases host resources (disk images). */
  close(): Promise<void> {
    return this.machine.close();
  }
}

/** The ELF file of `--symbols PATH`, or a one-line error. */
function readSymbolFile(path: string): ElfFile {
  let bytes: Uint8Array;
  try {
    bytes = readInputFile(path);
  } catch (e) {
    throw new EmuError(`--symbols ${path}: cannot read: ${(e as Error).message}`);
  }
  return parseElf(bytes, `--symbols ${path}`);
}
