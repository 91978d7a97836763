/**
 * `-strace` output in QEMU's format: `PID name(args) = result`, with
 * symbolic flags and quoted strings for the common syscalls and raw
 * decimal arguments for the rest.
 *
 * @module
 */

import { errnoMessage } from "./errno.ts";
import { signalName } from "./signals.ts";
import type { LinuxProcess } from "./process.ts";

/** Argument kinds: d decimal, p pointer, s string, f dirfd, and flag sets. */
type Kind =
  | "d"
  | "p"
  | "s"
  | "f"
  | "o"
  | "m"
  | "prot"
  | "map"
  | "sig"
  | "acc"
  | "at"
  | "x"
  | "ioctl"
  | "futex"
  | "clone";

const IOCTLS: Record<number, string> = {
  0x5401: "TCGETS",
  0x5402: "TCSETS",
  0x5403: "TCSETSW",
  0x5404: "TCSETSF",
  0x5413: "TIOCGWINSZ",
  0x5414: "TIOCSWINSZ",
  0x541b: "FIONREAD",
};

const SPECS: Record<string, Kind[]> = {
  read: ["d", "p", "d"],
  write: ["d", "p", "d"],
  pread64: ["d", "p", "d", "d"],
  pwrite64: ["d", "p", "d", "d"],
  readv: ["d", "p", "d"],
  writev: ["d", "p", "d"],
  openat: ["f", "s", "o", "m"],
  close: ["d"],
  lseek: ["d", "d", "d"],
  newfstatat: ["f", "s", "p", "x"],
  fstat: ["d", "p"],
  statx: ["f", "s", "x", "x", "p"],
  readlinkat: ["f", "s", "p", "d"],
  faccessat: ["f", "s", "acc", "at"],
  faccessat2: ["f", "s", "acc", "at"],
  unlinkat: ["f", "s", "x"],
  mkdirat: ["f", "s", "m"],
  renameat: ["f", "s", "f", "s"],
  renameat2: ["f", "s", "f", "s", "x"],
  symlinkat: ["s", "f", "s"],
  chdir: ["s"],
  getcwd: ["p", "d"],
  brk: ["p"],
  mmap: ["p", "d", "prot", "map", "d", "d"],
  munmap: ["p", "d"],
  mprotect: ["p", "d", "prot"],
  exit: ["d"],
  exit_group: ["d"],
  ioctl: ["d", "ioctl", "p"],
  getrandom: ["p", "d", "d"],
  uname: ["p"],
  rt_sigaction: ["sig", "p", "p"],
  rt_sigprocmask: ["d", "p", "p"],
  kill: ["d", "sig"],
  tgkill: ["d", "d", "sig"],
  dup: ["d"],
  dup3: ["d", "d", "x"],
  fcntl: ["d", "d", "x"],
  pipe2: ["p", "x"],
  getdents64: ["d", "p", "d"],
  clock_gettime: ["d", "p"],
  nanosleep: ["p", "p"],
  futex: ["p", "futex", "d", "p", "p", "d"],
  clone: ["clone", "p", "p", "p", "p"],
  set_tid_address: ["p"],
  set_robust_list: ["p", "d"],
  tkill: ["d", "sig"],
};

const FUTEX_OPS = [
  "FUTEX_WAIT",
  "FUTEX_WAKE",
  "FUTEX_FD",
  "FUTEX_REQUEUE",
  "FUTEX_CMP_REQUEUE",
  "FUTEX_WAKE_OP",
  "FUTEX_LOCK_PI",
  "FUTEX_UNLOCK_PI",
  "FUTEX_TRYLOCK_PI",
  "FUTEX_WAIT_BITSET",
  "FUTEX_WAKE_BITSET",
  "FUTEX_WAIT_REQUEUE_PI",
  "FUTEX_CMP_REQUEUE_PI",
  "FUTEX_LOCK_PI2",
];
const CLONE_FLAGS: [number, string][] = [
  [0x100, "CLONE_VM"],
  [0x200, "CLONE_FS"],
  [0x400, "CLONE_FILES"],
  [0x800, "CLONE_SIGHAND"],
  [0x1000, "CLONE_PIDFD"],
  [0x4000, "CLONE_VFORK"],
  [0x8000, "CLONE_PARENT"],
  [0x10000, "CLONE_THREAD"],
  [0x40000, "CLONE_SYSVSEM"],
  [0x80000, "CLONE_SETTLS"],
  [0x100000, "CLONE_PARENT_SETTID"],
  [0x200000, "CLONE_CHILD_CLEARTID"],
  [0x400000, "CLONE_DETACHED"],
  [0x1000000, "CLONE_CHILD_SETTID"],
];

/** A futex op as QEMU prints it: FUTEX_PRIVATE_FLAG|FUTEX_CLOCK_REALTIME|FUTEX_WAIT. */
function futexOp(i: number): string {
  const parts = [];
  if (i & 128) parts.push("FUTEX_PRIVATE_FLAG");
  if (i & 256) parts.push("FUTEX_CLOCK_REALTIME");
  parts.push(FUTEX_OPS[i & 127] ?? `${i & 127}`);
  return parts.join("|");
}

