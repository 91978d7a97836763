/**
 * `-strace` output in qemu-riscv64 7.2's format: `PID name(args) = result`, with
 * symbolic flags and quoted strings for the syscalls QEMU decodes and its six raw
 * decimal arguments for the rest (the argument printers are in `strace_args.ts`).
 *
 * @module
 */

import { errnoMessage } from "./errno.ts";
import type { LinuxProcess } from "./process.ts";
import type { PendingSignal } from "./signals.ts";
import {
  arg,
  itimervalAt,
  type Kind,
  openFlags,
  ptr,
  qemuSignal,
  timespecAt,
} from "./strace_args.ts";
import { ioctlArgs, ioctlWritten } from "./strace_ioctl.ts";
import { siginfoText } from "./strace_siginfo.ts";
import { CALL_PRINTERS } from "./strace_calls.ts";

/** The syscalls QEMU 7.2 decodes, by their argument kinds (others print six `%ld`). */
const SPECS: Record<string, Kind[]> = {
  read: ["i", "x", "i"],
  write: ["i", "x", "i"],
  writev: ["i", "hp", "x"],
  openat: ["f", "s", "o", "m"],
  close: ["i"],
  lseek: ["i", "ld", "whence"],
  newfstatat: ["f", "s", "p", "at"],
  utimensat: ["f", "s", "p", "at"],
  linkat: ["f", "s", "f", "s", "at"],
  fchmodat: ["f", "s", "m", "at"],
  fchownat: ["f", "s", "i", "i", "at"],
  truncate: ["s", "ld"],
  statfs: ["s", "p"],
  chroot: ["s"],
  clock_settime: ["clock", "ts"],
  ftruncate: ["i", "ld"],
  fchdir: ["i"],
  fchmod: ["i", "o8"],
  fchown: ["i", "i", "i"],
  fstatfs: ["i", "hp"],
  fsync: ["i"],
  fdatasync: ["i"],
  syncfs: ["i"],
  copy_file_range: ["i", "hp", "i", "hp", "lu", "u"],
  close_range: ["u", "u", "u"],
  fstat: ["i", "p"],
  statx: ["f", "s", "statxat", "statxmask", "p"],
  readlinkat: ["f", "s", "p", "i"],
  faccessat: ["f", "s", "acc", "at"],
  faccessat2: ["f", "s", "acc", "at"],
  unlinkat: ["f", "s", "unlinkat"],
  mkdirat: ["f", "s", "m"],
  renameat: ["f", "s", "f", "s"],
  symlinkat: ["s", "f", "s"],
  chdir: ["s"],
  getcwd: ["hp", "i"],
  uname: ["hp"],
  umask: ["o8"],
  sigaltstack: ["hp", "hp"],
  getdents64: ["i", "hp", "u"],
  getrandom: ["hp", "u", "u"],
  brk: ["p"],
  mmap: ["p", "ld", "prot", "map", "i", "x"], // the offset as QEMU 7.2 prints it: %#x
  munmap: ["p", "ld"],
  mprotect: ["p", "ld", "prot"],
  madvise: ["p", "ld", "madv"],
  exit: ["i"],
  exit_group: ["i"],
  rt_sigaction: ["sig", "p", "p"],
  rt_sigprocmask: ["how", "p", "p"],
  kill: ["i", "sig"],
  tgkill: ["i", "i", "sig"],
  tkill: ["i", "sig"],
  dup: ["i"],
  dup3: ["i", "i", "i"],
  clock_gettime: ["clock", "p"],
  clock_getres: ["clock", "p"],
  clock_nanosleep: ["clock", "i", "ts", "ts"],
  futex: ["p", "futex", "i", "p", "p", "a4"],
  getitimer: ["itimer", "p"],
  setitimer: ["itimer", "itv", "p"],
  getpid: [],
  getppid: [],
  gettid: [],
  getuid: [],
  geteuid: [],
  getgid: [],
  getegid: [],
  setgid: ["u"],
  setreuid: ["u", "u"],
  setresuid: ["u", "u", "u"],
  setresgid: ["u", "u", "u"],
  setfsuid: ["u"],
  setfsgid: ["u"],
  getpriority: ["x", "x"],
  setpgid: ["u", "u"],
  getpgid: ["u"],
  getsid: ["i"],
  setsid: [],
  getcpu: ["hp", "i"],
  capget: ["hp", "hp"],
  capset: ["hp", "hp"],
  eventfd2: ["i", "i"],
  epoll_create1: ["i"],
  listen: ["i", "i"],
  connect: ["i", "x", "i"],
  accept: ["i", "p", "num"],
  recvmsg: ["i", "hp", "x"],
  waitid: ["x", "i", "hp", "x"],
  timer_settime: ["i", "i", "hp", "hp"],
  mlock: ["hp", "lu"],
  munlock: ["hp", "lu"],
  munlockall: [],
  pidfd_open: ["i", "u"],
  pidfd_getfd: ["i", "i", "u"],
};

