/**
 * Futexes between the guest threads of a process: FUTEX_WAIT/WAKE, their
 * bitset forms, REQUEUE and CMP_REQUEUE, WAKE_OP, and the priority
 * inheritance lock (LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI) as glibc's
 * PTHREAD_PRIO_INHERIT mutexes use it. A futex without FUTEX_PRIVATE_FLAG on
 * MAP_SHARED memory is one between processes (glibc's PTHREAD_PROCESS_SHARED
 * objects, `sem_init(s, 1, n)`): its waiters queue by the shared region and
 * offset, as Linux keys them by the shared page, so processes that map the
 * region at other addresses meet there, and so do the PI operations (a
 * process-shared PTHREAD_PRIO_INHERIT mutex, its owner a thread of any
 * process). A robust futex whose owner dies is marked FUTEX_OWNER_DIED and
 * wakes a waiter; a PI one goes to its first waiter. Semantics: futex(2) and
 * Documentation/locking/pi-futex.rst. The check of the futex word and the
 * queueing are one step (guest threads do not run meanwhile), which is the
 * atomicity the kernel provides with its hash-bucket lock.
 *
 * There is one host thread, so priorities do not exist: a PI lock is a
 * FIFO handover of ownership (the word becomes the new owner's tid).
 *
 * @module
 */

import { hex } from "../errors.ts";
import { E, SysError } from "./errno.ts";
import { int } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { Blocking, type GuestThread } from "./threads.ts";
import { readTimespec } from "./sys_time.ts";
import type { SharedRegion } from "./shared_memory.ts";

const FUTEX = {
  WAIT: 0,
  WAKE: 1,
  REQUEUE: 3,
  CMP_REQUEUE: 4,
  WAKE_OP: 5,
  LOCK_PI: 6,
  UNLOCK_PI: 7,
  TRYLOCK_PI: 8,
  WAIT_BITSET: 9,
  WAKE_BITSET: 10,
  LOCK_PI2: 13,
} as const;
const FUTEX_CLOCK_REALTIME = 256, FUTEX_PRIVATE_FLAG = 128;
const BITSET_ALL = 0xffffffff;
/** Bits of a PI or robust futex word. */
export const FUTEX_WAITERS = 0x80000000, FUTEX_OWNER_DIED = 0x40000000;
const TID_MASK = 0x3fffffff;

/** A thread queued on a futex word. */
interface Waiter {
  readonly thread: GuestThread;
  readonly bitset: number;
  woken: boolean;
  /** it waits in FUTEX_LOCK_PI: a wake-up hands it the lock */
  readonly pi: boolean;
}

/**
 * The futex wait queues of one address space, by guest address.
 *
 * @example
 * ```ts
 * import { FutexTable } from "./futex.ts";
 * import { GuestThread } from "./threads.ts";
 * const f = new FutexTable();
 * const w = f.enqueue(0x1000n, new GuestThread(1001), 0xffffffff);
 * console.log(f.wake(0x1000n, 1), w.woken); // 1 true
 * ```
 */
export class FutexTable {
  readonly #queues = new Map<bigint, Waiter[]>();

  /** Queues `thread` on `addr` (`pi`: in FUTEX_LOCK_PI). */
  enqueue(addr: bigint, thread: GuestThread, bitset: number, pi = false): Waiter {
    const w: Waiter = { thread, bitset, woken: false, pi };
    const q = this.#queues.get(addr);
    if (q) q.push(w);
    else this.#queues.set(addr, [w]);
    return w;
  }

  /** Takes `w` off `addr`'s queue (a timeout or a signal ended its wait). */
  remove(addr: bigint, w: Waiter): void {
    const q = this.#queues.get(addr);
    const i = q?.indexOf(w) ?? -1;
    if (i >= 0) q!.splice(i, 1);
    if (q && !q.length) this.#queues.delete(addr);
  }

  /** Forgets every waiter (the threads were discarded). */
  clear(): void {
    this.#queues.clear();
  }

  /** Whether threads wait on `addr`. */
  has(addr: bigint): boolean {
    return this.#queues.has(addr);
  }

  /** Wakes up to `n` waiters of `addr` whose bitset meets `bitset`, first come first; returns how many. */
  wake(addr: bigint, n: number, bitset = BITSET_ALL): number {
    const q = this.#queues.get(addr);
    if (!q) return 0;
    let woken = 0;
    for (let i = 0; i < q.length && woken < n;) {
      if (!(q[i].bitset & bitset)) {
        i++;
        continue;
      }
      q[i].woken = true;
      q.splice(i, 1);
      woken++;
    }
    if (!q.length) this.#queues.delete(addr);
    return woken;
  }

