/**
 * `createMachine`: the one factory of both modes. A `program` makes a user
 * mode machine (a Linux process, like `qemu-riscv64`); `system` makes a
 * board (like `qemu-system-riscv64`), with QEMU's option syntax for the
 * parts that have one.
 *
 * @module
 */

import type { Accel } from "../accel.ts";
import { importOnDemand, installToolPlugin } from "../plugin.ts";
import type { MachineDriver } from "./driver.ts";
import { logInAsm } from "./in_asm.ts";
import { logOps } from "./op_log.ts";
import { withExecLog } from "../exec_log.ts";
import { hartRows } from "../register_dump.ts";
import { Machine, machineDriver } from "./machine.ts";
import { loadSnapshot } from "./snapshots.ts";
import { isSnapshotPath } from "../snapshot/file.ts";
import type { InputLog, RecordReplayOptions } from "../replay/input_log.ts";
import { endRunLogWithGuest, openRunLog, stopWhereRecordingStopped } from "./record_replay.ts";

/**
 * What both modes accept.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", accel: "lockstep", seed: 7, plugins: ["insn"] });
 * ```
 */
export interface CommonOptions {
  /** execution engine: "jit" (default), "interp" (the reference) or "lockstep" (both, compared) */
  accel?: Accel;
  /** seed of the guest's randomness (AT_RANDOM and getrandom; the devices' streams); default 0 */
  seed?: number | bigint;
  /** tool plugins in QEMU's `-plugin` syntax, e.g. "hotblocks,limit=5" */
  plugins?: string[];
  /** where plugin output goes (default: stderr) */
  pluginOutput?: (text: string) => void;
  /**
   * `-d` logging: the categories (e.g. "in_asm", "int"), where lines go, and (`-dfilter`) which
   * blocks, by their first address, the in_asm, exec and cpu items show (default: all); in user
   * mode `write` is told which guest thread wrote (`-d tid`'s log per thread)
   */
  log?: {
    categories: Iterable<string>;
    write: (line: string, tid?: number) => void;
    filter?: (pc: bigint) => boolean;
  };
  /**
   * start from this snapshot (QEMU's `-loadvm`): in system mode a tag in the
   * machine's qcow2 disks, as `savevm TAG` left it; a path (with a "/" or the
   * `.vmsnap` suffix, and always in user mode) is a file {@linkcode Machine.save} wrote
   */
  loadvm?: string;
  /**
   * Record/replay (QEMU's `-icount rr=record|replay,rrfile=FILE`): record
   * every input from the outside world (stdin, serial input, host time, host
   * files) into `file`, or replay a recorded run from it, bit for bit. The
   * log is complete once the guest exits or the machine is closed.
   */
  rr?: RecordReplayOptions;
}

/**
 * A Linux program to run (user mode), as `emu user` runs it.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({
 *   program: "tests/guests/bin/hello.static.O2",
 *   args: ["x"],
 *   env: ["LANG=C"],
 *   stdin: "input text",
 * });
 * ```
 */
export interface UserOptions extends CommonOptions {
  /** host path of the program */
  program: string;
  /** argv[1..] */
  args?: string[];
  /** argv[0] (default: `program` as given) */
  argv0?: string;
  /** the environment as "NAME=value" strings (default: none) */
  env?: string[];
  /** host directory the guest starts in (default: the current directory; "/" under `root`) */
  cwd?: string;
  /** `--root`: the guest's whole file system view */
  root?: string;
  /** `-L`: where the dynamic loader and libraries are (default: the target's usual place) */
  sysroot?: string | null;
  /** `-cpu` model (default: from the ELF header) */
  cpu?: string;
  /** guest clocks follow host time (default: the virtual clock) */
  realtime?: boolean;
  /** `--max-memory`: most bytes the guest may map (default 2 GiB, at most 3 GiB); then ENOMEM */
  maxMemory?: bigint;
  /** `-s`: the main thread's stack size in bytes (default 8 MiB; at least 128 KiB, as QEMU) */
  stackSize?: bigint;
  /**
   * `-R`: qemu-user's reserved_va, the size of the guest's address space: mmap beyond fails with
   * ENOMEM and the stack, the trampoline and mmap go down from its top (default: 1 << 47, bottom-up)
   */
  reservedVa?: bigint;
  /** `-singlestep` (`-one-insn-per-tb`): one guest instruction per TB, as QEMU's option */
  oneInsnPerTb?: boolean;
  /** `-r`: the kernel release `uname` reports (default "6.1.0", whatever the host's) */
  unameRelease?: string;
  /** guest stdin: bytes, text, or "inherit" (default: empty) */
  stdin?: Uint8Array | string | "inherit";
  /** guest stdout: "capture" (default, read `m.stdout`), "inherit", or a sink */
  stdout?: "capture" | "inherit" | ((bytes: Uint8Array) => void);
  /** guest stderr, as `stdout` */
  stderr?: "capture" | "inherit" | ((bytes: Uint8Array) => void);
  /** receives `-strace` lines (QEMU's format, without newline) and the guest thread's id */
  strace?: (line: string, tid: number) => void;
  /**
   * `-sched`: how guest threads take turns: "rr" (default) or "random", with
   * ",quantum=N" instructions per turn (default 10000); random draws from `seed`
   */
  sched?: string;
  /**
   * `-net host`: "host" gives AF_INET/AF_INET6 TCP and UDP sockets on the host
   * network, reaching what Deno's `--allow-net` permits (default "none":
   * socket() fails with EACCES). Recording logs what the network returned.
   */
  net?: "none" | "host";
}

