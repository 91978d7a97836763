/**
 * The fuzzing engine: calibrates the seeds, then repeatedly picks a queue
 * entry (favoured ones first), trims it once (with `-D`, runs afl-fuzz's
 * deterministic stage on it once), and runs havoc and splice mutations of
 * it; inputs with new coverage join the queue, crashes are kept
 * once per (signal, pc, stack hash), hangs once per new coverage. Every
 * choice comes from one seeded generator, so `-s SEED` on one worker replays
 * the same inputs in the same order.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { havoc, splice } from "./mutate.ts";
import { Novelty, NoveltyJudge } from "./novelty.ts";
import { type FuzzStats, idName, type OutputDir } from "./output.ts";
import { Queue, type QueueEntry } from "./queue.ts";
import { FuzzRandom } from "./random.ts";
import type { CmplogTarget, ExecResult, FuzzTarget } from "./target.ts";
import type { SyncedInput } from "./sync.ts";
import { replacements, tokenOf } from "./i2s.ts";
import { trimInput } from "./trim.ts";
import { deterministicInputs } from "./deterministic.ts";

/** Options of a {@linkcode Fuzzer}. */
export interface FuzzerOptions {
  /** `-s` */
  seed: number;
  /** `-t`, in guest instructions (default: derived from the seeds) */
  timeout?: number;
  /** `-x` tokens */
  dictionary: Uint8Array[];
  out: OutputDir;
  banner: string;
  commandLine: string;
  /** warnings and notes for the user */
  log: (line: string) => void;
  /** the cmplog pass (`-c`): input-to-state replacement before havoc */
  cmplog?: CmplogTarget;
  /** `-g`/`-G`: inputs run are padded with zeros to `min` bytes or cut to `max` (seeds: cut) */
  lengths?: { min: number; max: number };
  /** `-n`: no coverage feedback: the queue is the seeds, every crash and hang is kept */
  nonInstrumented?: boolean;
  /** `-C`: the seeds must crash, and crashing inputs with new coverage join the queue */
  crashMode?: boolean;
  /** `-I`: called after each new crash is saved (afl-fuzz runs the command and waits) */
  onCrash?: () => Promise<void>;
  /** `-D`: run afl-fuzz's deterministic stage once on each queue entry before havoc */
  deterministic?: boolean;
}

/** Budget of the seeds' first runs when no `-t` is given. */
const SEED_BUDGET = 1_000_000_000;
/** Default timeout: this many times the slowest seed, within bounds. */
const TIMEOUT_FACTOR = 20, MIN_TIMEOUT = 1_000_000, MAX_TIMEOUT = 1_000_000_000;
/** Share of havoc rounds that splice with another entry first (AFL: after a cycle). */
const SPLICE_PERCENT = 20;
/** Limits of one entry's input-to-state stage: executions, cmplog runs, rounds deep. */
const I2S_MAX_EXECS = 4096, I2S_MAX_LOGS = 64, I2S_DEPTH = 3;
/** Most tokens learnt from comparisons (AFL's MAX_AUTO_EXTRAS). */
const MAX_AUTO_TOKENS = 256;
/** Most crashes and hangs a campaign saves (AFL's KEEP_UNIQUE_CRASH, KEEP_UNIQUE_HANG). */
const KEEP_UNIQUE_CRASH = 10000, KEEP_UNIQUE_HANG = 500;

/** A campaign on one target. */
export class Fuzzer {
  readonly queue: Queue;
  readonly random: FuzzRandom;
  readonly judge: NoveltyJudge;
  timeout: number;
  execs = 0;
  #virginBits: number;
  #virginTmout: number;
  #crashKeys = new Set<string>();
  #savedCrashes: number;
  #savedHangs: number;
  #totalTmout = 0;
  /** how long executions take by their instruction count (for `exec_timeout` in ms) */
  #speed = new RunSpeed();
  #found = 0;
  #imported = 0;
  /** how many of the target's auto tokens are in the dictionary */
  #autoTaken = 0;
  /** map entries whose hit count differed between two runs of one input */
  #varBytes: Uint8Array;
  #varCount = 0;
  #lastFind = 0;
  #lastCrash = 0;
  #lastHang = 0;
  #lastCrashExecs = 0;
  #cyclesWoFinds = 0;
  #lastCycle = 0;
  #foundAtCycleStart = 0;
  readonly startTime = Date.now();
  /** Set to end {@linkcode Fuzzer.run} after the current execution. */
  stopRequested = false;
  /** the end `run` was given (a deadline, an execution count) */
  #until: () => boolean = () => false;

