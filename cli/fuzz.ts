/**
 * `emu fuzz`: coverage-guided fuzzing of a Linux program, with AFL++'s flags
 * (`-i -o -V -E -m -x -t -s -M -S -f -e`) and output directory.
 *
 * ```text
 * emu fuzz -i IN -o OUT [options] -- prog [args...]   (@@ = the input file)
 * ```
 *
 * @module
 */

import { type Accel, parseAccel } from "../core/accel.ts";
import { EmuError } from "../core/errors.ts";
import { checkMapSize, DEFAULT_MAP_SIZE } from "../core/fuzz/coverage.ts";
import { loadDictionary, uniqueTokens } from "../core/fuzz/dictionary.ts";
import { Fuzzer } from "../core/fuzz/fuzzer.ts";
import { isDirectory, OutputDir } from "../core/fuzz/output.ts";
import { campaignSeeds } from "./fuzz_seeds.ts";
import { MAX_FILE } from "../core/fuzz/mutate.ts";
import { createUserHarness, type UserHarnessOptions } from "../core/linux/fuzz_harness.ts";
import { createCmplogHarness } from "../core/linux/fuzz_cmplog.ts";
import { MAX_MEMORY_LIMIT } from "../core/linux/mm.ts";
import { SyncDir } from "../core/fuzz/sync.ts";
import { resolve } from "node:path";
import {
  applyOption,
  expandShortOptions,
  type OptionSetters,
  readOption,
  valueOptions,
} from "./options.ts";
import { coverageReport } from "./cov.ts";
import { statusLine, statusScreen, summary } from "./fuzz_status.ts";
import { fuzzEnv, ignoredVariables } from "./fuzz_env.ts";

const USAGE = `usage: emu fuzz -i IN -o OUT [options] -- prog [args...]

  -i dir          seed inputs (- resumes the campaign in -o)
  -o dir          output directory (AFL++'s layout: OUT/NAME/queue, crashes, hangs...)
  -V seconds      stop after this long (default: until Ctrl-C)
  -E execs        stop after about this many executions
  -m MB|none      most memory the guest may map (suffix K, M, G; default 2G, at most 3G)
  -x file|dir     dictionary in AFL's format (repeatable)
  -f file         the file the program reads its input from, named in its arguments
                  (served from memory; as with afl-fuzz, @@ is then passed as is)
  -e ext          the input file's extension without -f (OUT/NAME/.cur_input.ext; the
                  directory is AFL_TMPDIR if set)
  -t insns[+]     timeout in guest instructions (default: from the seeds' runs);
                  seeds that time out are skipped, with or without AFL++'s +
  -s seed         random seed (default 0): one worker with -s is reproducible
  -c 0            comparison feedback (cmplog) from the program itself (AFL++'s -c 0)
  -M name|-S name this worker's name in OUT (default "default"); -M makes it AFL++'s main node
  -j N            run N workers on this machine (-M NAME, -S NAME2...; they sync through OUT)
  -T text         the banner (fuzzer_stats' afl_banner; default: the program as given)
  -g N, -G N      inputs run are padded with zeros to N bytes (-g), cut to N bytes (-G)
  -Q, -d, -Z      accepted (Denemu is binary-only, has no deterministic stage, walks its queue)
  -D, -p S, -b N, -l O   accepted with a warning that they change nothing here
  --map-size N    coverage map bytes (power of two; default AFL_MAP_SIZE, else 65536)
  --entry SYM|ADDR  in-memory harness: the function called with (data, size)
  --persistent-addr ADDR [--persistent-ret ADDR]   AFL_QEMU_PERSISTENT_ADDR/RET
  --whole-program run the whole program per input even if it defines LLVMFuzzerTestOneInput
  --cov dir       at the end, write the source coverage of the queue there (as emu cov)
  -L path, -E VAR=val, --root dir, -accel jit|interp   as for emu user (-E NUMBER is
                  the execution count: no variable's name is a number)

@@ in the program's arguments is the input file (served from memory); without
@@ the input is the program's stdin.`;