/**
 * A board to boot (system mode), as `emu system` boots it; defaults for everything.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({
 *   system: { memory: "256M", bios: "fw_jump.bin", kernel: "u-boot.bin", drives: ["file=d.img"] },
 * });
 * ```
 */
export interface SystemOptions extends CommonOptions {
  /** the board and what it loads */
  system: {
    /** `-M`: board name and options, e.g. "virt" (default) or "virt,dumpdtb=virt.dtb" */
    machine?: string;
    /** `-m`: RAM size in bytes or as text ("256M"); default 128M */
    memory?: bigint | string;
    /** `-cpu`: "rv64" (default) or "rv32" */
    cpu?: string;
    /** `-bios`: firmware path, or "none" (then `kernel` runs in M-mode) */
    bios?: string;
    /** `-kernel`: an ELF file or a raw image */
    kernel?: string;
    /** `-initrd` */
    initrd?: string;
    /** `-append`: the kernel command line */
    append?: string;
    /** `-dtb`: a device tree to use instead of the generated one */
    dtb?: string;
    /** `-drive` values, e.g. "file=disk.img,format=raw,if=virtio" */
    drives?: string[];
    /** `-device` values, e.g. "plugins/devices/example_counter.ts,addr=0x10010000" */
    devices?: string[];
    /** `-rtc` value, e.g. "base=utc" */
    rtc?: string;
    /** `-icount shift=N`: 2^N ns of virtual time per instruction (default 3) */
    icountShift?: number;
    /** `-smp N`: the number of harts (default 1); they take turns of `quantum` instructions */
    smp?: number;
    /** instructions a hart runs before the next hart's turn (default 10000) */
    quantum?: number;
    /** ELF files whose symbols name guest addresses (`--symbols vmlinux`); nothing is loaded */
    symbols?: string[];
    /** `-accel tcg,tb-size=N`: each hart's TB cache size in MiB (default 256); full, it is flushed */
    tbSize?: number;
  };
}

/**
 * The options of {@linkcode createMachine}: a program (user mode) or a board (system mode).
 *
 * @example
 * ```ts ignore
 * const opts: CreateMachineOptions = Deno.args[0] === "user"
 *   ? { program: Deno.args[1] }
 *   : { system: { bios: "none", kernel: Deno.args[1] } };
 * const m = await createMachine(opts);
 * ```
 */
export type CreateMachineOptions = UserOptions | SystemOptions;

/**
 * Creates a machine: user mode with `program`, system mode with `system`.
 * Tool plugins are installed, and `loadvm` restored, before it returns.
 * Unusable inputs (a missing file, a bad ELF, an unknown plugin) throw
 * EmuError with a one-line message.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * const user = await createMachine({ program: "tests/guests/bin/hello.static.O2", seed: 1 });
 * console.log(await user.runToExit(), JSON.stringify(user.stdout)); // 0 "Hello, world!\n"
 * const sys = await createMachine({
 *   system: { bios: "none", kernel: "tests/baremetal/bin/timer.elf" },
 * });
 * console.log(await sys.runToExit()); // 0 (the guest's poweroff status)
 * await sys.close();
 * ```
 */