  /** what an input must do to join the queue: end normally, or with -C crash */
  readonly #queued: "ok" | "crash";

  constructor(readonly target: FuzzTarget, readonly opts: FuzzerOptions) {
    this.#queued = opts.crashMode ? "crash" : "ok";
    const t = target.trace;
    this.queue = new Queue(t.size);
    this.random = new FuzzRandom(opts.seed);
    this.judge = new NoveltyJudge(t.host, t.size);
    this.#virginBits = this.judge.virginMap();
    this.#virginTmout = this.judge.virginMap();
    this.timeout = opts.timeout ?? SEED_BUDGET;
    this.#varBytes = new Uint8Array(t.size);
    this.#savedCrashes = opts.out.count("crashes");
    this.#savedHangs = opts.out.count("hangs");
  }

  /** Runs the seeds and queues them; fails clearly when none can be fuzzed. */
  async addSeeds(seeds: { name: string; data: Uint8Array }[]): Promise<void> {
    if (seeds.length === 0) throw new EmuError("no seed inputs", "put at least one file in -i");
    let slowest = 0, crashed = 0, hung = 0;
    for (const s of seeds) {
      const data = s.data.slice(0, this.opts.lengths?.max);
      const r = await this.target.run(data, this.timeout);
      this.execs++;
      const what = `time:0,execs:0,orig:${origName(s.name)}`;
      if (this.opts.crashMode && r.outcome.kind === "ok") {
        throw new EmuError(
          `Test case '${idName(this.queue.entries.length)},${what}' does *NOT* crash`,
          "-C explores crashes: its seeds are inputs that crash the program",
        );
      }
      if (r.outcome.kind === "crash" && !this.opts.crashMode) {
        crashed++;
        this.opts.log(`seed ${s.name} crashes the program (signal ${r.outcome.signal}): skipped`);
        continue;
      }
      if (r.outcome.kind === "hang") {
        hung++;
        this.opts.log(`seed ${s.name} times out (${this.timeout} instructions): skipped`);
        continue;
      }
      slowest = Math.max(slowest, r.insns);
      await this.#enqueue(data, r, 1, what, this.#novelty() === Novelty.EDGES);
    }
    if (!this.target.readsInput) {
      throw new EmuError(
        "the program never read its input",
        "pass @@ where it takes a file name, or make it read stdin",
      );
    }
    if (this.queue.entries.length === 0) {
      throw new EmuError(
        crashed === seeds.length
          ? "every seed input crashes the program"
          : `no usable seed input (${crashed} crash, ${hung} time out)`,
        "fix the seeds (crashing inputs belong in crashes/, not in -i)",
      );
    }
    if (this.opts.timeout === undefined) {
      this.timeout = Math.min(MAX_TIMEOUT, Math.max(MIN_TIMEOUT, slowest * TIMEOUT_FACTOR));
    }
  }

  /**
   * Re-runs the crashes an interrupted campaign saved, so that resuming it
   * does not save them again.
   */
  async knownCrashes(inputs: Uint8Array[]): Promise<void> {
    for (const data of inputs) {
      const o = (await this.target.run(data, this.timeout)).outcome;
      if (o.kind === "crash") this.#crashKeys.add(`${o.signal}:${o.pc}:${o.stackHash}`);
    }
  }