const O_FLAGS: [number, string][] = [
  [0x40, "O_CREAT"],
  [0x80, "O_EXCL"],
  [0x100, "O_NOCTTY"],
  [0x200, "O_TRUNC"],
  [0x400, "O_APPEND"],
  [0x800, "O_NONBLOCK"],
  [0x10000, "O_DIRECTORY"],
  [0x20000, "O_NOFOLLOW"],
  [0x80000, "O_CLOEXEC"],
  [0x200000, "O_PATH"],
];
const PROT: [number, string][] = [[4, "PROT_EXEC"], [1, "PROT_READ"], [2, "PROT_WRITE"]];
const MAPF: [number, string][] = [
  [0x01, "MAP_SHARED"],
  [0x02, "MAP_PRIVATE"],
  [0x20, "MAP_ANONYMOUS"],
  [0x800, "MAP_DENYWRITE"],
  [0x10, "MAP_FIXED"],
  [0x4000, "MAP_NORESERVE"],
  [0x100000, "MAP_FIXED_NOREPLACE"],
  [0x20000, "MAP_STACK"],
];
const ACC: [number, string][] = [[4, "R_OK"], [2, "W_OK"], [1, "X_OK"]];
const ATF: [number, string][] = [[0x200, "AT_EACCESS"], [0x100, "AT_SYMLINK_NOFOLLOW"]];

function flags(v: number, names: [number, string][], zero: string): string {
  const out: string[] = [];
  let rest = v;
  for (const [bit, name] of names) {
    if ((v & bit) === bit && bit) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out.length ? out.join("|") : zero;
}

/** QEMU's 64-bit pointer format. */
function ptr(v: bigint): string {
  return v === 0n ? "NULL" : `0x${BigInt.asUintN(64, v).toString(16).padStart(16, "0")}`;
}

function str(p: LinuxProcess, addr: bigint): string {
  try {
    const s = new TextDecoder().decode(p.mem.readCString(addr, 4096));
    return JSON.stringify(s);
  } catch {
    return ptr(addr);
  }
}

function arg(p: LinuxProcess, k: Kind, v: bigint): string {
  const i = Number(BigInt.asIntN(32, v));
  switch (k) {
    case "d":
      return BigInt.asIntN(64, v).toString();
    case "p":
      return ptr(v);
    case "s":
      return str(p, v);
    case "f":
      return i === -100 ? "AT_FDCWD" : `${i}`;
    case "o": {
      const acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "3"][i & 3];
      const rest = flags(i & ~3, O_FLAGS, "");
      return rest ? `${acc}|${rest}` : acc;
    }
    case "m":
      return `0${(i & 0o7777).toString(8)}`;
    case "prot":
      return flags(i, PROT, "PROT_NONE");
    case "map":
      return flags(i, MAPF, "0");
    case "acc":
      return flags(i, ACC, "F_OK");
    case "at":
      return flags(i, ATF, "0");
    case "sig":
      return signalName(i);
    case "x":
      return v === 0n ? "0" : `0x${BigInt.asUintN(64, v).toString(16)}`;
    case "ioctl":
      return IOCTLS[i] ?? `0x${(i >>> 0).toString(16)}`;
    case "futex":
      return futexOp(i);
    case "clone": {
      const sig = i & 0xff;
      const f = flags(i & ~0xff, CLONE_FLAGS, "");
      return sig ? (f ? `${f}|${signalName(sig)}` : signalName(sig)) : f || "0";
    }
  }
}

/**
 * Formats the call part of a strace line: `PID name(args)`.
 *
 * @example
 * ```ts ignore
 * formatSyscall(proc, "close", 57, [3n, 0n, 0n, 0n, 0n, 0n]); // "1000 close(3)"
 * ```
 */
export function formatSyscall(p: LinuxProcess, name: string, _nr: number, a: bigint[]): string {
  const spec = SPECS[name];
  let args: string[];
  if (!spec) args = a.map((v) => BigInt.asIntN(64, v).toString());
  else {
    const used = name === "openat" && !(Number(a[2]) & 0x40) ? spec.slice(0, 3) : spec;
    args = used.map((k, i) => arg(p, k, a[i]));
  }
  return `${p.tid} ${name}(${args.join(",")})`;
}

/**
 * Formats a syscall result: pointers for mmap/brk, `-1 errno=N (text)` for errors.
 *
 * @example
 * ```ts
 * import { formatReturn } from "./strace.ts";
 * console.log(formatReturn("openat", -2n, [])); // "-1 errno=2 (No such file or directory)"
 * ```
 */
export function formatReturn(name: string, ret: bigint, _a: bigint[]): string {
  const r = BigInt.asIntN(64, ret);
  if (r < 0n && r >= -4095n) return `-1 errno=${-r} (${errnoMessage(Number(-r))})`;
  if (name === "mmap" || name === "brk" || name === "mremap") {
    return `0x${BigInt.asUintN(64, ret).toString(16).padStart(16, "0")}`;
  }
  return r.toString();
}
