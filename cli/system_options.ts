/**
 * The values of `emu system`'s QEMU options that need more than a copy:
 * `-m`, `-smp`, `-d`, `-serial`, `-monitor`/`-mon` and `-rtc`, read and
 * checked as qemu-system-riscv64 reads them.
 *
 * @module
 */

import { type Accel, parseAccel } from "../core/accel.ts";
import { EmuError } from "../core/errors.ts";
import { DeviceOptions, parseOptionList, parseSize } from "../core/system/options.ts";
import { badLogItem, isHelp } from "./options.ts";
import type { ChardevEntry } from "./monitor_chardev.ts";

/** A `-serial` backend: stdio, null (discarded) or `file:PATH`. */
export type SerialBackend =
  /** `mon`: `mon:stdio`, which takes the monitor too (no other monitor is made for -nographic) */
  | { kind: "stdio"; mon?: boolean }
  | { kind: "null" }
  | { kind: "file"; path: string };

/** `-d` log items. */
export const LOG_ITEMS: Record<string, string> = {
  in_asm: "show the guest code of each translated block",
  op: "show the IR of each translated block, as the target made it",
  op_opt: "show the IR of each translated block after folding and instrumentation",
  int: "show traps and interrupts",
  exec: "show trace before each executed TB (lots of logs)",
  cpu: "show CPU registers before entering a TB (lots of logs)",
  fpu: "include FPU registers in the 'cpu' logging",
  unimp: "accepted; Denemu logs nothing for it (unimplemented devices are not mapped)",
  guest_errors: "accepted; Denemu logs no guest errors (a bad access is the guest's trap)",
  page: "accepted; as in QEMU, the page map is user mode's (emu user -d page)",
  nochain: 'do not chain compiled TBs so that "exec" and "cpu" show complete traces',
};

/**
 * `-d item,...`: adds the items to `log`, checked; true when one is `help`.
 *
 * @example
 * ```ts
 * import { parseLog } from "./system_options.ts";
 * const log = new Set<string>();
 * console.log(parseLog("int,unimp", log), log); // false Set(2) { "int", "unimp" }
 * ```
 */
export function parseLog(value: string, log: Set<string>): boolean {
  let help = false;
  for (const item of value.split(",")) {
    if (isHelp(item)) help = true;
    else if (item === "all") Object.keys(LOG_ITEMS).forEach((i) => log.add(i));
    else if (!(item in LOG_ITEMS)) throw badLogItem(item, value, "system");
    else log.add(item);
  }
  return help;
}

/** `-serial stdio|mon:stdio|null|file:PATH`. */
export function parseSerial(value: string): SerialBackend {
  if (value === "stdio") return { kind: "stdio" };
  if (value === "mon:stdio") return { kind: "stdio", mon: true };
  if (value === "null" || value === "none") return { kind: "null" };
  if (value.startsWith("file:") && value.length > 5) return { kind: "file", path: value.slice(5) };
  throw new EmuError(
    `-serial ${value}: Denemu's serial port goes to stdio, null or file:PATH`,
    "sockets, pipes, ptys and chardevs are not supported",
  );
}

/**
 * Parses QEMU's `-smp [cpus=]N[,maxcpus=N,sockets=1,cores=N,threads=1]`:
 * the number of harts (one socket, cluster and thread per core, as virt's
 * cpu-map lists them; no hot-plug, so maxcpus is N).
 */
export function parseSmp(value: string): number {
  const list = parseOptionList(value.replace(/^(\d+)/, "cpus=$1"), false);
  const o = new DeviceOptions("-smp", list.values);
  // as in QEMU, a missing (or 0) count is the product of the topology's
  const product = ["sockets", "dies", "clusters", "cores", "threads"]
    .reduce((n, key) => n * (o.has(key) ? o.int(key) : 1), 1);
  const n = (o.has("cpus") ? o.int("cpus") : 0) || product;
  const topology = { maxcpus: n, sockets: 1, dies: 1, clusters: 1, cores: n, threads: 1 };
  for (const [key, want] of Object.entries(topology)) {
    if (o.has(key) && o.int(key) !== want) {
      throw new EmuError(
        `-smp ${value}: ${key}=${o.values[key]} is not supported`,
        `Denemu's harts are ${n} cores of one socket, without hot-plug: leave ${key} out`,
      );
    }
  }
  o.rejectUnused();
  if (n < 1) throw new EmuError(`-smp ${value}: at least one CPU`);
  return n;
}

/** `-m [size=]N[unit]`: the RAM size (a bare number is in MiB; 0 is the default, as in QEMU). */
export function parseMemory(value: string): bigint {
  const list = parseOptionList(value.replace(/^([^=,]+)(,|$)/, "size=$1$2"), false);
  const o = new DeviceOptions("-m", list.values);
  const size = parseSize(o.string("size"), "-m", 1n << 20n);
  o.rejectUnused();
  return size === 0n ? 128n << 20n : size;
}

