/**
 * The riscv64 Linux user-mode ABI: syscall registers and numbers (the
 * asm-generic table), AT_HWCAP, and the rt_sigframe layout the kernel uses.
 *
 * State layout relied on: x0..x31 are globals 0..31 (state bytes 0..255),
 * f0..f31 are globals 32..63 (bytes 256..511), the pc is at byte 512 and
 * fcsr at byte 520.
 *
 * @module
 */

import type { LinuxAbi, RegisterAccess, SignalFrameRequest } from "../../plugin.ts";
import { RiscvState } from "./state.ts";

const FCSR_OFFSET = 520;
const REG_RA = 1, REG_SP = 2, REG_TP = 4, REG_A0 = 10, REG_A1 = 11, REG_A2 = 12;
const FP_BASE = 32;

/** rt_sigframe offsets (siginfo 128 bytes, then the ucontext). */
const UC = 128;
const UC_FLAGS = UC + 0, UC_LINK = UC + 8, UC_STACK = UC + 16, UC_SIGMASK = UC + 40;
/** uc_mcontext is 16-byte aligned: offset 176 inside the ucontext. */
const MC = UC + 176;
const MC_FP = MC + 256;
const MC_FCSR = MC_FP + 32 * 8;
/** sizeof(struct rt_sigframe): siginfo + ucontext (with the 528-byte Q-sized FP union). */
const FRAME_SIZE = UC + 176 + 256 + 528;

/**
 * The riscv64 (asm-generic) syscall numbers by number.
 *
 * @example
 * ```ts
 * import { RISCV64_SYSCALLS } from "./linux_abi.ts";
 * console.log(RISCV64_SYSCALLS[64]); // "write"
 * ```
 */
export const RISCV64_SYSCALLS: Readonly<Record<number, string>> = buildTable();

function buildTable(): Record<number, string> {
  const t: Record<number, string> = {};
  const runs: [number, string][] = [
    [
      0,
      "io_setup io_destroy io_submit io_cancel io_getevents setxattr lsetxattr fsetxattr getxattr " +
      "lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr " +
      "getcwd lookup_dcookie eventfd2 epoll_create1 epoll_ctl epoll_pwait dup dup3 fcntl " +
      "inotify_init1 inotify_add_watch inotify_rm_watch ioctl ioprio_set ioprio_get flock mknodat " +
      "mkdirat unlinkat symlinkat linkat renameat umount2 mount pivot_root nfsservctl statfs " +
      "fstatfs truncate ftruncate fallocate faccessat chdir fchdir chroot fchmod fchmodat " +
      "fchownat fchown openat close vhangup pipe2 quotactl getdents64 lseek read write readv " +
      "writev pread64 pwrite64 preadv pwritev sendfile pselect6 ppoll signalfd4 vmsplice splice " +
      "tee readlinkat newfstatat fstat sync fsync fdatasync sync_file_range timerfd_create " +
      "timerfd_settime timerfd_gettime utimensat acct capget capset personality exit exit_group " +
      "waitid set_tid_address unshare futex set_robust_list get_robust_list nanosleep getitimer " +
      "setitimer kexec_load init_module delete_module timer_create timer_gettime " +
      "timer_getoverrun timer_settime timer_delete clock_settime clock_gettime clock_getres " +
      "clock_nanosleep syslog ptrace sched_setparam sched_setscheduler sched_getscheduler " +
      "sched_getparam sched_setaffinity sched_getaffinity sched_yield sched_get_priority_max " +
      "sched_get_priority_min sched_rr_get_interval restart_syscall kill tkill tgkill " +
      "sigaltstack rt_sigsuspend rt_sigaction rt_sigprocmask rt_sigpending rt_sigtimedwait " +
      "rt_sigqueueinfo rt_sigreturn setpriority getpriority reboot setregid setgid setreuid " +
      "setuid setresuid getresuid setresgid getresgid setfsuid setfsgid times setpgid getpgid " +
      "getsid setsid getgroups setgroups uname sethostname setdomainname getrlimit setrlimit " +
      "getrusage umask prctl getcpu gettimeofday settimeofday adjtimex getpid getppid getuid " +
      "geteuid getgid getegid gettid sysinfo mq_open mq_unlink mq_timedsend mq_timedreceive " +
      "mq_notify mq_getsetattr msgget msgctl msgrcv msgsnd semget semctl semtimedop semop " +
      "shmget shmctl shmat shmdt socket socketpair bind listen accept connect getsockname " +
      "getpeername sendto recvfrom setsockopt getsockopt shutdown sendmsg recvmsg readahead brk " +
      "munmap mremap add_key request_key keyctl clone execve mmap fadvise64 swapon swapoff " +
      "mprotect msync mlock munlock mlockall munlockall mincore madvise remap_file_pages mbind " +
      "get_mempolicy set_mempolicy migrate_pages move_pages rt_tgsigqueueinfo perf_event_open " +
      "accept4 recvmmsg",
    ],
    [258, "riscv_hwprobe riscv_flush_icache"],
    [
      260,
      "wait4 prlimit64 fanotify_init fanotify_mark name_to_handle_at open_by_handle_at " +
      "clock_adjtime syncfs setns sendmmsg process_vm_readv process_vm_writev kcmp " +
      "finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create bpf " +
      "execveat userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect " +
      "pkey_alloc pkey_free statx io_pgetevents rseq kexec_file_load",
    ],
    [
      424,
      "pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree move_mount " +
      "fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2 pidfd_getfd " +
      "faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset " +
      "landlock_add_rule landlock_restrict_self memfd_secret process_mrelease futex_waitv " +
      "set_mempolicy_home_node cachestat fchmodat2",
    ],
  ];
  for (const [first, names] of runs) {
    names.split(" ").forEach((n, i) => t[first + i] = n);
  }
  return t;
}

