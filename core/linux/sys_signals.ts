/**
 * Signal syscalls: rt_sigaction, rt_sigprocmask, rt_sigreturn,
 * rt_sigpending, rt_sigsuspend, rt_sigtimedwait, sigaltstack, kill, rt_sigqueueinfo,
 * rt_tgsigqueueinfo, signalfd4 (tkill and tgkill are thread syscalls: sys_thread.ts).
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { NSIG, SIG, SignalState, SS_DISABLE, SS_ONSTACK, UNBLOCKABLE } from "./signals.ts";
import { get, int, NO_RETURN, put, StructWriter, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { killTargets } from "./sys_groups.ts";
import { SignalFd } from "./event_files.ts";
import { O } from "./fds.ts";
import { hostIds } from "./program_load.ts";
import { Blocking } from "./threads.ts";
import { readTimespec } from "./sys_time.ts";
import { signalThread } from "./sys_thread.ts";
import { pidFdAt } from "./pidfd.ts";

/** Smallest alternate stack (MINSIGSTKSZ). */
const MINSIGSTKSZ = 2048n;
const SI_USER = 0, SI_TKILL = -6;

function checkSig(sig: number, allowZero = false): number {
  if ((sig === 0 && allowZero) || (sig >= 1 && sig <= NSIG)) return sig;
  throw new SysError(E.EINVAL);
}

function readSet(p: LinuxProcess, addr: bigint, size: bigint): bigint {
  if (size !== 8n) throw new SysError(E.EINVAL);
  return new DataView(get(p, addr, 8).buffer).getBigUint64(0, true);
}

function writeSet(p: LinuxProcess, addr: bigint, set: bigint): void {
  put(p, addr, new StructWriter(8).u64(0, set).bytes);
}

function sigaction(p: LinuxProcess, a: bigint[]): number {
  const sig = checkSig(int(a[0]));
  if (a[3] !== 8n) throw new SysError(E.EINVAL);
  const act = p.signals.actions[sig];
  let next = null;
  const layout = p.abi.sigaction;
  if (a[1] !== 0n) {
    if (sig === SIG.SIGKILL || sig === SIG.SIGSTOP) throw new SysError(E.EINVAL);
    const dv = new DataView(get(p, a[1], layout.size).buffer);
    next = {
      handler: dv.getBigUint64(layout.handler, true),
      flags: Number(dv.getBigUint64(layout.flags, true) & 0xffffffffn),
      mask: dv.getBigUint64(layout.mask, true) & ~UNBLOCKABLE,
      restorer: layout.restorer === undefined ? 0n : dv.getBigUint64(layout.restorer, true),
    };
  }
  if (a[2] !== 0n) {
    const old = new StructWriter(layout.size).u64(layout.handler, act.handler)
      .u64(layout.flags, act.flags).u64(layout.mask, act.mask);
    if (layout.restorer !== undefined) old.u64(layout.restorer, act.restorer);
    put(p, a[2], old.bytes);
  }
  if (next) Object.assign(act, next);
  return 0;
}

function sigprocmask(p: LinuxProcess, a: bigint[]): number {
  const how = int(a[0]);
  const s = p.signals;
  const old = s.blocked;
  if (a[1] !== 0n) {
    const set = readSet(p, a[1], a[3]);
    if (how === 0) s.blocked |= set;
    else if (how === 1) s.blocked &= ~set;
    else if (how === 2) s.blocked = set;
    else throw new SysError(E.EINVAL);
    s.blocked &= ~UNBLOCKABLE;
  }
  if (a[2] !== 0n) writeSet(p, a[2], old);
  return 0;
}

