/**
 * `emu user`: runs a Linux program (QEMU's qemu-riscv64 command line).
 *
 * @module
 */

import { type Accel, ACCEL_HELP, parseAccel } from "../core/accel.ts";
import { EmuError } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import {
  applyOption,
  badLogItem,
  cpuHelp,
  helpList,
  isHelp,
  openLog,
  type OptionSetters,
  parseDfilter,
  parseIcount,
  parseOrLogUsage,
  valueOptions,
} from "./options.ts";
import type { RecordReplayOptions } from "../core/replay/input_log.ts";
import { parseSize } from "../core/system/options.ts";
import { builtinPlugins, loadToolPlugin } from "../core/plugin.ts";
import { createMachine, type UserOptions } from "../core/machine/create.ts";
import { debugWithGdb, runInputLog } from "./gdb.ts";
import { parseSched } from "../core/linux/threads.ts";
import { DEFAULT_PID } from "../core/linux/process_options.ts";
import {
  checkGuestBase,
  qemuGuestBase,
  qemuPageSize,
  qemuReservedVa,
} from "./user_memory_options.ts";

/** `-d` log categories. */
export const LOG_CATEGORIES: Record<string, string> = {
  in_asm: "show the guest code of each translated block",
  op: "show the IR of each translated block, as the target made it",
  op_opt: "show the IR of each translated block after folding and instrumentation",
  cpu: "show the CPU registers before each block the run loop enters (see exec)",
  fpu: "include the FP registers in the 'cpu' logging",
  exec: "show a trace line for each block the run loop enters, with jit and interp alike: QEMU's " +
    "chaining is replayed (its Linking TBs lines), chained blocks are not logged unless nochain is given",
  nochain: "do not chain blocks: the run loop enters every block, so exec and cpu log each one",
  int: "traps and interrupts (accepted: as in QEMU's user mode, a fault is its signal, unlogged)",
  page: "show the page map after the program is loaded and after each mmap (QEMU's map)",
  mmu: "log MMU activity (accepted: a Linux program's memory has none to log, as in qemu-riscv64)",
  guest_errors: "log invalid guest actions (accepted: Denemu has no such messages in user mode)",
  unimp: "log unimplemented syscalls",
  strace: "log syscalls (same as -strace)",
  tid: "a log file per guest thread, named by its id: -D's name must have a %d",
  plugin: "output from -plugin tools (always on; accepted for QEMU compatibility)",
};

