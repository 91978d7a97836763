/**
 * Fuzz harnesses for Linux user-mode programs. Each keeps one process for the
 * whole campaign, snapshots it once at its start point and restores that
 * snapshot before every execution (only the pages written since are copied
 * back; translated code stays), so no execution sees what an earlier one did:
 *
 * - **in memory** (libFuzzer's convention): when the program defines
 *   `LLVMFuzzerTestOneInput` (or `--entry` names another function with its
 *   signature), the start point is `main`; each input is written to guest
 *   memory and the function is called with a return address on a page that
 *   cannot be fetched, so its return ends the execution;
 * - **persistent** (`--persistent-addr`, AFL_QEMU_PERSISTENT_ADDR): the start
 *   point is that address; each execution ends when the function returns (or
 *   reaches `--persistent-ret`), reading its input from the in-memory `@@`
 *   file or from stdin;
 * - **whole program**: the start point is the program's first read of its
 *   input (the `openat` of the `@@` file, or a read of stdin), as AFL++'s
 *   deferred fork server would place it by hand.
 *
 * @module
 */

import type { Accel } from "../accel.ts";
import { readSymbols } from "../elf.ts";
import { EmuError, hex } from "../errors.ts";
import { Breakpoints } from "../hooks/breakpoints.ts";
import { InputStream } from "./fds.ts";
import { LinuxProcess } from "./process.ts";
import type { ProcessSnapshot } from "./process_state.ts";
import { readString } from "./syscall.ts";
import { MAP } from "./mm.ts";
import { AutoTokens } from "../fuzz/auto_tokens.ts";
import { EdgeCoverage } from "../fuzz/coverage.ts";
import { serveInputFile } from "./fuzz_input_file.ts";
import type { ExecResult, FuzzTarget, TraceArea } from "../fuzz/target.ts";
import { codeRanges, type EndCheck, runProcess } from "./fuzz_run.ts";

/** The function a libFuzzer-style program defines. */
export const LIBFUZZER_ENTRY = "LLVMFuzzerTestOneInput";
/** Largest input the in-memory harness passes (AFL's MAX_FILE is 1 MiB). */
export const MAX_INPUT = 1 << 20;
/** Instructions start-up may take to reach `main` or the persistent address. */
const STARTUP_BUDGET = 2_000_000_000;
const PROT_RW = 3, PROT_NONE = 0;
/** The size of the page the in-memory harness returns to. */
const PAGE = 4096n;

/** Options of {@linkcode createUserHarness}. */
export interface UserHarnessOptions {
  program: string;
  /** argv[1..]; `@@` stands for the input file */
  args: string[];
  /** absolute guest path the `@@` file appears at */
  inputPath: string;
  /** the program reads its input from `inputPath`, named by `-f`, as it knows (`@@` stays as is) */
  inputFile?: boolean;
  mapSize?: number;
  accel?: Accel;
  /** the function to call in memory (symbol or address); default `LLVMFuzzerTestOneInput` if defined */
  entry?: string;
  /** run every execution from here (AFL_QEMU_PERSISTENT_ADDR) */
  persistentAddr?: bigint;
  /** ... to here (AFL_QEMU_PERSISTENT_RET; default: the return to the caller) */
  persistentRet?: bigint;
  /** always run the whole program, even if it defines `LLVMFuzzerTestOneInput` */
  wholeProgram?: boolean;
  env?: string[];
  sysroot?: string | null;
  root?: string | null;
  /** the guest's memory ceiling in bytes (default: 2 GiB, as `emu user`) */
  maxMemory?: bigint;
  /** called with each process the harness creates, once it is at its start point */
  setup?: (p: LinuxProcess) => void;
  /** let the program's stdout and stderr through to the host's (default: dropped) */
  output?: boolean;
  /** measure the time restores take ({@linkcode SnapshotHarness.restoreMs}; for benchmarks) */
  timeRestores?: boolean;
  /** an exit status (0-255) that counts as a crash (AFL_CRASH_EXITCODE) */
  crashExit?: number;
}