function sigaltstack(p: LinuxProcess, a: bigint[]): number {
  const s = p.signals;
  const sp = BigInt.asUintN(64, p.cpu.getGlobal(p.abi.spReg));
  const on = s.onAltStack(sp);
  let next = null;
  if (a[0] !== 0n) {
    const dv = new DataView(get(p, a[0], 24).buffer);
    const flags = dv.getInt32(8, true);
    if (on) throw new SysError(E.EPERM);
    if (flags & ~(SS_DISABLE | 0x80000000)) throw new SysError(E.EINVAL);
    const size = dv.getBigUint64(16, true);
    if (flags & SS_DISABLE) next = { sp: 0n, flags: SS_DISABLE, size: 0n };
    else {
      if (size < MINSIGSTKSZ) throw new SysError(E.ENOMEM);
      next = { sp: dv.getBigUint64(0, true), flags: 0, size };
    }
  }
  if (a[1] !== 0n) {
    const cur = s.altStack;
    const flags = cur.flags & SS_DISABLE ? SS_DISABLE : on ? SS_ONSTACK : 0;
    put(p, a[1], new StructWriter(24).u64(0, cur.sp).u32(8, flags).u64(16, cur.size).bytes);
  }
  if (next) s.altStack = next;
  return 0;
}

/** kill: to a process of the run by pid, to a process group (0, -pgid) or to all (-1). */
function kill(p: LinuxProcess, pid: number, sig: number, code: number): number {
  checkSig(sig, true);
  const targets = killTargets(p, pid);
  for (const q of targets) {
    if (sig) q.sendSignal({ signal: sig, code, pid: p.pid, uid: hostIds().uid });
  }
  return 0;
}

/**
 * pidfd_send_signal: kill to the process of a pidfd (ESRCH once it exited).
 * A siginfo to send is taken as kill's (SI_USER from the caller).
 */
function pidfd_send_signal(p: LinuxProcess, a: bigint[]): number {
  if (a[3] !== 0n) throw new SysError(E.EINVAL); // Linux checks the flags first
  const f = pidFdAt(p, int(a[0])), sig = checkSig(int(a[1]), true);
  if (f.process.exited) throw new SysError(E.ESRCH);
  if (sig) f.process.sendSignal({ signal: sig, code: SI_USER, pid: p.pid, uid: hostIds().uid });
  return 0;
}

/**
 * rt_sigtimedwait (sigwaitinfo, sigtimedwait, sigwait): takes a pending
 * signal of the set, or waits for one with the set unblocked, as Linux does,
 * until the timeout on the virtual clock (EAGAIN); a handled signal outside
 * the set ends the wait with EINTR.
 */
function sigtimedwait(p: LinuxProcess, a: bigint[]): number | Blocking {
  const set = readSet(p, a[0], a[3]) & ~UNBLOCKABLE;
  const timeout = a[2] === 0n ? undefined : readTimespec(p, a[2]);
  const thread = p.threads.current;
  const take = () => {
    const own = thread === p.threads.current ? p.signals.threadPending : thread.signals.pending;
    const s = p.signals.next(set, own);
    if (!s) return null;
    if (a[1] !== 0n) put(p, a[1], SignalState.encodeSiginfo(s));
    return s.signal;
  };
  const now = take();
  if (now !== null) return now;
  if (timeout === 0n) throw new SysError(E.EAGAIN);
  const savedMask = p.signals.blocked;
  p.signals.blocked &= ~set;
  const deadlineNs = timeout === undefined ? undefined : p.clock.monotonicNs() + timeout;
  return new Blocking("a signal of its set", take, {
    deadlineNs,
    timeoutResult: -E.EAGAIN,
    restartable: false,
    savedMask,
    takes: set,
  });
}

/** The siginfo a process queues (rt_sigqueueinfo, rt_tgsigqueueinfo): its code, pid, uid, value. */
function queuedInfo(p: LinuxProcess, addr: bigint) {
  const dv = new DataView(get(p, addr, 32).buffer);
  return {
    code: dv.getInt32(8, true),
    pid: dv.getInt32(16, true),
    uid: dv.getInt32(20, true),
    value: dv.getBigUint64(24, true),
  };
}

