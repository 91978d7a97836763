/**
 * The threads of one Linux process on its one CPU: creating them (clone),
 * switching between them (the target's state block and the per-thread signal
 * state are swapped), choosing the next one with the {@linkcode Scheduler},
 * waking blocked ones, skipping virtual time when all of them sleep, ending
 * one (clear_child_tid, robust futexes) and reporting a deadlock.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { STATE_BASE } from "../host_memory.ts";
import { E } from "./errno.ts";
import { ownerDied } from "./futex.ts";
import type { LinuxProcess } from "./process.ts";
import type { PendingSignal } from "./signals.ts";
import { defaultAction, SA, SIG_DFL, SIG_IGN, sigBit, SS_DISABLE, UNBLOCKABLE } from "./signals.ts";
import { formatSyscall } from "./strace.ts";
import { GuestThread, RESTART, type SchedOptions, Scheduler, type WaitResult } from "./threads.ts";

/** Robust-list entries walked at most at a thread's exit (the kernel's ROBUST_LIST_LIMIT). */
const ROBUST_LIST_LIMIT = 2048;

/**
 * Every guest thread waits and nothing can wake any of them.
 *
 * @example
 * ```ts ignore
 * try { p.runToExit(); } catch (e) { if (e instanceof DeadlockError) console.log(e.message); }
 * ```
 */
export class DeadlockError extends EmuError {
  constructor(lines: string[]) {
    super(
      `deadlock: every guest thread waits and none can wake the others\n${lines.join("\n")}`,
      "run with -strace to see how the threads got there",
    );
  }
}

/** Registers given to a new thread (clone). */
export interface NewThreadRegisters {
  /** the stack pointer (0: the parent's) */
  sp: bigint;
  /** the thread pointer (CLONE_SETTLS), if set */
  tls?: bigint;
}

/**
 * The threads of a process and which one runs.
 *
 * @example
 * ```ts ignore
 * const child = p.threads.spawn({ sp: stack, tls });
 * p.threads.schedule(); // may switch to it
 * ```
 */
export class ThreadGroup {
  /** live threads in creation order */
  readonly all: GuestThread[];
  /** the thread whose state is in the CPU */
  current: GuestThread;
  readonly scheduler: Scheduler;
  /** instructions the current thread may still run before the scheduler is asked */
  quantumLeft: number;
  /** the current thread exited: its state is not saved at the next switch */
  #currentGone = false;
  /** the TID of the thread that ran instructions last (whose a debugger's step was) */
  ran: number | null = null;
  /** sched_yield asked for a switch */
  yieldRequested = false;
  /** the thread a debugger looks at while the guest is stopped, and the running thread's state */
  #viewed: { thread: GuestThread; running: Uint8Array } | null = null;

  constructor(readonly p: LinuxProcess, mainTid: number, sched: SchedOptions, seed: bigint) {
    this.current = new GuestThread(mainTid);
    this.all = [this.current];
    this.scheduler = new Scheduler(sched, seed);
    this.quantumLeft = this.scheduler.quantum();
  }

  /**
   * Throws unless one thread runs (snapshots hold one thread).
   */
  checkSingle(what: string): void {
    const others = this.p.world.processes.length - 1;
    if (this.all.length === 1 && others === 0) return;
    const running = others
      ? `${others} other process${others > 1 ? "es of the run exist" : " of the run exists"}`
      : `the process runs ${this.all.length} threads`;
    throw new EmuError(
      `${what}: ${running}; snapshots of several threads or processes are not supported yet`,
      "take it before the first thread or child is created, or after they are gone",
    );
  }

  /** Leaves one thread, `tid`, running the state in the CPU (a snapshot restored). */
  reset(tid: number): void {
    this.current = new GuestThread(tid);
    this.all.splice(0, this.all.length, this.current);
    this.#currentGone = false;
    this.yieldRequested = false;
    this.p.futexes.clear();
  }

  /** The live thread `tid`, if any. */
  find(tid: number): GuestThread | undefined {
    return this.all.find((t) => t.tid === tid);
  }

  /**
   * Puts thread `t`'s registers in the CPU, where a debugger reads and writes
   * them while the guest is stopped; null (before the guest runs again) puts
   * the running thread's back, keeping what the debugger wrote to `t`'s.
   */
  view(t: GuestThread | null): void {
    const block = this.#stateBlock(), v = this.#viewed;
    if (v) {
      v.thread.state = block.slice();
      block.set(v.running);
      this.#viewed = null;
    }
    if (!t || t === this.current || !t.state) return;
    this.#viewed = { thread: t, running: block.slice() };
    block.set(t.state);
  }

  /** Whether the running thread must give the CPU up before running more. */
  get mustSwitch(): boolean {
    return this.#currentGone || this.current.wait !== null || this.quantumLeft <= 0 ||
      this.yieldRequested;
  }

