/**
 * The scripting API: build a machine, then drive it event by event.
 *
 * ```ts ignore
 * const m = await createMachine({ program: "hello" });
 * for await (const ev of m.run()) {
 *   if (ev.type === "syscall" && ev.name === "write") console.log("write", ev.args);
 * }
 * ```
 *
 * Breakpoints stop before their instruction runs; watchpoints stop after the
 * accessing instruction. A fault is reported before the guest sees a signal:
 * map the memory and call `ev.retry()` to run the instruction again (Unicorn's
 * unmapped-memory hooks). Runs are deterministic: the same program, inputs and
 * seed give the same event sequence.
 *
 * @module
 */

import type { Accel } from "./accel.ts";
import { concatBytes } from "./bytes.ts";
import type { ModuleList } from "./modules.ts";
import { type HookId, Hooks } from "./hooks/hooks.ts";
import { Breakpoints } from "./hooks/breakpoints.ts";
import type { Vcpu } from "./hooks/vcpu.ts";
import { LinuxProcess, type LinuxProcessOptions } from "./linux/process.ts";
import { installToolPlugin, type ToolBinary } from "./plugin.ts";
import { type Trap, TrapKind } from "./trap.ts";
import { Perm } from "./guest_memory.ts";

/** Options of {@linkcode createMachine} (a Linux user-mode program). */
export interface CreateMachineOptions
  extends Omit<LinuxProcessOptions, "stdin" | "stdout" | "stderr" | "seed" | "accel"> {
  /** "jit" (default), "interp" or "lockstep" */
  accel?: Accel;
  /** seed for AT_RANDOM and getrandom (default 0) */
  seed?: number | bigint;
  /** guest stdin: bytes, text, or "inherit" (default: empty) */
  stdin?: Uint8Array | string | "inherit";
  /** guest stdout/stderr: "capture" (default, read with `m.stdout`), "inherit", or a sink */
  stdout?: "capture" | "inherit" | ((bytes: Uint8Array) => void);
  stderr?: "capture" | "inherit" | ((bytes: Uint8Array) => void);
  /** tool plugins in QEMU's syntax, e.g. "hotblocks,top=5" */
  plugins?: string[];
  /** where plugin output goes (default: stderr) */
  pluginOutput?: (text: string) => void;
}

/** What {@linkcode Machine.run} yields. */
export type RunEvent =
  | {
    type: "syscall";
    number: number;
    name: string;
    args: bigint[];
    pc: bigint;
    /** do not run it; the guest sees `ret` */
    skip(ret: bigint): void;
  }
  | { type: "breakpoint"; pc: bigint }
  | { type: "watchpoint"; pc: bigint; address: bigint; size: number; write: boolean; value: bigint }
  | {
    type: "fault";
    pc: bigint;
    address: bigint;
    access: "read" | "write" | "fetch";
    signal: number;
    trap: Trap;
    /** the script fixed the cause (e.g. mapped the page): run the instruction again */
    retry(): void;
  }
  | { type: "illegal"; pc: bigint; bits: bigint; signal: number }
  | { type: "signal"; signal: number; handler: bigint }
  | { type: "budget"; icount: number }
  | { type: "stop" }
  | { type: "exit"; status: number; signal: number | null };

interface Watch {
  id: HookId;
  hit: Extract<RunEvent, { type: "watchpoint" }> | null;
}

/**
 * A machine driven from a script. Create it with {@linkcode createMachine}.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "tests/guests/bin/hello.static.O2" });
 * m.addBreakpoint(m.symbol("main")!);
 * const ev = await m.next(); // { type: "breakpoint", pc: ... }
 * console.log(m.readReg("a0")); // argc
 * ```
 */
export class Machine {
  readonly hooks: Hooks;
  readonly vcpu: Vcpu;
  #out: Uint8Array[] = [];
  #err: Uint8Array[] = [];
  readonly #breakpoints: Breakpoints;
  #watches = new Map<number, Watch>();
  #nextWatch = 1;
  #atExit: (() => void)[] = [];
  #finished = false;

