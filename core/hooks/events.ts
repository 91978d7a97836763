/**
 * Events that are not instructions: system calls, discontinuities
 * (exceptions, interrupts, signal delivery), vCPU start and exit, translation
 * flushes and the end of the run. The run layers (Linux user mode, the system
 * run loop) emit them; tools and scripts subscribe through `Hooks.on`.
 *
 * @module
 */

import type { LoadedModule } from "../modules.ts";

/**
 * A system call about to run. `skip(ret)` suppresses it and sets its return value.
 *
 * @example
 * ```ts ignore
 * m.hooks.on("syscall", (e: SyscallEvent) => e.name === "unlink" && e.skip(0n));
 * ```
 */
export interface SyscallEvent {
  /** the syscall number */
  number: number;
  /** its name, e.g. "write" */
  name: string;
  /** its arguments */
  args: bigint[];
  /** the pc of the syscall instruction */
  pc: bigint;
  /** Do not run the syscall; return `ret` to the guest instead. */
  skip(ret: bigint): void;
}

/**
 * A system call that ran, with its return value (negative errno on failure).
 *
 * @example
 * ```ts ignore
 * m.hooks.on("syscall_return", (e: SyscallReturnEvent) => console.log(e.name, e.ret));
 * ```
 */
export interface SyscallReturnEvent {
  /** the syscall number */
  number: number;
  /** its name, e.g. "write" */
  name: string;
  /** its arguments */
  args: bigint[];
  /** what it returned */
  ret: bigint;
}

/**
 * Control left the straight line of code (QEMU's discontinuity callback).
 *
 * @example
 * ```ts ignore
 * m.hooks.on("discontinuity", (d: DiscontinuityEvent) => console.log(d.kind, d.from, d.to));
 * ```
 */
export interface DiscontinuityEvent {
  /** a trap or signal from the instruction, an asynchronous interrupt or signal, or a syscall */
  kind: "exception" | "interrupt" | "hostcall";
  /** pc where it happened */
  from: bigint;
  /** pc where execution continues */
  to: bigint;
  /** the vCPU it happened on (QEMU's `vcpu_index`: system mode, the hart id) */
  vcpu: number;
}

/**
 * The events and their payloads.
 *
 * @example
 * ```ts ignore
 * m.hooks.on("exit", (e: HookEventMap["exit"]) => console.log("status", e.status));
 * ```
 */
export interface HookEventMap {
  /** a syscall is about to run (user mode) */
  syscall: SyscallEvent;
  /** a syscall ran (user mode) */
  syscall_return: SyscallReturnEvent;
  /** control left the straight line: a trap, an interrupt, a signal, a syscall */
  discontinuity: DiscontinuityEvent;
  /** the vCPU is about to run its first instruction */
  vcpu_init: { index: number };
  /** the vCPU stopped for good */
  vcpu_exit: { index: number };
  /** all translated code was dropped */
  flush: Record<string, never>;
  /** the guest exited or powered off with `status` */
  exit: { status: number };
  /** an ELF image was mapped (user mode: the program, ld.so, each shared library) */
  module_load: { module: LoadedModule };
}

/**
 * A small typed event emitter.
 *
 * @example
 * ```ts
 * import { HookEvents } from "./events.ts";
 * const ev = new HookEvents();
 * ev.on("exit", (e) => console.log("exit", e.status));
 * ev.emit("exit", { status: 0 });
 * ```
 */
export class HookEvents {
  #listeners = new Map<number, { name: keyof HookEventMap; cb: (e: never) => void }>();
  #nextId = 1;

  /** Subscribes `cb` to event `name`; returns an id for {@linkcode off}. */
  on<K extends keyof HookEventMap>(name: K, cb: (e: HookEventMap[K]) => void): number {
    const id = this.#nextId++;
    this.#listeners.set(id, { name, cb: cb as (e: never) => void });
    return id;
  }

  /** Unsubscribes. */
  off(id: number): void {
    this.#listeners.delete(id);
  }

  /** Whether anyone listens to `name` (emitters can skip building payloads). */
  has(name: keyof HookEventMap): boolean {
    for (const l of this.#listeners.values()) if (l.name === name) return true;
    return false;
  }

  /** Calls every listener of `name` in subscription order. */
  emit<K extends keyof HookEventMap>(name: K, e: HookEventMap[K]): void {
    for (const l of [...this.#listeners.values()]) {
      if (l.name === name) (l.cb as (e: HookEventMap[K]) => void)(e);
    }
  }
}
