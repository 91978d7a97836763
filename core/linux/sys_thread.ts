/**
 * Thread syscalls: clone and clone3 with the flags of glibc's
 * pthread_create, exit (one thread) versus exit_group, gettid,
 * set_tid_address, robust lists, tkill and tgkill, futex, sched_yield.
 *
 * A clone without CLONE_THREAD makes a new process (fork.ts).
 *
 * @module
 */

import { GuestFault } from "../errors.ts";
import { E, SysError } from "./errno.ts";
import { futex } from "./futex.ts";
import type { LinuxProcess } from "./process.ts";
import { hostIds } from "./program_load.ts";
import { NSIG, type PendingSignal } from "./signals.ts";
import { get, int, len, NO_RETURN, putU32, putU64, type SyscallTable } from "./syscall.ts";

/** clone flags (include/uapi/linux/sched.h). */
const CLONE = {
  VM: 0x100,
  FS: 0x200,
  SIGHAND: 0x800,
  VFORK: 0x4000,
  THREAD: 0x10000,
  NEWNS: 0x20000,
  SETTLS: 0x80000,
  PARENT_SETTID: 0x100000,
  CHILD_CLEARTID: 0x200000,
  CHILD_SETTID: 0x1000000,
  NEWUSER: 0x10000000,
} as const;
/** sizeof(struct robust_list_head) */
const ROBUST_HEAD_SIZE = 24n;
/** sizeof(struct clone_args) of its first version */
const CLONE_ARGS_SIZE_VER0 = 64;
const SI_TKILL = -6;

/** What clone and clone3 were asked for. */
interface CloneRequest {
  flags: number;
  /** the new stack pointer (0: the caller's) */
  sp: bigint;
  parentTid: bigint;
  childTid: bigint;
  tls: bigint;
}

/** Stores a new tid where clone was asked to; as Linux's put_user there, a fault is ignored. */
function storeTid(p: LinuxProcess, addr: bigint, tid: number): void {
  try {
    putU32(p, addr, tid);
  } catch (e) {
    if (!(e instanceof GuestFault) && !(e instanceof SysError)) throw e;
  }
}

/** Starts a thread as `req` asks; returns its tid. */
function cloneThread(p: LinuxProcess, req: CloneRequest): number {
  const f = req.flags;
  // Linux's first checks: a shared fs with a new mount or user namespace
  if ((f & CLONE.FS) && (f & (CLONE.NEWNS | CLONE.NEWUSER))) throw new SysError(E.EINVAL);
  if ((f & CLONE.THREAD) && !(f & CLONE.SIGHAND)) throw new SysError(E.EINVAL);
  if ((f & CLONE.SIGHAND) && !(f & CLONE.VM)) throw new SysError(E.EINVAL);
  if (!(f & CLONE.THREAD)) return forkChild(p, req);
  const t = p.threads.spawn({ sp: req.sp, tls: f & CLONE.SETTLS ? req.tls : undefined });
  if (f & CLONE.PARENT_SETTID) storeTid(p, req.parentTid, t.tid);
  if (f & CLONE.CHILD_SETTID) storeTid(p, req.childTid, t.tid);
  if (f & CLONE.CHILD_CLEARTID) t.clearChildTid = req.childTid;
  return t.tid;
}

/**
 * A new process (fork, vfork, posix_spawn's clone): a copy of the caller.
 * vfork's shared memory is a copy too, and the parent goes on at once; a
 * vfork child may only exec or _exit, which a copy serves as well.
 */
function forkChild(p: LinuxProcess, req: CloneRequest): number {
  const f = req.flags;
  if ((f & CLONE.VM) && !(f & CLONE.VFORK)) throw new SysError(E.ENOSYS);
  const child = p.fork({ sp: req.sp, tls: f & CLONE.SETTLS ? req.tls : undefined });
  if (f & CLONE.PARENT_SETTID) storeTid(p, req.parentTid, child.pid);
  if (f & CLONE.CHILD_SETTID) storeTid(child, req.childTid, child.pid);
  if (f & CLONE.CHILD_CLEARTID) child.threads.current.clearChildTid = req.childTid;
  return child.pid;
}