  /** Moves up to `n` waiters from `from` to `to` of table `into` (default: this one); returns how many. */
  requeue(from: bigint, to: bigint, n: number, into: FutexTable = this): number {
    const q = this.#queues.get(from);
    if (!q || n <= 0) return 0;
    const moved = q.splice(0, n);
    if (!q.length) this.#queues.delete(from);
    const dest = into.#queues.get(to) ?? [];
    dest.push(...moved);
    into.#queues.set(to, dest);
    return moved.length;
  }

  /** The first waiter of `addr` (still queued). */
  first(addr: bigint): Waiter | undefined {
    return this.#queues.get(addr)?.[0];
  }

  /** The first waiter of `addr`, removed. */
  shift(addr: bigint): Waiter | undefined {
    const q = this.#queues.get(addr);
    const w = q?.shift();
    if (q && !q.length) this.#queues.delete(addr);
    return w;
  }
}

/** Where the waiters of one futex word queue: a table and the word's key in it. */
interface FutexSlot {
  readonly table: FutexTable;
  readonly key: bigint;
}

/** The futex tables of shared regions (by offset in the region). */
const regionTables = new WeakMap<SharedRegion, FutexTable>();

/** The slot of the word at `addr` for operation `op` (see the module doc). */
function slotOf(p: LinuxProcess, addr: bigint, op: number): FutexSlot {
  const shared = op & FUTEX_PRIVATE_FLAG ? null : p.as.sharedAt(addr);
  if (!shared) return { table: p.futexes, key: addr };
  let table = regionTables.get(shared.region);
  if (!table) regionTables.set(shared.region, table = new FutexTable());
  return { table, key: shared.offset };
}

function load32(p: LinuxProcess, addr: bigint): number {
  if (addr & 3n) throw new SysError(E.EINVAL);
  return Number(p.mem.load(addr, 4, false));
}

function store32(p: LinuxProcess, addr: bigint, v: number): void {
  p.mem.store(addr, 4, BigInt(v >>> 0));
}

/** The virtual monotonic deadline of a futex timeout, or undefined for none. */
function deadline(
  p: LinuxProcess,
  ts: bigint,
  absolute: boolean,
  realtime: boolean,
): bigint | undefined {
  if (ts === 0n) return undefined;
  const t = readTimespec(p, ts);
  const now = p.clock.monotonicNs();
  if (!absolute) return now + t;
  return realtime ? t - (p.clock.realtimeNs() - now) : t;
}

/** Queues the running thread on `addr` and blocks it until woken, timed out or interrupted. */
function wait(
  p: LinuxProcess,
  addr: bigint,
  bitset: number,
  deadlineNs: bigint | undefined,
  { table, key }: FutexSlot,
  pi = false,
): Blocking {
  const w = table.enqueue(key, p.threads.current, bitset, pi);
  return new Blocking(`futex ${hex(addr)}`, () => w.woken ? 0 : null, {
    deadlineNs,
    cancel: () => table.remove(key, w),
  });
}

/** FUTEX_WAKE_OP: `*uaddr2 = op(old, oparg)`, wake on uaddr, and on uaddr2 if cmp(old, cmparg). */
function wakeOp(p: LinuxProcess, a: bigint[], n: number, n2: number, code: number): number {
  const s1 = slotOf(p, a[0], int(a[1])), s2 = slotOf(p, a[4], int(a[1]));
  const op = (code >>> 28) & 7, cmp = (code >>> 24) & 15;
  let oparg = (code << 8) >> 20; // sign-extended 12 bits
  const cmparg = (code << 20) >> 20;
  if (code & (8 << 28)) oparg = 1 << (oparg & 31);
  const old = load32(p, a[4]);
  const ops = [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg];
  if (op >= ops.length) throw new SysError(E.ENOSYS);
  store32(p, a[4], ops[op]);
  const o = old | 0;
  const tests = [o === cmparg, o !== cmparg, o < cmparg, o <= cmparg, o > cmparg, o >= cmparg];
  if (cmp >= tests.length) throw new SysError(E.ENOSYS);
  return s1.table.wake(s1.key, n) + (tests[cmp] ? s2.table.wake(s2.key, n2) : 0);
}

/** Whether thread `tid` of some process of the world is alive. */
function threadAlive(p: LinuxProcess, tid: number): boolean {
  return p.world.processes.some((q) => !q.exited && q.threads.find(tid) !== undefined);
}

/**
 * FUTEX_LOCK_PI(2) and TRYLOCK_PI: take the word if free (keeping
 * FUTEX_OWNER_DIED, which tells the taker the last owner died), else queue
 * behind its owner, a thread of this process or another.
 */