/** `emu user -h` text. */
export const USER_HELP = `usage: emu user [options] program [arguments...]
Runs a riscv64 or aarch64 Linux program, like qemu-riscv64 and qemu-aarch64.

Options:
  -h                 print this help and exit
  -version           print the version and exit
  -L path            guest library prefix (default /usr/riscv64-linux-gnu or
                     /usr/aarch64-linux-gnu, the program's, if present)
  -E VAR=value[,...] set variables in the guest environment (repeatable);
                     -E VAR passes the host's VAR
  -U VAR[,...]       remove variables set by -E (repeatable; -E and -U apply in order)
  -cpu model         CPU model (default: from the ELF header; "-cpu help" lists them)
  -strace            log system calls to stderr (QEMU's format)
  -d item[,...]      log categories ("-d help" lists them)
  -plugin tool[,arg=val...]
                     load a tool plugin (repeatable; "-plugin help" lists the tools;
                     a path loads a plugin module); its output goes to stderr or -D
  -D logfile         write logs to logfile instead of stderr
  -seed N            seed for AT_RANDOM, getrandom and -sched random (default 0)
  -sched rr|random[,quantum=N]
                     how guest threads take turns: in order (default) or drawn from
                     -seed; N guest instructions per turn (default 10000, at least 64)
  -r release         the kernel release uname reports (default 6.1.0)
  -s size            the stack's size in bytes (suffix k or M; default 8M, at least 128k)
  -R size            reserve size bytes (suffix k, M or G) of address space for the guest: mmap
                     beyond fails, the stack and mmap go down from its top (as qemu-riscv64 -R)
  -B address         qemu-user's guest base: checked (a multiple of the page) and accepted; the
                     guest does not see it
  -p pagesize        the host page size: a power of two, at most 4096 (as Denemu's)
  --max-memory SIZE  most memory the guest may map (default 2G, at most 3G); then ENOMEM
  -loadvm FILE       continue from a snapshot file of the same program
  -realtime          guest clocks follow host time (default: deterministic virtual time)
  -singlestep        one guest instruction per translated block (also -one-insn-per-tb)
  -net host|none     host: the guest's TCP and UDP sockets reach the host network, as far as
                     Deno's --allow-net permits; none (default): socket(AF_INET) fails EACCES
  -icount rr=record|replay,rrfile=FILE[,rrfiles=store]
                     record every input from the outside world (stdin, host time, the files
                     the guest reads: their hashes, or with rrfiles=store their contents) to
                     FILE, or replay a recorded run from it, bit for bit
  -accel engine      jit (default), interp (the reference), interp32 (the first tier alone) or lockstep
  --root DIR         make DIR the guest's root directory; no path leaves it
  -0 argv0           argv[0] for the program (default: the program path)
  -g port            wait for gdb on 127.0.0.1:port before the first instruction

The guest environment is empty but for what -E sets (unlike qemu-riscv64, which passes the
host's), so a run does not depend on who starts it; the API's env option is the same.
QEMU_LD_PREFIX, QEMU_SET_ENV, QEMU_STRACE, QEMU_RESERVED_VA... give options, as for qemu-riscv64.`;

/** Parsed `emu user` command line. */
export interface UserArgs {
  help: boolean;
  /** `-version` */
  version?: boolean;
  cpuHelp: boolean;
  logHelp: boolean;
  /** `-accel help` */
  accelHelp: boolean;
  pluginHelp: boolean;
  /** `-plugin` specs, in order */
  plugins: string[];
  program?: string;
  args: string[];
  sysroot?: string;
  root?: string;
  /** `-E` and `-U` in order: a name and its value (undefined: the host's; null: `-U` removes it) */
  env: [string, string | undefined | null][];
  cpu?: string;
  strace: boolean;
  log: Set<string>;
  logFile?: string;
  /** `-dfilter`: the blocks (by first address) the in_asm, exec and cpu logs show */
  dfilter?: (pc: bigint) => boolean;
  seed: bigint;
  /** `-sched`: the thread scheduler's policy and quantum */
  sched?: string;
  /** `--max-memory`: the guest's memory ceiling in bytes */
  maxMemory?: bigint;
  /** `-s`: the stack's size in bytes */
  stackSize?: bigint;
  /** `-r`: the kernel release uname reports */
  unameRelease?: string;
  /** `-B`: qemu-user's guest_base (where guest memory lies in the host's; the guest sees none) */
  guestBase?: bigint;
  /** `-R`: qemu-user's reserved_va, the size of the guest's address space */
  reservedVa?: bigint;
  /** `-p`: the host page size */
  pageSize: number;
  realtime: boolean;
  /** `-singlestep`, `-one-insn-per-tb` */
  oneInsnPerTb: boolean;
  /** `-net host`: sockets on the host network */
  net: "none" | "host";
  accel: Accel;
  argv0?: string;
  /** `-g`: the gdb stub's TCP port */
  gdbPort?: number;
  /** `-loadvm FILE`: continue from a snapshot file of the same program */
  loadvm?: string;
  /** `-icount rr=record|replay,rrfile=FILE`: record/replay */
  rr?: RecordReplayOptions;
}