  /** Runs inputs other fuzzers found (`-M`/`-S`) and queues those that bring new coverage. */
  async importInputs(inputs: SyncedInput[]): Promise<void> {
    for (const s of inputs) {
      const r = await this.target.run(s.data, this.timeout);
      this.execs++;
      if (r.outcome.kind !== this.#queued) continue;
      const novelty = this.#novelty();
      if (novelty === Novelty.NONE) continue;
      const cov = novelty === Novelty.EDGES ? ",+cov" : "";
      const what = `sync:${s.from},src:${String(s.id).padStart(6, "0")}${cov}`;
      await this.#enqueue(s.data, r, 1, what, novelty === Novelty.EDGES);
      this.#imported++;
    }
  }

  /**
   * Fuzzes until `stopRequested` or `until()`, which every stage looks at
   * before each execution (as afl-fuzz's `stop_soon`); calls `tick` every few
   * hundred executions.
   */
  async run(until: () => boolean, tick: () => void | Promise<void>): Promise<void> {
    let sinceTick = 0;
    this.#until = until;
    while (!this.#done()) {
      const e = this.queue.next(this.random);
      this.#noteCycle();
      this.#takeAutoTokens();
      if (!e.fuzzed) {
        // afl-fuzz -n does not trim: without coverage, nothing says what a byte does
        if (!this.opts.nonInstrumented) await this.#trim(e);
        if (this.opts.cmplog) await this.#inputToState(e, this.opts.cmplog);
        if (this.opts.deterministic) await this.#deterministic(e);
      }
      const rounds = this.queue.energy(e);
      for (let i = 0; i < rounds && !this.#done(); i++) {
        let base = e.data;
        if (this.queue.entries.length > 1 && this.random.below(100) < SPLICE_PERCENT) {
          const other = this.queue.entries[this.random.below(this.queue.entries.length)];
          base = splice(e.data, other.data, this.random) ?? base;
        }
        const { data, stacked } = havoc(base, this.random, this.opts.dictionary);
        await this.execute(data, e, `havoc,rep:${stacked}`);
        if (++sinceTick >= 256) {
          sinceTick = 0;
          await tick();
        }
      }
      e.fuzzed = true;
    }
  }

  /** Whether the campaign is over: stopped, or at the end `run` was given. */
  #done(): boolean {
    return this.stopRequested || this.#until();
  }

