/**
 * Fuzz harnesses for Linux user-mode programs:
 *
 * - **in memory** (libFuzzer's convention): when the program defines
 *   `LLVMFuzzerTestOneInput` (or `--entry` names another function with its
 *   signature), start-up runs to `main` once; each input is then written to
 *   guest memory and the function is called with a return address on a page
 *   that cannot be fetched, so its return ends the execution;
 * - **persistent** (`--persistent-addr`, AFL_QEMU_PERSISTENT_ADDR): start-up
 *   runs to that address once; each execution starts there again and ends when
 *   it returns (or reaches `--persistent-ret`), reading its input from the
 *   in-memory `@@` file or from stdin;
 * - **whole program**: every execution runs the program from its entry, the
 *   input in the in-memory `@@` file or on stdin.
 *
 * Starting again from a saved state is where snapshots plug in: until
 * `LinuxProcess.snapshot()/restore()` exist (issue 11), the in-memory and
 * persistent harnesses restore only the registers (memory persists between
 * executions, as in AFL's persistent mode) and the whole-program harness
 * re-creates the process for each input.
 *
 * @module
 */

import type { Accel } from "../accel.ts";
import { readSymbols } from "../elf.ts";
import { EmuError, hex } from "../errors.ts";
import { Breakpoints } from "../hooks/breakpoints.ts";
import { HostMemory, STATE_BASE } from "../host_memory.ts";
import { InputStream } from "./fds.ts";
import { LinuxProcess } from "./process.ts";
import { MAP } from "./mm.ts";
import { EdgeCoverage } from "../fuzz/coverage.ts";
import { serveInputFile } from "./fuzz_input_file.ts";
import type { ExecResult, FuzzTarget, TraceArea } from "../fuzz/target.ts";
import { codeRanges, runProcess } from "./fuzz_run.ts";

/** The function a libFuzzer-style program defines. */
export const LIBFUZZER_ENTRY = "LLVMFuzzerTestOneInput";
/** Largest input the in-memory harness passes (AFL's MAX_FILE is 1 MiB). */
export const MAX_INPUT = 1 << 20;
/** Instructions start-up may take to reach `main` or the persistent address. */
const STARTUP_BUDGET = 2_000_000_000;
const PROT_RW = 3, PROT_NONE = 0;

/** Options of {@linkcode createUserHarness}. */
export interface UserHarnessOptions {
  program: string;
  /** argv[1..]; `@@` stands for the input file */
  args: string[];
  /** absolute guest path the `@@` file appears at */
  inputPath: string;
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
  /** called with each process the harness creates, once it is at its start point */
  setup?: (p: LinuxProcess) => void;
}

/** Which harness {@linkcode createUserHarness} picked. */
export type HarnessKind = "in-memory" | "persistent" | "whole-program";

/** A harness for `opts.program`, chosen as the module doc says. */
export async function createUserHarness(
  opts: UserHarnessOptions,
): Promise<FuzzTarget & { kind: HarnessKind }> {
  const probe = await newProcess(opts, [], new Uint8Array());
  const syms = probe.elf ? readSymbols(probe.elf) : [];
  const addrOf = (s: string): bigint => {
    if (/^0x[0-9a-f]+$/i.test(s)) return BigInt(s);
    const sym = syms.find((x) => x.name === s && x.value !== 0n);
    if (!sym) throw new EmuError(`${opts.program}: no symbol ${s}`, "pass --entry SYMBOL|ADDR");
    return sym.value + probe.loadBias;
  };
  const hasLibFuzzer = syms.some((s) => s.name === LIBFUZZER_ENTRY);
  if (opts.persistentAddr !== undefined) {
    return await PersistentHarness.create(probe, opts, opts.persistentAddr, null);
  }
  if (!opts.wholeProgram && (opts.entry || hasLibFuzzer)) {
    const fn = addrOf(opts.entry ?? LIBFUZZER_ENTRY);
    return await PersistentHarness.create(probe, opts, addrOf("main"), fn);
  }
  return new WholeProgramHarness(opts);
}

function guestArgs(opts: UserHarnessOptions): string[] {
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
    accel: opts.accel ?? "jit",
    stdin,
    stdout: () => {},
    stderr: () => {},
  });
}

/**
 * In-memory and persistent harnesses: the process stops at `startAt` once;
 * each execution restores the registers saved there, delivers the input and
 * runs until the function returns.
 */
class PersistentHarness implements FuzzTarget {
  readonly kind: HarnessKind;
  readonly trace: TraceArea;
  readsInput = false;
  #input: Uint8Array = new Uint8Array();
  readonly #bps: Breakpoints;
  #savedState: Uint8Array;
  #buffer = 0n;
  readonly #retPage: bigint;
  readonly #code: [bigint, bigint][];