export async function createMachine(opts: CreateMachineOptions): Promise<Machine> {
  const inputLog = opts.rr && openRunLog({ ...opts, rr: opts.rr });
  const machine: Machine = new Machine(await modeDriver(opts, () => machine, inputLog));
  const driver = machineDriver(machine);
  if (inputLog) {
    stopWhereRecordingStopped(driver, inputLog, () => machine.stop());
    machine.onExit(() => inputLog.close());
  }
  const log = opts.log && new Set(opts.log.categories);
  for (const cpu of log ? driver.cpus ?? [driver.cpu] : []) {
    const write = (t: string) => opts.log!.write(t), filter = opts.log!.filter;
    if (log!.has("in_asm")) {
      const symbolAt = (pc: bigint) => machine.modules.logSymbolAt(pc);
      logInAsm(cpu, symbolAt, write, "system" in opts, filter);
    }
    if (log!.has("op") || log!.has("op_opt")) logOps(cpu, log!, write, filter);
  }
  // user mode's exec and cpu items are the process's (each thread runs on its CPU)
  if (log && driver.mode === "system") {
    driver.cpus?.forEach((cpu, hart) => {
      const items = { ...opts.log!, categories: log };
      cpu.backend = withExecLog(cpu.backend, items, hartRows, machine.modules, hart);
    });
  }
  const out = opts.pluginOutput ??
    ((t: string) => Deno.stderr.writeSync(new TextEncoder().encode(t)));
  for (const spec of opts.plugins ?? []) await installTool(machine, spec, out);
  if (opts.loadvm === undefined) return machine;
  if (driver.mode === "system" && !isSnapshotPath(opts.loadvm)) {
    const { loadVm } = await import("./vm_snapshots.ts");
    await loadVm(machine, opts.loadvm);
  } else await loadSnapshot(driver.state, opts.loadvm, driver.identity);
  return machine;
}

/**
 * The system-mode half of {@linkcode createMachine}, imported when a board is
 * made: its modules (the board, the bus, the devices' framework) are about a
 * sixth of the library, which a user-mode start-up need not load.
 */
function importSystemMode(): Promise<typeof import("./create_system.ts")> {
  return importOnDemand("core/machine/create_system.ts");
}

/**
 * The user-mode half of {@linkcode createMachine}, imported when a program is
 * run: its modules (the Linux process, its syscalls, files and network) are
 * about a third of what a system-mode start-up would load otherwise, in each
 * isolate that loads the library (`emu system` has two).
 */
function importUserMode(): Promise<typeof import("./create_user.ts")> {
  return importOnDemand("core/machine/create_user.ts");
}

/** The driver of `opts`'s mode, its input log (if any) told of the guest's end. */
async function modeDriver(
  opts: CreateMachineOptions,
  machine: () => Machine,
  inputLog: InputLog | undefined,
): Promise<MachineDriver> {
  try {
    const driver = "system" in opts
      ? await (await importSystemMode()).systemDriver(opts, inputLog)
      : await (await importUserMode()).userDriver(opts, machine, inputLog);
    // before the Machine's own exit listener, which closes the log
    if (inputLog) endRunLogWithGuest(driver, inputLog);
    return driver;
  } catch (e) {
    inputLog?.close();
    throw e;
  }
}

/**
 * Installs tool plugin `spec` (QEMU's `-plugin` syntax) on `m`, with the one
 * ToolContext both modes give tools.
 *
 * @example
 * ```ts ignore
 * await installTool(m, "hotblocks,limit=5", (text) => console.error(text));
 * ```
 */
export function installTool(m: Machine, spec: string, out: (text: string) => void): Promise<void> {
  const d = machineDriver(m);
  const vcpu = m.hooks.vcpu;
  return installToolPlugin(spec, {
    hooks: m.hooks,
    vcpu,
    target: d.target,
    out,
    onExit: (cb) => m.onExit(cb),
    symbol: (pc) => m.symbolAt(pc),
    binary: d.binary(),
    modules: d.modules,
    exit: (status) => {
      d.end(status, null);
      vcpu.stop();
      if (vcpu.inCallback) vcpu.setPc(vcpu.pc); // the current instruction does not run
    },
  });
}