/** Syscalls QEMU 7.2 has no name for: it prints `Unknown syscall N` and no result. */
const UNKNOWN_TO_QEMU = new Set(["rseq", "clone3"]);

/** Syscalls whose result QEMU follows with the struct they wrote: its argument and printer. */
const WRITES_STRUCT: Record<string, [number, (p: LinuxProcess, addr: bigint) => string, string]> = {
  clock_gettime: [1, timespecAt, ""],
  clock_getres: [1, timespecAt, ""],
  getitimer: [1, itimervalAt, ""],
  setitimer: [2, itimervalAt, "old_value = "],
};

/** fcntl commands QEMU names, and how it prints their third argument (none when absent). */
const FCNTL: Record<number, [string, Kind | "open" | null]> = {
  0: ["F_DUPFD", "ld"],
  1: ["F_GETFD", null],
  2: ["F_SETFD", "ld"],
  3: ["F_GETFL", null],
  4: ["F_SETFL", "open"],
  5: ["F_GETLK", "p"],
  6: ["F_SETLK", "p"],
  7: ["F_SETLKW", "p"],
  8: ["F_SETOWN", "ld"],
  9: ["F_GETOWN", null],
  10: ["F_SETSIG", "ld"],
  11: ["F_GETSIG", null],
  15: ["F_SETOWN_EX", "p"],
  16: ["F_GETOWN_EX", "p"],
  36: ["F_OFD_GETLK", "p"],
  37: ["F_OFD_SETLK", "p"],
  38: ["F_OFD_SETLKW", "p"],
  1024: ["F_SETLEASE", "ld"],
  1025: ["F_GETLEASE", null],
  1026: ["F_NOTIFY", "ld"],
  1030: ["F_DUPFD_CLOEXEC", "ld"],
  1031: ["F_SETPIPE_SZ", "ld"],
  1032: ["F_GETPIPE_SZ", null],
};

function fcntlArgs(p: LinuxProcess, a: bigint[]): string[] {
  const cmd = Number(BigInt.asIntN(32, a[1]));
  const known = FCNTL[cmd];
  if (!known) return [arg(p, "i", a, 0), `${cmd}`, ptr(a[2])];
  const [name, kind] = known;
  if (kind === null) return [arg(p, "i", a, 0), name];
  const third = kind === "open"
    ? openFlags(Number(BigInt.asIntN(32, a[2])), p.abi.openFlagBits)
    : arg(p, kind, a, 2);
  return [arg(p, "i", a, 0), name, third];
}

/** riscv64's clone(flags, stack, parent_tid, tls, child_tid), with QEMU's labels. */
/**
 * execve's path and argv as QEMU's print_execve writes them: the strings as they are, in
 * quotes, and `NULL` closing the list; the six numbers when the memory cannot be read.
 */