  /** @internal use {@linkcode createMachine} */
  constructor(readonly process: LinuxProcess) {
    this.hooks = process.hooks;
    this.vcpu = process.hooks.vcpu;
    this.#breakpoints = new Breakpoints(process.hooks);
    process.deferFaults = true;
    process.hooks.symbolizer = (pc) => this.symbolAt(pc);
    process.hooks.events.on("exit", () => this.#finish());
  }

  /** @internal */
  captureOut(fd: 1 | 2): (b: Uint8Array) => void {
    return (b) => (fd === 1 ? this.#out : this.#err).push(b.slice());
  }

  /** Captured guest stdout (with `stdout: "capture"`). */
  get stdout(): string {
    return new TextDecoder().decode(concatBytes(this.#out));
  }

  /** Captured guest stderr (with `stderr: "capture"`). */
  get stderr(): string {
    return new TextDecoder().decode(concatBytes(this.#err));
  }

  /** Reads a register by name ("a0", "x10", "pc", "f1", "fcsr"). */
  readReg(name: string): bigint {
    return this.vcpu.readReg(name);
  }

  /** Writes a register. */
  writeReg(name: string, value: bigint): void {
    this.vcpu.writeReg(name, value);
  }

  /** The guest pc. */
  get pc(): bigint {
    return this.process.cpu.pc;
  }

  set pc(v: bigint) {
    this.process.cpu.pc = v;
  }

  /** Guest instructions retired so far. */
  get icount(): number {
    return this.process.cpu.icount;
  }

  /** Reads guest memory. */
  readMemory(addr: bigint, length: number): Uint8Array {
    return this.vcpu.readMemory(addr, length);
  }

  /** Writes guest memory (ignoring page protection, like a debugger). */
  writeMemory(addr: bigint, data: Uint8Array): void {
    this.vcpu.writeMemory(addr, data);
  }

  /** Maps fresh zeroed memory (`perms` from "rwx" letters). */
  mapMemory(addr: bigint, length: bigint, perms = "rw"): void {
    const p = (perms.includes("r") ? Perm.R : 0) | (perms.includes("w") ? Perm.W : 0) |
      (perms.includes("x") ? Perm.X : 0);
    this.process.mem.map(addr, length, p);
  }

  // ---- modules (A's Machine rewrite keeps `modules`; symbol()/symbolAt() search every module) ----

  /** The loaded ELF images: the program, its dynamic loader, each shared library as it is mapped. */
  get modules(): ModuleList {
    return this.process.modules;
  }

  /** The address of ELF symbol `name`: in the program, else the first module that has it. */
  symbol(name: string): bigint | undefined {
    return this.process.modules.symbol(name);
  }

  /** The symbol containing `pc` in any module, as `name` or `name+0xoff`, if known. */
  symbolAt(pc: bigint): string | undefined {
    return this.process.modules.symbolAt(pc);
  }

  // ---- end of modules ----

  /** Stops before the instruction at `pc` runs. */
  addBreakpoint(pc: bigint): void {
    this.#breakpoints.add(pc);
  }

  /** Removes the breakpoint at `pc`. */
  removeBreakpoint(pc: bigint): void {
    this.#breakpoints.remove(pc);
  }

  /** Stops after an instruction accesses `[address, address+length)`; returns an id. */
  addWatchpoint(
    address: bigint,
    length: number,
    access: "read" | "write" | "rw" = "write",
  ): number {
    const key = this.#nextWatch++;
    const w: Watch = { id: 0, hit: null };
    w.id = this.hooks.addMemHook((v, a) => {
      w.hit = { type: "watchpoint", ...a };
      v.stop();
    }, { begin: address, end: address + BigInt(length - 1), access, regs: "none" });
    this.#watches.set(key, w);
    return key;
  }

  /** Removes a watchpoint. */
  removeWatchpoint(id: number): void {
    const w = this.#watches.get(id);
    if (w) this.hooks.remove(w.id);
    this.#watches.delete(id);
  }

  /** @internal runs installed tools' exit callbacks once. */
  onExit(cb: () => void): void {
    this.#atExit.push(cb);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const cb of this.#atExit) cb();
  }

  /** Runs until the next event (or `budget` instructions) and returns it. */
  next(budget = 10_000_000): RunEvent {
    const p = this.process;
    this.#breakpoints.resume(p.cpu.pc);
    for (;;) {
      const ev = p.step(budget);
      switch (ev.kind) {
        case "syscall":
          return {
            type: "syscall",
            number: ev.nr,
            name: ev.name,
            args: ev.args,
            pc: ev.pc,
            skip: (ret) => p.skipPendingSyscall(ret),
          };
        case "stop": {
          if (p.exited) continue; // a tool ended the guest: report the exit
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
          return { type: "stop" };
        }
        case "fault": {
          const t = ev.trap;
          if (t.kind === TrapKind.ILLEGAL) {
            return { type: "illegal", pc: t.pc, bits: t.data, signal: ev.signal };
          }
          return {
            type: "fault",
            pc: t.pc,
            address: t.data,
            access: t.access ?? "read",
            signal: ev.signal,
            trap: t,
            retry: () => p.resolveFault(),
          };
        }
        case "signal":
          return { type: "signal", signal: ev.signal, handler: ev.handler };
        case "budget":
          return { type: "budget", icount: p.cpu.icount };
        case "exit":
          this.#finish();
          return { type: "exit", status: ev.status, signal: ev.signal };
      }
    }
  }

  /**
   * Yields every event until the program exits. With `budget`, yields a
   * `budget` event and returns after that many instructions.
   */
  async *run(opts: { budget?: number } = {}): AsyncGenerator<RunEvent> {
    const stopAt = opts.budget === undefined ? Infinity : this.icount + opts.budget;
    for (;;) {
      const left = stopAt - this.icount;
      if (left <= 0) {
        yield { type: "budget", icount: this.icount };
        return;
      }
      const ev = this.next(Math.min(left, 10_000_000));
      if (ev.type === "budget" && opts.budget === undefined) {
        await Promise.resolve(); // let other tasks run between slices
        continue;
      }
      if (ev.type === "budget") continue;
      yield ev;
      if (ev.type === "exit") return;
    }
  }

  /** Runs exactly `n` instructions unless an event comes first (returned), else null. */
  step(n = 1): RunEvent | null {
    const stopAt = this.icount + n;
    while (this.icount < stopAt) {
      const ev = this.next(stopAt - this.icount);
      if (ev.type !== "budget") return ev;
    }
    return null;
  }

  /** Runs until the pc reaches `pc` (a temporary breakpoint) or another event (syscalls just run). */
  runUntil(pc: bigint): RunEvent {
    const had = this.#breakpoints.has(pc);
    if (!had) this.addBreakpoint(pc);
    try {
      for (;;) {
        const ev = this.next();
        if (ev.type !== "budget" && ev.type !== "syscall") return ev;
      }
    } finally {
      if (!had) this.removeBreakpoint(pc);
    }
  }

  /** Runs to the end, handling nothing; returns the exit status. */
  runToExit(): number {
    for (;;) {
      const ev = this.next();
      if (ev.type === "exit") return ev.status;
    }
  }
}

function sink(
  m: () => Machine,
  how: CreateMachineOptions["stdout"],
  fd: 1 | 2,
): ((b: Uint8Array) => void) | undefined {
  if (how === "inherit") return undefined;
  if (typeof how === "function") return how;
  return (b) => m().captureOut(fd)(b);
}

/**
 * Creates a machine running a Linux program (user mode), with tool plugins
 * installed. Errors (missing file, bad ELF, unknown plugin) throw EmuError.
 *
 * @example
 * ```ts ignore
 * import { createMachine } from "./machine.ts";
 * const m = await createMachine({ program: "hello", seed: 1 });
 * for await (const ev of m.run()) if (ev.type === "exit") console.log(ev.status);
 * ```
 */
export async function createMachine(opts: CreateMachineOptions): Promise<Machine> {
  const ref: { machine?: Machine } = {};
  const get = () => ref.machine!;
  const stdin = typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin;
  const process = await LinuxProcess.create({
    ...opts,
    accel: opts.accel ?? "jit",
    seed: opts.seed === undefined ? undefined : BigInt(opts.seed),
    stdin,
    stdout: sink(get, opts.stdout, 1),
    stderr: sink(get, opts.stderr, 2),
  });
  const machine = ref.machine = new Machine(process);
  const out = opts.pluginOutput ??
    ((t: string) => Deno.stderr.writeSync(new TextEncoder().encode(t)));
  for (const spec of opts.plugins ?? []) await installTool(machine, spec, out);
  return machine;
}

/** Installs tool plugin `spec` (QEMU syntax) on `m`. */
export function installTool(
  m: Machine,
  spec: string,
  out: (text: string) => void,
): Promise<void> {
  return installToolPlugin(spec, {
    hooks: m.hooks,
    vcpu: m.vcpu,
    target: m.process.cpu.target,
    out,
    onExit: (cb) => m.onExit(cb),
    symbol: (pc) => m.symbolAt(pc),
    binary: programBounds(m.process),
    modules: m.modules,
    exit: (status) => {
      m.process.exit(status);
      m.vcpu.stop();
      if (m.vcpu.inCallback) m.vcpu.setPc(m.vcpu.pc); // the current instruction does not run
    },
  });
}

/** The program's path and executable range as loaded (QEMU's start_code/end_code). */
function programBounds(p: LinuxProcess): ToolBinary | undefined {
  const main = p.modules.list[0];
  return main && { path: main.path, start: main.start, end: main.end, entry: main.entry };
}
