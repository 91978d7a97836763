/**
 * The `emu system` monitor (Ctrl-A C, or `-monitor stdio`), with QEMU's HMP
 * command names and output: `info status|registers|cpus|name|version`,
 * `info block|mtree|qtree|roms` (`monitor_info.ts`), `info mem`
 * (`monitor_mem.ts`), `info chardev` (`monitor_chardev.ts`), `x`,
 * `xp`, `p`/`print`, `stop`, `cont`, `system_reset`, `system_powerdown`,
 * `quit`, `savevm [TAG]`, `loadvm TAG`, `delvm TAG`, `info snapshots` and
 * `help`. As in QEMU, a tag names an internal snapshot in the machine's
 * writable qcow2 disks (`core/machine/vm_snapshots.ts`); Denemu's extension:
 * an argument with a "/" or the `.vmsnap` suffix is a snapshot file instead
 * (the one `-loadvm FILE` reads).
 *
 * The monitor owns the machine's run: a command that needs the machine
 * still (savevm, loadvm) halts it, acts, and resumes it if it was running.
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import { type Machine, machineDriver } from "../core/machine/machine.ts";
import type { SystemDriver } from "../core/machine/system.ts";
import { formatInsn } from "../core/machine/in_asm.ts";
import { hartRows } from "../core/register_dump.ts";
import { deleteVm, listVm, loadVm, saveVm } from "../core/machine/vm_snapshots.ts";
import { isSnapshotPath } from "../core/snapshot/file.ts";
import { snapshotTable } from "./img/info.ts";
import { infoBlock, infoMtree, infoQtree, infoRoms } from "./monitor_info.ts";
import { infoMem } from "./monitor_mem.ts";
import { type ChardevEntry, infoChardev } from "./monitor_chardev.ts";
import {
  dumpLines,
  evaluate,
  FormatState,
  formatValue,
  MonitorMessage,
  MonitorSyntaxError,
} from "./monitor_format.ts";

const HELP = [
  "cont|c  -- resume emulation",
  "help|? [cmd] -- show the help",
  "info [subcommand] -- show various information about the system state",
  "delvm tag -- delete a VM snapshot from its tag",
  "loadvm tag -- restore a VM snapshot from its tag",
  "print|p /fmt expr -- print expression value (use $reg for CPU register access)",
  "quit|q  -- quit the emulator",
  "savevm tag -- save a VM snapshot. If no tag is provided, a new snapshot is created",
  "stop  -- stop emulation",
  "system_powerdown  -- send system power down event",
  "system_reset  -- reset the system",
  "x /fmt addr -- virtual memory dump starting at 'addr'",
  "xp /fmt addr -- physical memory dump starting at 'addr'",
];

const INFO_HELP = [
  "info block [-n] [-v] [device] -- show info of one block device or all block devices " +
  "(-n: show named nodes; -v: show details)",
  "info chardev  -- show the character devices",
  "info cpus  -- show infos for each CPU",
  "info mem  -- show the active virtual memory mappings",
  "info mtree [-f][-d][-o][-D] -- show memory tree (-f: dump flat view for address spaces;" +
  "-d: dump dispatch tree, valid with -f only);-o: dump region owners/parents;-D: dump disabled regions",
  "info name  -- show the current VM name",
  "info registers  -- show the cpu registers",
  "info qtree  -- show device tree",
  "info roms  -- show roms",
  "info snapshots  -- show the currently saved VM snapshots",
  "info status  -- show the current VM status (running|paused)",
  "info uuid  -- show the current VM UUID",
  "info version  -- show the version of QEMU",
].join("\r\n");

/** QEMU commands users reach for that this monitor lacks: they say so instead of "unknown". */
const QEMU_ONLY = new Set([
  "gdbserver",
  "log",
  "logfile",
  "info irq",
  "info pci",
]);

/** How the command line set the monitor up. */
export interface MonitorOptions {
  /** `-name` */
  name?: string;
  /** `-uuid` */
  uuid?: string;
  /** `-S` without gdb: the machine waits for `cont` */
  prelaunch?: boolean;
  /** `-no-reboot`: a guest reset ends the run */
  noReboot?: boolean;
  /** the character devices, in the order QEMU makes them (`info chardev`) */
  chardevs?: ChardevEntry[];
  /** gdb's monitor: gdb holds the machine (`info status` says "paused (debug)", as QEMU's) */
  debug?: boolean;
}