function execveArgs(p: LinuxProcess, a: bigint[]): string[] {
  const quoted = (addr: bigint) => `"${new TextDecoder().decode(p.mem.readCString(addr, 4096))}"`;
  const size = p.cpu.target.elfClass === 2 ? 8 : 4;
  try {
    const argv: string[] = [];
    for (let at = a[1]; argv.length < 4096; at += BigInt(size)) {
      const b = p.mem.readBytes(at, size), dv = new DataView(b.buffer, b.byteOffset, size);
      const s = size === 8 ? dv.getBigUint64(0, true) : BigInt(dv.getUint32(0, true));
      if (s === 0n) break;
      argv.push(quoted(s));
    }
    return [quoted(a[0]), `{${[...argv, "NULL"].join(",")}}`];
  } catch {
    return a.map((v) => BigInt.asIntN(64, v).toString());
  }
}

/**
 * Formats the call part of a strace line: `TID name(args)` (QEMU prints the process id on
 * every thread's lines; the thread id tells Denemu's threads apart).
 *
 * @example
 * ```ts ignore
 * formatSyscall(proc, "close", 57, [3n, 0n, 0n, 0n, 0n, 0n]); // "1000 close(3)"
 * ```
 */
export function formatSyscall(p: LinuxProcess, name: string, nr: number, a: bigint[]): string {
  if (UNKNOWN_TO_QEMU.has(name)) return `${p.tid} Unknown syscall ${nr}`;
  const spec = SPECS[name];
  let args: string[];
  if (name === "fcntl") args = fcntlArgs(p, a);
  else if (name === "ioctl") args = ioctlArgs(p, a);
  else if (CALL_PRINTERS[name]) args = CALL_PRINTERS[name](p, a);
  else if (name === "execve") args = execveArgs(p, a);
  else if (!spec) args = a.map((v) => BigInt.asIntN(64, v).toString());
  else {
    const used = name === "openat" && !(Number(a[2]) & 0x40) ? spec.slice(0, 3) : spec;
    args = used.map((k, i) => arg(p, k, a, i));
  }
  return `${p.tid} ${name}(${args.join(",")})`;
}

/**
 * Formats a syscall result: pointers for mmap/brk, `-1 errno=N (text)` for errors, and
 * the struct clock_gettime or setitimer wrote (when given the process).
 *
 * @example
 * ```ts
 * import { formatReturn } from "./strace.ts";
 * console.log(formatReturn("openat", -2n, [])); // "-1 errno=2 (No such file or directory)"
 * ```
 */
export function formatReturn(name: string, ret: bigint, a: bigint[], p?: LinuxProcess): string {
  const r = BigInt.asIntN(64, ret);
  if (r < 0n && r >= -4095n) return `-1 errno=${-r} (${errnoMessage(Number(-r))})`;
  if (name === "mmap" || name === "brk") {
    return `0x${BigInt.asUintN(64, ret).toString(16).padStart(16, "0")}`;
  }
  if (p && r >= 0n && name === "ioctl") return `${r}${ioctlWritten(p, a)}`;
  const wrote = WRITES_STRUCT[name];
  if (p && r === 0n && wrote) {
    return `0 (${wrote[2]}${wrote[1](p, a[wrote[0]])})`;
  }
  return r.toString();
}

/**
 * What follows the call part of a strace line: ` = result`; for a syscall that does not
 * return (`ret` null), rt_sigreturn's result as QEMU prints it (its internal errno 513) and
 * nothing for the others (exit, execve); nothing for a syscall QEMU does not know.
 */
export function formatResult(
  p: LinuxProcess,
  name: string,
  ret: bigint | null,
  a: bigint[],
): string {
  if (UNKNOWN_TO_QEMU.has(name)) return "";
  if (ret !== null) return ` = ${formatReturn(name, ret, a, p)}`;
  return name === "rt_sigreturn" ? " = -1 errno=513 (Successful exit from sigreturn)" : "";
}

/** The `--- SIG {siginfo} ---` line of a signal delivered to the guest. */
export function formatSignal(s: PendingSignal): string {
  return `--- ${qemuSignal(s.signal)} ${siginfoText(s)} ---`;
}
