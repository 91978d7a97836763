/**
 * Command-line options shared by the `emu` commands, read the way QEMU
 * reads them: `-name` or `--name`, and for options that take a value either
 * `-name value` or `-name=value`.
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import { builtinTargets, loadTargetPlugin } from "../core/plugin.ts";
import type { RecordReplayOptions } from "../core/replay/input_log.ts";
import { systemSupport } from "../core/system/system_target.ts";

/** One option read from the command line. */
export interface ReadOption {
  name: string;
  /** its value, for options that take one */
  value?: string;
  /** index of the next argument to read */
  next: number;
}

/**
 * Reads the option at `argv[i]`; `withValue` names the options that take a
 * value. Throws {@linkcode EmuError} when the value is missing.
 *
 * @example
 * ```ts
 * import { readOption } from "./options.ts";
 * const o = readOption(["-L", "/sysroot", "prog"], 0, new Set(["L"]), "user");
 * console.log(o.name, o.value, o.next); // "L /sysroot 2"
 * ```
 */
export function readOption(
  argv: readonly string[],
  i: number,
  withValue: ReadonlySet<string>,
  command: string,
): ReadOption {
  const name = argv[i].replace(/^--?/, "");
  const eq = name.indexOf("=");
  if (eq > 0 && withValue.has(name.slice(0, eq))) {
    return { name: name.slice(0, eq), value: name.slice(eq + 1), next: i + 1 };
  }
  if (!withValue.has(name)) return { name, next: i + 1 };
  if (i + 1 >= argv.length) {
    throw new EmuError(`option -${name} needs a value`, `see emu ${command} -h`);
  }
  return { name, value: argv[i + 1], next: i + 2 };
}

/**
 * `argv` with the short forms of AFL++'s tools (getopt's) spelt out: for the one-letter options
 * among `names`, `-V5` is `-V 5` and `-QdV5` is `-Q -d -V 5` (a letter in `withValue` takes the
 * rest of the word, else the next word). A word that is a whole option name (`-entry`, `--cov`,
 * `-i=DIR`) or holds a letter that is not an option stays as it is. As afl-fuzz's getopt (its
 * option string begins with `+`), the options end at `--` or at the first word that is not one.
 *
 * @example
 * ```ts
 * import { expandShortOptions } from "./options.ts";
 * const names = new Set(["i", "o", "V", "Q", "d", "entry"]);
 * const argv = ["-iin", "-QdV5", "-o", "-x", "-entry", "f", "prog", "-V1"];
 * console.log(expandShortOptions(argv, names, new Set(["i", "o", "V", "entry"])).join(" "));
 * // -i in -Q -d -V 5 -o -x -entry f prog -V1
 * ```
 */
export function expandShortOptions(
  argv: readonly string[],
  names: ReadonlySet<string>,
  withValue: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  let i = 0;
  for (; i < argv.length && argv[i] !== "--" && /^-./.test(argv[i]); i++) {
    const word = argv[i], name = word.replace(/^--?/, "");
    const whole = names.has(name) || names.has(name.slice(0, Math.max(0, name.indexOf("="))));
    const short = whole || word.startsWith("--") ? undefined : shortCluster(name, names, withValue);
    out.push(...(short?.words ?? [word]));
    // a value in the next word: copy it as it is, even when it begins with a dash
    const needsValue = short ? short.needsValue : withValue.has(name);
    if (needsValue && i + 1 < argv.length) out.push(argv[++i]);
  }
  return [...out, ...argv.slice(i)];
}

/**
 * `-QdV5`'s words (`-Q`, `-d`, `-V`, `5`) and whether the last option's value is the next word;
 * undefined when a letter is not an option.
 */
function shortCluster(
  name: string,
  names: ReadonlySet<string>,
  withValue: ReadonlySet<string>,
): { words: string[]; needsValue: boolean } | undefined {
  const words: string[] = [];
  for (let k = 0; k < name.length; k++) {
    if (!names.has(name[k])) return undefined;
    words.push(`-${name[k]}`);
    if (withValue.has(name[k])) {
      if (k + 1 === name.length) return { words, needsValue: true };
      return { words: [...words, name.slice(k + 1)], needsValue: false };
    }
  }
  return { words, needsValue: false };
}