/** The options that say how the harness runs the program (`emu showmap` takes them too). */
export const HARNESS_SETTERS: OptionSetters<HarnessArgs> = {
  m: (a, v) => a.maxMemory = memoryLimit(v),
  "map-size": (a, v) => a.mapSize = checkMapSize(number("map-size", v)),
  entry: (a, v) => a.entry = v,
  "persistent-addr": (a, v) => a.persistentAddr = address("persistent-addr", v),
  "persistent-ret": (a, v) => a.persistentRet = address("persistent-ret", v),
  "whole-program": (a) => a.wholeProgram = true,
  L: (a, v) => a.sysroot = v,
  root: (a, v) => a.root = v,
  accel: (a, v) => a.accel = parseAccel(v),
};

/** What each option sets; the options that take a value are those with two parameters. */
const SETTERS: OptionSetters<FuzzArgs> = {
  ...HARNESS_SETTERS,
  i: (a, v) => a.input = once("i", a.input, v),
  o: (a, v) => a.output = once("o", a.output, v),
  V: (a, v) => a.seconds = number("V", v),
  x: (a, v) => a.dictionaries.push(v),
  // AFL++'s N+ (skip the seeds that time out) is what Denemu always does
  t: (a, v) => a.timeout = number("t", v.endsWith("+") ? v.slice(0, -1) : v),
  s: (a, v) => a.seed = number("s", v),
  c: (a, v) => a.cmplog = cmplogFlag(v),
  M: (a, v) => {
    a.name = syncId(a.name, v);
    a.mainNode = true;
  },
  S: (a, v) => a.name = syncId(a.name, v),
  cov: (a, v) => a.covReport = v,
  E: (a, v) => {
    if (/^\d+$/.test(v)) a.execs = Number(v);
    else if (/^[^=]+=/.test(v)) a.env.push(v);
    else throw new EmuError(`-E ${v}: bad syntax`, "give a number of executions, or VAR=value");
  },
  j: (a, v) => a.jobs = Math.max(1, Math.floor(number("j", v))),
  f: (a, v) => a.inputFile = v,
  e: (a, v) => a.extension = once("e", a.extension, v),
  g: (a, v) => a.minLength = number("g", v),
  G: (a, v) => a.maxLength = number("G", v),
  T: (a, v) => a.banner = once("T", a.banner, v),
  // afl-fuzz's flags that change nothing here: -Q (Denemu is always binary-only, as QEMU mode),
  // -d (AFL++ 4 skips the deterministic stage by default), -Z (the queue is walked in order)
  Q: () => {},
  d: () => {},
  Z: () => {},
  // and those accepted so that afl-fuzz's command lines run, with a warning that they do nothing
  p: (a, v) =>
    a.ignored.push(`-p ${powerSchedule(v)} (Denemu has one schedule: favoured entries first)`),
  D: (a) => a.ignored.push("-D (Denemu has no deterministic stage)"),
  b: (a, v) => a.ignored.push(`-b ${number("b", v)} (Denemu does not bind to a CPU)`),
  l: (a, v) => a.ignored.push(`-l ${cmplogOptions(v)} (-c 0 has one level)`),
};
const WITH_VALUE = valueOptions(SETTERS);
const NAMES = new Set(Object.keys(SETTERS));

/** Instructions each queue entry may run for `--cov` (the whole program runs, not the harness). */
const COV_BUDGET = 1_000_000_000;

/** How the harness runs the program (shared by `emu fuzz` and `emu showmap`). */
export interface HarnessArgs {
  /** `-m`: the guest's memory ceiling in bytes (AFL++'s memory limit; none: the default) */
  maxMemory?: bigint;
  mapSize: number;
  entry?: string;
  persistentAddr?: bigint;
  persistentRet?: bigint;
  wholeProgram: boolean;
  sysroot?: string;
  env: string[];
  root?: string;
  accel: Accel;
  program: string;
  args: string[];
}

