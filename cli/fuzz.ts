/**
 * `emu fuzz`: coverage-guided fuzzing of a Linux program, with AFL++'s flags
 * (`-i -o -V -E -m -x -t -s -M -S -F -f -e -n -C -I...`, see `fuzz_args.ts`) and output directory.
 *
 * ```text
 * emu fuzz -i IN -o OUT [options] -- prog [args...]   (@@ = the input file)
 * ```
 *
 * @module
 */

import { loadDictionary, uniqueTokens } from "../core/fuzz/dictionary.ts";
import { Fuzzer } from "../core/fuzz/fuzzer.ts";
import { isDirectory, OutputDir } from "../core/fuzz/output.ts";
import { campaignSeeds } from "./fuzz_seeds.ts";
import { createUserHarness } from "../core/linux/fuzz_harness.ts";
import { createCmplogHarness } from "../core/linux/fuzz_cmplog.ts";
import { SyncDir } from "../core/fuzz/sync.ts";
import { resolve } from "node:path";
import { expandShortOptions, readOption } from "./options.ts";
import { coverageReport } from "./cov.ts";
import { statusLine, statusScreen, summary } from "./fuzz_status.ts";
import { fuzzEnv, ignoredVariables } from "./fuzz_env.ts";
import {
  type FuzzArgs,
  harnessOptions,
  lengths,
  NAMES,
  parseFuzzArgs,
  USAGE,
  WITH_VALUE,
} from "./fuzz_args.ts";
import { EmuError } from "../core/errors.ts";

/** Instructions each queue entry may run for `--cov` (the whole program runs, not the harness). */
const COV_BUDGET = 1_000_000_000;

/**
 * AFL_AUTORESUME: a campaign whose `-o` already holds this worker's queue
 * resumes it (as `-i -` would) instead of starting from `-i`, as afl-fuzz.
 */
function autoResume(a: FuzzArgs): boolean {
  const node = `${a.output}/${a.name}`;
  const before = isDirectory(`${node}/queue`) || isDirectory(`${node}/_resume`);
  if (Deno.env.get("AFL_AUTORESUME") === undefined || !before) return false;
  console.error(`emu fuzz: AFL_AUTORESUME: resuming the campaign in ${node}`);
  return true;
}

/**
 * The absolute path `@@` names without `-f`, as afl-fuzz 4 makes it: `.cur_input` (with `-e`'s
 * extension) in AFL_TMPDIR if set, else in the worker's directory. Denemu serves it from memory,
 * but a directory afl-fuzz could not create it in is refused in its words.
 */
function curInput(a: FuzzArgs, dir: string): string {
  const where = Deno.env.get("AFL_TMPDIR") ?? dir;
  const name = a.extension === undefined ? ".cur_input" : `.cur_input.${a.extension}`;
  if (!isDirectory(where) || name.includes("/")) {
    throw new EmuError(
      `Unable to create '${where}/${name}'`,
      name.includes("/") ? "give -e an extension without /" : "AFL_TMPDIR must be a directory",
    );
  }
  return `${Deno.realPathSync(where)}/${name}`;
}

