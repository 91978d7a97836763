/**
 * Process and identity syscalls: exit_group, ids, uname, resource limits,
 * sysinfo, rseq, prctl and the scheduler queries.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { get, int, len, NO_RETURN, put, StructWriter, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { hostIds } from "./program_load.ts";
import { FREE_RAM, TOTAL_RAM } from "./proc_files.ts";

const SCHED_FIFO = 1, SCHED_RR = 2, SCHED_DEADLINE = 6;

/** Whether `policy` is a real-time one, with priorities 1 to 99; EINVAL for no policy at all. */
function realtime(policy: bigint): boolean {
  const n = BigInt.asIntN(32, policy);
  if (n < 0n || n > BigInt(SCHED_DEADLINE) || n === 4n) throw new SysError(E.EINVAL);
  return n === BigInt(SCHED_FIFO) || n === BigInt(SCHED_RR);
}

/**
 * The kernel release `uname` reports unless `-r` says. QEMU reports the host's; Denemu
 * reports this fixed value so runs are reproducible.
 */
export const UNAME_RELEASE = "6.1.0";
/** The `uname` version string. */
export const UNAME_VERSION = "#1 SMP Denemu";
/** The `uname` nodename. */
export const UNAME_NODENAME = "denemu";

const INF = (1n << 64n) - 1n;
/** Default resource limits: [soft, hard] by RLIMIT_* number. */
function defaultLimits(): [bigint, bigint][] {
  const l: [bigint, bigint][] = Array.from({ length: 16 }, () => [INF, INF]);
  l[3] = [8n << 20n, INF]; // STACK
  l[4] = [0n, INF]; // CORE
  l[6] = [4096n, 4096n]; // NPROC
  l[7] = [1024n, 4096n]; // NOFILE
  l[8] = [8n << 20n, 8n << 20n]; // MEMLOCK
  l[11] = [4096n, 4096n]; // SIGPENDING
  l[12] = [819200n, 819200n]; // MSGQUEUE
  l[13] = [0n, 0n]; // NICE
  l[14] = [0n, 0n]; // RTPRIO
  return l;
}
const limitsOf = new WeakMap<LinuxProcess, [bigint, bigint][]>();
function limits(p: LinuxProcess): [bigint, bigint][] {
  let l = limitsOf.get(p);
  if (!l) limitsOf.set(p, l = defaultLimits());
  return l;
}

function prlimit(p: LinuxProcess, pid: number, res: number, newAddr: bigint, oldAddr: bigint) {
  if (pid !== 0 && pid !== p.pid) throw new SysError(E.ESRCH);
  if (res < 0 || res >= 16) throw new SysError(E.EINVAL);
  const l = limits(p);
  let next: [bigint, bigint] | null = null;
  if (newAddr !== 0n) {
    const dv = new DataView(get(p, newAddr, 16).buffer);
    next = [dv.getBigUint64(0, true), dv.getBigUint64(8, true)];
    if (next[0] > next[1]) throw new SysError(E.EINVAL);
    if (next[1] > l[res][1]) throw new SysError(E.EPERM);
  }
  if (oldAddr !== 0n) {
    put(p, oldAddr, new StructWriter(16).u64(0, l[res][0]).u64(8, l[res][1]).bytes);
  }
  if (next) l[res] = next;
  return 0;
}

function utsField(s: string): Uint8Array {
  const b = new Uint8Array(65);
  b.set(new TextEncoder().encode(s).subarray(0, 64));
  return b;
}

/** exit_group: ends the process and all its threads. */
function exit(p: LinuxProcess, a: bigint[]): typeof NO_RETURN {
  p.exit(int(a[0]) & 0xff);
  return NO_RETURN;
}

const ids = () => hostIds();

/** 0 when each of the first `n` ids is -1 (unchanged) or the one the run has; EPERM else. */
function keepsIds(a: bigint[], n: number, id: number): number {
  return a.slice(0, n).every((v) => int(v) === -1 || int(v) === id) ? 0 : -E.EPERM;
}

/**
 * Process syscalls by name.
 *
 * @example
 * ```ts
 * import { processSyscalls } from "./sys_process.ts";
 * console.log("exit_group" in processSyscalls); // true
 * ```
 */