/** What each `emu user` option sets; the options that take a value are those with two parameters. */
const USER_OPTIONS: OptionSetters<UserArgs> = {
  h: (r) => r.help = true,
  help: (r) => r.help = true,
  version: (r) => r.version = true,
  strace: (r) => r.strace = true,
  realtime: (r) => r.realtime = true,
  singlestep: (r) => r.oneInsnPerTb = true,
  "one-insn-per-tb": (r) => r.oneInsnPerTb = true,
  L: (r, v) => r.sysroot = v,
  root: (r, v) => r.root = v,
  0: (r, v) => r.argv0 = v,
  // as qemu-riscv64, -E and -U take a comma-separated list
  E: (r, v) => {
    for (const item of v.split(",")) {
      const k = item.indexOf("=");
      if (k === 0) throw new EmuError(`-E ${v}: expected VAR=value or VAR`);
      r.env.push(k < 0 ? [item, undefined] : [item.slice(0, k), item.slice(k + 1)]);
    }
  },
  U: (r, v) => {
    // qemu-riscv64's envlist_unsetenv refuses a name with '=' (its usage, status 1)
    if (v.includes("=")) throw new EmuError(`-U ${v}: a variable name cannot hold '='`);
    r.env.push(...v.split(",").map((name): [string, null] => [name, null]));
  },
  cpu: (r, v) => {
    if (v === "") throw new EmuError("-cpu option cannot be empty");
    if (isHelp(v)) r.cpuHelp = true;
    else r.cpu = v;
  },
  d: (r, v) => {
    for (const c of v.split(",")) {
      if (isHelp(c)) r.logHelp = true;
      else if (c === "strace") r.strace = true;
      else if (c in LOG_CATEGORIES) r.log.add(c);
      else if (c === "all") {
        for (const item in LOG_CATEGORIES) if (item !== "strace") r.log.add(item);
        r.strace = true;
      } else throw badLogItem(c, v, "user");
    }
  },
  D: (r, v) => r.logFile = v,
  dfilter: (r, v) => r.dfilter = parseDfilter(v),
  plugin: (r, v) => isHelp(v) ? r.pluginHelp = true : r.plugins.push(v),
  loadvm: (r, v) => r.loadvm = v,
  icount: (r, v) => r.rr = parseIcount(v, false).rr ?? r.rr,
  seed: (r, v) => {
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(v)) throw new EmuError(`-seed ${v}: not a number`);
    r.seed = BigInt(v);
  },
  sched: (r, v) => {
    parseSched(v);
    r.sched = v;
  },
  net: (r, v) => {
    if (v !== "host" && v !== "none") {
      throw new EmuError(`-net ${v}: not a user-mode network`, "use -net host or -net none");
    }
    r.net = v;
  },
  "max-memory": (r, v) => r.maxMemory = parseSize(v, "--max-memory"),
  s: (r, v) => r.stackSize = qemuStackSize(v),
  r: (r, v) => r.unameRelease = v,
  B: (r, v) => r.guestBase = qemuGuestBase(v),
  R: (r, v) => r.reservedVa = qemuReservedVa(v),
  p: (r, v) => r.pageSize = qemuPageSize(v),
  accel: (r, v) => isHelp(v) ? r.accelHelp = true : r.accel = parseAccel(v),
  g: (r, v) => {
    if (!/^\d+$/.test(v) || Number(v) > 65535) throw new EmuError(`-g ${v}: not a TCP port`);
    r.gdbPort = Number(v);
  },
};
const WITH_VALUE = valueOptions(USER_OPTIONS);

/**
 * `-s SIZE` as qemu-riscv64 reads it: a number (0x for hex) of bytes, or of KiB with `k`/`K`, of
 * MiB with `M`.
 */
function qemuStackSize(v: string): bigint {
  const m = /^(0x[0-9a-f]+|\d+)([kKM]?)$/i.exec(v);
  if (!m || BigInt(m[1]) === 0n) {
    throw new EmuError(`-s ${v}: not a stack size`, "give bytes, or k or M (-s 16M)");
  }
  return BigInt(m[1]) << (m[2] === "M" ? 20n : m[2] ? 10n : 0n);
}