/** EPERM for si_code `code` sent to another than the caller (`own`: to itself). */
function refuseForged(code: number, own: boolean): void {
  // Codes >= 0 and SI_TKILL are the kernel's: a process may claim them only towards itself.
  if ((code >= 0 || code === SI_TKILL) && !own) throw new SysError(E.EPERM);
}

/**
 * rt_sigqueueinfo (sigqueue): sends `sig` to process `pid` with the caller's
 * siginfo (its code, pid, uid and value); only to itself with a code a
 * process may not forge (>= 0, or SI_TKILL), as Linux.
 */
function rtSigqueueinfo(p: LinuxProcess, a: bigint[]): number {
  const pid = int(a[0]), sig = checkSig(int(a[1]), true);
  const info = queuedInfo(p, a[2]);
  refuseForged(info.code, pid === p.pid);
  const targets = pid > 0 ? killTargets(p, pid) : [];
  if (!targets.length) throw new SysError(E.ESRCH);
  if (sig) targets[0].sendSignal({ signal: sig, ...info });
  return 0;
}

/**
 * rt_tgsigqueueinfo (pthread_sigqueue): rt_sigqueueinfo to thread `tid` of
 * process `tgid`; a forged code only to the calling thread itself.
 */
function rtTgsigqueueinfo(p: LinuxProcess, a: bigint[]): number {
  const tgid = int(a[0]), tid = int(a[1]), sig = int(a[2]);
  if (tgid <= 0 || tid <= 0) throw new SysError(E.EINVAL);
  checkSig(sig, true);
  const info = queuedInfo(p, a[3]);
  refuseForged(info.code, tid === p.threads.current.tid);
  return signalThread(p, tgid, tid, sig, info);
}

/** signalfd4: a new signalfd (fd -1) or a new mask for one. */
function signalfd4(p: LinuxProcess, a: bigint[]): number {
  const fd = int(a[0]), flags = int(a[3]);
  if (flags & ~(O.NONBLOCK | O.CLOEXEC)) throw new SysError(E.EINVAL);
  const mask = readSet(p, a[1], a[2]) & ~UNBLOCKABLE;
  if (fd !== -1) {
    const f = p.fds.get(fd);
    if (!(f instanceof SignalFd)) throw new SysError(E.EINVAL);
    f.mask = mask;
    return fd;
  }
  return p.fds.install(
    new SignalFd(p.signals, mask, flags & O.NONBLOCK),
    (flags & O.CLOEXEC) !== 0,
  );
}

/**
 * Signal syscalls by name.
 *
 * @example
 * ```ts
 * import { signalSyscalls } from "./sys_signals.ts";
 * console.log("rt_sigaction" in signalSyscalls); // true
 * ```
 */
export const signalSyscalls: SyscallTable = {
  rt_sigaction: sigaction,
  rt_sigprocmask: sigprocmask,
  rt_sigreturn: (p) => {
    p.signals.blocked = p.abi.restoreSignalFrame(p.cpu) & ~UNBLOCKABLE;
    return NO_RETURN;
  },
  rt_sigpending: (p, a) => {
    writeSet(p, a[0], p.signals.pendingMask() & p.signals.blocked);
    return 0;
  },
  rt_sigsuspend: (p, a) => {
    const set = readSet(p, a[0], a[1]);
    // The handler's frame must restore the old mask; deliver with the temporary one.
    const old = p.signals.blocked;
    p.signals.blocked = set & ~UNBLOCKABLE;
    p.restoreMaskAfterSignal = old;
    if (p.signals.hasDeliverable()) throw new SysError(E.EINTR);
    // Another thread, process or a timer may send one: wait for it (EINTR when it comes).
    return new Blocking("a signal", () => null, { restartable: false });
  },
  rt_sigtimedwait: sigtimedwait,
  sigaltstack,
  kill: (p, a) => kill(p, int(a[0]), int(a[1]), SI_USER),
  pidfd_send_signal,
  rt_sigqueueinfo: rtSigqueueinfo,
  rt_tgsigqueueinfo: rtTgsigqueueinfo,
  signalfd4,
};