  /**
   * The cmplog stage: replace compared operands found in the input, and
   * again in the results (up to {@linkcode I2S_DEPTH} rounds), so a chain
   * of comparisons (a checksum over a magic value) is solved.
   */
  async #inputToState(e: QueueEntry, cmplog: CmplogTarget): Promise<void> {
    let execs = 0, logs = 0;
    const dict = this.opts.dictionary, tokens = new Set(dict.map((t) => t.join()));
    const solve = async (input: Uint8Array, depth: number): Promise<void> => {
      if (logs++ >= I2S_MAX_LOGS || this.#done()) return;
      const compares = await cmplog.log(input, this.timeout);
      const deeper: Uint8Array[] = [];
      for (const c of compares) {
        const token = tokenOf(c, input);
        if (token && dict.length < MAX_AUTO_TOKENS && !tokens.has(token.join())) {
          tokens.add(token.join());
          dict.push(token);
        }
        for (const candidate of replacements(input, c)) {
          if (execs++ >= I2S_MAX_EXECS || this.#done()) return;
          const before = this.queue.entries.length;
          const r = await this.execute(candidate, e, "its"); // afl-fuzz's input-to-state stage
          const found = this.queue.entries.length > before || r.outcome.kind === "crash";
          if (!found && depth < I2S_DEPTH) deeper.push(candidate);
        }
      }
      for (const d of deeper) await solve(d, depth + 1);
    };
    await solve(e.data, 1);
  }

  /** `-D`: afl-fuzz's deterministic stage on `e`. */
  async #deterministic(e: QueueEntry): Promise<void> {
    for (const { data, op } of deterministicInputs(e.data)) {
      if (this.#done()) return;
      await this.execute(data, e, op);
    }
  }

  /** Adds the tokens the target learnt since the last call to the dictionary. */
  #takeAutoTokens(): void {
    const learnt = this.target.autoTokens;
    if (!learnt || learnt.length === this.#autoTaken) return;
    const dict = this.opts.dictionary, known = new Set(dict.map((t) => t.join()));
    for (const t of learnt.slice(this.#autoTaken)) if (!known.has(t.join())) dict.push(t);
    this.#autoTaken = learnt.length;
  }

  #noteCycle(): void {
    if (this.queue.cycles === this.#lastCycle) return;
    this.#lastCycle = this.queue.cycles;
    this.#cyclesWoFinds = this.#found === this.#foundAtCycleStart ? this.#cyclesWoFinds + 1 : 0;
    this.#foundAtCycleStart = this.#found;
  }

  /** Runs one input and keeps it if it is interesting. */
  async execute(input: Uint8Array, parent: QueueEntry, op: string): Promise<ExecResult> {
    const data = this.#fitLength(input);
    const t0 = performance.now();
    const r = await this.target.run(data, this.timeout);
    this.#speed.add(r.insns, performance.now() - t0);
    this.execs++;
    const trace = this.target.trace.address;
    const o = r.outcome;
    const from = `src:${String(parent.id).padStart(6, "0")},time:${this.#elapsed()},` +
      `execs:${this.execs},op:${op}`;
    if (o.kind === this.#queued) {
      const novelty = this.#novelty();
      if (novelty !== Novelty.NONE) {
        const cov = novelty === Novelty.EDGES ? ",+cov" : "";
        await this.#enqueue(data, r, parent.depth + 1, from + cov, novelty === Novelty.EDGES);
        this.#found++;
        this.#lastFind = Date.now();
      }
    }
    if (o.kind === "hang") {
      this.#totalTmout++;
      if (this.#savedHangs < KEEP_UNIQUE_HANG && this.#newHang(trace)) {
        this.opts.out.save("hangs", `${idName(this.#savedHangs++)},${from}`, data);
        this.#lastHang = Date.now();
      }
    } else if (o.kind === "crash") {
      const key = `${o.signal}:${o.pc}:${o.stackHash}`;
      // afl-fuzz -n keeps every crash: it cannot tell them apart
      const fresh = this.opts.nonInstrumented || !this.#crashKeys.has(key);
      if (fresh && this.#savedCrashes < KEEP_UNIQUE_CRASH) {
        this.#crashKeys.add(key);
        const sig = `sig:${String(o.signal).padStart(2, "0")}`;
        this.opts.out.save("crashes", `${idName(this.#savedCrashes++)},${sig},${from}`, data);
        this.#lastCrash = Date.now();
        await this.opts.onCrash?.();
      }
      this.#lastCrashExecs = this.execs;
    }
    return r;
  }

  /** How new the last run's coverage is (none under `-n`, which has no coverage). */
  #novelty(): Novelty {
    if (this.opts.nonInstrumented) return Novelty.NONE;
    return this.judge.judge(this.target.trace.address, this.#virginBits);
  }

  /** Whether the last run, a hang, is one to keep: new coverage for a hang, or any under `-n`. */
  #newHang(trace: number): boolean {
    return this.opts.nonInstrumented || this.judge.judge(trace, this.#virginTmout) !== Novelty.NONE;
  }

  /** `input` within `-g`/`-G` (afl-fuzz pads a short input with zeros, cuts a long one). */
  #fitLength(input: Uint8Array): Uint8Array {
    const lengths = this.opts.lengths;
    if (!lengths || (input.length >= lengths.min && input.length <= lengths.max)) return input;
    if (input.length > lengths.max) return input.slice(0, lengths.max);
    const padded = new Uint8Array(lengths.min);
    padded.set(input);
    return padded;
  }

  async #enqueue(
    data: Uint8Array,
    r: ExecResult,
    depth: number,
    what: string,
    newEdges: boolean,
  ): Promise<void> {
    const t = this.target.trace;
    const first = t.host.u8.slice(t.address, t.address + t.size);
    await this.#calibrate(data, first);
    const edges: number[] = [];
    for (let i = 0; i < t.size; i++) if (first[i]) edges.push(i);
    const id = this.queue.entries.length;
    const fileName = `${idName(id)},${what}`;
    this.queue.add({
      id,
      data,
      insns: r.insns,
      edges: Uint32Array.from(edges),
      depth,
      favored: false,
      fuzzed: false,
      newEdges,
      fileName,
    });
    this.opts.out.save("queue", fileName, data);
  }

  /**
   * AFL's calibration, reduced to one more run: map entries whose bucket
   * differs from `first` (the classified map of the first run) are variable
   * and lower `stability` (state the harness does not restore shows up here).
   */
  async #calibrate(data: Uint8Array, first: Uint8Array): Promise<void> {
    const t = this.target.trace;
    await this.target.run(data, this.timeout);
    this.execs++;
    this.judge.classify(t.address);
    const u8 = t.host.u8;
    for (let i = 0; i < t.size; i++) {
      if (u8[t.address + i] !== first[i] && !this.#varBytes[i]) {
        this.#varBytes[i] = 1;
        this.#varCount++;
      }
    }
  }

  async #trim(e: QueueEntry): Promise<void> {
    const trimmed = await trimInput(e.data, async (candidate) => {
      if (this.#done()) return -1; // keeps what is trimmed so far
      if (candidate.length < (this.opts.lengths?.min ?? 0)) return -1; // not below -g
      const r = await this.target.run(candidate, this.timeout);
      this.execs++;
      return r.outcome.kind === this.#queued ? this.judge.pathHash(this.target.trace.address) : -1;
    });
    if (trimmed.length < e.data.length) {
      e.data = trimmed;
      this.opts.out.save("queue", e.fileName, trimmed);
    }
  }

