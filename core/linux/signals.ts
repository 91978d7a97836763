/**
 * Signal state of a Linux process: dispositions, the blocked mask, pending
 * signals, the alternate stack, and the delivery decision.
 *
 * Calling contract with the target ABI: to deliver to a handler the layer
 * computes the stack pointer (alternate stack if asked for), encodes the
 * siginfo and calls `LinuxAbi.setupSignalFrame`, which writes the frame and
 * points the CPU at the handler. `rt_sigreturn` calls
 * `LinuxAbi.restoreSignalFrame`, which restores registers and returns the
 * mask saved in the frame.
 *
 * @module
 */

/** Signal numbers (generic Linux numbering). */
export const SIG = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

/** Highest signal number (real-time signals included). */
export const NSIG = 64;
/** sa_flags bits. */
export const SA = {
  SIGINFO: 4,
  ONSTACK: 0x08000000,
  RESTART: 0x10000000,
  NODEFER: 0x40000000,
  RESETHAND: 0x80000000,
  RESTORER: 0x04000000,
} as const;
/** Special handler values. */
export const SIG_DFL = 0n, SIG_IGN = 1n;
/** sigaltstack flags. */
export const SS_ONSTACK = 1, SS_DISABLE = 2;

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(SIG).map(([k, v]) => [v, k]),
);

/**
 * The name of signal `n` ("SIGSEGV"), or "SIG<n>" for real-time signals.
 *
 * @example
 * ```ts
 * import { signalName } from "./signals.ts";
 * console.log(signalName(11)); // "SIGSEGV"
 * ```
 */
export function signalName(n: number): string {
  return NAMES[n] ?? `SIG${n}`;
}

const DESCRIPTIONS: Record<number, string> = {
  4: "Illegal instruction",
  5: "Trace/breakpoint trap",
  6: "Aborted",
  7: "Bus error",
  8: "Floating point exception",
  11: "Segmentation fault",
};

/** The strsignal() text QEMU prints for a fatal signal. */
export function signalDescription(n: number): string {
  return DESCRIPTIONS[n] ?? signalName(n);
}

/** What the default action of a signal does. */
export type DefaultAction = "terminate" | "core" | "ignore" | "stop";

/**
 * The default action of signal `n`.
 *
 * @example
 * ```ts
 * import { defaultAction } from "./signals.ts";
 * console.log(defaultAction(17)); // "ignore" (SIGCHLD)
 * ```
 */
export function defaultAction(n: number): DefaultAction {
  switch (n) {
    case SIG.SIGCHLD:
    case SIG.SIGURG:
    case SIG.SIGWINCH:
    case SIG.SIGCONT:
      return "ignore";
    case SIG.SIGSTOP:
    case SIG.SIGTSTP:
    case SIG.SIGTTIN:
    case SIG.SIGTTOU:
      return "stop";
    case SIG.SIGQUIT:
    case SIG.SIGILL:
    case SIG.SIGTRAP:
    case SIG.SIGABRT:
    case SIG.SIGBUS:
    case SIG.SIGFPE:
    case SIG.SIGSEGV:
    case SIG.SIGXCPU:
    case SIG.SIGXFSZ:
    case SIG.SIGSYS:
      return "core";
    default:
      return "terminate";
  }
}

/** One signal's disposition (struct sigaction). */
export interface SigAction {
  handler: bigint;
  flags: number;
  mask: bigint;
  restorer: bigint;
}

/** A queued signal with its siginfo fields. */
export interface PendingSignal {
  signal: number;
  code: number;
  /** si_addr for faults */
  addr?: bigint;
  pid?: number;
  uid?: number;
  /** raised by a guest fault (a synchronous exception) rather than sent */
  fault?: boolean;
  /** SIGCHLD: the child's si_status (its exit code or the signal) */
  status?: number;
  /** si_value of a queued signal (sigqueue, a POSIX timer) */
  value?: bigint;
  /** the POSIX timer that raised it (si_timerid) */
  timer?: number;
  /** a POSIX timer's expiries it stands for, less one (si_overrun) */
  overrun?: number;
  /** a debugger saw it, or sent it: it is delivered without stopping again */
  reported?: boolean;
}

/** Queues `p` on `list`, once for a standard signal. */
function queue(list: PendingSignal[], p: PendingSignal): void {
  if (p.signal < 32 && list.some((q) => q.signal === p.signal)) return;
  list.push(p);
}

/** The index of the lowest-numbered signal of `list` in `set`, or -1. */
function lowestIn(list: readonly PendingSignal[], set: bigint): number {
  let best = -1;
  for (let i = 0; i < list.length; i++) {
    const s = list[i].signal;
    if (!(set & sigBit(s))) continue;
    if (best < 0 || s < list[best].signal) best = i;
  }
  return best;
}

/** The bit of signal `n` in a sigset. */
export function sigBit(n: number): bigint {
  return 1n << BigInt(n - 1);
}

/** Signals that can be neither blocked nor caught. */
export const UNBLOCKABLE = sigBit(SIG.SIGKILL) | sigBit(SIG.SIGSTOP);