  private constructor(
    readonly p: LinuxProcess,
    readonly cov: EdgeCoverage,
    readonly startAt: bigint,
    readonly fn: bigint | null,
    readonly retAt: bigint | null,
  ) {
    this.kind = fn === null ? "persistent" : "in-memory";
    this.trace = { host: p.cpu.host, address: cov.map, size: cov.size };
    const as = p.as;
    this.#retPage = as.mmap(0n, 4096n, PROT_NONE, MAP.PRIVATE | MAP.ANONYMOUS);
    if (fn !== null) {
      this.#buffer = as.mmap(0n, BigInt(MAX_INPUT), PROT_RW, MAP.PRIVATE | MAP.ANONYMOUS);
    }
    const size = p.cpu.target.state.size;
    this.#savedState = p.cpu.host.u8.slice(STATE_BASE, STATE_BASE + size);
    this.#code = codeRanges(p);
    this.#bps = new Breakpoints(p.hooks);
    if (retAt !== null) this.#bps.add(retAt);
  }

  static async create(
    p: LinuxProcess,
    opts: UserHarnessOptions,
    startAt: bigint,
    fn: bigint | null,
  ): Promise<PersistentHarness> {
    if (fn === null) {
      // The persistent loop reads the input itself: from the in-memory @@ file or stdin.
      p = await newProcess(opts, guestArgs(opts), new Uint8Array());
    }
    runTo(p, startAt, opts.program);
    opts.setup?.(p);
    const cov = new EdgeCoverage(p.cpu, opts.mapSize);
    const h = new PersistentHarness(p, cov, startAt, fn, opts.persistentRet ?? null);
    if (fn === null) deliverInput(p, opts, () => h.#input, () => h.readsInput = true);
    return h;
  }

  run(input: Uint8Array, budget: number): ExecResult {
    const { p, cov } = this, cpu = p.cpu, abi = p.abi;
    if (input.length > MAX_INPUT) input = input.subarray(0, MAX_INPUT);
    // SNAPSHOT: p.restore(snapshot) goes here once snapshots land (memory too, dirty pages only).
    cpu.host.u8.set(this.#savedState, STATE_BASE);
    if (this.fn !== null) {
      cpu.mem.writeBytes(this.#buffer, input);
      cpu.setGlobal(abi.argRegs[0], this.#buffer);
      cpu.setGlobal(abi.argRegs[1], BigInt(input.length));
      cpu.pc = this.fn;
      this.readsInput = true;
    } else {
      this.#input = input;
      p.fds.installAt(0, new InputStream(input), false);
    }
    if (this.retAt === null) cpu.setGlobal(abi.linkReg, this.#retPage);
    this.#bps.resume(cpu.pc);
    cov.reset();
    return runProcess(
      p,
      budget,
      this.#code,
      (pc, kind) => kind === "fault" ? pc === this.#retPage : this.#bps.hit === this.retAt,
    );
  }
}

/**
 * Gives `p` its input as the in-memory `@@` file when the arguments have
 * `@@` (stdin is set per execution by the caller otherwise), and tells
 * `onRead` when the program opens that file or reads stdin.
 */
function deliverInput(
  p: LinuxProcess,
  opts: UserHarnessOptions,
  input: () => Uint8Array,
  onRead: () => void,
): void {
  if (opts.args.includes("@@")) serveInputFile(p, opts.inputPath, input, onRead);
  else {
    p.hooks.on("syscall", (e) => {
      if (e.name === "read" && e.args[0] === 0n) onRead();
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

/** Runs the whole program for each input (see the module doc). */
class WholeProgramHarness implements FuzzTarget {
  readonly kind: HarnessKind = "whole-program";
  readonly trace: TraceArea;
  readsInput = false;
  readonly #atAt: boolean;

  constructor(readonly opts: UserHarnessOptions) {
    const host = new HostMemory(1 << 20);
    const size = opts.mapSize ?? 1 << 16;
    this.trace = { host, address: host.allocate(size, 64), size };
    this.#atAt = opts.args.includes("@@");
  }

  async run(input: Uint8Array, budget: number): Promise<ExecResult> {
    // SNAPSHOT: create once, snapshot at the first read of the input, restore here.
    const opts = this.opts;
    const p = await newProcess(opts, guestArgs(opts), this.#atAt ? new Uint8Array() : input);
    deliverInput(p, opts, () => input, () => this.readsInput = true);
    opts.setup?.(p);
    const cov = new EdgeCoverage(p.cpu, this.trace.size);
    cov.reset();
    const r = runProcess(p, budget, codeRanges(p));
    this.trace.host.u8.set(cov.bytes(), this.trace.address);
    return r;
  }
}
