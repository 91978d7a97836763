/**
 * The fuzzing section of `deno task bench`: execs/s of the in-memory and the
 * whole-program `@@` harnesses, where the time goes (guest runs vs the
 * fuzzer's JS), and the time to each planted bug of `tests/fuzz` with and
 * without comparison feedback, beside afl-fuzz on native afl-clang-fast
 * builds (persistent through AFL++'s libAFLDriver, with and without cmplog),
 * one configuration at a time, from one uninteresting seed.
 *
 * `deno run -A scripts/bench_fuzz.ts [--quick] [TARGET...]` (targets: only
 * the time to their bugs).
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { Fuzzer } from "../core/fuzz/fuzzer.ts";
import { OutputDir } from "../core/fuzz/output.ts";
import type { FuzzTarget } from "../core/fuzz/target.ts";
import { createCmplogHarness } from "../core/linux/fuzz_cmplog.ts";
import { createUserHarness, type UserHarnessOptions } from "../core/linux/fuzz_harness.ts";
import { FUZZ_TARGETS } from "./build_fuzz_targets.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const SEED = new TextEncoder().encode("AAAAAAAA");

/** Where the bench prints and stores its figures. */
export interface BenchOutput {
  row(name: string, value: string): void;
  results: Record<string, unknown>;
}

function options(name: string, wholeProgram = false): UserHarnessOptions {
  return {
    program: `${ROOT}tests/fuzz/bin/${name}`,
    args: ["@@"],
    inputPath: "/.denemu/cur_input",
    wholeProgram,
    timeRestores: true,
  };
}

/** Wraps a harness to measure the wall time spent in its runs (restore + guest). */
function timed(
  t: FuzzTarget & { restoreMs: number },
): FuzzTarget & { ms: number; restoreMs: number } {
  const w = {
    ms: 0,
    get restoreMs() {
      return t.restoreMs;
    },
    get autoTokens() {
      return t.autoTokens;
    },
    trace: t.trace,
    get readsInput() {
      return t.readsInput;
    },
    async run(input: Uint8Array, budget: number) {
      const t0 = performance.now();
      const r = await t.run(input, budget);
      w.ms += performance.now() - t0;
      return r;
    },
  };
  return w;
}

/**
 * A campaign of at most `seconds` on target `name`; the time to its first
 * crash. `speed` campaigns run the whole time (finding the bug does not end them).
 */
async function denemuCampaign(
  name: string,
  cmplog: boolean,
  seconds: number,
  opts: { whole?: boolean; speed?: boolean } = {},
) {
  const whole = opts.whole ?? false;
  const out = await Deno.makeTempDir();
  const dir = OutputDir.open(out, "default", { resume: false, argv: ["bench"], target: [] });
  const target = timed(await createUserHarness(options(name, whole)));
  const f = new Fuzzer(target, {
    seed: 1,
    dictionary: [],
    out: dir,
    banner: name,
    commandLine: "bench",
    log: () => {},
    cmplog: cmplog ? await createCmplogHarness(options(name, whole)) : undefined,
  });
  const t0 = performance.now(), c0 = cpuUsage();
  await f.addSeeds([{ name: "seed", data: SEED }]);
  const deadline = t0 + seconds * 1000;
  const found = () => !opts.speed && f.savedCrashes > 0;
  await f.run(() => found() || performance.now() > deadline, () => {});
  const wall = (performance.now() - t0) / 1000, c1 = cpuUsage(c0);
  await Deno.remove(out, { recursive: true });
  return {
    found: f.savedCrashes > 0 ? wall : null,
    execsPerSec: f.execs / wall,
    /** execs per second of this process's CPU time (other load on the machine skews it less) */
    execsPerCpuSec: f.execs / ((c1.user + c1.system) / 1e6),
    guestShare: (target.ms - target.restoreMs) / 1000 / wall,
    restoreShare: target.restoreMs / 1000 / wall,
  };
}

async function tool(name: string): Promise<boolean> {
  const r = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
    .output();
  return r.success;
}

