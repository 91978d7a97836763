/**
 * Guest threads and the deterministic scheduler that runs them on the one
 * host thread.
 *
 * Why one host thread: QEMU's user mode runs each guest thread on a host
 * thread, so the interleaving (and a racy program's output) changes from run
 * to run. Here the process has one CPU; a thread switch saves the target's
 * state block into the outgoing {@linkcode GuestThread} and loads the
 * incoming one's. Switches happen only between instructions, after a quantum
 * of guest instructions or when a thread blocks in a syscall, and the next
 * thread is chosen by a {@linkcode Scheduler} whose only input is the seed:
 * the same seed gives the same interleaving. An AMO is one instruction, so no
 * switch splits it; an LR/SC reservation is dropped at every switch
 * (`LinuxAbi.breakReservation`), so an SC never succeeds over another
 * thread's store.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { SeededRandom } from "../random.ts";
import type { PendingSignal } from "./signals.ts";
import { SS_DISABLE } from "./signals.ts";

/**
 * The result of a wait a signal handler with SA_RESTART interrupted: the
 * syscall runs again after the handler (the kernel's ERESTARTSYS).
 */
export const RESTART: unique symbol = Symbol("restart");

/** What ends a wait: the syscall's result, or {@linkcode RESTART}. */
export type WaitResult = bigint | number | typeof RESTART;

/**
 * Returned by a syscall handler that must wait (futex, a sleep in a threaded
 * process): the thread stops running until {@linkcode poll} gives a result,
 * the deadline passes, or a signal interrupts it (EINTR).
 *
 * @example
 * ```ts
 * import { Blocking } from "./threads.ts";
 * let woken = false;
 * const b = new Blocking("futex_wait", () => woken ? 0 : null);
 * woken = true;
 * console.log(b.poll()); // 0
 * ```
 */
export class Blocking {
  constructor(
    /** what the thread waits for, as the deadlock report names it */
    readonly reason: string,
    /** the syscall's result once the wait is over; null while it goes on */
    readonly poll: () => WaitResult | null,
    readonly options: {
      /** virtual monotonic time at which the wait ends with `timeoutResult` */
      deadlineNs?: bigint;
      /** the result at the deadline (default: -ETIMEDOUT) */
      timeoutResult?: number;
      /** called when the wait ends by timeout or signal (leave a wait queue) */
      cancel?: () => void;
      /** whether an SA_RESTART handler restarts the call (default true; sleeps: false) */
      restartable?: boolean;
      /** the outside world (the host network) may end the wait: it is never a deadlock */
      outside?: boolean;
      /**
       * the signal mask before a call that waits with its own (ppoll, pselect6,
       * epoll_pwait): back when the wait ends, or after the handler of the
       * signal that interrupted it
       */
      savedMask?: bigint;
      /**
       * rt_sigtimedwait: the signals it takes; those of them `savedMask`
       * blocks are queued even when ignored (Linux's real_blocked)
       */
      takes?: bigint;
    } = {},
  ) {}
}

/** A syscall a thread is blocked in. */
export interface ThreadWait {
  readonly blocking: Blocking;
  readonly name: string;
  readonly nr: number;
  readonly args: bigint[];
  /** the address of the syscall instruction */
  readonly pc: bigint;
  /** the `-strace` text of the call, printed with its result when it returns */
  readonly straceLine: string;
}

/** The per-thread part of the signal state, kept here while another thread runs. */
export interface ThreadSignals {
  blocked: bigint;
  pending: PendingSignal[];
  altStack: { sp: bigint; flags: number; size: bigint };
  restoreMaskAfterSignal: bigint | null;
}

/**
 * One guest thread: its id, its CPU state while it does not run, its signal
 * mask and thread-directed signals, and the syscall it waits in.
 *
 * @example
 * ```ts
 * import { GuestThread } from "./threads.ts";
 * const t = new GuestThread(1001);
 * console.log(t.tid, t.wait); // 1001 null
 * ```
 */
