/**
 * The argument printers of `-strace`, as qemu-riscv64 7.2 (linux-user/strace.c) prints them:
 * symbolic flags, quoted strings, `struct timespec` contents, and the host printf formats of
 * its format-string entries (`%d` and `%#x` see the low 32 bits, `%p` prints `(nil)` for 0).
 *
 * @module
 */

import type { LinuxProcess } from "./process.ts";
import { genericOpenFlags } from "./fds.ts";
import type { LinuxAbi } from "../target.ts";

/**
 * Argument kinds: i `%d`, u `%u`, x `%#x`, hp `%p`, o8 `%#o`, ld `%ld`, p a padded pointer,
 * s a string, f a dirfd, ts a timespec pointer, a4 the fifth argument as `%d` (QEMU's futex
 * printer prints it twice), and the flag and name sets.
 */
export type Kind =
  | "i"
  | "u"
  | "x"
  | "hp"
  | "o8"
  | "ld"
  | "p"
  | "s"
  | "f"
  | "ts"
  | "a4"
  | "o"
  | "m"
  | "lu"
  | "num"
  | "prot"
  | "map"
  | "sig"
  | "acc"
  | "at"
  | "unlinkat"
  | "statxat"
  | "statxmask"
  | "futex"
  | "whence"
  | "clock"
  | "how"
  | "madv"
  | "itimer"
  | "itv";

export const IOCTLS: Record<number, string> = {
  0x5401: "TCGETS",
  0x5402: "TCSETS",
  0x5403: "TCSETSW",
  0x5404: "TCSETSF",
  0x540e: "TIOCSCTTY",
  0x540f: "TIOCGPGRP",
  0x5410: "TIOCSPGRP",
  0x5413: "TIOCGWINSZ",
  0x5414: "TIOCSWINSZ",
  0x541b: "FIONREAD",
  0x5421: "FIONBIO",
  0x5450: "FIONCLEX",
  0x5451: "FIOCLEX",
  0x40045431: "TIOCSPTLCK",
};

/** statx's flags as QEMU 7.2 names them, in its order. */
const STATX_AT: [number, string][] = [
  [0x1000, "AT_EMPTY_PATH"],
  [0x800, "AT_NO_AUTOMOUNT"],
  [0x100, "AT_SYMLINK_NOFOLLOW"],
  [0x2000, "AT_STATX_FORCE_SYNC"],
  [0x4000, "AT_STATX_DONT_SYNC"],
];

/** statx's mask as QEMU 7.2 names it: the unions first, so that they take their bits. */
const STATX_MASK: [number, string][] = [
  [0xfff, "STATX_ALL"],
  [0x7ff, "STATX_BASIC_STATS"],
  ...[
    "STATX_TYPE",
    "STATX_MODE",
    "STATX_NLINK",
    "STATX_UID",
    "STATX_GID",
    "STATX_ATIME",
    "STATX_MTIME",
    "STATX_CTIME",
    "STATX_INO",
    "STATX_SIZE",
    "STATX_BLOCKS",
    "STATX_BTIME",
  ].map((name, i): [number, string] => [1 << i, name]),
];

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

/** The clone flags QEMU names, in its order. */
export const CLONE_FLAGS: [number, string][] = [
  [0x100, "CLONE_VM"],
  [0x200, "CLONE_FS"],
  [0x400, "CLONE_FILES"],
  [0x800, "CLONE_SIGHAND"],
  [0x2000, "CLONE_PTRACE"],
  [0x4000, "CLONE_VFORK"],
  [0x8000, "CLONE_PARENT"],
  [0x10000, "CLONE_THREAD"],
  [0x20000, "CLONE_NEWNS"],
  [0x40000, "CLONE_SYSVSEM"],
  [0x80000, "CLONE_SETTLS"],
  [0x100000, "CLONE_PARENT_SETTID"],
  [0x200000, "CLONE_CHILD_CLEARTID"],
  [0x400000, "CLONE_DETACHED"],
  [0x800000, "CLONE_UNTRACED"],
  [0x1000000, "CLONE_CHILD_SETTID"],
  [0x4000000, "CLONE_NEWUTS"],
  [0x8000000, "CLONE_NEWIPC"],
  [0x10000000, "CLONE_NEWUSER"],
  [0x20000000, "CLONE_NEWPID"],
  [0x40000000, "CLONE_NEWNET"],
  [0x2000000, "CLONE_NEWCGROUP"],
  [0x80, "CLONE_NEWTIME"],
  [0x80000000, "CLONE_IO"],
];

