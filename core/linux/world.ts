/**
 * The guest processes of one run: the program started (the root, which the
 * Machine API drives and observes) and the children fork makes, each with
 * its own address space and CPU, all on the one host thread.
 *
 * Turns: whenever the root's scheduler is asked (a quantum ends, a thread
 * blocks), every other process runs one quantum first, in pid order. Time:
 * one virtual clock for all, counting the instructions of every process, so
 * a child's sleep and its parent's clock agree. When no thread of any
 * process can run, time skips to the first deadline, or the run ends with a
 * {@linkcode DeadlockError} naming every thread and what it waits for.
 *
 * @module
 */

import type { HostNetwork } from "./net_link.ts";
import type { LinuxProcess } from "./process.ts";
import { DeadlockError } from "./thread_group.ts";
import { expiryWakes } from "./itimers.ts";
import { UnixNames } from "./unix_socket.ts";
import { PtyTable } from "./pty.ts";
import type { SharedRegion } from "./shared_memory.ts";

/** The longest one host sleep for the network lasts (the run loop looks again after it). */
const NET_WAIT_SLICE_MS = 1000;

/**
 * Every process of a run that has not been reaped, and the pid counter.
 *
 * @example
 * ```ts ignore
 * const child = p.world.find(pid);
 * ```
 */
export class ProcessWorld {
  /** processes not yet reaped, the root first, then by pid */
  readonly processes: LinuxProcess[];
  #nextId: number;
  /** instructions retired by processes already reaped */
  retired = 0;
  /** processes whose parent was reaped: their parent is init now (getppid 1), not the root */
  readonly orphans = new Set<LinuxProcess>();
  /** the names AF_UNIX sockets are bound to, seen by every process */
  readonly unixNames = new UnixNames();
  /** the pseudo-terminals /dev/ptmx made */
  readonly ptys = new PtyTable(() => this.processes, () => this.root.clock.monotonicNs());
  /** the MAP_SHARED region of each file some process maps, by "dev:ino" */
  readonly sharedFiles = new Map<string, SharedRegion>();

  constructor(
    readonly root: LinuxProcess,
    rootPid: number,
    /** `-net host`: the host network of every process's sockets (none: EACCES) */
    readonly net?: HostNetwork,
    /** `-r`: the kernel release `uname` reports (default: Denemu's fixed one) */
    readonly unameRelease?: string,
  ) {
    this.processes = [root];
    this.#nextId = rootPid + 1;
  }

  /** A new pid or tid (they share one space, as in Linux). */
  allocId(): number {
    return this.#nextId++;
  }

  /** The id {@linkcode allocId} hands out next (a snapshot keeps it). */
  get nextId(): number {
    return this.#nextId;
  }

  /** Hands out `next` next (a snapshot restored), or after every live pid and tid if higher. */
  set nextId(next: number) {
    const live = this.processes.flatMap((p) => [p.pid, ...p.threads.all.map((t) => t.tid)]);
    this.#nextId = Math.max(next, ...live.map((id) => id + 1));
  }

  /** Guest instructions retired by every process so far (the virtual clock's count). */
  instructions(): number {
    let n = this.retired;
    for (const p of this.processes) n += p.cpu.icount;
    return n;
  }

  /** The process `pid`, if it has not been reaped. */
  find(pid: number): LinuxProcess | undefined {
    return this.processes.find((p) => p.pid === pid);
  }

  /** Adds a forked process. */
  add(child: LinuxProcess): void {
    this.processes.push(child);
  }

  /** Forgets an exited process whose status its parent collected (wait4). */
  reap(p: LinuxProcess): void {
    const i = this.processes.indexOf(p);
    if (i <= 0) return;
    this.processes.splice(i, 1);
    this.retired += p.cpu.icount;
    for (const orphan of this.processes.filter((q) => q.parent === p)) {
      // Adopted by init, which is outside the run: the root runs them, init reaps them.
      orphan.parent = this.root;
      this.orphans.add(orphan);
      if (orphan.exited) this.reap(orphan);
    }
    this.orphans.delete(p);
  }

  /** Guest threads alive in every process. */
  liveThreads(): number {
    return this.processes.reduce((n, p) => n + (p.exited ? 0 : p.threads.all.length), 0);
  }

  /**
   * Gives every process but the root one turn; whether any of them ran.
   * MAP_SHARED pages follow the turns: copied out of the process that
   * stops, into the one that runs. A process that resumes has lost its
   * LR/SC reservation, as a thread does at a switch: another process may
   * have stored to the word.
   */
  runOthers(): boolean {
    let ran = false;
    this.root.as.syncShared("out");
    for (const p of [...this.processes]) {
      if (p === this.root || p.exited) continue;
      p.as.syncShared("in");
      p.abi.breakReservation(p.cpu);
      if (p.runTurn()) ran = true;
      p.as.syncShared("out");
    }
    this.root.as.syncShared("in");
    if (ran) this.root.abi.breakReservation(this.root.cpu);
    return ran;
  }

  /**
   * Nothing can run: skips virtual time to the first deadline a thread waits
   * for or an interval timer expires at, or throws {@linkcode DeadlockError} when none does. When a thread
   * waits for the host network, the host sleeps first until something
   * arrives (the threads then look again) or the deadline's time has passed
   * on the host too: a network wait lasts host time.
   */
  skipOrDeadlock(): void {
    const live = this.processes.filter((p) => !p.exited);
    const deadlines = live.flatMap((p) => {
      const timer = p.timers.next((signal, t) => expiryWakes(p, signal, t));
      return timer === undefined ? p.threads.deadlines() : [...p.threads.deadlines(), timer];
    });
    const now = this.root.clock.monotonicNs();
    const first = deadlines.length ? deadlines.reduce((a, b) => a < b ? a : b) : undefined;
    const net = this.net;
    if (net && live.some((p) => p.threads.waitsOutside())) {
      const leftMs = first === undefined ? Infinity : Number((first - now) / 1_000_000n);
      const ms = Math.max(0, Math.min(leftMs, NET_WAIT_SLICE_MS));
      if (net.call({ op: "wait", ms }).reply.woken || leftMs > ms) return;
    }
    if (first === undefined) {
      throw new DeadlockError(live.flatMap((p) => p.threads.report(p !== this.root)));
    }
    this.root.clock.skip(first - now);
  }
}