/** clone3: reads `struct clone_args`; the stack is given as its lowest address and size. */
function clone3(p: LinuxProcess, a: bigint[]): number {
  const size = len(a[1]);
  if (size < CLONE_ARGS_SIZE_VER0) throw new SysError(E.EINVAL);
  const dv = new DataView(get(p, a[0], CLONE_ARGS_SIZE_VER0).buffer);
  const u64 = (off: number) => dv.getBigUint64(off, true);
  const flags = u64(0), stack = u64(40), stackSize = u64(48);
  if (flags >> 32n) throw new SysError(E.EINVAL);
  return cloneThread(p, {
    flags: Number(flags),
    sp: stack === 0n ? 0n : stack + stackSize,
    parentTid: u64(24),
    childTid: u64(16),
    tls: u64(56),
  });
}

function exitThread(p: LinuxProcess, a: bigint[]): typeof NO_RETURN {
  if (p.threads.all.length === 1) p.exit(int(a[0]) & 0xff);
  else p.threads.exitCurrent();
  return NO_RETURN;
}

/**
 * tkill/tgkill (and rt_tgsigqueueinfo, with its `info`): queues `sig` for
 * thread `tid` (of process `tgid`, if given).
 */
export function signalThread(
  p: LinuxProcess,
  tgid: number | null,
  tid: number,
  sig: number,
  info: Omit<PendingSignal, "signal"> = { code: SI_TKILL, pid: p.pid, uid: hostIds().uid },
): number {
  if (tid <= 0 || (tgid !== null && tgid <= 0)) throw new SysError(E.EINVAL);
  if (sig < 0 || sig > NSIG) throw new SysError(E.EINVAL);
  const t = tgid === null || tgid === p.pid ? p.threads.find(tid) : undefined;
  if (!t) throw new SysError(E.ESRCH);
  if (sig) p.threads.signalThread(t, { signal: sig, ...info });
  return 0;
}

/**
 * Thread syscalls by name.
 *
 * @example
 * ```ts
 * import { threadSyscalls } from "./sys_thread.ts";
 * console.log("clone" in threadSyscalls); // true
 * ```
 */
export const threadSyscalls: SyscallTable = {
  // The generic (and riscv) argument order: flags, newsp, parent_tid, tls, child_tid.
  clone: (p, a) =>
    cloneThread(p, {
      flags: Number(BigInt.asUintN(32, a[0])),
      sp: a[1],
      parentTid: a[2],
      tls: a[3],
      childTid: a[4],
    }),
  clone3,
  exit: exitThread,
  gettid: (p) => p.tid,
  set_tid_address: (p, a) => {
    p.clearChildTid = a[0];
    return p.tid;
  },
  // 0, as Linux: the list is walked at thread and process exit (thread_group.ts). QEMU returns
  // ENOSYS only because it cannot walk it; glibc then gets EOWNERDEAD for a thread that dies
  // holding a robust mutex but never for a process (tests/pshared_pi_test.ts: qemu-riscv64 hangs).
  set_robust_list: (p, a) => {
    if (a[1] !== ROBUST_HEAD_SIZE) throw new SysError(E.EINVAL);
    p.threads.current.robustList = a[0];
    return 0;
  },
  get_robust_list: (p, a) => {
    const tid = int(a[0]);
    const t = tid === 0 ? p.threads.current : p.threads.find(tid);
    if (!t) throw new SysError(E.ESRCH);
    putU64(p, a[1], t.robustList);
    putU64(p, a[2], ROBUST_HEAD_SIZE);
    return 0;
  },
  tkill: (p, a) => signalThread(p, null, int(a[0]), int(a[1])),
  tgkill: (p, a) => signalThread(p, int(a[0]), int(a[1]), int(a[2])),
  futex,
  sched_yield: (p) => {
    p.threads.yieldRequested = true;
    return 0;
  },
};
