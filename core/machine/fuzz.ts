/**
 * `fuzz()`: coverage-guided fuzzing of whatever a script can set up on a
 * {@linkcode Machine}, in user or system mode. The machine's state when
 * `fuzz` is called is the start of every execution (a snapshot, restored
 * before each input, dirty pages only); the script's `inject` puts one input
 * where the guest reads it (memory, registers, a device); the execution ends
 * at an `endAt` address, an exit or a poweroff, and is a crash at a
 * `crashAt` address (a trap handler, an assertion routine), on a fault the
 * guest does not handle, or when it stops itself. The engine is `emu
 * fuzz`'s (tokens from the code that runs included, and with `cmplog` its
 * input-to-state stage), with the same AFL++ output directory.
 *
 * @module
 */

import { AutoTokens } from "../fuzz/auto_tokens.ts";
import { CmpLog, type Compare } from "../fuzz/cmplog.ts";
import { EdgeCoverage } from "../fuzz/coverage.ts";
import { Fuzzer } from "../fuzz/fuzzer.ts";
import { OutputDir } from "../fuzz/output.ts";
import {
  type CmplogTarget,
  type ExecResult,
  type FuzzTarget,
  hashWords,
  type Outcome,
} from "../fuzz/target.ts";
import { type Machine, machineDriver, type Snapshot } from "./machine.ts";
import type { RunEvent } from "./events.ts";

/** Options of `fuzz()`. */
export interface FuzzOptions {
  /** Puts `input` where the guest reads it (called on the restored start state). */
  inject: (m: Machine, input: Uint8Array) => void;
  /** the first inputs (at least one that neither crashes nor hangs) */
  seeds: Uint8Array[];
  /** addresses whose reach ends an execution normally */
  endAt?: bigint[];
  /** addresses whose reach is a crash (kept once per address) */
  crashAt?: bigint[];
  /** AFL++ output directory (`queue/`, `crashes/`...); default: a new temporary one */
  output?: string;
  /** stop after this many seconds (default 10) */
  seconds?: number;
  /** stop when this says so (checked between executions) */
  until?: (progress: FuzzProgress) => boolean;
  /** instructions per execution (default: from the seeds' runs, as `-t`) */
  timeout?: number;
  /** random seed (default 0): the same seed replays the same campaign */
  seed?: number;
  /** dictionary tokens */
  dictionary?: Uint8Array[];
  /** coverage map bytes (default 65536) */
  mapSize?: number;
  /**
   * comparison feedback (AFL++'s cmplog, `emu fuzz -c 0`): each new queue
   * entry is run once more with its comparisons (and the arguments of
   * `memcmp`, `strcmp`... by symbol) logged, and compared values found in
   * the input are replaced by the other side (default false)
   */
  cmplog?: boolean;
}

/** A campaign's progress. */
export interface FuzzProgress {
  /** executions so far */
  execs: number;
  /** distinct crashes saved */
  crashes: number;
  /** inputs in the queue */
  corpus: number;
  /** seconds since the start */
  seconds: number;
}

/** What `fuzz()` found. */
export interface FuzzReport extends FuzzProgress {
  /** the output directory (AFL++'s layout) */
  output: string;
  /** the saved crashing inputs, by file name in `crashes/` */
  crashInputs: Map<string, Uint8Array>;
}

/**
 * A {@linkcode FuzzTarget} over a machine and its start snapshot; with
 * `cmplog`, its {@linkcode CmplogTarget} runs the same machine with the
 * comparison log switched on.
 */
class MachineTarget implements FuzzTarget, CmplogTarget {
  readonly trace;
  readsInput = true;
  readonly #cov: EdgeCoverage;
  readonly #start: Snapshot;
  readonly #end: Set<bigint>;
  readonly #crash: Set<bigint>;
  readonly #tokens: AutoTokens;
  readonly #cmplog: CmpLog | null = null;