/**
 * Whether an option's value asks for its list of choices (`help` or `?`, as QEMU reads them).
 *
 * @example
 * ```ts
 * import { isHelp } from "./options.ts";
 * console.log(isHelp("?"), isHelp("rv64")); // true false
 * ```
 */
export function isHelp(value: string): boolean {
  return value === "help" || value === "?";
}

/**
 * What each option of a command sets in its parsed arguments `R`. An option
 * whose setter has a second parameter takes a value ({@linkcode valueOptions}).
 */
export type OptionSetters<R> = Record<string, (r: R, value: string) => void>;

/**
 * The names of the options in `setters` that take a value.
 *
 * @example
 * ```ts
 * import { valueOptions } from "./options.ts";
 * const names = valueOptions<{ v: boolean; file?: string }>({
 *   v: (r) => r.v = true,
 *   o: (r, file) => r.file = file,
 * });
 * console.log([...names]); // [ "o" ]
 * ```
 */
export function valueOptions<R>(setters: OptionSetters<R>): Set<string> {
  return new Set(Object.keys(setters).filter((k) => setters[k].length === 2));
}

/**
 * Reads the option at `argv[i]` and applies its setter to `r`; returns the
 * index of the next argument. An unknown option is an {@linkcode EmuError}.
 *
 * @example
 * ```ts
 * import { applyOption, valueOptions } from "./options.ts";
 * const setters = { L: (r: { root?: string }, v: string) => r.root = v };
 * const r: { root?: string } = {};
 * console.log(applyOption(["-L", "/s", "prog"], 0, setters, valueOptions(setters), "user", r)); // 2
 * ```
 */
export function applyOption<R>(
  argv: readonly string[],
  i: number,
  setters: OptionSetters<R>,
  withValue: ReadonlySet<string>,
  command: string,
  r: R,
): number {
  const { name, value, next } = readOption(argv, i, withValue, command);
  const set = Object.hasOwn(setters, name) ? setters[name] : undefined;
  if (!set) throw new EmuError(`unknown option ${argv[i]}`, `see emu ${command} -h`);
  set(r, value!);
  return next;
}

/**
 * A `-d` list with an unknown or empty item. QEMU says nothing of which: it prints its `-d help`
 * list on stdout and exits 1, and so do `emu user` and `emu system` when they catch this.
 */
export class LogItemsUsage extends EmuError {
  constructor(readonly items: string) {
    super(`-d ${items}: unknown log item`, "-d help lists the items");
  }
}

/**
 * `parse()`'s command line, or undefined when its `-d` list has an unknown or empty item: then
 * the `-d help` listing of `items` is printed on stdout, as QEMU does before it exits 1.
 */
export function parseOrLogUsage<T>(parse: () => T, items: Record<string, string>): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof LogItemsUsage)) throw e;
    console.log(helpList("Log items (comma separated):", items));
    return undefined;
  }
}

/** QEMU 7.2's `-d` items (its `-d help`, the same in both emulators), with `all`. */
const QEMU_LOG_ITEMS = new Set(
  ("out_asm in_asm op op_opt op_ind int exec cpu fpu mmu pcall cpu_reset unimp guest_errors " +
    "page nochain plugin strace tid all").split(" "),
);

/**
 * What `-d LIST` gets for an item Denemu's `mode` does not take: QEMU's usage
 * listing for one QEMU does not know either (or an empty one), else an error
 * that says Denemu does not log it.
 */
export function badLogItem(item: string, list: string, mode: "user" | "system"): Error {
  if (!QEMU_LOG_ITEMS.has(item) && !item.startsWith("trace:")) return new LogItemsUsage(list);
  return new EmuError(
    `-d ${item}: Denemu's ${mode} mode does not log this item`,
    "see -d help for those it logs",
  );
}

/**
 * Lines of a `help` listing (`-d help`, `-accel help`): a title, then each name and what it is.
 *
 * @example
 * ```ts
 * import { helpList } from "./options.ts";
 * console.log(helpList("Log items (comma separated):", { int: "traps and interrupts" }));
 * ```
 */
export function helpList(title: string, items: Record<string, string>): string {
  const width = Math.max(...Object.keys(items).map((k) => k.length)) + 1;
  return [title, ...Object.entries(items).map(([k, v]) => `${k.padEnd(width)} ${v}`)].join("\n");
}

