/**
 * `emu user`: runs a Linux program (QEMU's qemu-riscv64 command line).
 *
 * @module
 */

import { loadSnapshotFile } from "../core/snapshot/file.ts";
import { processSnapshotIdentity } from "../core/linux/process_file.ts";
import { type Accel, parseAccel } from "../core/accel.ts";
import { EmuError } from "../core/errors.ts";
import { readOption } from "./options.ts";
import {
  builtinPlugins,
  builtinTargets,
  loadTargetPlugin,
  loadToolPlugin,
} from "../core/plugin.ts";
import { LinuxProcess, type LinuxProcessOptions } from "../core/linux/process.ts";
import { installTool, Machine } from "../core/machine.ts";
import { GdbServer } from "../core/gdb/server.ts";
import { MachineDebuggee } from "../core/gdb/machine_debuggee.ts";

/** `-d` log categories. */
export const LOG_CATEGORIES: Record<string, string> = {
  in_asm: "show the guest code of each translated block",
  cpu: "show the CPU registers before each executed block",
  exec: "show a trace line for each executed block",
  int: "show traps and interrupts",
  unimp: "log unimplemented syscalls",
  strace: "log syscalls (same as -strace)",
  plugin: "output from -plugin tools (always on; accepted for QEMU compatibility)",
};

/** `emu user -h` text. */
export const USER_HELP = `usage: emu user [options] program [arguments...]
Runs a riscv64 Linux program, like qemu-riscv64.

Options:
  -h                 print this help and exit
  -L path            guest library prefix (default /usr/riscv64-linux-gnu if present)
  -E VAR=value       set a variable in the guest environment (repeatable)
  -U VAR             remove a variable from the guest environment (repeatable)
  -cpu model         CPU model (rv64, rv32; "-cpu help" lists them)
  -strace            log system calls to stderr (QEMU's format)
  -d item[,...]      log categories ("-d help" lists them)
  -plugin tool[,arg=val...]
                     load a tool plugin (repeatable; "-plugin help" lists the tools;
                     a path loads a plugin module); its output goes to stderr or -D
  -D logfile         write logs to logfile instead of stderr
  -seed N            seed for AT_RANDOM and getrandom (default 0)
  -loadvm FILE       continue from a snapshot file of the same program
  -realtime          guest clocks follow host time (default: deterministic virtual time)
  -accel engine      jit (default), interp (the reference) or lockstep (both, compared per TB)
  --root DIR         make DIR the guest's root directory; no path leaves it
  -0 argv0           argv[0] for the program (default: the program path)
  -g port            wait for gdb on 127.0.0.1:port before the first instruction

The guest environment is the host's, edited by -E and -U.`;

/** Parsed `emu user` command line. */
export interface UserArgs {
  help: boolean;
  cpuHelp: boolean;
  logHelp: boolean;
  pluginHelp: boolean;
  /** `-plugin` specs, in order */
  plugins: string[];
  program?: string;
  args: string[];
  sysroot?: string;
  root?: string;
  set: [string, string][];
  unset: string[];
  cpu?: string;
  strace: boolean;
  log: Set<string>;
  logFile?: string;
  seed: bigint;
  realtime: boolean;
  accel: Accel;
  argv0?: string;
  /** `-g`: the gdb stub's TCP port */
  gdbPort?: number;
  /** `-loadvm FILE`: continue from a snapshot file of the same program */
  loadvm?: string;
}

const WITH_VALUE = new Set([
  "L",
  "E",
  "U",
  "cpu",
  "d",
  "D",
  "seed",
  "accel",
  "root",
  "0",
  "plugin",
  "g",
  "loadvm",
]);

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
    pluginHelp: false,
    plugins: [],
    args: [],
    set: [],
    unset: [],
    strace: false,
    log: new Set(),
    seed: 0n,
    realtime: false,
    accel: "jit",
  };
  let i = 0;
  while (i < argv.length) {
    const a = argv[i];
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    const { name, value, next } = readOption(argv, i, WITH_VALUE, "user");
    i = next;
    switch (name) {
      case "h":
      case "help":
        r.help = true;
        break;
      case "strace":
        r.strace = true;
        break;
      case "realtime":
        r.realtime = true;
        break;
      case "L":
        r.sysroot = value;
        break;
      case "root":
        r.root = value;
        break;
      case "0":
        r.argv0 = value;
        break;
      case "E": {
        const k = value!.indexOf("=");
        if (k <= 0) throw new EmuError(`-E ${value}: expected VAR=value`);
        r.set.push([value!.slice(0, k), value!.slice(k + 1)]);
        break;
      }
      case "U":
        r.unset.push(value!);
        break;
      case "cpu":
        if (value === "help" || value === "?") r.cpuHelp = true;
        else r.cpu = value;
        break;
      case "d":
        for (const c of value!.split(",")) {
          if (c === "help" || c === "?") r.logHelp = true;
          else if (c === "strace") r.strace = true;
          else if (c in LOG_CATEGORIES) r.log.add(c);
          else throw new EmuError(`-d ${c}: unknown log category`, "try -d help");
        }
        break;
      case "D":
        r.logFile = value;
        break;
      case "plugin":
        if (value === "help" || value === "?") r.pluginHelp = true;
        else r.plugins.push(value!);
        break;
      case "loadvm":
        r.loadvm = value;
        break;
      case "seed":
        if (!/^(0x[0-9a-f]+|\d+)$/i.test(value!)) {
          throw new EmuError(`-seed ${value}: not a number`);
        }
        r.seed = BigInt(value!);
        break;
      case "accel":
        r.accel = parseAccel(value!);
        break;
      case "g":
        if (!/^\d+$/.test(value!) || Number(value) > 65535) {
          throw new EmuError(`-g ${value}: not a TCP port`);
        }
        r.gdbPort = Number(value);
        break;
      default:
        throw new EmuError(`unknown option ${a}`, "see emu user -h");
    }
  }
  if (i < argv.length) {
    r.program = argv[i];
    r.args = argv.slice(i + 1);
  }
  return r;
}