/** Which harness {@linkcode createUserHarness} picked. */
export type HarnessKind = "in-memory" | "persistent" | "whole-program";

/**
 * A harness for `opts.program`, chosen as the module doc says.
 *
 * @example
 * ```ts ignore
 * const h = await createUserHarness({ program: "prog", args: ["@@"], inputPath: "/in" });
 * const r = await h.run(new TextEncoder().encode("seed"), 1_000_000);
 * ```
 */
export async function createUserHarness(
  opts: UserHarnessOptions,
): Promise<FuzzTarget & { kind: HarnessKind; restoreMs: number }> {
  if (opts.persistentAddr !== undefined) return await persistent(opts, opts.persistentAddr);
  if (!opts.wholeProgram) {
    const probe = await newProcess(opts, [], new Uint8Array());
    const hasLibFuzzer = probe.elf !== null &&
      readSymbols(probe.elf).some((s) => s.name === LIBFUZZER_ENTRY && s.value !== 0n);
    if (opts.entry || hasLibFuzzer) {
      return inMemory(probe, opts, symbolAddress(probe, opts, opts.entry ?? LIBFUZZER_ENTRY));
    }
  }
  return await wholeProgram(opts);
}

/** The run-time address of `name` (a symbol of the program, or 0x...). */
function symbolAddress(p: LinuxProcess, opts: UserHarnessOptions, name: string): bigint {
  if (/^0x[0-9a-f]+$/i.test(name)) return BigInt(name);
  const sym = (p.elf ? readSymbols(p.elf) : []).find((x) => x.name === name && x.value !== 0n);
  if (!sym) throw new EmuError(`${opts.program}: no symbol ${name}`, "pass --entry SYMBOL|ADDR");
  return sym.value + p.loadBias;
}

/** Whether the input is the file at `inputPath` (`@@` or `-f`), else stdin. */
function readsFile(opts: UserHarnessOptions): boolean {
  return opts.inputFile === true || opts.args.includes("@@");
}

/** argv[1..], `@@` replaced by the input file unless `-f` names it (afl-fuzz leaves it then). */
function guestArgs(opts: UserHarnessOptions): string[] {
  if (opts.inputFile) return opts.args;
  return opts.args.map((a) => a === "@@" ? opts.inputPath : a);
}

function newProcess(
  opts: UserHarnessOptions,
  args: string[],
  stdin: Uint8Array,
): Promise<LinuxProcess> {
  return LinuxProcess.create({
    program: opts.program,
    args,
    env: opts.env,
    sysroot: opts.sysroot,
    root: opts.root,
    maxMemory: opts.maxMemory,
    accel: opts.accel ?? "jit",
    stdin,
    // undefined: the host's streams
    stdout: opts.output ? undefined : () => {},
    stderr: opts.output ? undefined : () => {},
  });
}

/** How a {@linkcode SnapshotHarness} starts and ends one execution. */
interface StartPoint {
  readonly kind: HarnessKind;
  /** the process, at the state every execution starts from */
  readonly p: LinuxProcess;
  /** gives the restored process `input` (memory, registers, stdin, the `@@` file) */
  deliver(input: Uint8Array): void;
  /** whether a fault or a stop ends the execution normally */
  readonly isEnd: EndCheck;
  readonly timeRestores?: boolean;
  readonly crashExit?: number;
}

/**
 * One process for the whole campaign: its state at the start point is
 * snapshotted once, and each execution restores it (dirty pages only),
 * delivers the input and runs to the end. Nothing an input does (globals,
 * the heap, open files) outlives its execution.
 */
class SnapshotHarness implements FuzzTarget {
  readonly kind: HarnessKind;
  /** host milliseconds spent restoring the snapshot (with `timeRestores`) */
  restoreMs = 0;
  readonly trace: TraceArea;
  readonly #start: ProcessSnapshot;
  readonly #code: [bigint, bigint][];

  readonly #tokens: AutoTokens;