  /** Creates a thread with the running thread's registers but for `regs` and a 0 result. */
  spawn(regs: NewThreadRegisters): GuestThread {
    const { cpu, abi } = this.p;
    const t = new GuestThread(this.p.world.allocId());
    const saved = this.#stateBlock().slice();
    cpu.setGlobal(abi.returnReg, 0n);
    if (regs.sp !== 0n) cpu.setGlobal(abi.spReg, regs.sp);
    if (regs.tls !== undefined) cpu.setGlobal(abi.tlsReg, regs.tls);
    t.state = this.#stateBlock().slice();
    this.#stateBlock().set(saved);
    // A new thread inherits the mask; its alternate stack is cleared (CLONE_VM).
    t.signals = {
      blocked: this.p.signals.blocked,
      pending: [],
      altStack: { sp: 0n, flags: SS_DISABLE, size: 0n },
      restoreMaskAfterSignal: null,
    };
    this.all.push(t);
    return t;
  }

  /** Queues `sig` for thread `t` (tgkill). */
  signalThread(t: GuestThread, sig: PendingSignal): void {
    if (this.discards(sig.signal, t)) return;
    if (t === this.current) this.p.signals.raiseThread(sig);
    else if (sig.signal >= 32 || !t.signals.pending.some((q) => q.signal === sig.signal)) {
      t.signals.pending.push(sig);
    }
  }

  /**
   * Whether signal `n`, sent now, is dropped as Linux's sig_ignored drops it:
   * it is ignored and blocked by no thread (by `only`, for a signal to that
   * thread), a thread in rt_sigtimedwait counting its mask from before.
   */
  discards(n: number, only?: GuestThread): boolean {
    const handler = this.p.signals.actions[n].handler;
    if (handler !== SIG_IGN && (handler !== SIG_DFL || defaultAction(n) !== "ignore")) return false;
    const bit = sigBit(n);
    return (only ? [only] : this.all).every((t) => (this.#realBlocked(t) & bit) === 0n);
  }

  /** Whether a thread waits in rt_sigtimedwait for signal `n`, and `n` would be queued. */
  sigwaits(n: number): boolean {
    const bit = sigBit(n);
    return !this.discards(n) &&
      this.all.some((t) => ((t.wait?.blocking.options.takes ?? 0n) & bit) !== 0n);
  }

  /** The signals thread `t` blocks, with those blocked before an rt_sigtimedwait it is in. */
  #realBlocked(t: GuestThread): bigint {
    const blocked = t === this.current ? this.p.signals.blocked : t.signals.blocked;
    const o = t.wait?.blocking.options;
    return o?.takes !== undefined ? blocked | (o.savedMask ?? 0n) : blocked;
  }

  /**
   * Ends the running thread (exit): zeroes and wakes its clear_child_tid
   * word, releases its robust futexes. The next {@linkcode schedule} runs
   * another thread.
   */
  exitCurrent(): void {
    const t = this.current, p = this.p;
    this.#releaseRobust(t);
    if (t.clearChildTid !== 0n) {
      try {
        p.mem.store(t.clearChildTid, 4, 0n);
        p.futexes.wake(t.clearChildTid, 1);
      } catch { /* an unmapped word is ignored, as the kernel does */ }
    }
    this.all.splice(this.all.indexOf(t), 1);
    this.#currentGone = true;
  }

  /**
   * Switches to the next thread to run (possibly the same one) and returns
   * it with the result of the syscall it was blocked in, if it was; null
   * when every thread waits (the {@linkcode ProcessWorld} then runs other
   * processes, skips time or reports a deadlock).
   */
  schedule(): { thread: GuestThread; result: WaitResult | null } | null {
    this.yieldRequested = false;
    // A result found is kept until its thread runs: finding it may have had effects (a read).
    for (const t of this.all) {
      if (t.wait && t.waitResult === null) t.waitResult = this.#waitResult(t);
    }
    const ready = this.all.filter((t) => !t.wait || t.waitResult !== null);
    if (!ready.length) return null;
    const t = ready.length === 1 ? ready[0] : this.scheduler.pick(ready, this.current);
    this.#switchTo(t);
    const result = t.waitResult;
    t.waitResult = null;
    const saved = t.wait?.blocking.options.savedMask;
    if (saved !== undefined && result !== null) this.#restoreMask(saved, result);
    return { thread: t, result };
  }

  /** Ends a wait with a temporary signal mask: at once, or after an interrupting signal's handler. */
  #restoreMask(saved: bigint, result: WaitResult): void {
    if (result === RESTART || result === -E.EINTR) this.p.restoreMaskAfterSignal = saved;
    else this.p.signals.blocked = saved;
  }