/** Runs `emu fuzz`; resolves to the exit status. */
export async function fuzzCommand(argv: string[]): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const a = parseFuzzArgs(argv);
  if (a.jobs > 1) return await parallelWorkers(argv, a);
  for (const what of [...a.ignored, ...ignoredVariables()]) {
    console.error(`emu fuzz: warning: ignoring ${what}`);
  }
  const emuArgv = ["emu", "fuzz", ...argv], commandLine = emuArgv.join(" ");
  const resume = a.input === "-" || autoResume(a);
  const seeds = resume ? [] : campaignSeeds(a.input);
  const out = OutputDir.open(a.output, a.name, {
    resume,
    argv: emuArgv,
    target: [a.program, ...a.args],
    mainNode: a.mainNode,
    crashReadme: fuzzEnv().crashReadme,
    unsynced: a.nonInstrumented,
  });
  const dir = `${a.output}/${a.name}`;
  const harnessOpts = {
    ...harnessOptions(a, a.inputFile === undefined ? curInput(a, dir) : resolve(a.inputFile)),
    inputFile: a.inputFile !== undefined,
    crashExit: fuzzEnv().crashExit,
  };
  const harness = await createUserHarness(harnessOpts);
  const fuzzer = new Fuzzer(harness, {
    seed: a.seed,
    timeout: a.timeout,
    dictionary: uniqueTokens(
      a.dictionaries.flatMap((d) =>
        loadDictionary(d, (w) => console.error(`emu fuzz: warning: -x ${w}`))
      ),
    ),
    out,
    banner: a.banner ?? a.program,
    commandLine,
    log: (line) => console.error(`emu fuzz: ${line}`),
    cmplog: a.cmplog ? await createCmplogHarness(harnessOpts) : undefined,
    lengths: lengths(a),
    nonInstrumented: a.nonInstrumented,
    crashMode: a.crashMode,
    deterministic: a.deterministic,
    onCrash: a.crashCommand === undefined ? undefined : () => runCommand(a.crashCommand!),
  });
  if (a.bitmap !== undefined) fuzzer.virginBits().set(readBitmap(a.bitmap, harness.trace.size));
  await fuzzer.addSeeds(resume ? [...out.resumed].reverse() : seeds);
  if (resume) {
    out.finishResume();
    await fuzzer.knownCrashes(out.saved("crashes"));
  }
  const status = await campaign(fuzzer, out, a, harness.kind, dir);
  if (a.covReport !== undefined) {
    const line = await coverageReport({
      corpus: `${dir}/queue`,
      output: a.covReport,
      program: a.program,
      args: a.args,
      budget: COV_BUDGET,
      plotData: Deno.readTextFileSync(`${dir}/plot_data`),
    });
    console.log(`emu cov: ${line}`);
  }
  return status;
}