/**
 * `-rtc base=utc|DATE[,clock=vm][,driftfix=none|slew]`: what the RTC device
 * takes (its base); `clock=vm` is what Denemu's RTC always counts, and
 * driftfix only changes x86 guests' timers in QEMU.
 */
export function parseRtc(value: string): string | undefined {
  const o = new DeviceOptions("-rtc", parseOptionList(value, false).values);
  const clock = o.string("clock", "vm");
  if (clock !== "vm") {
    throw new EmuError(
      `-rtc clock=${clock}: Denemu's RTC counts virtual time, so runs repeat`,
      "leave clock out (or clock=vm); base=utc starts it at the host's time",
    );
  }
  if (!["none", "slew"].includes(o.string("driftfix", "none"))) {
    throw new EmuError(`-rtc driftfix=${o.values.driftfix}: not none or slew`);
  }
  if (o.values.base === "localtime") {
    throw new EmuError("-rtc base=localtime: Denemu's RTC keeps UTC", "use base=utc or a date");
  }
  const base = o.has("base") ? o.string("base") : undefined;
  o.rejectUnused();
  return base === undefined ? undefined : `base=${base.replaceAll(",", ",,")}`;
}

/** `-monitor stdio` / `-mon stdio`: the only monitor backend here. */
export function monitorOnStdio(flag: string, value: string): boolean {
  if (value === "none") return false;
  if (value === "stdio" || value === "chardev=stdio" || value === "mon:stdio") return true;
  throw new EmuError(
    `${flag} ${value}: Denemu's monitor is on stdio only`,
    "use stdio, or none; -nographic also has it on Ctrl-A C",
  );
}

/**
 * `-accel`: Denemu's engines, and QEMU's `tcg` (the one QEMU has for this
 * target) as the default JIT; `thread=` is accepted as Denemu's harts share
 * one thread either way; `tb-size=N` is the TB cache's size in MiB (0: the default).
 *
 * @example
 * ```ts
 * import { parseSystemAccel } from "./system_options.ts";
 * console.log(parseSystemAccel("tcg,tb-size=64")); // { accel: "jit", tbSize: 64 }
 * ```
 */
export function parseSystemAccel(value: string): { accel: Accel; tbSize?: number } {
  const list = parseOptionList(value, true);
  if (list.name !== "tcg") return { accel: parseAccel(value) };
  const o = new DeviceOptions("-accel tcg", list.values);
  if (!["single", "multi"].includes(o.string("thread", "single"))) {
    throw new EmuError(`-accel ${value}: thread is single or multi`);
  }
  const tbSize = o.has("tb-size")
    ? qemuUint32(`-accel ${value}`, "tb-size", o.string("tb-size"))
    : 0;
  o.rejectUnused();
  return tbSize ? { accel: "jit", tbSize } : { accel: "jit" };
}

/**
 * A property's unsigned number as QEMU reads it (`strtoull` in base 0: `0x` hex, a leading 0
 * octal, a minus sign wrapping around), with QEMU's errors.
 */