/** Parsed `emu fuzz` arguments. */
export interface FuzzArgs extends HarnessArgs {
  input: string;
  output: string;
  seconds: number | null;
  /** `-E N`: stop after about N executions (AFL++'s -E) */
  execs: number | null;
  dictionaries: string[];
  timeout?: number;
  seed: number;
  cmplog: boolean;
  name: string;
  /** `-M`: AFL++'s main node, which `-S` instances sync from */
  mainNode: boolean;
  /** `-j`: workers on this machine */
  jobs: number;
  /** `--cov DIR`: write `emu cov`'s report of the queue there at the end */
  covReport?: string;
  /** `-g`/`-G`: the shortest and longest input run (AFL++'s min and max length) */
  minLength?: number;
  maxLength?: number;
  /** `-f`: the file the program reads its input from (`@@` is then left as is, as afl-fuzz) */
  inputFile?: string;
  /** `-e`: the extension of `.cur_input`, the file `@@` names without `-f` */
  extension?: string;
  /** `-T`: `afl_banner` in fuzzer_stats (default: the program as given) */
  banner?: string;
  /** afl-fuzz flags accepted that do nothing here, each with why */
  ignored: string[];
}

/** The harness options of `a`, the `@@` file at `inputPath` in the guest. */
export function harnessOptions(a: HarnessArgs, inputPath: string): UserHarnessOptions {
  return {
    program: a.program,
    args: a.args,
    inputPath,
    mapSize: a.mapSize,
    accel: a.accel,
    entry: a.entry,
    persistentAddr: a.persistentAddr,
    persistentRet: a.persistentRet,
    wholeProgram: a.wholeProgram,
    env: a.env,
    sysroot: a.sysroot,
    root: a.root,
    maxMemory: a.maxMemory,
  };
}

/** The map size unless `--map-size` says: AFL_MAP_SIZE (as AFL++'s tools read it), else 64 KiB. */
export function mapSizeFromEnv(): number {
  const env = Deno.env.get("AFL_MAP_SIZE");
  if (env === undefined) return DEFAULT_MAP_SIZE;
  try {
    return checkMapSize(Number(env));
  } catch (e) {
    throw new EmuError(`AFL_MAP_SIZE=${env}: ${(e as Error).message}`);
  }
}

/** `v` for an option afl-fuzz takes once (it refuses a second -i, -o, -T). */
function once(name: string, current: string | undefined, v: string): string {
  if (current !== undefined) throw new EmuError(`multiple -${name} options`, `pass -${name} once`);
  return v;
}

/**
 * A `-M`/`-S` name as afl-fuzz takes it: once, letters, digits, `_` and `-`,
 * at most 24 of them (it names a directory in `-o`: `-S ../x` wrote outside).
 */
function syncId(current: string | undefined, v: string): string {
  if (current !== undefined) throw new EmuError("multiple -S or -M options", "pass one");
  if (!/^[A-Za-z0-9_-]{1,24}$/.test(v)) {
    throw new EmuError(`-S/-M ${v}: not a fuzzer name`, "use up to 24 letters, digits, _ and -");
  }
  return v;
}

function number(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new EmuError(`-${name} ${v}: not a number`);
  return n;
}

/**
 * AFL++'s `-m`: megabytes, or with a K, M, G or T suffix; `none` is no
 * limit (the guest's usual ceiling). A guest never maps more than 3G.
 */
export function memoryLimit(v: string): bigint | undefined {
  if (v === "none") return undefined;
  const m = /^(\d+)([kmgt]?)$/i.exec(v);
  if (!m) throw new EmuError(`-m ${v}: not a memory limit`, "give megabytes (64, 2G) or none");
  const shift = { k: 10n, m: 20n, g: 30n, t: 40n }[(m[2] || "m").toLowerCase()]!;
  const bytes = BigInt(m[1]) << shift;
  return bytes > MAX_MEMORY_LIMIT ? MAX_MEMORY_LIMIT : bytes;
}

function cmplogFlag(v: string): boolean {
  if (v === "0" || v === "-") return true;
  throw new EmuError(
    `-c ${v}: Denemu logs comparisons of the fuzzed program itself`,
    "pass -c 0 (no separate cmplog build is needed)",
  );
}

