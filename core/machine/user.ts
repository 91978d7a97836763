/**
 * User mode's part of a {@linkcode Machine}: a Linux process run event by
 * event. Syscalls are reported before they run, faults before the guest
 * gets its signal (so a script can map the memory and retry).
 *
 * @module
 */

import type { ModuleList } from "../modules.ts";
import type { SnapshotIdentity } from "../snapshot/file.ts";
import { processSnapshotIdentity } from "../linux/process_file.ts";
import type { LinuxProcess } from "../linux/process.ts";
import type { ToolBinary } from "../plugin.ts";
import { TrapKind } from "../trap.ts";
import type { MachineDriver } from "./driver.ts";
import type { RunEvent } from "./events.ts";
import { loadedBounds } from "./symbols.ts";

/** A {@linkcode MachineDriver} over a {@linkcode LinuxProcess}. */
export class UserDriver implements MachineDriver {
  readonly mode = "user";
  readonly idle = false;

  constructor(readonly process: LinuxProcess) {
    process.deferFaults = true;
  }

  get cpu() {
    return this.process.cpu;
  }

  get hooks() {
    return this.process.hooks;
  }

  get target() {
    return this.process.cpu.target;
  }

  get threadIds(): number[] {
    return this.process.threads.all.map((t) => t.tid);
  }

  get currentThread(): number {
    const { all, current } = this.process.threads;
    return Math.max(0, all.indexOf(current));
  }

  get ranThread(): number | null {
    return this.process.threads.ran;
  }

  set ranThread(tid: number | null) {
    this.process.threads.ran = tid;
  }

  viewThread(index: number | null): void {
    const { threads } = this.process;
    threads.view(index === null ? null : threads.all[index] ?? null);
  }

  get inputLog() {
    return this.process.inputLog;
  }

  get exited(): boolean {
    return this.process.exited;
  }

  slice(budget: number): RunEvent | null {
    const p = this.process;
    for (;;) {
      const ev = p.step(budget);
      switch (ev.kind) {
        case "syscall":
          return {
            type: "syscall",
            number: ev.nr,
            name: ev.name,
            args: ev.args,
            pc: ev.pc,
            skip: (ret) => p.skipPendingSyscall(ret),
          };
        case "stop":
          if (p.exited) continue; // a tool ended the guest: report the exit
          return { type: "stop" };
        case "fault": {
          const t = ev.trap;
          if (t.kind === TrapKind.ILLEGAL) {
            return { type: "illegal", pc: t.pc, bits: t.data, signal: ev.signal };
          }
          return {
            type: "fault",
            pc: t.pc,
            address: t.data,
            access: t.access ?? "read",
            signal: ev.signal,
            trap: t,
            retry: () => this.dropFault(),
          };
        }
        case "signal":
          return { type: "signal", signal: ev.signal, handler: ev.handler };
        case "signal_stop":
          return { type: "signal_stop", signal: ev.signal };
        case "budget":
          return null;
        case "exit":
          return { type: "exit", status: ev.status, signal: ev.signal };
      }
    }
  }

  waitForInput(): Promise<void> {
    return Promise.resolve();
  }

  wake(): void {}

  end(status: number, signal: number | null): void {
    this.process.exit(status, signal);
  }

  get modules(): ModuleList {
    return this.process.modules;
  }

  get identity(): SnapshotIdentity {
    return processSnapshotIdentity(this.process);
  }

  get auxv(): Uint8Array {
    return this.process.auxv;
  }

  get exePath(): string {
    return this.process.exePath;
  }

  binary(): ToolBinary | undefined {
    const { elf, loadBias, programPath } = this.process;
    return elf ? loadedBounds(elf, loadBias, programPath) : undefined;
  }

  mapMemory(addr: bigint, length: bigint, perms: number): void {
    this.process.mem.map(addr, length, perms);
  }

  dropFault(): void {
    this.process.resolveFault();
  }

  sendSignal(signal: number): void {
    this.process.sendSignal({ signal, code: 0, reported: true });
  }

  reportSignals(on: boolean): void {
    this.process.reportSignals = on;
  }

  muteOutput(on: boolean): void {
    this.process.outputMuted = on;
  }

  get state(): object {
    return this.process;
  }

  close(): Promise<void> {
    if (!this.process.exited) this.process.fds.closeAll();
    this.process.world.net?.close();
    return Promise.resolve();
  }
}