export const processSyscalls: SyscallTable = {
  exit_group: exit,
  getpid: (p) => p.pid,
  getuid: () => ids().uid,
  geteuid: () => ids().uid,
  getgid: () => ids().gid,
  getegid: () => ids().gid,
  getresuid: (p, a) => {
    const u = ids().uid;
    for (const x of a.slice(0, 3)) put(p, x, new StructWriter(4).u32(0, u).bytes);
    return 0;
  },
  getresgid: (p, a) => {
    const g = ids().gid;
    for (const x of a.slice(0, 3)) put(p, x, new StructWriter(4).u32(0, g).bytes);
    return 0;
  },
  getgroups: () => 0,
  setuid: (_p, a) => int(a[0]) === ids().uid ? 0 : -E.EPERM,
  setgid: (_p, a) => int(a[0]) === ids().gid ? 0 : -E.EPERM,
  setreuid: (_p, a) => keepsIds(a, 2, ids().uid),
  setregid: (_p, a) => keepsIds(a, 2, ids().gid),
  setresuid: (_p, a) => keepsIds(a, 3, ids().uid),
  setresgid: (_p, a) => keepsIds(a, 3, ids().gid),
  // these return the old id and never fail; a change is not permitted, so it stays
  setfsuid: () => ids().uid,
  setfsgid: () => ids().gid,
  uname: (p, a) => {
    const release = p.world.unameRelease ?? UNAME_RELEASE;
    const parts = ["Linux", UNAME_NODENAME, release, UNAME_VERSION, p.abi.machine, "(none)"];
    const buf = new Uint8Array(65 * 6);
    parts.forEach((s, i) => buf.set(utsField(s), i * 65));
    put(p, a[0], buf);
    return 0;
  },
  // QEMU 7.2 does not implement it; glibc copes.
  rseq: () => -E.ENOSYS,
  prlimit64: (p, a) => prlimit(p, int(a[0]), int(a[1]), a[2], a[3]),
  getrlimit: (p, a) => prlimit(p, 0, int(a[0]), 0n, a[1]),
  setrlimit: (p, a) => prlimit(p, 0, int(a[0]), a[1], 0n),
  sysinfo: (p, a) => {
    const w = new StructWriter(112);
    w.u64(0, p.clock.monotonicNs() / 1_000_000_000n);
    w.u64(32, TOTAL_RAM).u64(40, FREE_RAM).u16(80, 1).u32(104, 1);
    put(p, a[0], w.bytes);
    return 0;
  },
  sched_getaffinity: (p, a) => {
    const size = len(a[1]);
    if (size < 8 || size & 7) throw new SysError(E.EINVAL);
    put(p, a[2], new StructWriter(8).u64(0, 1n).bytes);
    return 8;
  },
  sched_setaffinity: () => 0,
  sched_getscheduler: () => 0,
  sched_getparam: (p, a) => (put(p, a[1], new Uint8Array(4)), 0),
  sched_get_priority_max: (_p, a) => realtime(a[0]) ? 99 : 0,
  sched_get_priority_min: (_p, a) => realtime(a[0]) ? 1 : 0,
  sched_rr_get_interval: (p, a) => {
    if (BigInt.asIntN(32, a[0]) < 0n) throw new SysError(E.EINVAL);
    put(p, a[1], new Uint8Array(16)); // SCHED_OTHER on an idle CPU: no time slice
    return 0;
  },
  getpriority: () => 20,
  setpriority: () => 0,
  getcpu: (p, a) => {
    if (a[0] !== 0n) put(p, a[0], new Uint8Array(4));
    if (a[1] !== 0n) put(p, a[1], new Uint8Array(4));
    return 0;
  },
  prctl: (p, a) => {
    const op = int(a[0]);
    if (op === 15) return 0; // PR_SET_NAME
    if (op === 16) return (put(p, a[1], utsField("prog").subarray(0, 16)), 0); // PR_GET_NAME
    throw new SysError(E.EINVAL);
  },
  personality: () => 0,
  capget: () => 0,
};