/**
 * What `-cpu help` prints: each built-in target's CPU models, in system mode
 * only those of targets that have a system mode.
 *
 * @example
 * ```ts ignore
 * console.log(await cpuHelp("system")); // "Available CPUs (riscv):\n  rv64\n  rv32..."
 * ```
 */
export async function cpuHelp(mode: "user" | "system"): Promise<string> {
  const lists: string[] = [];
  for (const t of builtinTargets()) {
    const p = await loadTargetPlugin(t);
    if (mode === "system" && !systemSupport(p.create(p.cpus[0]))) continue;
    lists.push(`Available CPUs (${p.name}):\n${p.cpus.map((c) => `  ${c}`).join("\n")}`);
  }
  return lists.join("\n");
}

/** What `-icount` says: the time per instruction and record/replay. */
export interface IcountOption {
  /** `shift=N`: 2^N ns of virtual time per instruction */
  shift?: number;
  /** `rr=record|replay,rrfile=FILE[,rrfiles=hash|store]` */
  rr?: RecordReplayOptions;
}

/**
 * Parses an `-icount` value in QEMU's syntax:
 * `[shift=]N|auto,sleep=off,align=off,rr=record|replay,rrfile=FILE`, plus Denemu's
 * `rrfiles=store` (keep the contents of the host files the guest reads in
 * the log, not just their hashes). `shift` only where `allowShift`. QEMU's
 * `shift=auto` retunes the shift to the host's speed as it runs; here it is the
 * fixed default, so that virtual time never depends on the host, and virtual
 * time never waits for host time (`sleep` and `align` may only be off).
 *
 * @example
 * ```ts
 * import { parseIcount } from "./options.ts";
 * console.log(parseIcount("shift=4,rr=record,rrfile=run.rr", true));
 * // { shift: 4, rr: { mode: "record", file: "run.rr", storeFiles: false } }
 * ```
 */
export function parseIcount(value: string, allowShift: boolean): IcountOption {
  const out: IcountOption = {};
  const fields = new Map<string, string>();
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0 && /^\d+$/.test(part)) fields.set("shift", part);
    else if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
    else throw new EmuError(`-icount ${value}: cannot read "${part}"`, ICOUNT_HINT);
  }
  for (const [key, v] of fields) {
    if (key === "shift") {
      if (!allowShift) {
        throw new EmuError(`-icount shift: user mode runs at 1 ns per instruction`, ICOUNT_HINT);
      }
      // QEMU's auto tunes the shift to the host's speed as it runs; here virtual time must not
      // depend on the host, so auto is the fixed default (8 ns per instruction)
      if (v === "auto") continue;
      if (!/^\d+$/.test(v) || Number(v) > 10) {
        throw new EmuError(`-icount ${value}: expected shift=N with N from 0 to 10, or auto`);
      }
      out.shift = Number(v);
    } else if (key === "sleep" || key === "align") {
      // Denemu never sleeps for virtual time an idle guest skips, nor aligns it with host time
      if (v !== "off") {
        throw new EmuError(
          `-icount ${key}=${v}: virtual time never waits for host time here`,
          `leave it out or say ${key}=off`,
        );
      }
    } else if (!["rr", "rrfile", "rrfiles"].includes(key)) {
      throw new EmuError(`-icount ${value}: unknown option ${key}`, ICOUNT_HINT);
    }
  }
  const rr = fields.get("rr"), file = fields.get("rrfile"), files = fields.get("rrfiles");
  if (rr !== undefined && rr !== "record" && rr !== "replay") {
    throw new EmuError(`-icount rr=${rr}: expected rr=record or rr=replay`, ICOUNT_HINT);
  }
  if (files !== undefined && files !== "hash" && files !== "store") {
    throw new EmuError(`-icount rrfiles=${files}: expected hash or store`, ICOUNT_HINT);
  }
  if ((rr === undefined) !== (file === undefined) || (files !== undefined && rr === undefined)) {
    throw new EmuError(`-icount ${value}: rr= and rrfile= go together`, ICOUNT_HINT);
  }
  if (rr) out.rr = { mode: rr, file: file!, storeFiles: files === "store" };
  return out;
}

const ICOUNT_HINT = "e.g. -icount rr=record,rrfile=run.rr[,rrfiles=store]" +
  " (system mode also shift=N|auto)";

