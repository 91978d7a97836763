/**
 * The shared runner of the self-fuzzers: runs one fuzzer's cases for a time
 * budget, each from its own seed (`--seed` + case number, so a failure is
 * re-run with `--seed N --cases 1`), counts the failures and saves a
 * reproducer per failure under the output directory, AFL++-style
 * (`crashes/id:000000,seed:N.<ext>` plus a `.txt` saying what went wrong).
 *
 * A fuzzer is a {@linkcode SelfFuzzer}; adding one (snapshots, replay logs,
 * disk images) is a new file under scripts/selffuzz/ and a line in main.ts.
 *
 * @module
 */

import { join } from "node:path";
import type { Rnd } from "../../tests/riscv/random_programs.ts";
import { concatBytes } from "../../core/bytes.ts";
import { EmuError } from "../../core/errors.ts";
import { DeadlockError } from "../../core/linux/thread_group.ts";
import { CaseWatchdog } from "./watchdog.ts";

/** One case's input and what became of it. */
export interface CaseOutcome {
  /** the bytes that reproduce the case (an ELF, a packet stream, a program...) */
  input: Uint8Array;
  /** null when the case passed, else what went wrong (one line or a short diff) */
  failure: string | null;
  /**
   * the input is only the seed, as text (a hang, or a host error outside the
   * case): saved as `.seed`, re-run with `--replay FILE` or `--seed N --cases 1`
   */
  seedOnly?: boolean;
}

/** A fuzzer: makes and checks one case per seed. */
export interface SelfFuzzer {
  /** the name given to `deno task selffuzz` */
  name: string;
  /** the file name extension of a saved reproducer */
  extension: string;
  /** what it fuzzes, for `--help` */
  description: string;
  /** makes the case for `seed`, runs it and checks the outcome */
  runCase(seed: number): Promise<CaseOutcome> | CaseOutcome;
  /** re-runs a saved reproducer (`--replay FILE`) */
  replay(input: Uint8Array): Promise<string | null> | string | null;
  /** why CI does not run it yet (known differences it still finds), if so */
  notInCi?: string;
  /**
   * how many cases `deno task test` runs (seeds 1..N, the same on every
   * host), about four seconds' worth on a 2-core machine
   */
  ciCases: number;
}

/** How long and from where to run. */
export interface CampaignOptions {
  seconds: number;
  seed: number;
  /** stop after this many cases even if time is left */
  cases?: number;
  /** where reproducers go (created on the first failure) */
  out: string;
  /** progress lines (default: none) */
  log?: (line: string) => void;
  /**
   * run each case in a worker and stop it after `cpuSeconds` of CPU, a hang
   * (`module` exports the fuzzer, alone or in an array); default: in this thread
   */
  watchdog?: { module: string; cpuSeconds: number };
}

/** What a campaign found. */
export interface CampaignReport {
  name: string;
  cases: number;
  failures: { seed: number; failure: string; file: string }[];
  seconds: number;
}

/** Xorshift32 over `[0, n)`: small, fast and the same on every host. */
export function prng(seed: number): (n: number) => number {
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** The failure text of a host exception: its type and message, first stack lines. */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return `non-Error thrown: ${String(e)}`;
  const stack = (e.stack ?? "").split("\n").slice(1, 4).map((l) => l.trim()).join(" | ");
  return `${e.name}: ${e.message} ${stack}`;
}

/**
 * Whether `e` is an error a hostile input may end in: a one-line
 * {@linkcode EmuError}, or a guest deadlock, whose message lists each
 * thread on a line of its own by design.
 *
 * @example
 * ```ts ignore
 * try { m.next(STEP_BUDGET); } catch (e) { if (!isCleanError(e)) return describeError(e); }
 * ```
 */
export function isCleanError(e: unknown): boolean {
  return e instanceof DeadlockError || (e instanceof EmuError && !e.message.includes("\n"));
}

/** Linux's clock ticks per second in /proc (USER_HZ). */
const USER_HZ = 100;

/**
 * Milliseconds of CPU the calling thread has used (Linux:
 * /proc/thread-self/stat), for telling a hung case from one that waited on a
 * loaded host (a 137 s "slow" snapshot case took 0.3 s of CPU); wall time
 * where /proc is not there. The thread's, not the process's: other work in
 * the process (`deno test --parallel` runs other test files on other
 * threads) must not count against a case.
 *
 * @example
 * ```ts ignore
 * const start = cpuMs();
 * await runOneCase();
 * if (cpuMs() - start > SLOW_MS) console.log("slow");
 * ```
 */
export function cpuMs(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/thread-self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // from field 3, state
    return (Number(fields[11]) + Number(fields[12])) * 1000 / USER_HZ; // utime + stime
  } catch {
    return performance.now();
  }
}

/**
 * Bytes this isolate holds: its JS heap plus the buffers outside it (wasm
 * memories, ArrayBuffers). Unlike the process's resident size, other test
 * modules running in the same process do not count.
 *
 * @example
 * ```ts
 * import { isolateBytes } from "./runner.ts";
 * console.log(isolateBytes() > 0); // true
 * ```
 */
