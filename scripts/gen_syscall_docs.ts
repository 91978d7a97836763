// Writes docs/syscalls.md: every riscv64 Linux syscall (the target's table) with its state in
// user mode: done (a handler), partial (a handler with the limits noted below) or ENOSYS (none;
// `-d unimp` logs such calls). tests/syscall_docs_test.ts checks the file is up to date.
//
//   deno task syscalls
// SPDX-License-Identifier: GPL-3.0-or-later

import { SYSCALLS } from "../core/linux/sys_table.ts";
import { riscvLinuxAbi } from "../targets/riscv/linux_abi.ts";

/** Handlers that do less than Linux, and what they leave out. */
export const PARTIAL: Record<string, string> = {
  clone: "threads and new processes; CLONE_VM without CLONE_THREAD or CLONE_VFORK: ENOSYS; " +
    "a vfork child gets a copy of the memory and the parent does not wait",
  clone3: "as clone",
  futex: "no FUTEX_WAIT_REQUEUE_PI / FUTEX_CMP_REQUEUE_PI (ENOSYS); PI locks hand over in " +
    "FIFO order (no priorities: one host thread)",
  mknodat: "regular files and FIFOs (the host's mkfifo makes them; the guest's opens of a FIFO " +
    "meet each other in Denemu, a host process's open of it is not seen); device nodes and " +
    "sockets EPERM",
  clock_settime: "EPERM (as without CAP_SYS_TIME, even as root): the guest's clock is virtual",
  settimeofday: "as clock_settime",
  utimensat: "to the nanosecond with Deno's FFI permission (the host C library's utimensat), " +
    "else to the microsecond and a symlink's own times unchanged",
  newfstatat: "times to the nanosecond with Deno's FFI permission (else milliseconds, ctime " +
    "seconds)",
  statx: "as newfstatat",
  pidfd_send_signal: "a siginfo given is sent as kill's (SI_USER from the caller)",
  wait4: "no rusage figures (zeros)",
  waitid: "no rusage figures (zeros); the program started itself never stops",
  signalfd4: "the signals of the process that made it, not of the reader",
  madvise: "MADV_DONTNEED re-zeroes private anonymous pages only (private file pages keep theirs)",
  mmap: "a MAP_SHARED write reaches the file on msync, munmap, exec or exit (a read or write " +
    "of the file meanwhile sees the file), and other processes at their next turn",
  execve: "riscv ELF programs and #! scripts; the module list keeps the old image's entries",
  rseq: "ENOSYS on purpose, as QEMU 7.2 (glibc copes)",
  timer_create: "the CPU-time clocks count virtual time, idle time included, as " +
    "clock_gettime reports them; no CPU clocks of other processes (EINVAL)",
  prctl: "PR_SET_NAME and PR_GET_NAME only",
  ioctl: "terminal requests on a terminal (a pty's: termios, window size, job control, " +
    "TIOCGPTN/TIOCSPTLCK/TIOCGPTPEER), FIONREAD on a pipe or pty, FIONBIO/FIOCLEX/FIONCLEX on " +
    "every file; other requests ENOTTY (qemu-riscv64: ENOSYS)",
  sched_setaffinity: "accepted, without effect (one CPU)",
  sched_rr_get_interval: "a zero time slice (SCHED_OTHER on an idle CPU)",
  fallocate: "mode 0 grows the file, FALLOC_FL_KEEP_SIZE does nothing (files have no holes); " +
    "other modes EOPNOTSUPP",
  fcntl: "locks are always granted; F_NOTIFY is accepted but never signals; no F_ADD_SEALS",
  memfd_create: "a file in memory, of at most 2 GiB (past it EFBIG); MFD_ALLOW_SEALING is " +
    "taken, but no seal can be added",
  read: "a read that would block waits only when other threads or processes may supply data",
  write: "a write that would block (a full pipe or AF_UNIX socket, a TCP connect under way) " +
    "waits only when other threads or processes may make room, or the network",
  writev: "as write (the iovecs' bytes go in one write)",
  epoll_pwait: "EPOLLET behaves as level-triggered",
  timerfd_settime: "TFD_TIMER_CANCEL_ON_SET is ignored (the virtual clock is never set)",
  socket: "AF_INET/AF_INET6 TCP and UDP with -net host (without it EACCES); " +
    "AF_UNIX inside the guest world; other families EAFNOSUPPORT",
  bind: "a TCP socket binds when it listens (a port taken shows then, as EADDRINUSE)",
  setsockopt: "options are kept and read back by getsockopt; the host socket keeps its " +
    "defaults; AF_UNIX SO_SNDBUF sizes the send buffer",
  getsockopt: "SO_TYPE, SO_ERROR, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_PEERCRED, and " +
    "AF_UNIX SO_SNDBUF/SO_RCVBUF; other options read back what setsockopt set, or zeros",
  sendto: "flags other than MSG_NOSIGNAL and MSG_DONTWAIT are ignored; a TCP send is queued " +
    "at once when connected (an error shows at a later call); an AF_UNIX message charges " +
    "the send buffer an skb overhead of 576 bytes, about Linux's",
  recvfrom: "MSG_DONTWAIT and MSG_PEEK; other flags are ignored",
  sendmsg: "as sendto; ancillary data: SCM_RIGHTS and SCM_CREDENTIALS on AF_UNIX only",
  recvmsg: "as recvfrom; ancillary data: SCM_RIGHTS and SCM_CREDENTIALS on AF_UNIX only",
  recvmmsg: "past its timeout, returns what came without waiting for one more datagram " +
    "as Linux does",
  getxattr: "files have no extended attributes (Deno cannot read them): ENODATA",
  lgetxattr: "as getxattr",
  fgetxattr: "as getxattr",
  listxattr: "lists none",
  llistxattr: "as listxattr",
  flistxattr: "as listxattr",
  setxattr: "cannot store an attribute: EOPNOTSUPP",
  lsetxattr: "as setxattr",
  fsetxattr: "as setxattr",
  removexattr: "ENODATA (there is none)",
  lremovexattr: "as removexattr",
  fremovexattr: "as removexattr",
};

