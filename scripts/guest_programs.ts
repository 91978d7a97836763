// The riscv64 guest programs the tests run: each one's source kind, builds and recorded cases
// (scripts/build_guests.ts builds and records them).
// SPDX-License-Identifier: GPL-3.0-or-later

import { coldGuestSource } from "./gen_cold_guest.ts";

export interface CaseSpec {
  /** Case id, unique within a program ("" for the single default case). */
  id: string;
  args?: string[];
  env?: Record<string, string>;
  stdin?: string;
  /** Directories to create (relative to the fresh cwd) before running. */
  mkdirs?: string[];
  /** Compare stderr too (only for cases whose stderr is produced by the guest itself). */
  checkStderr?: boolean;
  timeoutMs?: number;
  /** the `-cpu` of this case, when not its program's */
  cpu?: string;
}

export interface Program {
  name: string;
  kind: "c" | "isa" | "bench";
  /** ISA programs: also build a static-PIE variant (Debian's cross glibc cannot link one). */
  staticPie?: boolean;
  /** Extra compiler flags / libraries. */
  extra?: string[];
  /** the builds wanted, when not all of C_VARIANTS */
  variants?: string[];
  /** `-march` when not rv64gc (optional extensions), and the `-cpu` both emulators then need */
  march?: string;
  cpu?: string;
  libs?: string[];
  /** the C source, when a script generates it (written to a temporary file to build) */
  source?: () => string;
  cases: CaseSpec[];
  description: string;
}

const one: CaseSpec[] = [{ id: "" }];

/** `-cpu` with V at a VLEN, as QEMU 7.2 spells it. */
const vectorCpu = (vlen: number) => `rv64,v=true,vlen=${vlen},elen=64,vext_spec=v1.0`;
/** The vector guests run at the default VLEN 128 and again at 256 and 512. */
const everyVlen: CaseSpec[] = [
  { id: "" },
  { id: "vlen256", cpu: vectorCpu(256) },
  { id: "vlen512", cpu: vectorCpu(512) },
];