  /** Whether a thread waits for what the outside world (the host network) may bring. */
  waitsOutside(): boolean {
    return this.all.some((t) => t.wait?.blocking.options.outside === true);
  }

  /** The virtual times at which waiting threads time out. */
  deadlines(): bigint[] {
    return this.all.flatMap((t) => {
      const d = t.wait?.blocking.options.deadlineNs;
      return d === undefined ? [] : [d];
    });
  }

  /** The result that ends `t`'s wait now (woken, timed out, interrupted), or null. */
  #waitResult(t: GuestThread): WaitResult | null {
    const b = t.wait!.blocking;
    const r = b.poll();
    if (r !== null) return r;
    const { deadlineNs, timeoutResult, cancel } = b.options;
    if (deadlineNs !== undefined && this.p.clock.monotonicNs() >= deadlineNs) {
      cancel?.();
      return timeoutResult ?? -E.ETIMEDOUT;
    }
    const sig = this.#signalWaiting(t);
    if (!sig) return null;
    cancel?.();
    const act = this.p.signals.actions[sig];
    const handled = act.handler !== SIG_DFL && act.handler !== SIG_IGN;
    const restart = handled && (act.flags & SA.RESTART) && b.options.restartable !== false;
    return restart ? RESTART : -E.EINTR;
  }

  /** The lowest signal that `t` does not block and that acts, pending for it or its process (0: none). */
  #signalWaiting(t: GuestThread): number {
    const s = this.p.signals, running = t === this.current && !this.#currentGone;
    const set = ~(running ? s.blocked : t.signals.blocked) | UNBLOCKABLE;
    const own = running ? s.threadPending : t.signals.pending;
    const sigs = [...own, ...s.pending].map((q) => q.signal)
      .filter((n) => (set & sigBit(n)) && s.acts(n));
    return sigs.length ? Math.min(...sigs) : 0;
  }

  #stateBlock(): Uint8Array {
    const { cpu } = this.p;
    return cpu.host.u8.subarray(STATE_BASE, STATE_BASE + cpu.target.state.size);
  }

  /** Saves the running thread's CPU and signal state and loads `t`'s. */
  #switchTo(t: GuestThread): void {
    this.quantumLeft = this.scheduler.quantum();
    if (t === this.current && !this.#currentGone) return;
    const p = this.p, s = p.signals, block = this.#stateBlock();
    if (!this.#currentGone) {
      this.current.state = block.slice();
      this.current.signals = {
        blocked: s.blocked,
        pending: s.threadPending,
        altStack: s.altStack,
        restoreMaskAfterSignal: p.restoreMaskAfterSignal,
      };
    }
    block.set(t.state!);
    t.state = null;
    s.blocked = t.signals.blocked;
    s.threadPending = t.signals.pending;
    s.altStack = t.signals.altStack;
    p.restoreMaskAfterSignal = t.signals.restoreMaskAfterSignal;
    p.abi.breakReservation(p.cpu);
    this.current = t;
    this.#currentGone = false;
  }

  /**
   * Marks the robust futexes `t` holds as owner-died and wakes a waiter of
   * each (see {@linkcode ownerDied}). An entry's bit 0 says its futex is a
   * PI one, as in the kernel's fetch_robust_entry.
   */
  #releaseRobust(t: GuestThread): void {
    if (t.robustList === 0n) return;
    const { mem } = this.p;
    try {
      const head = t.robustList;
      const offset = BigInt.asIntN(64, mem.load(head + 8n, 8, false));
      const entries = [mem.load(head + 16n, 8, false)]; // list_op_pending
      let entry = mem.load(head, 8, false);
      for (let n = 0; (entry & ~1n) !== head && entry !== 0n && n < ROBUST_LIST_LIMIT; n++) {
        entries.push(entry);
        entry = mem.load(entry & ~1n, 8, false);
      }
      for (const e of entries) {
        if (e !== 0n) ownerDied(this.p, t.tid, (e & ~1n) + offset, (e & 1n) !== 0n);
      }
    } catch { /* a broken list stops the walk, as in the kernel */ }
  }

  /** Releases the robust futexes of every thread (the process exits). */
  releaseRobustLists(): void {
    for (const t of this.all) this.#releaseRobust(t);
  }

  /** One line per waiting thread: its id (and process), the syscall it waits in, what for. */
  report(withProcess: boolean): string[] {
    return this.all.flatMap((t) => {
      const w = t.wait;
      if (!w) return [];
      const call = formatSyscall(this.p, w.name, w.nr, w.args).replace(/^\d+ /, "");
      const who = withProcess ? `thread ${t.tid} (process ${this.p.pid})` : `thread ${t.tid}`;
      return [`  ${who}: ${call} waiting on ${w.blocking.reason}`];
    });
  }
}
