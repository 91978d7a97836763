/**
 * System mode's part of a {@linkcode Machine}: a board with its devices,
 * run in slices bounded by the next device event (`SystemRunLoop`). The
 * board's reset device reports `reset` and `poweroff`; traps and interrupts
 * go to the guest's own handlers (and to `hooks.on("discontinuity")`).
 *
 * @module
 */

import type { ModuleList } from "../modules.ts";
import type { SystemSnapshot } from "../system/system_state.ts";
import type { SnapshotIdentity } from "../snapshot/file.ts";
import type { ElfSymbol } from "../elf.ts";
import { parseElf } from "../elf.ts";
import { EmuError, InternalError } from "../errors.ts";
import type { ToolBinary } from "../plugin.ts";
import type { EmulatedSystem } from "../system/emulated_system.ts";
import type { MachineDriver } from "./driver.ts";
import type { RunEvent } from "./events.ts";
import { loadedBounds, loadedSymbols } from "./symbols.ts";
import { readInputFile, readInputHead } from "../host_files.ts";

/** An ELF image the board loaded (firmware or kernel), for symbols. */
interface LoadedElf {
  path: string;
  symbols: ElfSymbol[];
  binary?: ToolBinary;
}

/**
 * A {@linkcode MachineDriver} over an {@linkcode EmulatedSystem}.
 *
 * With a `shadow` (`-accel lockstep`), a second machine built alike runs on
 * the interpreter behind the first (on the JIT): after every slice it runs
 * to the same instruction count and the two register files must be equal.
 * Comparing whole machines rather than single blocks keeps device side
 * effects (MMIO, CSRs) from happening twice in one machine; runs are
 * deterministic, so the two stay in step. Input typed into the first
 * machine's serial port is typed into the shadow's too.
 */
export class SystemDriver implements MachineDriver {
  readonly mode = "system";
  #started = false;
  #endStatus: number | null = null;
  readonly #images: LoadedElf[];

  /** `images`: the host paths of the -bios and -kernel files (ELF ones give symbols). */
  constructor(
    readonly sys: EmulatedSystem,
    images: string[],
    readonly identity: SnapshotIdentity,
    readonly shadow?: EmulatedSystem,
  ) {
    this.#images = images.flatMap((path) => elfImage(path));
    sys.serial.onInput(() => sys.loop.wake()); // typed input wakes an idle hart
    if (shadow) sys.serial.onInput((bytes) => shadow.serial.write(bytes));
  }

  get cpu() {
    return this.sys.cpu;
  }

  get cpus() {
    return this.sys.harts.map((h) => h.cpu);
  }

  get currentCpu() {
    return this.sys.loop.position.current;
  }

  runAlone(index: number | null): void {
    this.sys.loop.only = index;
    if (this.shadow) this.shadow.loop.only = index;
  }

  /** Instructions retired by all harts. */
  get icount(): number {
    return this.sys.loop.icount;
  }

  get hooks() {
    return this.sys.hooks;
  }

  get target() {
    return this.sys.target;
  }

  get vcpus() {
    return this.sys.hartHooks.map((h) => h.vcpu);
  }

  get mirrors() {
    return this.shadow?.hartHooks.map((h) => h.vcpu);
  }

  get serial() {
    return this.sys.serial;
  }

  get inputLog() {
    return this.sys.inputLog;
  }

  get exited(): boolean {
    return this.#endStatus !== null;
  }

  get idle(): boolean {
    return this.sys.loop.waiting && this.sys.events.nextDeadline() === null;
  }