/** Native afl-clang-fast build of a target (persistent, AFL++'s libFuzzer driver). */
async function aflBuild(name: string, dir: string, cmplog: boolean): Promise<string> {
  const out = `${dir}/${name}${cmplog ? ".cmplog" : ""}`;
  const r = await new Deno.Command("afl-clang-fast", {
    args: ["-O1", "-DNO_MAIN", "-fsanitize=fuzzer", "-o", out, `${ROOT}tests/fuzz/src/${name}.c`],
    env: cmplog ? { AFL_LLVM_CMPLOG: "1", AFL_QUIET: "1" } : { AFL_QUIET: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
  return out;
}

/** afl-fuzz until the first crash or `seconds`; time to the crash and execs/s. */
async function aflCampaign(name: string, cmplog: boolean, seconds: number) {
  const dir = await Deno.makeTempDir();
  const bin = await aflBuild(name, dir, false);
  const cmplogArgs = cmplog ? ["-c", await aflBuild(name, dir, true)] : [];
  await Deno.mkdir(`${dir}/in`);
  await Deno.writeFile(`${dir}/in/seed`, SEED);
  const t0 = performance.now();
  await new Deno.Command("afl-fuzz", {
    args: [
      "-i",
      `${dir}/in`,
      "-o",
      `${dir}/out`,
      "-V",
      String(seconds),
      "-s",
      "1",
      ...cmplogArgs,
      "--",
      bin,
    ],
    env: {
      AFL_NO_UI: "1",
      AFL_SKIP_CPUFREQ: "1",
      AFL_BENCH_UNTIL_CRASH: "1",
      AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: "1",
      AFL_NO_AFFINITY: "1",
    },
    stdout: "null",
    stderr: "null",
  }).output();
  const wall = (performance.now() - t0) / 1000;
  const stats = Deno.readTextFileSync(`${dir}/out/default/fuzzer_stats`);
  const field = (k: string) => Number(new RegExp(`^${k}\\s*:\\s*([\\d.]+)`, "m").exec(stats)?.[1]);
  await Deno.remove(dir, { recursive: true });
  return { found: field("saved_crashes") > 0 ? wall : null, execsPerSec: field("execs_per_sec") };
}

/** Where a campaign's wall time went. */
function shares(c: { restoreShare: number; guestShare: number }): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  return `${pct(c.restoreShare)} / ${pct(c.guestShare)} / ${
    pct(1 - c.restoreShare - c.guestShare)
  }`;
}

const secs = (v: number | null) => v === null ? "not found" : `${v.toFixed(2)} s`;

/** The execs/s of the in-memory and whole-program harnesses, and where their time goes. */
export async function benchSpeed(
  out: BenchOutput,
  quick: boolean,
): Promise<Record<string, unknown>> {
  const speed = await denemuCampaign("magic32", false, quick ? 3 : 10, { speed: true });
  out.row(
    "fuzz: in-memory harness (magic32)",
    `${speed.execsPerSec.toFixed(0)} execs/s, ${speed.execsPerCpuSec.toFixed(0)} per CPU second`,
  );
  out.row("  restore / guest / fuzzer JS", shares(speed));
  const whole = await denemuCampaign("magic32", false, quick ? 3 : 10, {
    whole: true,
    speed: true,
  });
  out.row(
    "fuzz: whole-program @@ harness (magic32)",
    `${whole.execsPerSec.toFixed(0)} execs/s, ${whole.execsPerCpuSec.toFixed(0)} per CPU second`,
  );
  out.row("  restore / guest / fuzzer JS", shares(whole));
  return { inMemory: speed, wholeProgram: whole };
}

/**
 * Runs the fuzzing benchmarks; `quick` shortens every limit. With `targets`,
 * only the time to their bugs (no execs/s runs).
 */
export async function benchFuzz(
  out: BenchOutput,
  quick: boolean,
  targets?: string[],
): Promise<void> {
  const limit = quick ? 10 : 120;
  const fuzz = targets ? {} : await benchSpeed(out, quick);
  const afl = await tool("afl-clang-fast") && await tool("afl-fuzz");
  if (!afl) out.row("afl-fuzz", "skipped: afl++ (afl-clang-fast, afl-fuzz) not installed");
  for (const name of targets ?? FUZZ_TARGETS) {
    for (const cmplog of [false, true]) {
      const tag = `${name}${cmplog ? " cmplog" : ""}`;
      const d = await denemuCampaign(name, cmplog, limit);
      out.row(
        `fuzz: time to bug ${tag} (denemu)`,
        `${secs(d.found)}  (${d.execsPerSec.toFixed(0)} execs/s)`,
      );
      fuzz[`denemu ${tag}`] = d;
      if (!afl) continue;
      const a = await aflCampaign(name, cmplog, limit);
      out.row(
        `fuzz: time to bug ${tag} (afl-fuzz)`,
        `${secs(a.found)}  (${a.execsPerSec.toFixed(0)} execs/s)`,
      );
      fuzz[`afl ${tag}`] = a;
    }
  }
  out.results.fuzz = fuzz;
}

if (import.meta.main) {
  const results: Record<string, unknown> = {};
  const only = Deno.args.filter((a) => !a.startsWith("--"));
  await benchFuzz(
    {
      row: (n, v) => console.log(`${n.padEnd(52)} ${v}`),
      results,
    },
    Deno.args.includes("--quick"),
    only.length ? only : undefined,
  );
}