/**
 * Where log text goes: the `-D` file (opened here, closed by the caller's `close`) or stderr. As
 * in QEMU, a `%d` in the name is the emulator's process id, and any other `%` is refused. With
 * `perThread` (`-d tid`) the name must have its `%d`, and each guest thread gets its own file,
 * named by its id, made at its first line; text not told its thread goes to thread `perThread`'s
 * (the program's first thread, whose file is made at once).
 *
 * @example
 * ```ts ignore
 * const { writeText, close } = openLog("emu-%d.log"); // emu-4242.log
 * ```
 */
export function openLog(
  path?: string,
  perThread?: number,
): { writeText: (text: string, tid?: number) => void; close: () => void } {
  if (perThread !== undefined && !path?.includes("%d")) {
    throw new EmuError(
      "Filename template with '%d' required for 'tid'",
      "give -D a name with %d: each guest thread's log is named by its id",
    );
  }
  // as QEMU's qemu_set_log_filename: an empty name is a file that cannot be opened
  if (path === "") throw new EmuError("Error opening logfile : No such file or directory");
  const pct = path?.indexOf("%") ?? -1;
  if (path && pct >= 0 && (path[pct + 1] !== "d" || path.includes("%", pct + 2))) {
    throw new EmuError(`Bad logfile template: ${path}`, "one %d (the process id) at most");
  }
  const files = new Map<number, Deno.FsFile>();
  const fileOf = (id: number) => {
    let file = files.get(id);
    if (file || !path) return file;
    const name = path.replace("%d", `${id}`);
    try {
      file = Deno.openSync(name, { write: true, create: true, truncate: true });
    } catch (e) {
      const why = (e as Error).message.split(/ \(os error|\n/)[0];
      throw new EmuError(`Error opening logfile ${name}: ${why}`);
    }
    files.set(id, file);
    return file;
  };
  const main = perThread ?? Deno.pid;
  fileOf(main);
  const enc = new TextEncoder();
  // A log that cannot be written (a full disk, a closed stderr) is dropped and the guest runs
  // on, as QEMU's qemu_log does; before, the run stopped with the write's error.
  let broken = false;
  const writeText = (text: string, tid?: number) => {
    const b = enc.encode(text);
    const w = fileOf(perThread === undefined ? main : tid ?? main) ?? Deno.stderr;
    try {
      for (let done = 0; done < b.length && !broken;) done += w.writeSync(b.subarray(done));
    } catch {
      broken = true;
    }
  };
  return { writeText, close: () => files.forEach((f) => f.close()) };
}

const U64 = (1n << 64n) - 1n;

/** A number as C's strtoull reads it with base 0 (leading blanks, 0x hex, 0 octal), whole. */
function strtou64(text: string): bigint | undefined {
  const t = text.trimStart();
  if (!/^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(t)) return undefined;
  const v = BigInt(/^0[0-7]+$/.test(t) ? `0o${t.slice(1)}` : t);
  return v <= U64 ? v : undefined;
}

/**
 * `-dfilter start+len|start-len|start..end[,...]`: which blocks (by their first address) the
 * `in_asm`, `exec` and `cpu` logs show, with QEMU 7.2's syntax and errors (`prefix` first).
 *
 * @example
 * ```ts
 * import { parseDfilter } from "./options.ts";
 * const f = parseDfilter("0x1000+0x100,0x3000..0x3fff");
 * console.log(f(0x10ffn), f(0x1100n), f(0x3fffn)); // true false true
 * ```
 */
export function parseDfilter(spec: string, prefix = ""): (pc: bigint) => boolean {
  function fail(why: string): never {
    throw new EmuError(prefix + why);
  }
  const ranges: [bigint, bigint][] = [];
  for (const r of spec ? spec.split(",") : []) {
    const op = ["-", "+", ".."].find((o) => r.includes(o)) ?? fail("Bad range specifier");
    const at = r.indexOf(op);
    const a = strtou64(r.slice(0, at)), b = strtou64(r.slice(at + op.length));
    if (a === undefined) fail(`Invalid number to the left of ${op}`);
    if (b === undefined) fail(`Invalid number to the right of ${op}`);
    const range: [bigint, bigint] = op === "+"
      ? [a, (a + b - 1n) & U64]
      : op === "-"
      ? [(a - b + 1n) & U64, a]
      : [a, b];
    if (range[0] > range[1]) fail("Invalid range");
    ranges.push(range);
  }
  return (pc) => ranges.some(([lo, hi]) => pc >= lo && pc <= hi);
}