function qemuUint32(what: string, key: string, raw: string): number {
  const m = /^(-?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.exec(raw);
  if (!m) throw new EmuError(`${what}: Parameter '${key}' expects uint64`);
  const digits = m[2].length > 1 && m[2][0] === "0" && !/^0x/i.test(m[2])
    ? `0o${m[2].slice(1)}`
    : m[2];
  const magnitude = BigInt(digits);
  // past 2^64 - 1 strtoull overflows (ERANGE): QEMU's uint64 error, either sign
  if (magnitude >= 2n ** 64n) throw new EmuError(`${what}: Parameter '${key}' expects uint64`);
  const n = BigInt.asUintN(64, (m[1] ? -1n : 1n) * magnitude);
  if (n >= 2n ** 32n) throw new EmuError(`${what}: Parameter '${key}' expects uint32_t`);
  return Number(n);
}

/**
 * Merges a `-M`/`-machine` value into the ones before it, as QEMU does: the
 * last name wins and the properties add up (`accel=tcg` is the default engine
 * and is dropped).
 *
 * @example
 * ```ts
 * import { mergeMachine } from "./system_options.ts";
 * console.log(mergeMachine("virt,dumpdtb=a.dtb", "virt,mmu-type=sv39")); // "virt,dumpdtb=a.dtb,mmu-type=sv39"
 * ```
 */
export function mergeMachine(before: string, value: string): string {
  const old = parseOptionList(before, true), now = parseOptionList(value, true);
  const values = { ...old.values, ...now.values };
  if (values.accel !== undefined) {
    parseSystemAccel(values.accel);
    delete values.accel;
  }
  const props = Object.entries(values).map(([k, v]) => `${k}=${v.replaceAll(",", ",,")}`);
  return [now.name || old.name, ...props].join(",");
}

/** A `-chardev` Denemu can back: stdio, null or a file, and whether it is muxed (`mux=on`). */
export interface Chardev {
  backend: SerialBackend;
  mux: boolean;
}

/**
 * `-chardev stdio|null|file,id=ID[,path=F][,mux=on][,signal=off]`: its id and what it is.
 *
 * @example
 * ```ts
 * import { parseChardev } from "./system_options.ts";
 * console.log(parseChardev("stdio,id=c0,mux=on")); // [ "c0", { backend: { kind: "stdio" }, mux: true } ]
 * ```
 */
export function parseChardev(value: string): [string, Chardev] {
  const list = parseOptionList(value, true);
  const o = new DeviceOptions(`-chardev ${value}`, list.values);
  const id = o.string("id");
  const mux = o.string("mux", "off") === "on";
  o.string("signal", "on"); // Ctrl-C reaching QEMU or the guest: Denemu's raw mode passes it on
  let backend: SerialBackend;
  if (list.name === "stdio" || list.name === "null") backend = { kind: list.name };
  else if (list.name === "file") backend = { kind: "file", path: o.string("path") };
  else {
    throw new EmuError(
      `-chardev ${value}: Denemu's chardevs are stdio, null and file`,
      "sockets, pipes and ptys are not supported",
    );
  }
  o.rejectUnused();
  return [id, { backend, mux }];
}

/** The parts of the parsed command line that `-chardev` connects. */
export interface ChardevArgs {
  chardevs: Map<string, Chardev>;
  serialChardev?: string;
  monChardev?: string;
  serial?: SerialBackend;
  monitorStdio?: boolean;
}

/**
 * `-serial chardev:ID` and `-mon chardev=ID`: the chardevs they name. A muxed
 * stdio that both share is `-nographic`'s console (the monitor on Ctrl-A C).
 */
export function resolveChardevs(r: ChardevArgs): void {
  if (r.serialChardev) {
    const c = r.chardevs.get(r.serialChardev.slice(8));
    if (!c) {
      throw new EmuError(
        `-serial ${r.serialChardev}: could not connect serial device to character backend '${r.serialChardev}'`,
      );
    }
    r.serial = c.backend;
  }
  if (r.monChardev) {
    const c = r.chardevs.get(r.monChardev);
    if (!c) throw new EmuError(`-mon chardev=${r.monChardev}: chardev "${r.monChardev}" not found`);
    if (c.backend.kind !== "stdio") {
      throw new EmuError(`-mon chardev=${r.monChardev}: Denemu's monitor is on stdio only`);
    }
    r.monitorStdio = !(c.mux && r.serialChardev === `chardev:${r.monChardev}`);
  }
}

/**
 * The character devices QEMU would make for these options, in the order it
 * makes them (`info chardev`): the `-chardev`s (a muxed one after its base),
 * `-monitor stdio`'s, then serial port 0's unless it is a `-chardev`
 * (Denemu's Ctrl-A C monitor shares stdio with it: a mux, as `-nographic`'s
 * console is), then the parallel port's, which QEMU makes on every board, then with `-s` or
 * `-gdb` the gdb stub's two.
 */
export function chardevList(
  a: ChardevArgs & { nographic?: boolean; nodefaults?: boolean; gdbPort?: number },
  monitorStdio: boolean,
  serial: SerialBackend | undefined,
): ChardevEntry[] {
  const list: ChardevEntry[] = [];
  const add = (label: string, kind: string, mux: boolean) => {
    if (mux) list.push({ label: `${label}-base`, filename: kind });
    list.push({ label, filename: mux ? "mux" : kind });
  };
  for (const [id, c] of a.chardevs) add(id, c.backend.kind, c.mux);
  if (monitorStdio && !a.monChardev) add("compat_monitor0", "stdio", false);
  if (serial && !a.serialChardev) {
    // a serial port left to its default beside a stdio monitor is QEMU's graphic console's
    const vc = a.serial === undefined && monitorStdio && !a.nographic;
    add("serial0", vc ? "vc" : serial.kind, serial.kind === "stdio" && !monitorStdio);
  }
  if (!a.nodefaults) list.push({ label: "parallel0", filename: a.nographic ? "null" : "vc" });
  if (a.gdbPort !== undefined) {
    // QEMU's gdbserver_start, after the boards' devices: the socket, then the gdb monitor's
    // chardev, whose id QEMU generates (`#chr`, a counter, two random digits: here 00)
    list.push({ label: "gdb", filename: `disconnected:tcp:0.0.0.0:${a.gdbPort},server=on` });
    list.push({ label: "#chr000", filename: "gdb" });
  }
  return list;
}