/**
 * A line-oriented monitor for one machine.
 *
 * @example
 * ```ts ignore
 * const mon = new Monitor(m, (text) => Deno.stderr.writeSync(enc.encode(text)));
 * const status = await mon.run(); // instead of m.runToExit()
 * ```
 */
export class Monitor {
  #line = "";
  #stopped = false;
  #quit = false;
  #running: Promise<number | null> | null = null;
  #resume: (() => void) | null = null;
  #queue: Promise<void> = Promise.resolve();
  /** why the machine is paused, as `info status` says it: "prelaunch" or none */
  #reason: string | undefined;
  readonly #formats = new FormatState();

  /** A monitor for machine `m`, printing through `write`. */
  constructor(
    readonly m: Machine,
    readonly write: (text: string) => void,
    readonly options: MonitorOptions = {},
  ) {
    if (options.prelaunch) [this.#stopped, this.#reason] = [true, "prelaunch"];
    else if (options.debug) [this.#stopped, this.#reason] = [true, "debug"];
  }

  /**
   * Runs the machine until it powers off or `quit`, and returns the exit
   * status; `stop`/`cont` pause it in between.
   */
  async run(): Promise<number> {
    for (;;) {
      if (this.#stopped && !this.#quit) await new Promise<void>((r) => this.#resume = r);
      if (this.#quit) return 0;
      this.#running = this.#runUntilStopped();
      const status = await this.#running;
      this.#running = null;
      if (status !== null || this.#quit || !this.#halting) return status ?? 0;
      await this.#queue;
      this.#halting = false;
    }
  }

  /** The exit status at poweroff, or null when the run was stopped. */
  async #runUntilStopped(): Promise<number | null> {
    for await (const ev of this.m.run()) {
      if (ev.type === "poweroff" || ev.type === "exit") return ev.status;
      if (ev.type === "stop") return null;
      if (ev.type === "reset" && this.options.noReboot) return 0;
    }
    return null;
  }

  #halting = false;

  /** Ends the run, also while stopped (Ctrl-A X). */
  quit(): void {
    this.#quit = true;
    this.#resume?.();
    this.m.stop();
  }

  /** Keyboard input while the monitor has the terminal (raw mode: echoes and edits the line). */
  feed(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === 13 || b === 10) {
        const line = this.#line.trim();
        this.#line = "";
        this.write("\r\n");
        this.#queue = this.#queue.then(() => this.command(line));
      } else if (b === 127 || b === 8) {
        if (this.#line) {
          this.#line = this.#line.slice(0, -1);
          this.write("\b \b");
        }
      } else if (b >= 32 && b < 127) {
        this.#line += String.fromCharCode(b);
        this.write(String.fromCharCode(b));
      }
    }
  }

  /** Prints the banner and prompt (on entering the monitor). */
  enter(): void {
    this.write(`\r\n${MONITOR_BANNER}\r\n(qemu) `);
  }

  /** Runs one line typed at the prompt (`-monitor stdio` feeds whole lines here). */
  async command(line: string): Promise<void> {
    // the name ends at a space or a format, as in QEMU's "x/4xw addr"
    const [, cmd, rest] = /^([^\s/]*)(.*)$/.exec(line.trim())!;
    const args = rest.trim() ? rest.trim().split(/\s+/) : [];
    try {
      await this.#execute(cmd, args, rest);
    } catch (e) {
      if (e instanceof MonitorSyntaxError) {
        this.write(`${e.message}\r\nTry "help ${cmd}" for more information\r\n`);
      } else if (e instanceof MonitorMessage) this.write(`${e.message}\r\n`);
      else if (e instanceof EmuError) this.write(`Error: ${e.message}\r\n`);
      else throw e;
    }
    if (!this.#quit) this.write("(qemu) ");
  }

  async #execute(cmd: string, args: string[], rest: string): Promise<void> {
    switch (cmd) {
      case "":
        return;
      case "help":
      case "?":
        return this.write(help(args[0]) + "\r\n");
      case "savevm":
      case "loadvm":
      case "delvm":
        return await this.#snapshotCommand(cmd, args);
      case "info":
        return this.write((args[0] ? this.#info(args[0], args.slice(1)) : INFO_HELP) + "\r\n");
      case "x":
      case "xp":
        return this.#dump(rest, cmd === "xp");
      case "p":
      case "print": {
        const { fmt, expr } = this.#formats.parse(rest);
        return this.write(formatValue(evaluate(expr), fmt.format) + "\r\n");
      }
      case "stop":
        this.#stopped = true;
        return await this.#halt();
      case "cont":
      case "c":
        [this.#stopped, this.#reason] = [false, undefined];
        return this.#resume?.();
      case "quit":
      case "q":
        return this.quit();
      case "system_reset":
        return this.#reset();
      case "system_powerdown":
        // QEMU's virt has no ACPI button or powerdown notifier: the guest sees nothing
        return;
      default:
        if (QEMU_ONLY.has(cmd)) throw new EmuError(`${cmd}: not in Denemu's monitor yet`);
        throw new MonitorMessage(`unknown command: '${cmd}'`);
    }
  }

  /** The text of `info SUB` with its flags. */
  #info(sub: string, flags: string[]): string {
    switch (sub) {
      case "registers":
        return registers(this.m);
      case "mem":
        return this.#infoMem();
      case "chardev":
        return infoChardev(this.options.chardevs ?? []);
      case "status": {
        const state = this.#stopped ? "paused" : "running";
        return `VM status: ${state}${this.#reason ? ` (${this.#reason})` : ""}`;
      }
      case "name":
        return this.options.name ?? "";
      case "uuid":
        return this.options.uuid ?? "00000000-0000-0000-0000-000000000000";
      case "version":
        return `${VERSION} (Denemu)`;
      case "snapshots":
        return snapshotList(this.m);
      case "block":
        return infoBlock(this.m, this.#sys.machine.devices, flags.includes("-v"));
      case "roms":
        return infoRoms(this.#sys.bus);
      case "qtree":
        return infoQtree(this.#sys.machine.devices);
      case "mtree":
        return infoMtree(this.#sys.bus, this.#sys.harts.length, flags.includes("-f"));
      case "cpus": {
        const harts = machineDriver(this.m).cpus?.length ?? 1;
        return Array.from(
          { length: harts },
          (_, i) => `${i === 0 ? "*" : " "} CPU #${i}: thread_id=${Deno.pid}`,
        ).join("\r\n");
      }
      default:
        if (QEMU_ONLY.has(`info ${sub}`)) {
          throw new EmuError(`info ${sub}: not in Denemu's monitor yet`);
        }
        throw new MonitorMessage(`unknown command: 'info ${sub}'`);
    }
  }

  /** `savevm [TAG|FILE]`, `loadvm TAG|FILE`, `delvm TAG`, the machine held still. */
  async #snapshotCommand(cmd: string, args: string[]): Promise<void> {
    const [arg] = args;
    if (args.length > 1) {
      throw new MonitorSyntaxError(`${cmd}: extraneous characters at the end of line`);
    }
    if (arg === undefined && cmd !== "savevm") {
      throw new MonitorSyntaxError(`${cmd}: string expected`);
    }
    if (cmd === "delvm") return deleteVm(this.m, arg);
    await this.#whileHalted(async () => {
      if (arg !== undefined && isSnapshotPath(arg)) {
        await (cmd === "savevm" ? this.m.save(arg) : this.m.load(arg));
      } else if (cmd === "savevm") await saveVm(this.m, arg);
      else await loadVm(this.m, arg);
    });
  }

  get #sys() {
    return (machineDriver(this.m) as SystemDriver).sys;
  }

  /** `info mem`: hart 0's page tables, by its satp, read from physical memory. */
  #infoMem(): string {
    const cpu = machineDriver(this.m).cpu, bus = this.#sys.bus;
    const satp = cpu.target.gdb?.cpuFeatures?.flatMap((f) => f.regs).find((r) => r.name === "satp");
    const xlen = cpu.target.state.registers.find((r) => r.kind === "pc")?.bits === 32 ? 32 : 64;
    const read = (addr: bigint, size: number) => {
      try {
        const b = bus.readBytes(addr, size);
        return b.reduceRight((v, byte) => (v << 8n) | BigInt(byte), 0n);
      } catch {
        return 0n; // no memory there: QEMU's read gives zeros
      }
    };
    return infoMem(satp?.read(cpu) ?? 0n, xlen, read);
  }

  /** `x` and `xp`: memory at a virtual (as hart 0 sees it) or physical address. */
  #dump(rest: string, physical: boolean): void {
    const { fmt, expr } = this.#formats.parse(rest);
    let addr = evaluate(expr);
    const bus = (machineDriver(this.m) as SystemDriver).sys.bus;
    const read = (a: bigint, n: number): Uint8Array | null => {
      try {
        return physical ? bus.readBytes(a, n) : this.m.peekMemory(a, n);
      } catch {
        return null; // no memory there: QEMU's "Cannot access memory"
      }
    };
    if (fmt.format !== "i") {
      return this.write(dumpLines(addr, fmt, read).map((l) => l + "\r\n").join(""));
    }
    const target = machineDriver(this.m).cpu.target;
    for (let i = 0; i < fmt.count; i++) {
      const bytes = read(addr, 4) ?? read(addr, 2);
      if (!bytes) {
        return this.write(`${addr.toString(16).padStart(16, "0")}: Cannot access memory\r\n`);
      }
      const size = (bytes[0] & 3) === 3 && bytes.length === 4 ? 4 : 2;
      const bits = bytes.subarray(0, size).reduceRight((v, b) => v * 256 + b, 0);
      this.write(formatInsn(target, addr, bits, size) + "\r\n");
      addr += BigInt(size);
    }
  }

  /**
   * `system_reset`: a running machine resets at its next turn (as a guest's
   * reset request does), a stopped one at once; with `-no-reboot` the run ends.
   */
  #reset(): void {
    const sys = (machineDriver(this.m) as SystemDriver).sys;
    if (this.#running) sys.machine.control.raise({ kind: "reset" });
    else if (this.options.noReboot) this.quit();
    else sys.reset();
  }

  /** Stops the current run (if any) and waits until it has returned. */
  async #halt(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#halting = true;
    this.m.stop();
    await running;
  }

  async #whileHalted(act: () => Promise<void>): Promise<void> {
    await this.#halt();
    try {
      await act();
    } finally {
      this.#halting = false;
    }
  }
}

/**
 * The monitor gdb's `monitor CMD` (qRcmd) reaches, as in QEMU: one command
 * line in, what it printed out (no prompt; lines end in "\r\n", as QEMU's).
 *
 * @example
 * ```ts ignore
 * const monitor = gdbMonitor(m);
 * console.log(await monitor("info registers"));
 * ```
 */
export function gdbMonitor(
  m: Machine,
  options: MonitorOptions = {},
): (command: string) => Promise<string> {
  let out = "";
  const monitor = new Monitor(m, (text) => out += text, { ...options, debug: true });
  return async (command) => {
    out = "";
    await monitor.command(command);
    return out.replace(/\(qemu\) $/, "");
  };
}

/** `help [CMD]`: every command's line, `CMD`'s alone, or the `info` subcommands. */
function help(cmd?: string): string {
  if (cmd === "info") return INFO_HELP;
  const own = HELP.filter((l) => l.split(" ")[0].split("|").includes(cmd ?? ""));
  return (own.length ? own : HELP).join("\r\n");
}

/** `info snapshots`: QEMU's table of the tags every writable disk has, or why there is none. */
function snapshotList(m: Machine): string {
  let list;
  try {
    list = listVm(m);
  } catch (e) {
    if (e instanceof EmuError) throw new MonitorMessage(e.message);
    throw e;
  }
  if (!list.length) return "There is no snapshot available.";
  const table = snapshotTable(list.map((s) => ({ ...s, id: "--" }))).replaceAll("\n", "\r\n");
  return `List of snapshots present on all disks:\r\n${table}`;
}

/** The line the monitor starts with (QEMU's says "QEMU 7.2.22 monitor"). */
export const MONITOR_BANNER = `Denemu ${VERSION} monitor - type 'help' for more information`;

/**
 * `info registers`: hart 0 as QEMU 7.2's RISC-V dump lays it out, the FP
 * registers included (see {@linkcode hartRows}).
 */
function registers(m: Machine): string {
  return ["", "CPU#0", ...hartRows(machineDriver(m).cpu, true)].join("\r\n");
}