  #elapsed(): number {
    return Date.now() - this.startTime;
  }

  /** When the campaign last found a new path (ms since the epoch; 0: none yet). */
  get lastFindTime(): number {
    return this.#lastFind;
  }

  /**
   * Whether the campaign is done as afl-fuzz judges it for AFL_EXIT_WHEN_DONE:
   * every entry fuzzed, and over 100 queue cycles without a find.
   */
  get exhausted(): boolean {
    return this.#cyclesWoFinds > 100 && this.queue.pendingTotal === 0;
  }

  /** Crashes saved so far (in this campaign and the one it resumes). */
  get savedCrashes(): number {
    return this.#savedCrashes;
  }

  /** The map of bits no queue entry has set (`fuzz_bitmap`; a view into host memory). */
  virginBits(): Uint8Array {
    return this.judge.host.u8.subarray(this.#virginBits, this.#virginBits + this.judge.size);
  }

  /** The figures of `fuzzer_stats`, `plot_data` and the status screen. */
  stats(execsPerSec: number): FuzzStats {
    const q = this.queue, edges = this.judge.touched(this.#virginBits);
    return {
      startTime: this.startTime,
      lastUpdate: Date.now(),
      cyclesDone: q.cycles,
      cyclesWoFinds: this.#cyclesWoFinds,
      execsDone: this.execs,
      execsPerSec,
      corpusCount: q.entries.length,
      corpusFavored: q.favoredCount,
      corpusFound: this.#found,
      corpusImported: this.#imported,
      maxDepth: q.maxDepth,
      curItem: Math.max(0, q.current),
      pendingFavs: q.pendingFavored,
      pendingTotal: q.pendingTotal,
      stability: edges ? 100 - this.#varCount * 100 / edges : 100,
      edgesFound: edges,
      mapSize: this.target.trace.size,
      savedCrashes: this.#savedCrashes,
      savedHangs: this.#savedHangs,
      totalTmout: this.#totalTmout,
      lastFind: this.#lastFind,
      lastCrash: this.#lastCrash,
      lastHang: this.#lastHang,
      execsSinceCrash: this.execs - this.#lastCrashExecs,
      execTimeout: this.timeout,
      execTimeoutMs: this.#speed.msFor(this.timeout),
      dictEntries: this.opts.dictionary.length,
      banner: this.opts.banner,
      commandLine: this.opts.commandLine,
      crashMode: this.opts.crashMode,
    };
  }
}

/**
 * Host time of executions as a line, ms = overhead + insns * per-instruction
 * (least squares over the runs so far, the slope bounded for runs of nearly
 * one length), so `-t` can be given in ms: the fixed cost of a run (restore,
 * coverage) does not inflate the guest's speed.
 */
class RunSpeed {
  #n = 0;
  #x = 0;
  #y = 0;
  #xx = 0;
  #xy = 0;

  add(insns: number, ms: number): void {
    this.#n++;
    this.#x += insns;
    this.#y += ms;
    this.#xx += insns * insns;
    this.#xy += insns * ms;
  }

  /** The ms a run of `insns` instructions takes (AFL's default, 1000, before any run). */
  msFor(insns: number): number {
    const n = this.#n;
    if (n === 0 || this.#x === 0) return 1000;
    const variance = n * this.#xx - this.#x * this.#x;
    // the mean cost spread over at least the shortest run the default -t is TIMEOUT_FACTOR
    // times: a bound, since a tiny run's cost is mostly its restore
    const bound = this.#y / Math.max(this.#x, n * MIN_TIMEOUT / TIMEOUT_FACTOR);
    // the slope of the line, when the runs' lengths differ enough to show one
    const slope = variance > 0 ? (n * this.#xy - this.#x * this.#y) / variance : 0;
    const perInsn = slope > 0 ? Math.min(slope, bound) : bound;
    const overhead = Math.max(0, (this.#y - perInsn * this.#x) / n);
    return Math.max(1, Math.ceil(overhead + perInsn * insns));
  }
}

/**
 * The `orig:` part of a seed's queue name, as afl-fuzz's pivot_inputs takes
 * it: what follows the first `,orig:` of a resumed entry's name, else the
 * whole name (`id:000001,src:...` of an entry resumed with `-i -`).
 *
 * @example
 * ```ts
 * import { origName } from "./fuzzer.ts";
 * console.log(origName("id:000000,time:0,execs:0,orig:a")); // "a"
 * console.log(origName("id:000001,src:000000,op:havoc")); // "id:000001,src:000000,op:havoc"
 * ```
 */
export function origName(name: string): string {
  const at = name.indexOf(",orig:");
  return (at >= 0 ? name.slice(at + 6) : name).replace(/[^\w.+,:-]/g, "_").slice(0, 200);
}