/**
 * Parses `emu user` arguments (QEMU's single-dash flags; `--flag` works too).
 * Options end at the program name.
 *
 * @example
 * ```ts
 * import { parseUserArgs } from "./user.ts";
 * const a = parseUserArgs(["-strace", "-E", "A=1", "prog", "-x"]);
 * console.log(a.program, a.args, a.strace); // prog [ "-x" ] true
 * ```
 */
export function parseUserArgs(argv: string[]): UserArgs {
  const r: UserArgs = {
    help: false,
    cpuHelp: false,
    logHelp: false,
    accelHelp: false,
    pluginHelp: false,
    plugins: [],
    args: [],
    env: [],
    strace: false,
    log: new Set(),
    seed: 0n,
    pageSize: 4096,
    realtime: false,
    oneInsnPerTb: false,
    net: "none",
    accel: "jit",
  };
  let i = 0;
  while (i < argv.length && argv[i] !== "--" && argv[i].startsWith("-") && argv[i] !== "-") {
    i = applyOption(argv, i, USER_OPTIONS, WITH_VALUE, "user", r);
  }
  if (argv[i] === "--") i++;
  if (r.rr) r.rr.commandLine = ["user", ...argv];
  if (i < argv.length) {
    r.program = argv[i];
    r.args = argv.slice(i + 1);
  }
  return r;
}

/** The host environment `-E VAR` reads from: empty without --allow-env. */
function hostEnv(): Record<string, string> {
  const granted = Deno.permissions.querySync({ name: "env" }).state === "granted";
  return granted ? Deno.env.toObject() : {};
}

/**
 * The guest environment: what `-E` sets (`-E VAR` takes `host`'s value) and
 * `-U` removes, in their order. Nothing else of the host's: a run is the same
 * whoever starts it (a shell, `deno task`, a test), as with the API.
 */