export function isolateBytes(): number {
  const m = Deno.memoryUsage();
  return m.heapTotal + m.external;
}

/**
 * Bytes the isolate gained since `before` (an earlier {@linkcode isolateBytes}):
 * what one case left behind, without the garbage of earlier cases that the
 * collector has not reached yet (under load it can hold gigabytes of dropped
 * wasm memories).
 *
 * @example
 * ```ts
 * import { isolateBytes, isolateGrowth } from "./runner.ts";
 * const before = isolateBytes();
 * const kept = new Uint8Array(1 << 20);
 * console.log(isolateGrowth(before) >= kept.length); // true
 * ```
 */
export function isolateGrowth(before: number): number {
  return isolateBytes() - before;
}

/**
 * Runs `fuzzer` for `opts.seconds` (or `opts.cases` cases).
 *
 * @example
 * ```ts ignore
 * const r = await runCampaign(insnFuzzer, { seconds: 5, seed: 1, out: "selffuzz-out/insn" });
 * console.log(`${r.cases} cases, ${r.failures.length} failures`);
 * ```
 */
export async function runCampaign(
  fuzzer: SelfFuzzer,
  opts: CampaignOptions,
): Promise<CampaignReport> {
  const start = performance.now();
  const deadline = start + opts.seconds * 1000;
  const report: CampaignReport = { name: fuzzer.name, cases: 0, failures: [], seconds: 0 };
  let lastLog = start;
  const dog = opts.watchdog &&
    new CaseWatchdog(opts.watchdog.module, fuzzer.name, opts.watchdog.cpuSeconds);
  while (performance.now() < deadline && report.cases < (opts.cases ?? Infinity)) {
    const seed = opts.seed + report.cases;
    report.cases++;
    const outcome = dog ? await dog.run(seed) : await runHere(fuzzer, seed);
    if (outcome.failure !== null) {
      const file = await saveReproducer(fuzzer, opts.out, report.failures.length, seed, outcome);
      report.failures.push({ seed, failure: outcome.failure, file });
      opts.log?.(`${fuzzer.name}: seed ${seed}: ${outcome.failure.split("\n")[0]} -> ${file}`);
    }
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      opts.log?.(`${fuzzer.name}: ${report.cases} cases, ${report.failures.length} failures`);
    }
  }
  dog?.close();
  report.seconds = (performance.now() - start) / 1000;
  return report;
}

async function runHere(fuzzer: SelfFuzzer, seed: number): Promise<CaseOutcome> {
  try {
    return await fuzzer.runCase(seed);
  } catch (e) {
    const input = new TextEncoder().encode(`${seed}\n`);
    return { input, failure: `runner: ${describeError(e)}`, seedOnly: true };
  }
}

async function saveReproducer(
  fuzzer: SelfFuzzer,
  out: string,
  index: number,
  seed: number,
  outcome: CaseOutcome,
): Promise<string> {
  const dir = join(out, "crashes");
  await Deno.mkdir(dir, { recursive: true });
  const base = join(dir, `id:${String(index).padStart(6, "0")},seed:${seed}`);
  const file = `${base}.${outcome.seedOnly ? "seed" : fuzzer.extension}`;
  await Deno.writeFile(file, outcome.input);
  await Deno.writeTextFile(`${base}.txt`, `${outcome.failure}\n`);
  return file;
}

/** What a fuzzer of mutated files is made of (see {@linkcode mutatedFileFuzzer}). */
export interface MutatedFileSpec {
  name: string;
  ciCases: number;
  extension: string;
  description: string;
  /** the well-formed files to start from (made once per process) */
  seeds(): Promise<Uint8Array[]>;
  /** one mutant of `file` */
  mutate(file: Uint8Array, rnd: Rnd): Uint8Array | Promise<Uint8Array>;
  /** runs `file` as seed `which` would be; null when that went cleanly */
  check(which: number, file: Uint8Array): Promise<string | null>;
}

/**
 * A fuzzer of mutated files (snapshots, replay logs): each case mutates one
 * of the seed files once or twice and checks the result. A reproducer is the
 * seed's number (one byte) followed by the mutant.
 *
 * @example
 * ```ts ignore
 * export const logFuzzer = mutatedFileFuzzer({ name: "log", ciCases: 8, extension: "log",
 *   description: "mutated logs", seeds, mutate, check });
 * ```
 */
export function mutatedFileFuzzer(spec: MutatedFileSpec): SelfFuzzer {
  const { name, ciCases, extension, description } = spec;
  return {
    name,
    ciCases,
    extension,
    description,
    async runCase(seed) {
      const rnd = prng(seed);
      const files = await spec.seeds();
      const which = rnd(files.length);
      let file = files[which];
      for (let n = 1 + rnd(2); n > 0; n--) file = await spec.mutate(file, rnd);
      const input = concatBytes([new Uint8Array([which]), file]);
      return { input, failure: await spec.check(which, file) };
    },
    replay: (input) => spec.check(input[0], input.subarray(1)),
  };
}