function lockPi(p: LinuxProcess, addr: bigint, slot: FutexSlot, until?: bigint, tryOnly = false) {
  const tid = p.tid, v = load32(p, addr);
  const owner = v & TID_MASK;
  if (owner === 0) {
    store32(p, addr, tid | (v & (FUTEX_WAITERS | FUTEX_OWNER_DIED)));
    return 0;
  }
  if (owner === tid) throw new SysError(E.EDEADLK);
  if (tryOnly) throw new SysError(E.EAGAIN);
  if (!threadAlive(p, owner)) throw new SysError(E.ESRCH);
  store32(p, addr, v | FUTEX_WAITERS);
  return wait(p, addr, BITSET_ALL, until, slot, true);
}

/** Hands the PI word at `addr` to the first waiter of `slot` (with `bits`); false: none waits. */
function handOver(p: LinuxProcess, addr: bigint, { table, key }: FutexSlot, bits: number) {
  const next = table.shift(key);
  if (!next) return false;
  next.woken = true;
  store32(p, addr, next.thread.tid | bits | (table.has(key) ? FUTEX_WAITERS : 0));
  return true;
}

/** FUTEX_UNLOCK_PI: hand the word to the first waiter, or free it. */
function unlockPi(p: LinuxProcess, addr: bigint, slot: FutexSlot): number {
  if ((load32(p, addr) & TID_MASK) !== p.tid) throw new SysError(E.EPERM);
  if (!handOver(p, addr, slot, 0)) store32(p, addr, 0);
  return 0;
}

/**
 * The robust futex at `addr` of thread `tid`, which is exiting (the
 * kernel's handle_futex_death): marked FUTEX_OWNER_DIED; a PI one (`pi`) goes
 * to its first waiter, another wakes one waiter to take it.
 */
export function ownerDied(p: LinuxProcess, tid: number, addr: bigint, pi: boolean): void {
  const v = load32(p, addr);
  if ((v & TID_MASK) !== tid) return;
  const slot = slotOf(p, addr, 0);
  if (pi && slot.table.first(slot.key)?.pi && handOver(p, addr, slot, FUTEX_OWNER_DIED)) return;
  store32(p, addr, (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED);
  if (v & FUTEX_WAITERS) slot.table.wake(slot.key, 1);
}

/** FUTEX_REQUEUE: wakes `n` waiters of `from` and moves up to `n2` others to `to`. */
function requeue(from: FutexSlot, to: FutexSlot, n: number, n2: number): number {
  return from.table.wake(from.key, n) + from.table.requeue(from.key, to.key, n2, to.table);
}

/**
 * The futex syscall.
 *
 * @example
 * ```ts ignore
 * const r = futex(p, [addr, 1n, 1n, 0n, 0n, 0n]); // FUTEX_WAKE one
 * ```
 */
export function futex(p: LinuxProcess, a: bigint[]): number | Blocking {
  const op = int(a[1]), cmd = op & 0x7f, realtime = (op & FUTEX_CLOCK_REALTIME) !== 0;
  const val = Number(BigInt.asUintN(32, a[2])), val3 = Number(BigInt.asUintN(32, a[5]));
  const n = int(a[2]), n2 = int(a[3]);
  const slot = () => slotOf(p, a[0], op);
  switch (cmd) {
    case FUTEX.WAIT:
    case FUTEX.WAIT_BITSET: {
      const bitset = cmd === FUTEX.WAIT ? BITSET_ALL : val3;
      if (bitset === 0) throw new SysError(E.EINVAL);
      if (load32(p, a[0]) !== val) throw new SysError(E.EAGAIN);
      const until = deadline(p, a[3], cmd === FUTEX.WAIT_BITSET, realtime);
      return wait(p, a[0], bitset, until, slot());
    }
    case FUTEX.WAKE:
    case FUTEX.WAKE_BITSET: {
      const bitset = cmd === FUTEX.WAKE ? BITSET_ALL : val3;
      if (bitset === 0) throw new SysError(E.EINVAL);
      load32(p, a[0]);
      const { table, key } = slot();
      return table.wake(key, n, bitset);
    }
    case FUTEX.CMP_REQUEUE:
      if (load32(p, a[0]) !== val3) throw new SysError(E.EAGAIN);
    /* falls through */
    case FUTEX.REQUEUE:
      if (n < 0 || n2 < 0) throw new SysError(E.EINVAL);
      return requeue(slot(), slotOf(p, a[4], op), n, n2);
    case FUTEX.WAKE_OP:
      return wakeOp(p, a, n, n2, val3);
    case FUTEX.LOCK_PI:
    case FUTEX.LOCK_PI2:
      return lockPi(p, a[0], slot(), deadline(p, a[3], true, cmd === FUTEX.LOCK_PI || realtime));
    case FUTEX.TRYLOCK_PI:
      return lockPi(p, a[0], slot(), undefined, true);
    case FUTEX.UNLOCK_PI:
      return unlockPi(p, a[0], slot());
    default:
      throw new SysError(E.ENOSYS);
  }
}