/** Open flags in QEMU's order (the access mode comes first, apart). */
export const O_FLAGS: [number, string][] = [
  [0x400, "O_APPEND"],
  [0x40, "O_CREAT"],
  [0x10000, "O_DIRECTORY"],
  [0x80, "O_EXCL"],
  [0x100, "O_NOCTTY"],
  [0x20000, "O_NOFOLLOW"],
  [0x800, "O_NONBLOCK"],
  [0x1000, "O_DSYNC"],
  [0x100000, "__O_SYNC"],
  [0x200, "O_TRUNC"],
  [0x4000, "O_DIRECT"],
  [0x40000, "O_NOATIME"],
  [0x80000, "O_CLOEXEC"],
  [0x200000, "O_PATH"],
  [0x400000, "__O_TMPFILE"],
];
const PROT: [number, string][] = [[4, "PROT_EXEC"], [1, "PROT_READ"], [2, "PROT_WRITE"]];
const MAPF: [number, string][] = [
  [0x01, "MAP_SHARED"],
  [0x02, "MAP_PRIVATE"],
  [0x20, "MAP_ANONYMOUS"],
  [0x800, "MAP_DENYWRITE"],
  [0x10, "MAP_FIXED"],
  [0x100, "MAP_GROWSDOWN"],
  [0x1000, "MAP_EXECUTABLE"],
  [0x2000, "MAP_LOCKED"],
  [0x10000, "MAP_NONBLOCK"],
  [0x4000, "MAP_NORESERVE"],
  [0x8000, "MAP_POPULATE"],
  [0x4000000, "MAP_UNINITIALIZED"],
];
const ACC: [number, string][] = [[4, "R_OK"], [2, "W_OK"], [1, "X_OK"]];
const ATF: [number, string][] = [[0x200, "AT_EACCESS"], [0x100, "AT_SYMLINK_NOFOLLOW"]];
const WHENCE = ["SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"];
const HOW = ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"];
const CLOCKS = [
  "CLOCK_REALTIME",
  "CLOCK_MONOTONIC",
  "CLOCK_PROCESS_CPUTIME_ID",
  "CLOCK_THREAD_CPUTIME_ID",
  "CLOCK_MONOTONIC_RAW",
  "CLOCK_REALTIME_COARSE",
  "CLOCK_MONOTONIC_COARSE",
  "CLOCK_BOOTTIME",
  "CLOCK_REALTIME_ALARM",
  "CLOCK_BOOTTIME_ALARM",
  "CLOCK_SGI_CYCLE",
  "CLOCK_TAI",
];
const MADVICE: Record<number, string> = {
  0: "MADV_NORMAL",
  1: "MADV_RANDOM",
  2: "MADV_SEQUENTIAL",
  3: "MADV_WILLNEED",
  4: "MADV_DONTNEED",
  8: "MADV_FREE",
  9: "MADV_REMOVE",
  10: "MADV_DONTFORK",
  11: "MADV_DOFORK",
  12: "MADV_MERGEABLE",
  13: "MADV_UNMERGEABLE",
  14: "MADV_HUGEPAGE",
  15: "MADV_NOHUGEPAGE",
  16: "MADV_DONTDUMP",
  17: "MADV_DODUMP",
  18: "MADV_WIPEONFORK",
  19: "MADV_KEEPONFORK",
  20: "MADV_COLD",
  21: "MADV_PAGEOUT",
  22: "MADV_POPULATE_READ",
  23: "MADV_POPULATE_WRITE",
  24: "MADV_DONTNEED_LOCKED",
};
/** The signals QEMU's print_signal names, 1 to 31 (6 as SIGIOT); it prints others in decimal. */
const SIGNALS = [
  "",
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGILL",
  "SIGTRAP",
  "SIGIOT",
  "SIGBUS",
  "SIGFPE",
  "SIGKILL",
  "SIGUSR1",
  "SIGSEGV",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGSTKFLT",
  "SIGCHLD",
  "SIGCONT",
  "SIGSTOP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGVTALRM",
  "SIGPROF",
  "SIGWINCH",
  "SIGIO",
  "SIGPWR",
  "SIGSYS",
];

/** A signal number as QEMU's strace prints it (a name, or decimal). */
export function qemuSignal(n: number): string {
  return (n > 0 && SIGNALS[n]) || `${n}`;
}

/**
 * A flag set as `A|B|0xrest`, or `zero` when no bit is set; as QEMU's print_flags, a name
 * whose bits an earlier one took is not printed again.
 */