/** `-I`: runs `command` with the shell and waits for it, as afl-fuzz's system() does. */
async function runCommand(command: string): Promise<void> {
  try {
    await new Deno.Command("/bin/sh", { args: ["-c", command], stdin: "null" }).output();
  } catch (e) {
    console.error(`emu fuzz: -I ${command}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/**
 * `-B`: the `fuzz_bitmap` of an earlier campaign on the program (its map of bits not yet seen),
 * which afl-fuzz starts from so that what that campaign found is not new.
 */
function readBitmap(path: string, size: number): Uint8Array {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path);
  } catch {
    throw new EmuError(`Unable to open '${path}'`);
  }
  // its first `size` bytes, as afl-fuzz reads it (a device or a huge file is not read whole)
  const bytes = new Uint8Array(size);
  let got = 0;
  try {
    for (let n: number | null = 0; got < size && n !== null; got += n ?? 0) {
      n = file.readSync(bytes.subarray(got));
    }
  } catch {
    got = -1; // a directory
  } finally {
    file.close();
  }
  if (got < size) {
    throw new EmuError(`Short read from ${path}`, `a fuzz_bitmap of this map is ${size} bytes`);
  }
  return bytes;
}

/** `argv` without the options named in `drop` (and their values). */
function withoutOptions(given: string[], drop: Set<string>): string[] {
  const argv = expandShortOptions(given, NAMES, WITH_VALUE), out: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i] !== "--" && argv[i].startsWith("-")) {
    const o = readOption(argv, i, WITH_VALUE, "fuzz");
    if (!drop.has(o.name)) out.push(...argv.slice(i, o.next));
    i = o.next;
  }
  return [...out, ...argv.slice(i)];
}

/**
 * `-j N`: N worker processes in one sync directory, the first `-M NAME`
 * (it shows the status and writes the `--cov` report), the others `-S
 * NAME2...` with seeds `-s`+k.
 */
async function parallelWorkers(argv: string[], a: FuzzArgs): Promise<number> {
  const rest = withoutOptions(argv, new Set(["j", "M", "S", "s"]));
  // only the main worker writes the --cov report and reads the -F directories
  const secondary = withoutOptions(rest, new Set(["cov", "F"]));
  const mod = new URL("../mod.ts", import.meta.url).pathname;
  const workers = Array.from({ length: a.jobs }, (_, k) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        ...[
          "run",
          "-A",
          mod,
          "fuzz",
          k === 0 ? "-M" : "-S",
          k === 0 ? a.name : `${a.name}${k + 1}`,
        ],
        ...["-s", String(a.seed + k), ...(k === 0 ? rest : secondary)],
      ],
      stdout: k === 0 ? "inherit" : "null",
      stderr: "inherit",
    }).spawn());
  const stop = () => workers.forEach((w) => w.kill("SIGINT"));
  Deno.addSignalListener("SIGINT", stop);
  try {
    const codes = await Promise.all(workers.map(async (w) => (await w.status).code));
    return Math.max(...codes);
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
  }
}

/** Milliseconds between `fuzzer_stats`/`plot_data` updates, status lines, screens, syncs. */
const STATS_EVERY_MS = 2000, LINE_EVERY_MS = 5000, SCREEN_EVERY_MS = 250, SYNC_EVERY_MS = 5000;

async function campaign(
  fuzzer: Fuzzer,
  out: OutputDir,
  a: FuzzArgs,
  harnessKind: string,
  dir: string,
): Promise<number> {
  const env = fuzzEnv();
  const tty = Deno.stdout.isTerminal() && !env.noUi;
  const idle = (env.exitOnTime ?? Infinity) * 1000;
  const stop = () => fuzzer.stopRequested = true;
  Deno.addSignalListener("SIGINT", stop);
  const deadline = a.seconds === null ? Infinity : fuzzer.startTime + a.seconds * 1000;
  let lastStats = 0, lastLine = Date.now(), lastScreen = 0, lastExecs = 0, lastRate = Date.now();
  let rate = 0, lastSync = 0;
  const sync = new SyncDir(a.output, a.name, a.foreign);
  const syncNow = async () => {
    lastSync = Date.now();
    if (!a.nonInstrumented) await fuzzer.importInputs(sync.collect(a.mainNode));
  };
  const write = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s));
  const report = (final: boolean) => {
    const now = Date.now();
    if (now - lastRate >= 1000 || final) {
      const lifetime = fuzzer.execs / Math.max(0.001, (now - fuzzer.startTime) / 1000);
      rate = final ? lifetime : (fuzzer.execs - lastExecs) * 1000 / (now - lastRate);
      lastExecs = fuzzer.execs;
      lastRate = now;
    }
    const s = fuzzer.stats(rate);
    if (final || now - lastStats >= STATS_EVERY_MS) {
      lastStats = now;
      // afl-fuzz -n writes neither: it has no coverage, and no fuzzer name to sync by
      if (!a.nonInstrumented) {
        out.writeStats(s);
        out.writeBitmap(fuzzer.virginBits());
      }
      out.plot(s);
    }
    if (tty && (final || now - lastScreen >= SCREEN_EVERY_MS)) {
      lastScreen = now;
      write(`\x1b[H${statusScreen(s, harnessKind)}\x1b[J`);
    } else if (!tty && now - lastLine >= LINE_EVERY_MS) {
      lastLine = now;
      console.log(statusLine(s));
    }
    return s;
  };
  if (tty) write("\x1b[2J");
  try {
    report(true);
    await syncNow();
    const done = () =>
      Date.now() >= deadline || (a.execs !== null && fuzzer.execs >= a.execs) ||
      (env.untilCrash && fuzzer.savedCrashes > 0) || (env.whenDone && fuzzer.exhausted) ||
      // AFL_EXIT_ON_TIME counts from the last find, and only once there is one (as afl-fuzz)
      (fuzzer.lastFindTime > 0 && Date.now() - fuzzer.lastFindTime >= idle);
    await fuzzer.run(done, async () => {
      report(false);
      if (Date.now() - lastSync >= SYNC_EVERY_MS) await syncNow();
      // let Ctrl-C and timers in
      await new Promise((r) => setTimeout(r, 0));
    });
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
  }
  const s = report(true);
  console.log(`${tty ? "\n" : ""}${summary(s, dir)}`);
  return 0;
}
