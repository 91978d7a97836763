/**
 * The gdb stub's view of a system-mode machine (`emu system -s -S`): the
 * hart's registers, memory as the hart sees it (through its MMU), breakpoints
 * in any privilege mode, watchpoints, and the machine running in slices with
 * its devices and timers.
 *
 * @module
 */

import type { HookId } from "../hooks/hooks.ts";
import type { EmulatedSystem } from "../system/emulated_system.ts";
import type { TargetArch } from "../target.ts";
import type { Debuggee, DebugStop, WatchKind } from "./debuggee.ts";
import { GdbSignal } from "./signals.ts";

interface Watch {
  addr: bigint;
  length: number;
  kind: WatchKind;
  id: HookId;
}

/**
 * A {@linkcode Debuggee} over an {@linkcode EmulatedSystem}.
 *
 * @example
 * ```ts ignore
 * const server = GdbServer.listen(new SystemDebuggee(sys), { port: 1234 });
 * await server.serve();
 * ```
 */
export class SystemDebuggee implements Debuggee {
  #breakpoints = new Set<bigint>();
  #watches: Watch[] = [];
  #watchHit: { kind: WatchKind; address: bigint } | null = null;
  #exitStatus: number | null = null;

  constructor(readonly sys: EmulatedSystem) {}

  /** The machine's target. */
  get target(): TargetArch {
    return this.sys.target;
  }

  /** Whether the machine powered off or was killed. */
  get exited(): boolean {
    return this.#exitStatus !== null;
  }

  /** Reads a register by canonical name. */
  readReg(name: string): bigint {
    return this.sys.hooks.vcpu.readReg(name);
  }

  /** Writes a register by canonical name. */
  writeReg(name: string, value: bigint): void {
    this.sys.hooks.vcpu.writeReg(name, value);
  }

  /** Reads memory at a virtual address, as the hart would now. */
  readMemory(addr: bigint, length: number): Uint8Array {
    return this.sys.hooks.vcpu.readMemory(addr, length);
  }

  /** Writes memory at a virtual address, ignoring protections. */
  writeMemory(addr: bigint, data: Uint8Array): void {
    this.sys.hooks.vcpu.writeMemory(addr, data);
  }

  /** Adds a software breakpoint. */
  addBreakpoint(pc: bigint): void {
    this.#breakpoints.add(pc);
    this.sys.addBreakpoint(pc);
  }

  /** Removes a software breakpoint. */
  removeBreakpoint(pc: bigint): void {
    this.#breakpoints.delete(pc);
    this.sys.removeBreakpoint(pc);
  }

  /** Stops after an access to `[addr, addr+length)`. */
  addWatchpoint(addr: bigint, length: number, kind: WatchKind): void {
    const id = this.sys.hooks.addMemHook((_v, a) => {
      this.#watchHit = { kind, address: a.address };
      this.sys.pause();
    }, { begin: addr, end: addr + BigInt(Math.max(1, length) - 1), access: kind, regs: "none" });
    this.#watches.push({ addr, length, kind, id });
  }

  /** Removes the watchpoint added with the same arguments. */
  removeWatchpoint(addr: bigint, length: number, kind: WatchKind): void {
    const i = this.#watches.findIndex((w) =>
      w.addr === addr && w.length === length && w.kind === kind
    );
    if (i < 0) return;
    this.sys.hooks.remove(this.#watches[i].id);
    this.#watches.splice(i, 1);
  }

  /** Ends the machine (gdb's `kill`). */
  kill(): void {
    this.#exitStatus = 128 + 9;
  }

  /** Removes every breakpoint and watchpoint; the machine runs on without gdb. */
  detach(): void {
    for (const pc of [...this.#breakpoints]) this.removeBreakpoint(pc);
    for (const w of [...this.#watches]) this.removeWatchpoint(w.addr, w.length, w.kind);
  }

  /** The status the machine powered off with, once it has. */
  get exitStatus(): number | null {
    return this.#exitStatus;
  }

  /** Runs one instruction, or a slice of `budget` instructions with the machine's devices. */
  resume(opts: { step: boolean; signal: number; budget: number }): DebugStop | null {
    if (this.#exitStatus !== null) return { kind: "exited", status: this.#exitStatus };
    const ev = this.sys.runSlice(opts.step ? 1 : opts.budget);
    if (ev === null || ev.type === "reset") return opts.step ? { kind: "step" } : null;
    if (ev.type === "poweroff") {
      this.#exitStatus = ev.status;
      return { kind: "exited", status: ev.status };
    }
    if (ev.type === "breakpoint") return { kind: "breakpoint" };
    const hit = this.#watchHit;
    this.#watchHit = null;
    if (hit) return { kind: "watch", watch: hit.kind, address: hit.address };
    return opts.step ? { kind: "step" } : { kind: "signal", signal: GdbSignal.TRAP };
  }
}