/** The Markdown text of docs/syscalls.md. */
export function syscallDocs(): string {
  const rows: string[] = [];
  const counts = { done: 0, partial: 0, ENOSYS: 0 };
  const aliases = riscvLinuxAbi.syscallAliases ?? {};
  for (const [nr, name] of Object.entries(riscvLinuxAbi.syscallNames)) {
    const handled = SYSCALLS[name] ?? SYSCALLS[aliases[name] ?? ""];
    const state = !handled ? "ENOSYS" : PARTIAL[name] ? "partial" : "done";
    counts[state]++;
    rows.push(`| ${nr} | \`${name}\` | ${state} | ${PARTIAL[name] ?? ""} |`);
  }
  return [
    "# Linux syscalls in user mode (riscv64)",
    "",
    "Generated by `deno task syscalls` (scripts/gen_syscall_docs.ts) from the target's syscall",
    "table and Denemu's handlers; do not edit. `-d unimp` logs each ENOSYS call a guest makes.",
    "",
    `${counts.done} done, ${counts.partial} partial, ${counts.ENOSYS} ENOSYS.`,
    "",
    "| nr | name | state | notes |",
    "| -- | ---- | ----- | ----- |",
    ...rows,
    "",
  ].join("\n");
}

/** Writes the docs to `path`, formatted by `deno fmt` as the repository's Markdown is. */
export function writeSyscallDocs(path: string): void {
  Deno.writeTextFileSync(path, syscallDocs());
  const fmt = new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", "--line-width=100", path] })
    .outputSync();
  if (!fmt.success) throw new Error(`deno fmt ${path} failed`);
}

if (import.meta.main) {
  const path = new URL("../docs/syscalls.md", import.meta.url).pathname;
  writeSyscallDocs(path);
  console.log(`wrote ${path}`);
}