/** Letters of the base extensions as AT_HWCAP bits (bit = letter - 'A'). */
function hwcapOf(letters: string): bigint {
  let v = 0n;
  for (const c of letters) v |= 1n << BigInt(c.charCodeAt(0) - 65);
  return v;
}

function le32(...words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return b;
}

function setupSignalFrame(f: SignalFrameRequest): void {
  const r = f.regs;
  const frame = (f.sp - BigInt(FRAME_SIZE)) & ~15n;
  const buf = new Uint8Array(FRAME_SIZE);
  const dv = new DataView(buf.buffer);
  buf.set(f.siginfo.subarray(0, 128), 0);
  dv.setBigUint64(UC_FLAGS, 0n, true);
  dv.setBigUint64(UC_LINK, 0n, true);
  dv.setBigUint64(UC_STACK, BigInt.asUintN(64, f.altStack.sp), true);
  dv.setInt32(UC_STACK + 8, f.altStack.flags, true);
  dv.setBigUint64(UC_STACK + 16, BigInt.asUintN(64, f.altStack.size), true);
  dv.setBigUint64(UC_SIGMASK, BigInt.asUintN(64, f.savedMask), true);
  dv.setBigUint64(MC, r.pc, true);
  for (let i = 1; i < 32; i++) {
    dv.setBigUint64(MC + 8 * i, BigInt.asUintN(64, r.getGlobal(i)), true);
  }
  for (let i = 0; i < 32; i++) {
    dv.setBigUint64(MC_FP + 8 * i, BigInt.asUintN(64, r.getGlobal(FP_BASE + i)), true);
  }
  dv.setUint32(MC_FCSR, Number(BigInt.asUintN(32, r.getState(FCSR_OFFSET))), true);
  r.writeBytes(frame, buf);
  r.setGlobal(REG_SP, frame);
  r.setGlobal(REG_RA, f.restorer !== 0n ? f.restorer : f.trampoline);
  r.setGlobal(REG_A0, BigInt(f.signal));
  r.setGlobal(REG_A1, frame);
  r.setGlobal(REG_A2, frame + BigInt(UC));
  r.pc = f.handler;
}

function restoreSignalFrame(r: RegisterAccess): bigint {
  const frame = BigInt.asUintN(64, r.getGlobal(REG_SP));
  const buf = r.readBytes(frame, FRAME_SIZE);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  r.pc = dv.getBigUint64(MC, true);
  for (let i = 1; i < 32; i++) r.setGlobal(i, dv.getBigInt64(MC + 8 * i, true));
  for (let i = 0; i < 32; i++) r.setGlobal(FP_BASE + i, dv.getBigInt64(MC_FP + 8 * i, true));
  r.setState(FCSR_OFFSET, BigInt(dv.getUint32(MC_FCSR, true)));
  return dv.getBigUint64(UC_SIGMASK, true);
}

/**
 * The riscv64 Linux ABI (lp64d), for targets running riscv64 ELF programs.
 *
 * @example
 * ```ts
 * import { riscvLinuxAbi } from "./linux_abi.ts";
 * console.log(riscvLinuxAbi.syscallNames[93]); // "exit"
 * ```
 */
export const riscvLinuxAbi: LinuxAbi = {
  machine: "riscv64",
  syscallNumberReg: 17,
  argRegs: [10, 11, 12, 13, 14, 15],
  returnReg: 10,
  spReg: REG_SP,
  tlsReg: REG_TP,
  linkReg: REG_RA,
  syscallInsnSize: 4,
  hwcap: hwcapOf("IMAFDC"),
  defaultSysroot: "/usr/riscv64-linux-gnu",
  syscallAliases: { riscv_flush_icache: "cacheflush" },
  // No sa_restorer on RISC-V: handler, flags, mask.
  sigaction: { size: 24, handler: 0, flags: 8, mask: 16 },
  syscallNames: RISCV64_SYSCALLS,
  // li a7, 139 (rt_sigreturn); ecall
  sigreturnTrampoline: le32(0x08b00893, 0x00000073),
  // Linux's arch/riscv/kernel/cpu.c layout, for one hart with an Sv39 MMU.
  cpuinfo: (isa) =>
    `processor\t: 0\nhart\t\t: 0\nisa\t\t: ${isa}\nmmu\t\t: sv39\n` +
    "uarch\t\t: denemu\nmvendorid\t: 0x0\nmarchid\t\t: 0x0\nmimpid\t\t: 0x0\n\n",
  checkElfFlags(flags: number): string | null {
    // EF_RISCV_RVE (0x8) is an RV32E/RV64E binary; float ABI 3 (quad) is unsupported.
    if (flags & 0x8) return "RVE binaries are not supported";
    if (((flags >> 1) & 3) === 3) return "the quad-float ABI is not supported";
    return null;
  },
  setupSignalFrame,
  restoreSignalFrame,
  breakReservation: (r) => r.setState(RiscvState.RESERVATION_VALID, 0n),
};

/** Size of the riscv64 rt_sigframe in bytes (exported for tests). */
export const RISCV64_SIGFRAME_SIZE = FRAME_SIZE;