/** AFL++'s power schedules (`-p`); another name is refused, as afl-fuzz refuses it. */
const POWER_SCHEDULES = [
  "fast",
  "explore",
  "exploit",
  "seek",
  "rare",
  "mmopt",
  "coe",
  "lin",
  "quad",
];

function powerSchedule(v: string): string {
  if (POWER_SCHEDULES.includes(v)) return v;
  throw new EmuError(
    `-p ${v}: unknown power schedule`,
    `AFL++'s are ${POWER_SCHEDULES.join(", ")}`,
  );
}

/** AFL++'s `-l`: a level 1-3 and A (arithmetic), T (transformations), X (extreme), R (random). */
function cmplogOptions(v: string): string {
  if (/^[123ATXR]+$/i.test(v)) return v;
  throw new EmuError(`-l ${v}: unknown cmplog option`, "AFL++'s are 1, 2, 3, A, T, X, R");
}

/** `-g`/`-G` as the engine takes them (afl-fuzz does not refuse a -g over -G either). */
function lengths(a: FuzzArgs): { min: number; max: number } | undefined {
  if (a.minLength === undefined && a.maxLength === undefined) return undefined;
  return { min: a.minLength ?? 0, max: Math.min(a.maxLength ?? MAX_FILE, MAX_FILE) };
}

function address(name: string, v: string): bigint {
  try {
    return BigInt(v);
  } catch {
    throw new EmuError(`--${name} ${v}: not an address (use 0x...)`);
  }
}

/**
 * Reads `emu fuzz` arguments.
 *
 * @example
 * ```ts
 * import { parseFuzzArgs } from "./fuzz.ts";
 * const a = parseFuzzArgs(["-i", "in", "-o", "out", "--", "prog", "@@"]);
 * console.log(a.program, a.args); // "prog [ "@@" ]"
 * ```
 */
export function parseFuzzArgs(given: string[]): FuzzArgs {
  const argv = expandShortOptions(given, NAMES, WITH_VALUE);
  const a: Partial<FuzzArgs> & { dictionaries: string[]; env: string[] } = {
    dictionaries: [],
    env: [],
    ignored: [],
    seed: 0,
    mapSize: mapSizeFromEnv(),
    wholeProgram: false,
    cmplog: false,
    mainNode: false,
    jobs: 1,
    accel: "jit",
    seconds: null,
    execs: null,
  };
  let i = 0;
  while (i < argv.length && argv[i] !== "--" && argv[i].startsWith("-")) {
    i = applyOption(argv, i, SETTERS, WITH_VALUE, "fuzz", a as FuzzArgs);
  }
  if (argv[i] === "--") i++;
  // afl-fuzz's AFL_INPUT_LEN_MIN/MAX give -g/-G's defaults
  const env = fuzzEnv();
  a.minLength ??= env.minLength;
  a.maxLength ??= env.maxLength;
  if (!a.input) throw new EmuError("no input directory", "pass -i DIR (or -i - to resume)");
  if (!a.output) throw new EmuError("no output directory", "pass -o DIR");
  if (i >= argv.length) throw new EmuError("no program to fuzz", "end with -- prog [args...]");
  return { ...a, name: a.name ?? "default", program: argv[i], args: argv.slice(i + 1) } as FuzzArgs;
}

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
  });
  const dir = `${a.output}/${a.name}`;
  const harnessOpts = a.inputFile === undefined
    ? harnessOptions(a, curInput(a, dir))
    : { ...harnessOptions(a, resolve(a.inputFile)), inputFile: true };
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
  });
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
  // only the main worker writes the --cov report
  const secondary = withoutOptions(rest, new Set(["cov"]));
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
  const sync = new SyncDir(a.output, a.name);
  const syncNow = async () => {
    lastSync = Date.now();
    await fuzzer.importInputs(sync.collect(a.mainNode));
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
      out.writeStats(s);
      out.writeBitmap(fuzzer.virginBits());
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
