/**
 * The options a `LinuxProcess` is created with
 * (`LinuxProcess.create`): the program, its environment and files, the
 * engine, the scheduler, record/replay and the network.
 *
 * @module
 */

import type { Accel } from "../accel.ts";
import type { TargetArch } from "../target.ts";
import type { InputLog } from "../replay/input_log.ts";
import type { OutputSink } from "./fds.ts";
import type { HostNetwork } from "./net_link.ts";
import type { SchedOptions } from "./threads.ts";

/** The program's process id (and its first thread's) unless `LinuxProcessOptions.pid` sets it. */
export const DEFAULT_PID = 1000;

/** Options for `LinuxProcess.create`. */
export interface LinuxProcessOptions {
  /** host path of the program */
  program: string;
  /** argv[1..] */
  args?: string[];
  /** argv[0] (default: `program` as given) */
  argv0?: string;
  /** the environment as "NAME=value" strings (default: none; the CLI's `-E` sets the same) */
  env?: string[];
  /** host directory the guest starts in (default: the current directory; "/" under `root`) */
  cwd?: string;
  /** `--root`: the guest's whole file system view */
  root?: string | null;
  /** `-L`: where the interpreter and libraries are found (default: the target's `defaultSysroot` if present) */
  sysroot?: string | null;
  /** `-cpu` model (default: chosen from the ELF header) */
  cpu?: string;
  /** an already created target (overrides `cpu`) */
  target?: TargetArch;
  /** seed for AT_RANDOM and getrandom */
  seed?: bigint;
  /** most bytes the guest may map (default 2 GiB, at most 3 GiB); beyond, mmap/brk fail with ENOMEM */
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
  /** host time instead of virtual time */
  realtime?: boolean;
  /** stdin bytes, or "inherit" for the host's stdin (default: empty) */
  stdin?: Uint8Array | "inherit";
  /** where fd 1 / fd 2 output goes (default: the host's stdout / stderr) */
  stdout?: OutputSink;
  stderr?: OutputSink;
  /** receives `-strace` lines (without newline) and the id of the guest thread that wrote */
  strace?: (line: string, tid: number) => void;
  /** `-d` logging: categories and where lines go (with the guest thread that wrote) */
  log?: {
    categories: Set<string>;
    write: (line: string, tid?: number) => void;
    filter?: (pc: bigint) => boolean;
  };
  /** guest pid (default `DEFAULT_PID`, 1000) */
  pid?: number;
  /** execution engine: the IR interpreter (default) or the wasm JIT */
  accel?: Accel;
  /** record/replay: the log the outside world's inputs go through (stdin, time, files) */
  inputLog?: InputLog;
  /** `-sched`: how guest threads take turns (default: round robin, 10,000 instructions) */
  sched?: SchedOptions;
  /** `-net host`: the host network the guest's AF_INET/AF_INET6 sockets use (default: none) */
  net?: HostNetwork;
}