  slice(budget: number, paused: () => boolean): RunEvent | null {
    if (this.#endStatus !== null) return { type: "exit", status: this.#endStatus, signal: null };
    if (!this.#started) {
      this.#started = true;
      for (const h of this.sys.hartHooks) h.events.emit("vcpu_init", { index: h.index });
    }
    this.sys.loop.pauseRequested = paused;
    const from = this.sys.loop.icount;
    const r = this.sys.loop.runSlice(budget);
    if (this.shadow) this.#follow(this.shadow, from);
    if (this.#endStatus !== null) return { type: "exit", status: this.#endStatus, signal: null };
    if (!r) return null;
    if (r.kind === "poweroff") {
      this.#finish(r.status);
      return { type: "poweroff", status: r.status };
    }
    return r.kind === "reset" ? { type: "reset" } : { type: "stop" };
  }

  /** Runs the shadow machine up to the main one's instruction count and compares them. */
  #follow(shadow: EmulatedSystem, from: number): void {
    const icount = this.sys.loop.icount, traps = this.sys.loop.stats.traps;
    // then as many traps that retire nothing (a trap vector that faults) as the main one took
    const behind = () =>
      shadow.loop.icount < icount ||
      (shadow.loop.icount === icount && shadow.loop.stats.traps < traps);
    while (behind()) {
      const r = shadow.loop.runSlice(Math.max(1, icount - shadow.loop.icount));
      if (r?.kind === "poweroff") break;
      if (!r && shadow.loop.waiting && shadow.events.nextDeadline() === null) break;
    }
    const diff = stateDifference(this.sys, shadow);
    if (shadow.loop.icount !== icount || diff) {
      throw new InternalError(
        `lockstep: between instructions ${from} and ${icount} the JIT and the interpreter ` +
          `differ (interp at ${shadow.loop.icount}): ${diff || "instruction count"}`,
        this.sys.loop.cpu.pc,
      );
    }
  }

  #finish(status: number): void {
    this.#endStatus = status;
    for (const h of this.sys.hartHooks) h.events.emit("vcpu_exit", { index: h.index });
    this.hooks.events.emit("exit", { status });
  }

  waitForInput(): Promise<void> {
    return this.sys.loop.waitForInput();
  }

  wake(): void {
    this.sys.loop.wake();
  }

  end(status: number): void {
    if (this.#endStatus === null) this.#finish(status);
    const running = this.sys.loop.cpu;
    running.stopRequested = true;
    running.exitRequest = true;
    this.wake();
  }

  get modules(): ModuleList {
    return this.sys.modules;
  }

  /** The kernel (the last ELF image given), as tools see the main program. */
  binary(): ToolBinary | undefined {
    return this.#images.at(-1)?.binary;
  }

  mapMemory(): void {
    throw new EmuError("mapMemory: system-mode memory is the board's RAM and devices");
  }

  /** System mode reports no faults: the guest's trap handlers take them. */
  dropFault(): void {}

  /** Signals are a user-mode notion: gdb's continue-with-signal does nothing here. */
  sendSignal(): void {}

  muteOutput(on: boolean): void {
    this.sys.serial.outputMuted = on;
  }

  /**
   * What snapshots capture: the machine, and in lockstep its shadow too. A
   * restore brings a machine that powered off since back to life.
   */
  get state(): object {
    const { sys, shadow } = this;
    return {
      // the file form is the main machine's; a shadow restored from a file follows it
      snapshot: () =>
        shadow ? Object.assign(sys.snapshot(), { shadow: shadow.snapshot() }) : sys.snapshot(),
      restore: (s: Parameters<EmulatedSystem["restore"]>[0] & { shadow?: SystemSnapshot }) => {
        sys.restore(s);
        shadow?.restore(s.shadow ?? s);
        this.#endStatus = null;
      },
      snapshotBlobLimit: sys.snapshotBlobLimit,
    };
  }

  async close(): Promise<void> {
    await this.shadow?.close();
    await this.sys.close();
  }
}

/** The registers that differ between two machines, as "name jit/interp" (with the hart), or "". */
function stateDifference(a: EmulatedSystem, b: EmulatedSystem): string {
  for (const [h, { cpu }] of a.harts.entries()) {
    const other = b.harts[h].cpu;
    const sa = cpu.stateBlock(), sb = other.stateBlock();
    if (sa.every((x, i) => x === sb[i])) continue;
    const regs = a.target.state.registers.filter((r) =>
      cpu.getState(r.offset) !== other.getState(r.offset)
    );
    const shown = regs.map((r) =>
      `${r.name} ${cpu.getState(r.offset).toString(16)}/${other.getState(r.offset).toString(16)}`
    );
    const hart = a.harts.length > 1 ? `hart ${h}: ` : "";
    return hart + (shown.length ? shown.join(", ") : "state outside the registers");
  }
  return "";
}

const isElf = (b: Uint8Array) => b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/** The symbols of `path` when it is an ELF file; nothing for raw images. */
function elfImage(path: string): LoadedElf[] {
  // Raw images (a Linux `Image`, `fw_jump.bin`) are told by their first bytes: reading a
  // 3 MiB kernel again only to find it has no ELF magic took 20-50 ms of a boot.
  let bytes: Uint8Array;
  try {
    if (!isElf(readInputHead(path, 4))) return [];
    bytes = readInputFile(path);
  } catch {
    return [];
  }
  try {
    const elf = parseElf(bytes, path);
    return [{ path, symbols: loadedSymbols(elf), binary: loadedBounds(elf, 0n, path) }];
  } catch {
    return []; // the board already reported what is wrong with it
  }
}