  constructor(readonly start: StartPoint, readonly cov: EdgeCoverage, readonly input: InputState) {
    this.kind = start.kind;
    this.trace = { host: start.p.cpu.host, address: cov.map, size: cov.size };
    this.#code = codeRanges(start.p);
    this.#tokens = new AutoTokens(start.p.cpu, () => start.p.modules.list);
    this.#start = start.p.snapshot();
  }

  get readsInput(): boolean {
    return this.input.read;
  }

  /** Tokens from the code run since the start point (compare constants, strings). */
  get autoTokens(): readonly Uint8Array[] {
    return this.#tokens.tokens;
  }

  run(input: Uint8Array, budget: number): ExecResult {
    const { p, isEnd } = this.start;
    if (input.length > MAX_INPUT) input = input.subarray(0, MAX_INPUT);
    if (this.start.timeRestores) {
      const t0 = performance.now();
      p.restore(this.#start);
      this.restoreMs += performance.now() - t0;
    } else p.restore(this.#start);
    this.input.current = input;
    this.start.deliver(input);
    this.cov.reset();
    return runProcess(p, budget, this.#code, isEnd, this.start.crashExit);
  }
}

/** The input of the execution under way, and whether the program ever read one. */
class InputState {
  current: Uint8Array = new Uint8Array();
  read = false;
}

/**
 * In memory: start-up runs to `main` once; each execution writes the input
 * to a buffer and calls `fn(buffer, size)` with a return address on a page
 * that cannot be fetched, so its return ends the execution.
 */
function inMemory(p: LinuxProcess, opts: UserHarnessOptions, fn: bigint): SnapshotHarness {
  const main = symbolAddress(p, opts, "main");
  runTo(p, main, opts.program);
  opts.setup?.(p);
  const cov = new EdgeCoverage(p.cpu, opts.mapSize);
  const retPage = p.as.mmap(0n, PAGE, PROT_NONE, MAP.PRIVATE | MAP.ANONYMOUS);
  const buffer = p.as.mmap(0n, BigInt(MAX_INPUT), PROT_RW, MAP.PRIVATE | MAP.ANONYMOUS);
  const state = new InputState();
  const { cpu, abi } = p;
  return new SnapshotHarness(
    {
      kind: "in-memory",
      timeRestores: opts.timeRestores,
      crashExit: opts.crashExit,
      p,
      deliver(input) {
        cpu.mem.writeBytes(buffer, input);
        cpu.setGlobal(abi.argRegs[0], buffer);
        cpu.setGlobal(abi.argRegs[1], BigInt(input.length));
        cpu.setGlobal(abi.linkReg, retPage);
        cpu.pc = fn;
        state.read = true;
      },
      isEnd: (pc, kind) => kind === "fault" && pc === retPage,
    },
    cov,
    state,
  );
}

/**
 * Persistent (AFL_QEMU_PERSISTENT_ADDR): start-up runs to `addr` once; each
 * execution starts there and ends when the function returns (or reaches
 * `--persistent-ret`), reading its input from the `@@` file or stdin.
 */
async function persistent(opts: UserHarnessOptions, addr: bigint): Promise<SnapshotHarness> {
  const p = await newProcess(opts, guestArgs(opts), new Uint8Array());
  runTo(p, addr, opts.program);
  opts.setup?.(p);
  const cov = new EdgeCoverage(p.cpu, opts.mapSize);
  const retPage = p.as.mmap(0n, PAGE, PROT_NONE, MAP.PRIVATE | MAP.ANONYMOUS);
  const state = new InputState();
  deliverInput(p, opts, state);
  const retAt = opts.persistentRet ?? null;
  const bps = new Breakpoints(p.hooks);
  if (retAt !== null) bps.add(retAt);
  return new SnapshotHarness(
    {
      kind: "persistent",
      timeRestores: opts.timeRestores,
      crashExit: opts.crashExit,
      p,
      deliver(input) {
        if (retAt === null) p.cpu.setGlobal(p.abi.linkReg, retPage);
        setStdin(p, opts, input);
        bps.resume(p.cpu.pc);
      },
      isEnd: (pc, kind) => kind === "fault" ? pc === retPage : bps.hit === retAt,
    },
    cov,
    state,
  );
}

/**
 * Whole program: the process runs from its entry to its first read of the
 * input (the `openat` of the `@@` file, or a `read` of stdin) once, and each
 * execution starts there. A program that never reads its input starts each
 * execution from its entry.
 */
async function wholeProgram(opts: UserHarnessOptions): Promise<SnapshotHarness> {
  const p = await newProcess(opts, guestArgs(opts), new Uint8Array());
  const state = new InputState();
  deliverInput(p, opts, state);
  opts.setup?.(p);
  const cov = new EdgeCoverage(p.cpu, opts.mapSize);
  const entry = p.snapshot();
  if (!runToFirstRead(p, opts)) p.restore(entry);
  state.read = false;
  return new SnapshotHarness(
    {
      kind: "whole-program",
      timeRestores: opts.timeRestores,
      crashExit: opts.crashExit,
      p,
      deliver: (input) => setStdin(p, opts, input),
      isEnd: () => false,
    },
    cov,
    state,
  );
}

/**
 * Steps `p` to the first system call that reads the input (reported, not yet
 * run); false if the program ends, faults or runs out of start-up budget first.
 */
function runToFirstRead(p: LinuxProcess, opts: UserHarnessOptions): boolean {
  const atAt = readsFile(opts);
  const start = p.cpu.icount;
  p.deferFaults = true;
  while (p.cpu.icount - start < STARTUP_BUDGET) {
    const ev = p.step(STARTUP_BUDGET);
    if (ev.kind === "exit" || ev.kind === "fault") return false;
    if (ev.kind !== "syscall") continue;
    if (ev.name === "exit" || ev.name === "exit_group") return false;
    if (atAt ? opensInput(p, opts, ev.name, ev.args) : readsStdin(ev.name, ev.args)) return true;
  }
  return false;
}

function opensInput(p: LinuxProcess, opts: UserHarnessOptions, name: string, args: bigint[]) {
  if (name !== "openat") return false;
  return p.paths.absolute(readString(p, args[1]), p.paths.cwd) === opts.inputPath;
}

function readsStdin(name: string, args: bigint[]): boolean {
  return (name === "read" || name === "readv" || name === "pread64") && args[0] === 0n;
}

/** Without `@@` or `-f`, the input is a fresh stdin for each execution. */
function setStdin(p: LinuxProcess, opts: UserHarnessOptions, input: Uint8Array): void {
  if (!readsFile(opts)) p.fds.installAt(0, new InputStream(input), false);
}

/**
 * Serves the current input as the in-memory `@@` file when the arguments
 * have `@@` (or `-f` names it), and records in `state` when the program opens it or reads stdin.
 */
function deliverInput(p: LinuxProcess, opts: UserHarnessOptions, state: InputState): void {
  const onRead = () => state.read = true;
  if (readsFile(opts)) serveInputFile(p, opts.inputPath, () => state.current, onRead);
  else {
    p.hooks.on("syscall", (e) => {
      if (readsStdin(e.name, e.args)) onRead();
    });
  }
}

/** Runs `p` from its entry to `addr` (a breakpoint), or fails with a clear message. */
function runTo(p: LinuxProcess, addr: bigint, program: string): void {
  const bps = new Breakpoints(p.hooks);
  bps.add(addr);
  bps.resume(p.cpu.pc);
  const start = p.cpu.icount;
  while (bps.hit !== addr) {
    const ev = p.step(STARTUP_BUDGET);
    if (ev.kind === "exit" || ev.kind === "fault" || p.cpu.icount - start >= STARTUP_BUDGET) {
      throw new EmuError(`${program}: ended before reaching ${hex(addr)} (${ev.kind})`);
    }
  }
  bps.remove(addr);
}