  constructor(readonly m: Machine, readonly opts: FuzzOptions) {
    const cpu = m.hooks.cpu;
    this.#cov = new EdgeCoverage(cpu, opts.mapSize);
    this.trace = { host: cpu.host, address: this.#cov.map, size: this.#cov.size };
    this.#end = new Set(opts.endAt ?? []);
    this.#crash = new Set(opts.crashAt ?? []);
    for (const pc of [...this.#end, ...this.#crash]) m.addBreakpoint(pc);
    this.#tokens = new AutoTokens(cpu, () => m.modules.list);
    if (opts.cmplog) this.#cmplog = attachCmpLog(m);
    this.#start = m.snapshot();
  }

  async log(input: Uint8Array, budget: number): Promise<Compare[]> {
    const log = this.#cmplog!;
    log.clear();
    log.active = true;
    try {
      await this.run(input, budget);
    } finally {
      log.active = false;
    }
    return [...log.entries];
  }

  /** Tokens from the code run (compare constants, strings; see `auto_tokens.ts`). */
  get autoTokens(): readonly Uint8Array[] {
    return this.#tokens.tokens;
  }

  run(input: Uint8Array, budget: number): ExecResult {
    const m = this.m;
    m.restore(this.#start);
    this.opts.inject(m, input);
    this.#cov.reset();
    const start = m.icount;
    const end = (outcome: Outcome): ExecResult => ({ outcome, insns: m.icount - start });
    for (;;) {
      const left = budget - (m.icount - start);
      if (left <= 0) return end({ kind: "hang" });
      const outcome = this.#outcome(m.next(left));
      if (outcome) return end(outcome);
    }
  }

  /** How `ev` ends the execution, or null when it goes on. */
  #outcome(ev: RunEvent): Outcome | null {
    const crash = (signal: number, pc: bigint): Outcome => ({
      kind: "crash",
      signal,
      pc,
      stackHash: hashWords([pc]),
    });
    switch (ev.type) {
      case "breakpoint":
        return this.#crash.has(ev.pc) ? crash(0, ev.pc) : { kind: "ok" };
      case "exit":
        return ev.signal ? crash(ev.signal, this.m.pc) : { kind: "ok" };
      case "poweroff":
      case "reset":
        return { kind: "ok" };
      case "fault":
      case "illegal":
        return crash(ev.signal, ev.pc);
      case "stop":
        return crash(0, this.m.pc);
      default:
        return null;
    }
  }
}

/** A comparison log on `m`'s CPU, off until a cmplog run. */
function attachCmpLog(m: Machine): CmpLog {
  const cpu = m.hooks.cpu, log = new CmpLog(cpu);
  log.active = false;
  const argRegs = machineDriver(m).target.linux?.argRegs;
  if (argRegs) log.hookStringCompares(m.hooks, m.modules, (i) => cpu.getGlobal(argRegs[i]));
  return log;
}

/**
 * What `fuzz()` of `fuzz_api.ts` (the one in `mod.ts`) runs, once it
 * has imported this module.
 *
 * @example
 * ```ts ignore
 * const report = await runFuzz(m, { inject, seeds });
 * ```
 */
export async function runFuzz(m: Machine, opts: FuzzOptions): Promise<FuzzReport> {
  const base = opts.output ?? await Deno.makeTempDir({ prefix: "denemu-fuzz-" });
  Deno.mkdirSync(base, { recursive: true });
  const out = OutputDir.open(base, "default", {
    resume: false,
    argv: ["fuzz()"],
    target: [],
  });
  const target = new MachineTarget(m, opts);
  const f = new Fuzzer(target, {
    seed: opts.seed ?? 0,
    timeout: opts.timeout,
    dictionary: opts.dictionary ?? [],
    out,
    banner: "fuzz()",
    commandLine: "fuzz()",
    log: () => {},
    cmplog: opts.cmplog ? target : undefined,
  });
  const t0 = Date.now(), deadline = t0 + (opts.seconds ?? 10) * 1000;
  const progress = (): FuzzProgress => ({
    execs: f.execs,
    crashes: f.savedCrashes,
    corpus: f.queue.entries.length,
    seconds: (Date.now() - t0) / 1000,
  });
  await f.addSeeds(opts.seeds.map((data, i) => ({ name: `seed${i}`, data })));
  await f.run(() => Date.now() >= deadline || (opts.until?.(progress()) ?? false), () => {});
  const s = f.stats(f.execs / Math.max(0.001, (Date.now() - t0) / 1000));
  out.writeStats(s);
  out.writeBitmap(f.virginBits());
  out.plot(s);
  const crashInputs = new Map<string, Uint8Array>();
  for (const e of Deno.readDirSync(`${base}/default/crashes`)) {
    if (e.name.startsWith("id:")) {
      crashInputs.set(e.name, Deno.readFileSync(`${base}/default/crashes/${e.name}`));
    }
  }
  return { ...progress(), output: base, crashInputs };
}
