/**
 * `emu system`: boots a whole machine (QEMU's qemu-system-riscv64 command
 * line). Serial port 0 is on stdio (raw mode on a terminal) with QEMU's
 * Ctrl-A escapes: `C-a x` quits, `C-a h` prints help, `C-a C-a` sends C-a;
 * `C-a c` switches to the monitor (cli/monitor.ts) and back; `-monitor stdio`
 * gives the monitor stdio instead.
 *
 * @module
 */

import { type Accel, ACCEL_HELP } from "../core/accel.ts";
import { EmuError } from "../core/errors.ts";
import { addObject } from "../core/block_secrets.ts";
import { VERSION } from "../core/version.ts";
import {
  applyOption,
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
import {
  type Chardev,
  chardevList,
  LOG_ITEMS,
  mergeMachine,
  monitorOnStdio,
  parseChardev,
  parseLog,
  parseMemory,
  parseRtc,
  parseSerial,
  parseSmp,
  parseSystemAccel,
  resolveChardevs,
  type SerialBackend,
} from "./system_options.ts";
import { builtinPlugins, loadMachinePlugin } from "../core/plugin.ts";
import { deviceList, deviceOptions } from "./device_help.ts";
import { gdbMonitor, Monitor, MONITOR_BANNER } from "./monitor.ts";
import { serialSink } from "./serial_sink.ts";
import { parseOptionList } from "../core/system/options.ts";
import { createMachine } from "../core/machine/create.ts";
import { type Machine, machineDriver } from "../core/machine/machine.ts";
import type { SystemDriver } from "../core/machine/system.ts";
import { debugWithGdb, runInputLog } from "./gdb.ts";

/** `emu system -h` text. */
export const SYSTEM_HELP = `usage: emu system [options]
Boots a machine, like qemu-system-riscv64. Serial port 0 is on stdio.

Options:
  -h                     print this help and exit
  -version               print the version and exit
  -M virt[,key=val...]   machine (virt; dumpdtb=FILE writes the device tree and exits;
                         "-M help" lists the machines)
  -m [size=]N            RAM size (default 128M; suffixes K, M, G; a bare number is MiB)
  -cpu model[,props]     rv64 (default), rv32 or a profile, with QEMU's properties
                         (e.g. rv64,v=true,vlen=256 or rva23s64; "-cpu help" lists them)
  -smp [cpus=]N[,cores=N] N harts (default 1), taking turns of 10000 instructions on one thread
  -accel engine          jit (default; also QEMU's tcg), interp (the reference), interp32
                         (the first tier alone) or lockstep
  -bios file|none        firmware at the start of RAM (none: -kernel runs bare metal in M-mode;
                         "default" is QEMU's bundled OpenSBI, which Denemu does not have)
  -kernel file           kernel image (ELF or raw)
  --symbols file         an ELF file (vmlinux) whose symbols name addresses in -d in_asm, plugins
                         and gdb; nothing is loaded from it (repeatable)
  -initrd file           initial ramdisk
  -append text           kernel command line (/chosen/bootargs)
  -dtb file              use this device tree instead of the generated one
  -drive file=F,format=raw|qcow2,if=virtio[,snapshot=on]   a virtio disk
  -drive if=pflash,file=F,format=raw[,unit=0|1]        a 32M flash bank (virt boots from unit 0)
  -snapshot              keep every drive's writes in memory (snapshot=on unless a drive says)
  -device name[,addr=..,irq=..]                      a device plugin ("-device help" lists them, -device NAME,help its options)
  -rtc base=utc|DATE     start the RTC at host time or a date (default: the virtual epoch)
  -seed N                seed of the devices' random streams (default 0)
  -icount shift=N|auto   2^N ns of virtual time per instruction (default and auto: 3, fixed)
  -icount rr=record|replay,rrfile=FILE[,rrfiles=store]
                         record the run's inputs (serial input, host time) to FILE, or
                         replay them from it; may be combined with shift=N
  -plugin tool[,arg=val] load a tool plugin (repeatable), as with emu user
  -nographic             no display: serial on stdio with the monitor on C-a c (the monitor
                         alone on stdio when -serial sends the port elsewhere)
  -display none          no display (the only one; serial stays on stdio without -monitor)
  -serial stdio|mon:stdio|null|file:PATH|chardev:ID   where serial port 0 goes
  -chardev stdio|null|file,id=ID[,path=F,mux=on]      a backend for -serial chardev:ID and
                         -mon chardev=ID (a muxed stdio for both: -nographic's console)
  -monitor stdio         the monitor on stdio (lines of commands; the serial port then
                         defaults to null); -mon stdio is the same
  -name NAME             the VM's name (the monitor's info name); -uuid U (info uuid)
  -nodefaults            no serial port or monitor unless -serial/-monitor ask
  -k layout              accepted (no keyboard here)
  -global virtio-pci.disable-legacy=on   accepted (Denemu's virtio-pci is modern only)
  -no-reboot             a guest reset ends the run with status 0
  -no-shutdown           accepted: the virt board's poweroff ends the run, as in QEMU 7.2
  -d item[,...]          log: int (traps and interrupts), in_asm (translated code), exec
                         (a line per block run), cpu (registers before each), fpu, nochain;
                         guest_errors, unimp and page are accepted and log nothing
  -D logfile             write logs to logfile instead of stderr
  -s                     gdb server on tcp::1234 (same as -gdb tcp::1234)
  -gdb tcp::PORT         gdb server on 127.0.0.1:PORT
  -S                     do not start the CPU: wait for gdb (-s/-gdb) or the monitor's cont
  -loadvm TAG            start from snapshot TAG of the qcow2 disks (a path: a snapshot file)

Serial escapes (Ctrl-A then): x quit, h help, c monitor (info status|registers|cpus|name|
version|uuid|snapshots|block|mtree|roms|qtree|mem|chardev, x, xp, p, stop, cont, system_reset,
quit, savevm, loadvm, delvm), Ctrl-A send Ctrl-A.
A guest poweroff through the SiFive test device sets the exit status.`;

/** Parsed `emu system` command line. */
export interface SystemArgs {
  help: boolean;
  /** `-d help`, `-accel help`, `-cpu help` or `-version` */
  helpTopic?: "log" | "accel" | "cpu" | "version";
  /** `-M`: the board's name and options, as given */
  machine: string;
  ramSize: bigint;
  cpu: string;
  accel: Accel;
  /** `-accel tcg,tb-size=N`: the TB cache's size, MiB */
  tbSize?: number;
  bios?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  dtb?: string;
  /** `-drive` values, with `snapshot=on` added by `-snapshot` */
  drives: string[];
  /** `-device` values, as given */
  devices: string[];
  /** `-rtc` value */
  rtc?: string;
  seed: bigint;
  /** `-icount shift=N`: 2^N ns of virtual time per instruction */
  icountShift?: number;
  /** `-smp N`: the number of harts */
  smp?: number;
  /** `--symbols FILE` (repeatable): ELF files that name guest addresses */
  symbols: string[];
  /** `-icount rr=record|replay,rrfile=FILE`: record/replay */
  rr?: RecordReplayOptions;
  /** `-plugin` specs, in order */
  plugins: string[];
  /** `-s` / `-gdb tcp::PORT`: the gdb stub's port */
  gdbPort?: number;
  /** `-S`: wait for gdb before running */
  gdbWait?: boolean;
  log: Set<string>;
  logFile?: string;
  /** `-dfilter`: the blocks (by first address) in_asm shows */
  dfilter?: (pc: bigint) => boolean;
  /** `-loadvm FILE`: start from a snapshot file */
  loadvm?: string;
  /** `-snapshot`: every drive defaults to `snapshot=on` (already applied to `drives`) */
  snapshot?: boolean;
  /** `-serial`: where serial port 0 goes (stdio unless the monitor has it) */
  serial?: SerialBackend;
  /** `-monitor stdio` (or `-mon`, or `-nographic` with serial elsewhere): the monitor on stdio */
  monitorStdio?: boolean;
  nographic?: boolean;
  /** `-chardev`s by id */
  chardevs: Map<string, Chardev>;
  /** `-serial chardev:ID`, resolved when every `-chardev` is read */
  serialChardev?: string;
  /** `-mon chardev=ID`, resolved when every `-chardev` is read */
  monChardev?: string;
  /** `-uuid`: the VM's UUID (`info uuid`) */
  uuid?: string;
  /** `-nodefaults`: no default serial port or monitor */
  nodefaults?: boolean;
  /** `-name`: the VM's name (`info name`) */
  name?: string;
  /** `-no-reboot`: a guest reset ends the run (status 0) */
  noReboot?: boolean;
}

/**
 * Parses `emu system` arguments (QEMU's single-dash flags).
 *
 * @example
 * ```ts
 * import { parseSystemArgs } from "./system.ts";
 * const a = parseSystemArgs(["-M", "virt", "-m", "256M", "-bios", "none", "-kernel", "k.elf"]);
 * console.log(a.machine, a.ramSize, a.accel); // virt 268435456n jit
 * ```
 */
export function parseSystemArgs(argv: string[]): SystemArgs {
  const r: SystemArgs = {
    help: false,
    machine: "virt",
    ramSize: 128n << 20n,
    cpu: "rv64",
    accel: "jit",
    drives: [],
    devices: [],
    seed: 0n,
    plugins: [],
    symbols: [],
    log: new Set(),
    chardevs: new Map(),
  };
  for (let i = 0; i < argv.length;) {
    const a = argv[i];
    if (!a.startsWith("-")) throw new EmuError(`unexpected argument "${a}"`, "see emu system -h");
    i = applyOption(argv, i, SYSTEM_OPTIONS, WITH_VALUE, "system", r);
  }
  if (r.rr) r.rr.commandLine = ["system", ...argv];
  resolveChardevs(r);
  // QEMU's -snapshot: the default of every drive's snapshot option.
  if (r.snapshot) {
    r.drives = r.drives.map((d) => /(^|,)snapshot=/.test(d) ? d : `${d},snapshot=on`);
  }
  return r;
}

/** `-bios`, `-kernel`, ...: a file name (an empty one would read as "-dtb : ..." in every later message). */
const fileOption = (name: "bios" | "kernel" | "initrd" | "dtb") => (r: SystemArgs, v: string) => {
  if (v === "") throw new EmuError(`-${name}: needs a file name`);
  r[name] = v;
};

/** What each `emu system` option sets; the options that take a value are those with two parameters. */
const SYSTEM_OPTIONS: OptionSetters<SystemArgs> = {
  h: (r) => r.help = true,
  help: (r) => r.help = true,
  version: (r) => r.helpTopic = "version",
  M: (r, v) => r.machine = mergeMachine(r.machine, v),
  machine: (r, v) => r.machine = mergeMachine(r.machine, v),
  m: (r, v) => r.ramSize = parseMemory(v),
  // model[,prop=value...]: the target checks it when the machine is made
  cpu: (r, v) => isHelp(v) ? r.helpTopic = "cpu" : r.cpu = v,
  accel: (r, v) => isHelp(v) ? r.helpTopic = "accel" : Object.assign(r, parseSystemAccel(v)),
  "enable-kvm": () => {
    throw new EmuError(
      "invalid accelerator kvm",
      "Denemu's engines are -accel jit|interp|interp32|lockstep",
    );
  },
  // the keyboard layout of a display Denemu does not have
  k: (_r, _layout) => {},
  uuid: (r, v) => {
    if (!/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(v)) {
      throw new EmuError(`-uuid ${v}: not a UUID`);
    }
    r.uuid = v.toLowerCase();
  },
  nodefaults: (r) => r.nodefaults = true,
  // QEMU's default firmware is the one it bundles; Denemu bundles none and says so at boot
  bios: (r, v) => v === "default" ? r.bios = undefined : fileOption("bios")(r, v),
  kernel: fileOption("kernel"),
  initrd: fileOption("initrd"),
  dtb: fileOption("dtb"),
  append: (r, v) => r.append = v,
  drive: (r, v) => r.drives.push(v),
  snapshot: (r) => r.snapshot = true,
  device: (r, v) => r.devices.push(v),
  rtc: (r, v) => r.rtc = parseRtc(v),
  seed: (r, v) => {
    if (!/^\d+$/.test(v)) throw new EmuError(`-seed ${v}: not a number`);
    r.seed = BigInt(v);
  },
  plugin: (r, v) => r.plugins.push(v),
  icount: (r, v) => {
    const icount = parseIcount(v, true);
    r.icountShift = icount.shift ?? r.icountShift;
    r.rr = icount.rr ?? r.rr;
  },
  smp: (r, v) => r.smp = parseSmp(v),
  symbols: (r, v) => r.symbols.push(v),
  d: (r, v) => {
    if (parseLog(v, r.log)) r.helpTopic = "log";
  },
  D: (r, v) => r.logFile = v,
  dfilter: (r, v) => r.dfilter = parseDfilter(v, `-dfilter ${v}: `),
  serial: (r, v) => v.startsWith("chardev:") ? r.serialChardev = v : r.serial = parseSerial(v),
  monitor: (r, v) => r.monitorStdio = monitorOnStdio("-monitor", v),
  mon: (r, v) => {
    const m = /^chardev=([^,]+)(,mode=readline)?$/.exec(v);
    if (m) r.monChardev = m[1];
    else r.monitorStdio = monitorOnStdio("-mon", v);
  },
  nographic: (r) => r.nographic = true,
  display: (_r, v) => {
    if (v !== "none") {
      throw new EmuError(`-display ${v}: Denemu has no display`, "use -display none or -nographic");
    }
  },
  name: (r, v) => r.name = v,
  global: (_r, v) => {
    // what README's Linux example tells QEMU, so that both run one command line
    if (v !== "virtio-pci.disable-legacy=on") {
      throw new EmuError(
        `-global ${v}: Denemu's devices have no global properties`,
        "only virtio-pci.disable-legacy=on is accepted: its virtio-pci functions are modern only",
      );
    }
  },
  object: (_r, v) => {
    if (v.startsWith("secret,")) return addObject(v); // an encrypted drive's key
    throw new EmuError(
      `-object ${v}: Denemu has no user-creatable objects but secrets`,
      "RAM is -m",
    );
  },
  chardev: (r, v) => {
    const [id, c] = parseChardev(v);
    r.chardevs.set(id, c);
  },
  "no-reboot": (r) => r.noReboot = true,
  // QEMU 7.2's sifive_test ends the process at a poweroff whatever -no-shutdown says
  "no-shutdown": () => {},
  s: (r) => r.gdbPort = 1234,
  gdb: (r, v) => {
    const m = /^tcp::(\d+)$/.exec(v);
    if (!m) throw new EmuError(`-gdb ${v}: expected tcp::PORT`);
    r.gdbPort = Number(m[1]);
  },
  loadvm: (r, v) => r.loadvm = v,
  S: (r) => r.gdbWait = true,
};
const WITH_VALUE = valueOptions(SYSTEM_OPTIONS);

const CTRL_A = 1;
const ESCAPE_HELP = "\r\nC-a h    print this help\r\nC-a x    exit emulator\r\n" +
  "C-a c    switch between console and monitor\r\n" +
  "C-a C-a  sends C-a\r\n";

/**
 * Splits host keyboard input into guest bytes and Ctrl-A escape commands.
 *
 * @example
 * ```ts
 * import { EscapeReader } from "./system.ts";
 * const cmds: string[] = [];
 * const r = new EscapeReader((c) => cmds.push(c));
 * console.log(r.feed(new Uint8Array([104, 1, 120]))); // Uint8Array(1) [ 104 ]; cmds = ["x"]
 * ```
 */
export class EscapeReader {
  #pending = false;

  constructor(readonly onCommand: (key: string) => void) {}

  /** Returns the bytes meant for the guest; escape commands go to `onCommand`. */
  feed(bytes: Uint8Array): Uint8Array {
    const out: number[] = [];
    for (const b of bytes) {
      if (this.#pending) {
        this.#pending = false;
        if (b === CTRL_A) out.push(CTRL_A);
        else this.onCommand(String.fromCharCode(b).toLowerCase());
      } else if (b === CTRL_A) this.#pending = true;
      else out.push(b);
    }
    return new Uint8Array(out);
  }
}

/**
 * Runs `emu system`; resolves to the exit status (the guest's poweroff status).
 *
 * @example
 * ```ts ignore
 * Deno.exit(await systemCommand(["-M", "virt", "-bios", "none", "-kernel", "prog.elf"]));
 * ```
 */
export async function systemCommand(argv: string[]): Promise<number> {
  return await systemInfo(argv) ?? await systemBoot(argv);
}

/**
 * Answers what `argv` asks that starts no machine (`-h`, `-version`, `-M help`,
 * `-device help`...) and checks its options; undefined when it is a boot.
 *
 * @example
 * ```ts ignore
 * console.log(await systemInfo(["-version"])); // 0, after printing the version
 * ```
 */
export async function systemInfo(argv: string[]): Promise<number | undefined> {
  const a = parseOrLogUsage(() => parseSystemArgs(argv), LOG_ITEMS);
  if (!a) return 1;
  if (a.help) {
    console.log(SYSTEM_HELP);
    return 0;
  }
  if (a.helpTopic === "log") console.log(helpList("Log items (comma separated):", LOG_ITEMS));
  if (a.helpTopic === "accel") {
    console.log(
      helpList("Engines (-accel name):", ACCEL_HELP),
    );
  }
  if (a.helpTopic === "cpu") console.log(await cpuHelp("system"));
  if (a.helpTopic === "version") console.log(`emu system version ${VERSION} (Denemu)`);
  if (a.helpTopic) return a.helpTopic === "log" ? 1 : 0; // qemu-system-riscv64 -d help exits 1
  // QEMU's -M help and -device help: the built-in plugins and what they are.
  if (parseOptionList(a.machine, true).name === "help") {
    console.log("Supported machines are:");
    for (const name of builtinPlugins("plugins/machines")) {
      const about = (await loadMachinePlugin(name)).description;
      console.log(`${name.padEnd(20)} ${about}${name === "virt" ? " (default)" : ""}`);
    }
    return 0;
  }
  if (a.devices.some((d) => isHelp(d))) {
    console.log(await deviceList());
    return 0;
  }
  // -device NAME,help: its options; QEMU says so (and exits 0) for an unknown device
  const asked = a.devices.map((d) => /^([^,]+),(help|\?)$/.exec(d)?.[1]).find((n) => n);
  if (asked) {
    const text = await deviceOptions(asked);
    if (text) console.log(text);
    else console.error(`emu: -device ${asked},help: Device '${asked}' not found`);
    return 0;
  }
  // as QEMU, -nographic with a -serial that is not mon:... puts the monitor on stdio
  const monitorStdio = a.monitorStdio ??
    (a.nographic && !a.nodefaults && !!a.serial && !("mon" in a.serial && a.serial.mon));
  if (monitorStdio && (a.serial ?? (a.nographic ? { kind: "stdio" } : null))?.kind === "stdio") {
    throw new EmuError(
      "cannot use stdio by multiple character devices",
      "the monitor is on stdio: share it with -serial mon:stdio, or use -serial null or file:PATH",
    );
  }
  return undefined;
}

/**
 * Boots the machine of `argv` (a command line `systemInfo` left to it) and
 * runs it to poweroff, quit or the end of a gdb session.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await systemBoot(["-M", "virt", "-bios", "none", "-kernel", "prog.elf"]));
 * ```
 */
export async function systemBoot(argv: string[]): Promise<number> {
  const a = parseSystemArgs(argv);
  const { writeText, close } = openLog(a.logFile);
  const log = (line: string) => writeText(line + "\n");
  try {
    return await boot(a, log);
  } finally {
    close();
  }
}

/** Builds the machine of `a` and runs it to poweroff, quit or the end of a gdb session. */
async function boot(a: SystemArgs, log: (line: string) => void): Promise<number> {
  const m = await createMachine({
    system: {
      machine: a.machine,
      memory: a.ramSize,
      cpu: a.cpu,
      bios: a.bios,
      kernel: a.kernel,
      initrd: a.initrd,
      append: a.append,
      dtb: a.dtb,
      devices: a.devices,
      drives: a.drives,
      rtc: a.rtc,
      icountShift: a.icountShift,
      smp: a.smp,
      symbols: a.symbols,
      tbSize: a.tbSize,
    },
    accel: a.accel,
    seed: a.seed,
    log: { categories: a.log, write: log, filter: a.dfilter },
    plugins: a.plugins,
    pluginOutput: (text) => log(text.replace(/\n$/, "")),
    loadvm: a.loadvm,
    rr: runInputLog(a.rr, a.gdbPort),
  });
  try {
    const dumped = (machineDriver(m) as SystemDriver).sys.machine.dumpedDtb;
    if (dumped) {
      console.log(`dtb dumped to ${dumped}. Exiting.`);
      return 0;
    }
    // QEMU: the monitor has stdio when asked, or when -nographic finds the serial port elsewhere
    // -nodefaults: no serial port and no monitor unless asked for
    const monitorStdio = a.monitorStdio ??
      (a.nographic && !a.nodefaults && a.serial && a.serial.kind !== "stdio");
    const serial = a.serial ?? { kind: monitorStdio || a.nodefaults ? "null" : "stdio" };
    const chardevs = chardevList(a, !!monitorStdio, a.nodefaults ? a.serial : serial);
    const closeSerial = serialSink(m.serial, serial);
    const monitor = new Monitor(m, (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)), {
      name: a.name,
      uuid: a.uuid,
      // -S without gdb waits for the monitor's cont
      prelaunch: a.gdbWait && a.gdbPort === undefined,
      noReboot: a.noReboot,
      chardevs,
    });
    const stopInput = monitorStdio ? monitorInput(monitor) : startInput(m, monitor);
    try {
      if (a.gdbPort !== undefined) {
        const options = { name: a.name, uuid: a.uuid, noReboot: a.noReboot, chardevs };
        await debugWithGdb(m, a.gdbPort, `-gdb tcp::${a.gdbPort}`, gdbMonitor(m, options));
      }
      return await monitor.run();
    } finally {
      stopInput();
      closeSerial();
    }
  } finally {
    await m.close();
  }
}