export class GuestThread {
  /** the target's state block while another thread runs (null while this one runs) */
  state: Uint8Array | null = null;
  /** set_tid_address / CLONE_CHILD_CLEARTID: zeroed and futex-woken at exit */
  clearChildTid = 0n;
  /** set_robust_list: the head of the robust futex list */
  robustList = 0n;
  /** the blocking syscall the thread is in */
  wait: ThreadWait | null = null;
  /** its result, once known (the thread is then ready to run) */
  waitResult: WaitResult | null = null;
  /** the signal state while another thread runs */
  signals: ThreadSignals = {
    blocked: 0n,
    pending: [],
    altStack: { sp: 0n, flags: SS_DISABLE, size: 0n },
    restoreMaskAfterSignal: null,
  };

  constructor(readonly tid: number) {}
}

/** How the next thread is chosen: in turn, or at random from the seed. */
export type SchedPolicy = "rr" | "random";

/** `-sched`: the policy and the quantum in guest instructions. */
export interface SchedOptions {
  readonly policy: SchedPolicy;
  readonly quantum: number;
}

/**
 * The smallest quantum. A switch drops the LR/SC reservation, so a quantum
 * shorter than an LR/SC retry loop could fail that loop forever.
 */
export const MIN_QUANTUM = 64;

/** The default: round robin, 10,000 instructions per turn. */
export const DEFAULT_SCHED: SchedOptions = { policy: "rr", quantum: 10_000 };

/**
 * Parses a `-sched` value: `rr` or `random`, optionally `,quantum=N`.
 *
 * @example
 * ```ts
 * import { parseSched } from "./threads.ts";
 * console.log(parseSched("random,quantum=500")); // { policy: "random", quantum: 500 }
 * ```
 */
export function parseSched(spec: string): SchedOptions {
  const [policy, ...opts] = spec.split(",");
  if (policy !== "rr" && policy !== "random") {
    throw new EmuError(`-sched ${spec}: unknown policy "${policy}"`, "use rr or random");
  }
  let quantum = DEFAULT_SCHED.quantum;
  for (const o of opts) {
    const m = /^quantum=(\d+)$/.exec(o);
    if (!m) throw new EmuError(`-sched ${spec}: unknown option "${o}"`, "use quantum=N");
    quantum = Number(m[1]);
    if (quantum < MIN_QUANTUM || quantum > 1e9) {
      throw new EmuError(
        `-sched ${spec}: quantum ${quantum} out of range`,
        `give ${MIN_QUANTUM} to 1000000000 instructions`,
      );
    }
  }
  return { policy, quantum };
}

/** Mixed into the seed so the scheduler's stream differs from getrandom's. */
const SCHED_STREAM = 0x5c4ed_0000n;

/**
 * Chooses which thread runs next and for how long. Round robin takes the
 * threads in creation order with a fixed quantum; random picks any ready
 * thread and a quantum between MIN_QUANTUM and twice the quantum, from a
 * generator seeded by `-seed` alone.
 *
 * @example
 * ```ts
 * import { GuestThread, Scheduler } from "./threads.ts";
 * const s = new Scheduler({ policy: "rr", quantum: 100 }, 0n);
 * const [a, b] = [new GuestThread(1), new GuestThread(2)];
 * console.log(s.pick([a, b], a).tid, s.quantum()); // 2 100
 * ```
 */
export class Scheduler {
  readonly #random: SeededRandom;

  constructor(readonly options: SchedOptions, seed: bigint) {
    this.#random = new SeededRandom(seed ^ SCHED_STREAM);
  }

  /** The scheduler's generator position (snapshots). */
  get state(): bigint {
    return this.#random.state;
  }

  set state(v: bigint) {
    this.#random.state = v;
  }

  /** The next thread among `ready` (in creation order, not empty) after `current`. */
  pick(ready: GuestThread[], current: GuestThread | null): GuestThread {
    if (this.options.policy === "random") return ready[this.#below(ready.length)];
    const after = current ? ready.findIndex((t) => t.tid > current.tid) : 0;
    return ready[after < 0 ? 0 : after];
  }

  /** Instructions the thread just picked runs before the next switch. */
  quantum(): number {
    const q = this.options.quantum;
    if (this.options.policy === "rr") return q;
    return MIN_QUANTUM + this.#below(Math.max(1, 2 * q - MIN_QUANTUM));
  }

  #below(n: number): number {
    return Number(this.#random.next64() % BigInt(n));
  }
}