export const PROGRAMS: Program[] = [
  {
    name: "hello",
    kind: "c",
    extra: ["-g"],
    cases: one,
    description: "puts + exit 0 (built with -g)",
  },
  {
    name: "printf_float",
    kind: "c",
    libs: ["-lm"],
    cases: one,
    description: "printf %f %e %g %a on doubles/floats/long doubles, strtod",
  },
  {
    name: "malloc_stress",
    kind: "c",
    cases: one,
    description: "malloc/free/realloc/calloc stress with checksum",
  },
  { name: "strings", kind: "c", cases: one, description: "string.h, strtol, sprintf" },
  { name: "math", kind: "c", libs: ["-lm"], cases: one, description: "libm functions" },
  { name: "setjmp", kind: "c", cases: one, description: "setjmp/longjmp, sigsetjmp/siglongjmp" },
  { name: "sort", kind: "c", cases: one, description: "qsort/bsearch" },
  {
    name: "fileio",
    kind: "c",
    cases: [{ id: "", args: ["tmpdir"], mkdirs: ["tmpdir"] }],
    description: "file and directory syscalls inside argv[1]",
  },
  {
    name: "sandbox",
    kind: "c",
    // Needs a root with host-made symlinks: tests/sandbox_test.ts runs it (and qemu-riscv64).
    cases: [],
    description: "the --root sandbox suite: symlinks, O_NOFOLLOW, O_PATH, *at() across the root",
  },
  {
    name: "fsscript",
    kind: "c",
    // Runs a script of file syscalls from stdin: the `sandbox` self-fuzzer generates them.
    cases: [],
    description:
      "file-syscall interpreter for the sandbox self-fuzzer (scripts/selffuzz/sandbox.ts)",
  },
  { name: "signals", kind: "c", cases: one, description: "sigaction, masks, SIGSEGV recovery" },
  {
    name: "itimer",
    kind: "c",
    cases: one,
    description:
      "alarm, pause, setitimer/getitimer on the three timers, sleeps cut short by SIGALRM",
  },
  {
    name: "file_calls",
    kind: "c",
    cases: one,
    description: "edge cases of getrandom, prlimit64, readlink, pipe2, dup3, utimensat, " +
      "copy_file_range, sendfile, fcntl locks, faccessat2, getdents64",
  },
  {
    name: "posix_timer",
    kind: "c",
    cases: one,
    description: "timer_create/settime/gettime/getoverrun/delete, sigtimedwait, rt_tgsigqueueinfo",
  },
  {
    name: "argv_env",
    kind: "c",
    cases: [
      {
        id: "",
        args: ["first", "with space", "", "--flag=ü"],
        env: { A: "1", B: "two", EMPTY: "" },
        stdin: "hello\nworld\nthird line without newline",
        checkStderr: true,
      },
      { id: "noargs", checkStderr: true },
    ],
    description: "argv, envp (exactly the env given), auxv, stdin, stderr",
  },
  { name: "stack", kind: "c", cases: one, description: "deep recursion + 4 MB stack array" },
  {
    name: "world",
    kind: "c",
    // Its output depends on stdin, host time and a file: tests/record_replay_test.ts runs it.
    cases: [],
    description: "record/replay: prints stdin, the host time and a file's checksum",
  },
  {
    name: "crash",
    kind: "c",
    cases: [
      { id: "segv", args: ["segv"] },
      { id: "abort", args: ["abort"] },
      { id: "ill", args: ["ill"] },
      { id: "exit42", args: ["exit42"] },
      { id: "flush", args: ["flush"] },
      { id: "_exit", args: ["_exit"] },
    ],
    description: "SIGSEGV / SIGABRT / SIGILL / exit(42) / exit flushes stdio / _exit does not",
  },
  { name: "intarith", kind: "c", cases: one, description: "integer arithmetic torture" },
  {
    name: "atomics",
    kind: "c",
    libs: ["-latomic"],
    cases: one,
    description: "__atomic builtins and stdatomic on 8..64-bit",
  },
  {
    name: "fpsweep",
    kind: "c",
    libs: ["-lm"],
    cases: one,
    description: "F/D ops in all 5 rounding modes with fflags",
  },
  { name: "smc", kind: "c", cases: one, description: "self-modifying code + cache flush" },
  {
    name: "jitloop",
    kind: "c",
    cases: one,
    description: "a JIT in the guest: new code in one RWX buffer, generation after generation",
  },
  {
    name: "threads",
    kind: "c",
    cases: one,
    description: "pthread pool (mutex, condvars), TLS, barrier, thread signals, robust/PI mutexes",
  },
  {
    name: "fork",
    kind: "c",
    cases: one,
    description:
      "fork, a pipe between processes, dup2, waitpid statuses, kill, SIGCHLD, SA_RESTART",
  },
  {
    name: "poll",
    kind: "c",
    cases: one,
    description: "epoll echo over socketpairs to forked clients, eventfd, ppoll, O_NONBLOCK",
  },
  {
    name: "sigmask_wait",
    kind: "c",
    // tests/io_multiplex_test.ts compares it with qemu-riscv64.
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description: "signal masks of pselect6, ppoll and epoll_pwait; the time select leaves",
  },
  {
    name: "jobctl",
    kind: "c",
    // tests/processes_test.ts compares it with qemu-riscv64 on several schedules.
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description:
      "SIGSTOP/SIGTSTP/SIGCONT of a child; waitpid WUNTRACED/WCONTINUED, waitid WSTOPPED",
  },
  {
    name: "pshared",
    kind: "c",
    // tests/processes_test.ts compares it with qemu-riscv64 on several schedules.
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description: "process-shared mutex, condvar and semaphore in MAP_SHARED memory across fork",
  },
  {
    name: "net",
    kind: "c",
    // Needs a peer on the host network: tests/net_test.ts runs it with qemu-riscv64.
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description: "TCP client and server (a thread in accept) and UDP over -net host",
  },
  {
    name: "net_async",
    kind: "c",
    // Needs peers on the host network: tests/net_test.ts runs it with qemu-riscv64.
    variants: ["static.O2"],
    cases: [],
    description: "non-blocking connect (EINPROGRESS, POLLOUT, SO_ERROR), recvmmsg's timeout",
  },
  {
    name: "exec",
    kind: "c",
    // qemu-riscv64 runs an exec'd riscv program only through binfmt_misc: no recorded case
    // (tests/processes_test.ts runs it).
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description: "execve and posix_spawn of itself; runs a given program or #! script",
  },
  {
    name: "deadlock",
    kind: "c",
    // It never ends on qemu-riscv64: no recorded case (tests/threads_test.ts runs it).
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description: "two threads take two mutexes in opposite orders: a deadlock on purpose",
  },
  {
    name: "race",
    kind: "c",
    // Its result depends on the interleaving: no recorded case (tests/threads_test.ts runs it).
    variants: ["static.O2"],
    cases: [],
    description: "a planted race on a counter (exit 1 when an update was lost)",
  },
  {
    name: "procfs",
    kind: "c",
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description: "/proc/self/maps parsing, /proc/self/{exe,auxv,cmdline,status,stat,fd,root}",
  },
  {
    name: "files_procs",
    kind: "c",
    // tests/files_procs_test.ts compares it with qemu-riscv64, a section at a time.
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description:
      "/proc/self and /proc/thread-self symlinks; file times to the nanosecond; pidfds; clock_settime; FIFOs; non-UTF-8 names",
  },
  {
    name: "execstack",
    kind: "c",
    extra: ["-Wl,-z,execstack"],
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description: "gcc nested functions: trampolines on an executable stack (PT_GNU_STACK RWX)",
  },
  {
    name: "mmap_shared",
    kind: "c",
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description:
      "MAP_SHARED write-back and sharing across fork, mremap, MADV_DONTNEED, MAP_FIXED_NOREPLACE",
  },
  {
    name: "mmap_layout",
    kind: "c",
    // tests/mmap_layout_peer_test.ts compares its addresses and -d page with qemu-riscv64's.
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description:
      "where mmap, mremap and brk put memory: holes, hints, MAP_FIXED, MAYMOVE, brk down and up",
  },
  {
    name: "unix",
    kind: "c",
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description:
      "AF_UNIX: socketpair types, path and abstract names, fork'd and threaded peers, SCM_RIGHTS",
  },
  {
    name: "unix_limits",
    kind: "c",
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description:
      "AF_UNIX send buffers and max_dgram_qlen: EAGAIN, POLLOUT, a blocked writer; getdents64 DT_ types",
  },
  {
    name: "pipe_limits",
    kind: "c",
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description:
      "pipe capacity: EAGAIN at 65536 (64000 in writes of 1000), F_GETPIPE_SZ/F_SETPIPE_SZ, POLLOUT, a blocked writer",
  },
  {
    name: "pshared_pi",
    kind: "c",
    // Its robust cases hang on qemu-riscv64 (no set_robust_list): no recorded case
    // (tests/pshared_pi_test.ts runs it).
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description:
      "process-shared PI and robust mutexes across fork: LOCK_PI with the owner in another process, EOWNERDEAD",
  },
  {
    name: "groups",
    kind: "c",
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description: "process groups, setsid, kill(-pgid), waitid, getppid, pselect6, signalfd",
  },
  {
    name: "pty",
    kind: "c",
    variants: ["static.O2"],
    cases: [],
    description:
      "pseudo-terminals: /dev/ptmx, a child on the slave, echo, canonical mode, ^C, SIGWINCH, EIO, hang-up",
  },
  {
    name: "pty_snapshot",
    kind: "c",
    variants: ["static.O2"],
    cases: [],
    description: "one process on both ends of a pty, for the snapshot test in tests/pty_test.ts",
  },
  {
    name: "strace_calls",
    kind: "c",
    // Its -strace lines are what tests/strace_qemu_test.ts compares with qemu-riscv64's.
    variants: ["static.O2"],
    cases: [],
    description: "the syscalls glibc programs commonly make, for comparing -strace with QEMU's",
  },
  { name: "rv64i", kind: "isa", cases: one, description: "RV64I instructions (no libc)" },
  { name: "rv64m", kind: "isa", cases: one, description: "RV64M instructions (no libc)" },
  { name: "rv64a", kind: "isa", cases: one, description: "RV64A LR/SC and AMOs (no libc)" },
  {
    name: "rv64f",
    kind: "isa",
    cases: one,
    description: "RV64F with static rm + NaN boxing (no libc)",
  },
  { name: "rv64d", kind: "isa", cases: one, description: "RV64D with static rm (no libc)" },
  { name: "rv64c", kind: "isa", cases: one, description: "explicit RVC instructions (no libc)" },
  { name: "zicsr", kind: "isa", cases: one, description: "CSR instructions, counters (no libc)" },
  { name: "zifencei", kind: "isa", cases: one, description: "fence.i after code writes (no libc)" },
  {
    name: "zbitmanip",
    kind: "isa",
    cases: one,
    march: "rv64gc_zba_zbb_zbc_zbs",
    cpu: "rv64,zba=true,zbb=true,zbc=true,zbs=true",
    description: "Zba, Zbb, Zbc, Zbs instructions (no libc)",
  },
  {
    name: "zbk",
    kind: "isa",
    cases: one,
    march: "rv64gc_zbkb_zbkc_zbkx",
    cpu: "rv64,zbkb=true,zbkc=true,zbkx=true",
    description: "Zbkb, Zbkc, Zbkx instructions (no libc)",
  },
  {
    name: "zfh",
    kind: "isa",
    cases: one,
    march: "rv64gc_zfh",
    cpu: "rv64,Zfh=true",
    description: "Zfh half precision with static rm, conversions, NaN boxing (no libc)",
  },
  {
    name: "rvv_int",
    kind: "isa",
    cases: everyVlen,
    march: "rv64gcv",
    cpu: vectorCpu(128),
    description: "V: vsetvl, loads and stores, integer and fixed-point arithmetic (no libc)",
  },
  {
    name: "rvv_perm",
    kind: "isa",
    cases: everyVlen,
    march: "rv64gcv",
    cpu: vectorCpu(128),
    description: "V: mask logic, reductions, slides, gathers, compress, moves (no libc)",
  },
  {
    name: "rvv_fp",
    kind: "isa",
    cases: everyVlen,
    march: "rv64gcv",
    cpu: vectorCpu(128),
    description:
      "V: floating point in every rounding mode with fflags: arithmetic, FMA, compares, widening, conversions, reductions (no libc)",
  },
  {
    name: "rvv_est",
    kind: "isa",
    cases: everyVlen,
    march: "rv64gcv",
    cpu: vectorCpu(128),
    description:
      "V: vfrec7.v and vfrsqrt7.v on every table index, edges and rounding modes (no libc)",
  },
  {
    name: "exit42",
    kind: "isa",
    staticPie: true,
    cases: one,
    description: "tiny: prints ok, exits 42 (no libc); also as a static PIE",
  },
  {
    name: "compute",
    kind: "bench",
    cases: [{ id: "", timeoutMs: 120_000 }, { id: "quick", args: ["3"] }],
    description: "benchmark: argv[1] iterations (default 700), prints checksum",
  },
  {
    name: "vcompute",
    kind: "bench",
    cases: [{ id: "quick", args: ["2"] }],
    variants: ["static.O2"],
    extra: ["-march=rv64gcv"],
    cpu: vectorCpu(128),
    description: "vector benchmark: argv[1] iterations (default 200) of RVV loops, prints checksum",
  },
  {
    name: "cold",
    kind: "bench",
    source: () => coldGuestSource(),
    cases: [{ id: "quick", args: ["2"] }],
    description: "cold-code benchmark: 7,000 generated functions (about 21,000 blocks), called " +
      "once per pass, argv[1] passes (default 4), prints checksum",
  },
  {
    name: "hostile",
    kind: "bench",
    // Timed by scripts/bench.ts against qemu-riscv64; no recorded case.
    cases: [],
    description: "benchmark: mmap N / write MIB to stdout / read FILE, as a hostile guest would",
  },
  {
    // Issue 20's "done when" program (gcc 12 and QEMU 7.2 have no Zicond; see its source).
    name: "rva23mix",
    kind: "c",
    cases: one,
    variants: ["static.O3"],
    extra: ["-march=rv64gcv_zba_zbb_zbs_zfh", "-ftree-vectorize"],
    cpu: `${vectorCpu(128)},zba=true,zbb=true,zbs=true,Zfh=true`,
    description:
      "real code for -march=rv64gcv_zba_zbb_zbs_zfh -O3: vectorisable loops, RVV strip-mining, bit manipulation, half precision, glibc strings",
  },
];

export const C_VARIANTS = ["static.O0", "static.O2", "dynamic.O0", "dynamic.O2"];

export function variantsOf(p: Program): string[] {
  if (p.kind === "c") return p.variants ?? C_VARIANTS;
  return p.staticPie ? ["static.O2", "staticpie.O2"] : ["static.O2"];
}
