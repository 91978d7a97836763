/**
 * `emu fuzz`'s command line: afl-fuzz's options (getopt forms included), what each sets, and the
 * errors afl-fuzz gives for those that cannot apply here.
 *
 * @module
 */

import { parseAccel } from "../core/accel.ts";
import type { Accel } from "../core/accel.ts";
import { EmuError } from "../core/errors.ts";
import { checkMapSize, DEFAULT_MAP_SIZE } from "../core/fuzz/coverage.ts";
import { MAX_FILE } from "../core/fuzz/mutate.ts";
import { isDirectory } from "../core/fuzz/output.ts";
import type { UserHarnessOptions } from "../core/linux/fuzz_harness.ts";
import { MAX_MEMORY_LIMIT } from "../core/linux/mm.ts";
import { applyOption, expandShortOptions, type OptionSetters, valueOptions } from "./options.ts";
import { fuzzEnv } from "./fuzz_env.ts";

export const USAGE = `usage: emu fuzz -i IN -o OUT [options] -- prog [args...]

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
  -n              no coverage feedback (afl-fuzz's non-instrumented mode): the queue is the
                  seeds, every crash and hang is kept, the results are in OUT itself
  -C              crash exploration: the seeds must crash; crashing inputs with new coverage
                  join the queue (the crashes are in crashes/ as ever)
  -I command      run this shell command after each new crash is saved
  -F dir          (after -M) also import the files of this foreign fuzzer's directory
  -B fuzz_bitmap  start from an earlier campaign's map: what it covered is not new
  -D              afl-fuzz's deterministic stage (bit and byte flips, arithmetic,
                  interesting values) once on each queue entry before havoc
  -Q, -O, -U, -N, -d, -Z   accepted (Denemu is binary-only, reads no input file, skips the
                  deterministic stage unless -D, walks its queue)
  -p S, -b N, -l O, -L N   accepted with a warning that they change nothing here
                  (-L DIR is the sysroot, as below)
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
    if (a.nonInstrumented) throw afl("-M is not supported in non-instrumented mode");
    a.name = syncId(a.name, mainNodeName(v));
    a.mainNode = true;
  },
  S: (a, v) => {
    if (a.nonInstrumented) throw afl("-S is not supported in non-instrumented mode");
    a.name = syncId(a.name, v);
  },
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
  n: (a) => {
    if (a.name !== undefined) throw afl("Non instrumented mode is not supported with -M / -S");
    a.nonInstrumented = flag("n", a.nonInstrumented);
  },
  C: (a) => a.crashMode = flag("C", a.crashMode),
  // Denemu serves the input from memory: there is no file to unlink or keep
  N: (a) => a.noUnlink = flag("N", a.noUnlink),
  I: (a, v) => a.crashCommand = v,
  F: (a, v) => a.foreign.push(foreignDir(a, v)),
  B: (a, v) => a.bitmap = once("B", a.bitmap, v),
  // afl-fuzz's flags that change nothing here: -Q, -O, -U (Denemu is always binary-only, as QEMU,
  // FRIDA and Unicorn modes), -d (AFL++ 4 skips the deterministic stage by default), -Z (the
  // queue is walked in order)
  Q: (a) => a.binaryOnly.push("Q"),
  O: (a) => a.binaryOnly.push("O"),
  U: (a) => a.binaryOnly.push("U"),
  d: () => {},
  Z: () => {},
  // the modes that cannot apply, refused in afl-fuzz 4.04c's words on a machine without them
  A: () => {
    throw afl("-A option is not supported on this platform", "CoreSight traces a real ARM CPU");
  },
  W: () => {
    throw afl(
      "Program 'afl-qemu-trace' not found or not executable",
      "Wine mode runs Windows programs; Denemu runs Linux ones",
    );
  },
  X: () => nyx(),
  Y: () => nyx(),
  R: () => {
    throw afl(
      "Radamsa is now a custom mutator, please use that (custom_mutators/radamsa/).",
    );
  },
  // -L is emu user's sysroot and afl-fuzz's MOpt minutes: a directory is the one, a number the other
  L: (a, v) => {
    if (isDirectory(v)) a.sysroot = v;
    else a.ignored.push(`-L ${moptMinutes(v)} (Denemu has no MOpt mode)`);
  },
  // and those accepted so that afl-fuzz's command lines run, with a warning that they do nothing
  p: (a, v) =>
    a.ignored.push(`-p ${powerSchedule(v)} (Denemu has one schedule: favoured entries first)`),
  D: (a) => a.deterministic = true,
  b: (a, v) => a.ignored.push(`-b ${number("b", v)} (Denemu does not bind to a CPU)`),
  l: (a, v) => a.ignored.push(`-l ${cmplogOptions(v)} (-c 0 has one level)`),
};
export const WITH_VALUE = valueOptions(SETTERS);
export const NAMES = new Set(Object.keys(SETTERS));

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
  /** `-n`: no coverage feedback: the queue holds the seeds, every crash and hang is kept */
  nonInstrumented?: boolean;
  /** `-C`: crash exploration: the seeds crash, and crashes with new coverage join the queue */
  crashMode?: boolean;
  /** `-D`: afl-fuzz's deterministic stage on each queue entry */
  deterministic?: boolean;
  /** `-N` (Denemu writes no input file to unlink) */
  noUnlink?: boolean;
  /** `-I`: a shell command run after each new crash is saved */
  crashCommand?: string;
  /** `-F`: foreign queue directories the main node (`-M`) imports inputs from */
  foreign: string[];
  /** `-B`: a `fuzz_bitmap` of an earlier campaign: its coverage is not new */
  bitmap?: string;
  /** `-Q`, `-O`, `-U` as given (binary-only modes, which Denemu always is) */
  binaryOnly: string[];
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

/**
 * `-M NAME:I/N` (main node I of N, which share the deterministic stage in afl-fuzz; Denemu has
 * none) as afl-fuzz checks it: NAME is the fuzzer's name.
 */
function mainNodeName(v: string): string {
  const colon = v.indexOf(":");
  if (colon < 0) return v;
  const m = /^(\d+)\/(\d+)/.exec(v.slice(colon + 1));
  const [id, max] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!id || !max || id > max || max > 1_000_000) throw afl("Bogus main node ID passed to -M");
  return v.slice(0, colon);
}

/** An error in afl-fuzz's words (it exits with status 1, as Denemu does for an EmuError). */
function afl(message: string, hint?: string): EmuError {
  return new EmuError(message, hint);
}

/** A flag afl-fuzz takes once (a second `-C`, `-n`, `-N` is refused). */
function flag(name: string, current: boolean | undefined): true {
  if (current) throw afl(`Multiple -${name} options not supported`);
  return true;
}

function nyx(): never {
  throw afl("Library 'libnyx.so' not found", "Nyx mode fuzzes a VM snapshot under KVM");
}

/** afl-fuzz's most `-F` directories (FOREIGN_SYNCS_MAX). */
const FOREIGN_SYNCS_MAX = 32;

/** A `-F` directory, without trailing slashes; afl-fuzz takes one only after `-M`. */
function foreignDir(a: Partial<FuzzArgs>, v: string): string {
  if (!a.mainNode) {
    throw afl(
      "Option -F can only be specified after the -M option for the main fuzzer of a fuzzing campaign",
    );
  }
  if (a.foreign!.length >= FOREIGN_SYNCS_MAX) {
    throw afl(`Maximum ${FOREIGN_SYNCS_MAX} entried of -F option can be specified`);
  }
  return v.replace(/(.)\/+$/, "$1");
}

/** `-L`'s minutes as afl-fuzz reads them (sscanf %d: a leading number), -1 allowed. */
function moptMinutes(v: string): number {
  const m = /^\s*[-+]?\d+/.exec(v);
  if (!m) throw afl("Bad syntax used for -L", "give minutes (MOpt), or a sysroot directory");
  const n = Number(m[0]);
  if (n < -1) throw afl("-L value must be between 0 and 2000000 or -1");
  return n;
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
export function lengths(a: FuzzArgs): { min: number; max: number } | undefined {
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
 * import { parseFuzzArgs } from "./fuzz_args.ts";
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
    foreign: [],
    binaryOnly: [],
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
  if (a.nonInstrumented) exclusiveOfN(a);
  // afl-fuzz -n has no fuzzer name: its results are in OUT itself
  const name = a.name ?? (a.nonInstrumented ? "" : "default");
  return { ...a, name, program: argv[i], args: argv.slice(i + 1) } as FuzzArgs;
}

/** The modes afl-fuzz refuses beside `-n`, in the order it checks them. */
function exclusiveOfN(a: Partial<FuzzArgs>): void {
  if (a.crashMode) throw afl("-C and -n are mutually exclusive");
  for (const mode of ["O", "Q", "U"]) {
    if (a.binaryOnly!.includes(mode)) throw afl(`-${mode} and -n are mutually exclusive`);
  }
}
