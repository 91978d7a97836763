/**
 * The `emu system` monitor (Ctrl-A C), with QEMU's HMP command names:
 * `savevm FILE`, `loadvm FILE`, `info registers`, `stop`, `cont`, `quit`
 * and `help`. Unlike QEMU's `savevm TAG`, which writes into a qcow2 disk,
 * the argument is the snapshot file (the one `-loadvm FILE` reads).
 *
 * The monitor owns the machine's run: a command that needs the machine
 * still (savevm, loadvm) halts it, acts, and resumes it if it was running.
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import { registerRows } from "../core/register_dump.ts";
import { type Machine, machineDriver } from "../core/machine/machine.ts";

const HELP = [
  "savevm FILE      save the machine to a snapshot file",
  "loadvm FILE      load a snapshot file",
  "info registers   show the CPU registers",
  "stop             stop the CPU",
  "cont             resume the CPU",
  "quit             quit the emulator",
].join("\r\n");

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

  /** A monitor for machine `m`, printing through `write`. */
  constructor(readonly m: Machine, readonly write: (text: string) => void) {}

  /**
   * Runs the machine until it powers off or `quit`, and returns the exit
   * status; `stop`/`cont` pause it in between.
   */
  async run(): Promise<number> {
    for (;;) {
      if (this.#stopped && !this.#quit) await new Promise<void>((r) => this.#resume = r);
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
        this.#queue = this.#queue.then(() => this.#command(line));
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
    this.write("\r\nDenemu monitor - type 'help' for more information\r\n(qemu) ");
  }

  async #command(line: string): Promise<void> {
    const [cmd, ...args] = line.split(/\s+/);
    try {
      await this.#execute(cmd, args);
    } catch (e) {
      if (!(e instanceof EmuError)) throw e;
      this.write(`Error: ${e.message}\r\n`);
    }
    if (!this.#quit) this.write("(qemu) ");
  }

  async #execute(cmd: string, args: string[]): Promise<void> {
    switch (cmd) {
      case "":
        return;
      case "help":
      case "?":
        return this.write(HELP + "\r\n");
      case "savevm":
      case "loadvm": {
        if (args.length !== 1) throw new EmuError(`${cmd} needs a file name`);
        await this.#whileHalted(async () => {
          if (cmd === "savevm") await this.m.save(args[0]);
          else await this.m.load(args[0]);
        });
        return;
      }
      case "info":
        if (args[0] !== "registers") {
          throw new EmuError(`info ${args[0] ?? ""}: unknown (try registers)`);
        }
        return this.write(registers(this.m) + "\r\n");
      case "stop":
      case "cont":
        this.#stopped = cmd === "stop";
        if (this.#stopped) await this.#halt();
        else this.#resume?.();
        return;
      case "quit":
      case "q":
        return this.quit();
      default:
        throw new EmuError(`unknown command: '${cmd}'`);
    }
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

/** `info registers`: the pc and the general registers, as QEMU's RISC-V dump lays them out. */
function registers(m: Machine): string {
  const pc = ` pc       ${m.pc.toString(16).padStart(16, "0")}`;
  return [pc, ...registerRows(machineDriver(m).cpu)].join("\r\n");
}