/**
 * The signal state a thread sees: the process's dispositions and
 * process-directed signals, and the running thread's mask, alternate stack
 * and thread-directed signals (swapped at each thread switch).
 *
 * @example
 * ```ts
 * import { SignalState, SIG } from "./signals.ts";
 * const s = new SignalState();
 * s.raise({ signal: SIG.SIGUSR1, code: 0 });
 * console.log(s.next()?.signal); // 10
 * ```
 */
export class SignalState {
  readonly actions: SigAction[] = Array.from(
    { length: NSIG + 1 },
    () => ({ handler: SIG_DFL, flags: 0, mask: 0n, restorer: 0n }),
  );
  /** the running thread's blocked signals */
  blocked = 0n;
  /** signals sent to the process (kill), taken by whichever thread does not block them */
  readonly pending: PendingSignal[] = [];
  /** signals sent to the running thread (tgkill, faults) */
  threadPending: PendingSignal[] = [];
  altStack = { sp: 0n, flags: SS_DISABLE, size: 0n };
  /** told of every signal {@linkcode next} takes (a POSIX timer counts its overruns then) */
  readonly takenObservers: ((s: PendingSignal) => void)[] = [];

  /** The bitmask of signals pending for the running thread or the process. */
  pendingMask(): bigint {
    return [...this.pending, ...this.threadPending].reduce((m, p) => m | sigBit(p.signal), 0n);
  }

  /** Queues a signal for the process (standard signals are not queued twice). */
  raise(p: PendingSignal): void {
    queue(this.pending, p);
  }

  /** Queues a signal for the running thread. */
  raiseThread(p: PendingSignal): void {
    queue(this.threadPending, p);
  }

  /**
   * Queues a synchronous fault signal: when it is blocked or ignored, it is
   * unblocked and reset to the default action, as the kernel forces it.
   */
  force(p: PendingSignal): void {
    const bit = sigBit(p.signal);
    const a = this.actions[p.signal];
    if ((this.blocked & bit) || a.handler === SIG_IGN) {
      this.blocked &= ~bit;
      a.handler = SIG_DFL;
    }
    // The fault comes first: put it ahead of anything already pending.
    this.threadPending.unshift(p);
  }

  /**
   * Removes and returns the next deliverable signal, lowest number first
   * (the thread's own before the process's), among those in `set` if given;
   * `thread`: the signals of the thread that takes it, if not the running one.
   */
  next(
    set: bigint = ~this.blocked | UNBLOCKABLE,
    thread: PendingSignal[] = this.threadPending,
  ): PendingSignal | null {
    const t = lowestIn(thread, set), q = lowestIn(this.pending, set);
    if (t < 0 && q < 0) return null;
    const own = t >= 0 && (q < 0 || thread[t].signal <= this.pending[q].signal);
    const s = own ? thread.splice(t, 1)[0] : this.pending.splice(q, 1)[0];
    for (const observe of this.takenObservers) observe(s);
    return s;
  }

  /** Whether signal `n` does something when delivered (a handler, or a default that is not to ignore). */
  acts(n: number): boolean {
    const h = this.actions[n].handler;
    if (h === SIG_IGN) return false;
    if (h !== SIG_DFL) return true;
    const d = defaultAction(n);
    return d !== "ignore" && d !== "stop";
  }

  /**
   * Puts back a signal taken for delivery while a debugger decides its fate:
   * the running thread takes it first, with no second stop.
   */
  hold(p: PendingSignal): void {
    this.threadPending.unshift({ ...p, reported: true });
  }

  /** Drops the signal {@linkcode hold} put back (the debugger resumed without it). */
  dropHeld(): void {
    const i = this.threadPending.findIndex((p) => p.reported);
    if (i >= 0) this.threadPending.splice(i, 1);
  }

  /** Whether a signal a debugger saw or sent waits for delivery. */
  hasReported(): boolean {
    return this.threadPending.some((p) => p.reported) || this.pending.some((p) => p.reported);
  }

  /** Whether a signal is pending that `mask` does not block. */
  hasDeliverable(mask: bigint = this.blocked): boolean {
    const set = ~mask | UNBLOCKABLE;
    return lowestIn(this.threadPending, set) >= 0 || lowestIn(this.pending, set) >= 0;
  }

  /** Whether `sp` is on the alternate signal stack. */
  onAltStack(sp: bigint): boolean {
    const a = this.altStack;
    return (a.flags & SS_DISABLE) === 0 && sp > a.sp && sp <= a.sp + a.size;
  }

  /** Encodes the 128-byte siginfo of a pending signal. */
  static encodeSiginfo(p: PendingSignal): Uint8Array {
    const b = new Uint8Array(128);
    const dv = new DataView(b.buffer);
    dv.setInt32(0, p.signal, true);
    dv.setInt32(8, p.code, true);
    if (p.addr !== undefined) dv.setBigUint64(16, BigInt.asUintN(64, p.addr), true);
    else if (p.timer !== undefined) {
      dv.setInt32(16, p.timer, true);
      dv.setInt32(20, p.overrun ?? 0, true);
      dv.setBigUint64(24, p.value ?? 0n, true);
    } else {
      dv.setInt32(16, p.pid ?? 0, true);
      dv.setInt32(20, p.uid ?? 0, true);
      if (p.status !== undefined) dv.setInt32(24, p.status, true);
      if (p.value !== undefined) dv.setBigUint64(24, p.value, true);
    }
    return b;
  }
}