/** `-monitor stdio`: stdin's lines are monitor commands; returns a function that stops reading. */
function monitorInput(monitor: Monitor): () => void {
  monitor.write(`${MONITOR_BANNER}\r\n(qemu) `);
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  (async () => {
    let text = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n")) {
          const line = text.slice(0, nl).replace(/\r$/, "");
          monitor.write(line + "\r\n"); // QEMU's readline echoes it
          await monitor.command(line);
          text = text.slice(nl + 1);
        }
      }
    } catch {
      // stdin closed
    }
  })();
  return () => reader.releaseLock();
}

/** Feeds stdin to the guest (raw mode on a terminal); returns a function that stops it. */
function startInput(m: Machine, monitor: Monitor): () => void {
  const tty = Deno.stdin.isTerminal();
  if (tty) Deno.stdin.setRaw(true);
  const escapes = new EscapeReader((key) => {
    if (key === "x") {
      Deno.stderr.writeSync(new TextEncoder().encode("QEMU: Terminated\r\n"));
      monitor.quit();
    } else if (key === "h") Deno.stderr.writeSync(new TextEncoder().encode(ESCAPE_HELP));
    else if (key === "c") {
      inMonitor = !inMonitor;
      if (inMonitor) monitor.enter();
      else Deno.stderr.writeSync(new TextEncoder().encode("\r\n"));
    }
  });
  let inMonitor = false;
  const reader = Deno.stdin.readable.getReader();
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const bytes = escapes.feed(value);
        if (inMonitor) monitor.feed(bytes);
        else if (bytes.length) m.serial.write(bytes);
      }
    } catch {
      // stdin closed
    }
  })();
  return () => {
    reader.releaseLock();
    if (tty) Deno.stdin.setRaw(false);
  };
}