/** The guest environment: the host's, with `-U` removals and `-E` settings applied. */
export function guestEnv(host: Record<string, string>, a: UserArgs): string[] {
  const env = new Map(Object.entries(host));
  for (const u of a.unset) env.delete(u);
  for (const [k, v] of a.set) env.set(k, v);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

function print(s: string): void {
  const b = new TextEncoder().encode(s + "\n");
  let done = 0;
  while (done < b.length) done += Deno.stdout.writeSync(b.subarray(done));
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
  const a = parseUserArgs(argv);
  if (a.help) {
    print(USER_HELP);
    return 0;
  }
  if (a.cpuHelp) {
    for (const t of builtinTargets()) {
      const p = await loadTargetPlugin(t);
      print(`Available CPUs (${p.name}):\n${p.cpus.map((c) => `  ${c}`).join("\n")}`);
    }
    return 0;
  }
  if (a.logHelp) {
    print("Log items (comma separated):");
    for (const [k, v] of Object.entries(LOG_CATEGORIES)) print(`${k.padEnd(8)} ${v}`);
    return 0;
  }
  if (a.pluginHelp) {
    print("Tool plugins (-plugin name[,arg=val...]):");
    for (const name of builtinPlugins("plugins/tools")) {
      print(`${name.padEnd(12)} ${(await loadToolPlugin(name)).description}`);
    }
    return 0;
  }
  if (!a.program) {
    throw new EmuError("no program given", "usage: emu user [options] program [args]");
  }
  let logFile: Deno.FsFile | undefined;
  if (a.logFile) {
    try {
      logFile = Deno.openSync(a.logFile, { write: true, create: true, truncate: true });
    } catch (e) {
      throw new EmuError(`-D ${a.logFile}: cannot open (${(e as Error).message.split("\n")[0]})`);
    }
  }
  const enc = new TextEncoder();
  const writeText = (text: string) => {
    const b = enc.encode(text);
    const w = logFile ?? Deno.stderr;
    let done = 0;
    while (done < b.length) done += w.writeSync(b.subarray(done));
  };
  const writeLog = (line: string) => writeText(line + "\n");
  const opts: LinuxProcessOptions = {
    program: a.program,
    args: a.args,
    argv0: a.argv0,
    env: guestEnv(Deno.env.toObject(), a),
    root: a.root,
    cpu: a.cpu,
    seed: a.seed,
    realtime: a.realtime,
    stdin: "inherit",
    strace: a.strace ? writeLog : undefined,
    log: a.log.size ? { categories: a.log, write: writeLog } : undefined,
    accel: a.accel,
  };
  if (a.sysroot !== undefined) opts.sysroot = a.sysroot;
  if (a.root) {
    try {
      if (!Deno.statSync(a.root).isDirectory) throw new Error("not a directory");
    } catch (e) {
      throw new EmuError(`--root ${a.root}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  try {
    const p = await LinuxProcess.create(opts);
    if (a.loadvm) p.restore(await loadSnapshotFile(a.loadvm, processSnapshotIdentity(p)));
    if (!a.plugins.length && a.gdbPort === undefined) return p.runToExit();
    const m = new Machine(p);
    for (const spec of a.plugins) await installTool(m, spec, writeText);
    if (a.gdbPort !== undefined) await debugWithGdb(m, a.gdbPort);
    return m.runToExit();
  } finally {
    logFile?.close();
  }
}

/** `-g`: serves gdb until it detaches, kills the guest or the guest exits. */
async function debugWithGdb(m: Machine, port: number): Promise<void> {
  let server: GdbServer;
  try {
    server = GdbServer.listen(new MachineDebuggee(m), { port });
  } catch (e) {
    throw new EmuError(`-g ${port}: cannot listen (${(e as Error).message.split("\n")[0]})`);
  }
  await server.serve();
}