export function guestEnv(host: Record<string, string>, a: UserArgs): string[] {
  const env = new Map<string, string>();
  for (const [k, v] of a.env) {
    const value = v === undefined ? host[k] : v;
    if (value === null) env.delete(k);
    else if (value !== undefined) env.set(k, value);
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/** qemu-riscv64's variables for its options, in the order it reads them (before the command line). */
const QEMU_VARIABLES: [string, string][] = [
  ["QEMU_GDB", "g"],
  ["QEMU_LD_PREFIX", "L"],
  ["QEMU_STACK_SIZE", "s"],
  ["QEMU_CPU", "cpu"],
  ["QEMU_SET_ENV", "E"],
  ["QEMU_UNSET_ENV", "U"],
  ["QEMU_ARGV0", "0"],
  ["QEMU_UNAME", "r"],
  ["QEMU_GUEST_BASE", "B"],
  ["QEMU_RESERVED_VA", "R"],
  ["QEMU_LOG", "d"],
  ["QEMU_DFILTER", "dfilter"],
  ["QEMU_LOG_FILENAME", "D"],
  ["QEMU_PAGESIZE", "p"],
  ["QEMU_STRACE", "strace"],
  ["QEMU_SINGLESTEP", "singlestep"],
  ["QEMU_RAND_SEED", "seed"],
  ["QEMU_PLUGIN", "plugin"],
  ["QEMU_VERSION", "version"],
];

/**
 * The options `host`'s QEMU_ variables give (`QEMU_LD_PREFIX=/sysroot` is `-L /sysroot`,
 * `QEMU_STRACE` set to anything is `-strace`), which the command line's come after.
 *
 * @example
 * ```ts
 * import { qemuVariableOptions } from "./user.ts";
 * console.log(qemuVariableOptions({ QEMU_STRACE: "", QEMU_CPU: "rv64", HOME: "/" }));
 * // [ "-cpu", "rv64", "-strace" ]
 * ```
 */
export function qemuVariableOptions(host: Record<string, string>): string[] {
  return QEMU_VARIABLES.filter(([name]) => host[name] !== undefined).flatMap(([name, flag]) =>
    WITH_VALUE.has(flag) ? [`-${flag}`, host[name]] : [`-${flag}`]
  );
}

function print(s: string): void {
  const b = new TextEncoder().encode(s + "\n");
  let done = 0;
  while (done < b.length) done += Deno.stdout.writeSync(b.subarray(done));
}

/**
 * Prints what `-h`, `-version`, `-cpu help`, `-d help`, `-accel help` or `-plugin help` asked
 * for and returns the exit status (1 after `-cpu help` and `-d help`, as qemu-riscv64 exits);
 * undefined when none did.
 */
async function printHelpTopic(a: UserArgs): Promise<number | undefined> {
  if (a.help) print(USER_HELP);
  else if (a.version) print(`emu user version ${VERSION} (Denemu)`);
  else if (a.cpuHelp) print(await cpuHelp("user"));
  else if (a.logHelp) print(helpList("Log items (comma separated):", LOG_CATEGORIES));
  else if (a.accelHelp) print(helpList("Engines (-accel name):", ACCEL_HELP));
  else if (a.pluginHelp) {
    print("Tool plugins (-plugin name[,arg=val...]):");
    for (const name of builtinPlugins("plugins/tools")) {
      print(`${name.padEnd(12)} ${(await loadToolPlugin(name)).description}`);
    }
  } else return undefined;
  return a.cpuHelp || a.logHelp ? 1 : 0;
}

/**
 * Runs `emu user`; returns the exit status (the guest's, or 1 for usage errors).
 *
 * @example
 * ```ts ignore
 * Deno.exit(await userCommand(["tests/guests/bin/hello.static.O2"]));
 * ```
 */
export async function userCommand(argv: string[]): Promise<number> {
  const host = hostEnv();
  const a = parseOrLogUsage(
    () => parseUserArgs([...qemuVariableOptions(host), ...argv]),
    LOG_CATEGORIES,
  );
  if (!a) return 1;
  const helpStatus = await printHelpTopic(a);
  if (helpStatus !== undefined) return helpStatus;
  if (!a.program) {
    throw new EmuError("no program given", "usage: emu user [options] program [args]");
  }
  if (a.guestBase !== undefined) checkGuestBase(a.guestBase, a.pageSize, a.program);
  const { writeText, close } = openLog(a.logFile, a.log.has("tid") ? DEFAULT_PID : undefined);
  const writeLog = (line: string, tid?: number) => writeText(line + "\n", tid);
  const opts: UserOptions = {
    program: a.program,
    loadvm: a.loadvm,
    args: a.args,
    argv0: a.argv0,
    env: guestEnv(host, a),
    root: a.root,
    cpu: a.cpu,
    seed: a.seed,
    sched: a.sched,
    maxMemory: a.maxMemory,
    stackSize: a.stackSize,
    reservedVa: a.reservedVa,
    unameRelease: a.unameRelease,
    realtime: a.realtime,
    oneInsnPerTb: a.oneInsnPerTb,
    net: a.net,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    strace: a.strace ? writeLog : undefined,
    log: a.log.size ? { categories: a.log, write: writeLog, filter: a.dfilter } : undefined,
    accel: a.accel,
    plugins: a.plugins,
    pluginOutput: writeText,
    rr: runInputLog(a.rr, a.gdbPort),
  };
  if (a.sysroot !== undefined) opts.sysroot = a.sysroot;
  if (a.root) {
    let problem: string | undefined;
    try {
      if (!Deno.statSync(a.root).isDirectory) problem = "not a directory";
    } catch (e) {
      problem = e instanceof Deno.errors.NotFound
        ? "no such directory"
        : (e as Error).message.split("\n")[0];
    }
    if (problem) {
      throw new EmuError(`--root ${a.root}: ${problem}`, "give the directory the guest sees as /");
    }
  }
  try {
    const m = await createMachine(opts);
    if (a.gdbPort !== undefined) await debugWithGdb(m, a.gdbPort, `-g ${a.gdbPort}`);
    const status = await m.runToExit();
    await m.close();
    return status;
  } finally {
    close();
  }
}