export function flags(v: number, names: [number, string][], zero: string): string {
  const out: string[] = [];
  let rest = v;
  for (const [bit, name] of names) {
    if (((rest & bit) >>> 0) === bit >>> 0 && bit) { // >>> 0: bit 31 as unsigned
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out.length ? out.join("|") : zero;
}

/** Open flags (numbered as the machine's `bits` say): the access mode, then the other flags. */
export function openFlags(i: number, bits?: LinuxAbi["openFlagBits"]): string {
  const acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "3"][i & 3];
  const rest = flags(genericOpenFlags(i, bits) & ~3, O_FLAGS, "");
  return rest ? `${acc}|${rest}` : acc;
}

/** QEMU's 64-bit pointer format (print_pointer): NULL or 0x and 16 hex digits. */
export function ptr(v: bigint): string {
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

/** A `struct timespec` in guest memory as QEMU prints it, or its address when unreadable. */
export function timespecAt(p: LinuxProcess, addr: bigint): string {
  if (addr === 0n) return "NULL";
  try {
    const dv = new DataView(p.mem.readBytes(addr, 16).buffer);
    return `{tv_sec = ${dv.getBigInt64(0, true)},tv_nsec = ${dv.getBigInt64(8, true)}}`;
  } catch {
    return ptr(addr);
  }
}

/** A `struct itimerval` in guest memory as QEMU prints it, or its address when unreadable. */
export function itimervalAt(p: LinuxProcess, addr: bigint): string {
  if (addr === 0n) return "NULL";
  try {
    const dv = new DataView(p.mem.readBytes(addr, 32).buffer);
    const tv = (o: number) =>
      `{tv_sec = ${dv.getBigInt64(o, true)},tv_usec = ${dv.getBigInt64(o + 8, true)}}`;
    return `{it_interval=${tv(0)},it_value=${tv(16)},}`;
  } catch {
    return ptr(addr);
  }
}

const FILE_TYPES: [number, string][] = [
  [0o140000, "S_IFSOCK"],
  [0o120000, "S_IFLNK"],
  [0o100000, "S_IFREG"],
  [0o060000, "S_IFBLK"],
  [0o040000, "S_IFDIR"],
  [0o020000, "S_IFCHR"],
  [0o010000, "S_IFIFO"],
];

/** A mode as QEMU's print_file_mode: `000` for none, the first file type named, octal bits. */
function fileMode(mode: number): string {
  if (mode === 0) return "000";
  const type = FILE_TYPES.find(([bits]) => (mode & bits) === bits)?.[1];
  const perms = mode & ~0o170000;
  const octal = perms ? `0${(perms >>> 0).toString(8)}` : "";
  return type ? (octal ? `${type}|${octal}` : type) : octal;
}

/** The int at `addr`, if the guest can read it. */
function intAt(p: LinuxProcess, addr: bigint): number | undefined {
  try {
    const b = p.mem.readBytes(addr, 4, "read");
    return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
  } catch {
    return undefined;
  }
}

/** One argument (`a[n]`) of kind `k`. */
export function arg(p: LinuxProcess, k: Kind, a: bigint[], n: number): string {
  const v = a[n];
  const i = Number(BigInt.asIntN(32, v));
  switch (k) {
    case "i":
      return `${i}`;
    case "u":
      return `${i >>> 0}`;
    case "x":
      return i ? `0x${(i >>> 0).toString(16)}` : "0";
    case "hp":
      return v ? `0x${BigInt.asUintN(64, v).toString(16)}` : "(nil)";
    case "o8":
      return i ? `0${(i >>> 0).toString(8)}` : "0";
    case "ld":
      return BigInt.asIntN(64, v).toString();
    case "p":
      return ptr(v);
    case "s":
      return str(p, v);
    case "f":
      // QEMU compares the whole register: an int that arm64 code left unextended is not it
      return BigInt.asIntN(64, v) === -100n ? "AT_FDCWD" : `${i}`;
    case "ts":
      return timespecAt(p, v);
    case "a4":
      return `${Number(BigInt.asIntN(32, a[4]))}`;
    case "o":
      return openFlags(i, p.abi.openFlagBits);
    case "m":
      return fileMode(i);
    case "prot":
      return flags(i, PROT, "PROT_NONE");
    case "map":
      return flags(i, MAPF, "0");
    case "acc":
      return flags(i, ACC, "F_OK");
    case "at":
      return flags(i, ATF, "0");
    case "unlinkat":
      return flags(i, [[0x200, "AT_REMOVEDIR"]], "0");
    case "sig":
      return qemuSignal(i);
    case "lu":
      return BigInt.asUintN(64, v).toString();
    case "num":
      return v === 0n ? "NULL" : `[${intAt(p, v) ?? 0}]`; // QEMU prints 0 when it cannot read
    case "statxat":
      return flags(i, STATX_AT, "0");
    case "statxmask":
      return flags(i, STATX_MASK, "0");
    case "futex":
      return futexOp(i);
    case "whence":
      return WHENCE[i] ?? `0x${(i >>> 0).toString(16)}`;
    case "clock":
      return CLOCKS[i] ?? `${i}`;
    case "how":
      return HOW[i] ?? `${i}`;
    case "madv":
      return MADVICE[i] ?? `${i}`;
    case "itimer":
      return ["ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF"][i] ?? `0x${(i >>> 0).toString(16)}`;
    case "itv":
      return itimervalAt(p, v);
  }
}

/** A futex op as QEMU prints it: FUTEX_PRIVATE_FLAG|FUTEX_CLOCK_REALTIME|FUTEX_WAIT. */
function futexOp(i: number): string {
  const parts = [];
  if (i & 128) parts.push("FUTEX_PRIVATE_FLAG");
  if (i & 256) parts.push("FUTEX_CLOCK_REALTIME");
  parts.push(FUTEX_OPS[i & 127] ?? `${i & 127}`);
  return parts.join("|");
}
