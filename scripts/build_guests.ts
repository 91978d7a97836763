// Builds every riscv64 guest test program under tests/guests/src/ into tests/guests/bin/ (and the
// aarch64 ones into tests/guests/bin/aarch64/: scripts/build_guests_a64.ts) and
// records the expected results by running each case on qemu-riscv64, writing
// tests/guests/expected/ and tests/guests/manifest.json.
//
//   deno task guests            rebuild binaries + re-record expectations
//   deno task guests --no-build only re-record expectations from the committed binaries
//
// Needs riscv64-linux-gnu-gcc (+ its glibc sysroot), riscv64-linux-gnu-objdump and
// qemu-riscv64. Missing tools are reported and the script exits 1.
// SPDX-License-Identifier: GPL-3.0-or-later

import { join, relative, resolve } from "node:path";
import { SIG } from "../core/linux/signals.ts";
import { buildA64Guests } from "./build_guests_a64.ts";
import { GUESTS, REPO } from "./guest_paths.ts";

export { GUESTS, REPO };
export const SYSROOT = "/usr/riscv64-linux-gnu";
const CC = "riscv64-linux-gnu-gcc";
const OBJDUMP = "riscv64-linux-gnu-objdump";
const QEMU = "qemu-riscv64";

/** Flags shared by every build; pinned so rebuilds are reproducible. */
const BASE_FLAGS = [
  "-march=rv64gc",
  "-mabi=lp64d",
  "-fno-ident",
  `-ffile-prefix-map=${REPO}=.`,
  "-Wl,--build-id=none",
];
const ISA_FLAGS = [
  "-O2",
  "-nostdlib",
  "-ffreestanding",
  "-fno-builtin",
  "-fno-stack-protector",
];

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
}

interface Program {
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
  cases: CaseSpec[];
  description: string;
}

const one: CaseSpec[] = [{ id: "" }];

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
    name: "groups",
    kind: "c",
    variants: ["static.O2", "dynamic.O2"],
    cases: [],
    description: "process groups, setsid, kill(-pgid), waitid, getppid, pselect6, signalfd",
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
    cases: one,
    march: "rv64gcv",
    cpu: "rv64,v=true,vlen=128,elen=64,vext_spec=v1.0",
    description: "V: vsetvl, loads and stores, integer and fixed-point arithmetic (no libc)",
  },
  {
    name: "rvv_perm",
    kind: "isa",
    cases: one,
    march: "rv64gcv",
    cpu: "rv64,v=true,vlen=128,elen=64,vext_spec=v1.0",
    description: "V: mask logic, reductions, slides, gathers, compress, moves (no libc)",
  },
  {
    name: "rvv_fp",
    kind: "isa",
    cases: one,
    march: "rv64gcv",
    cpu: "rv64,v=true,vlen=128,elen=64,vext_spec=v1.0",
    description:
      "V: floating point in every rounding mode with fflags: arithmetic, FMA, compares, widening, conversions, reductions (no libc)",
  },
  {
    name: "rvv_est",
    kind: "isa",
    cases: one,
    march: "rv64gcv",
    cpu: "rv64,v=true,vlen=128,elen=64,vext_spec=v1.0",
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
    cpu: "rv64,v=true,vlen=128,elen=64,vext_spec=v1.0",
    description: "vector benchmark: argv[1] iterations (default 200) of RVV loops, prints checksum",
  },
  {
    name: "hostile",
    kind: "bench",
    // Timed by scripts/bench.ts against qemu-riscv64; no recorded case.
    cases: [],
    description: "benchmark: mmap N / write MIB to stdout / read FILE, as a hostile guest would",
  },
];

export const C_VARIANTS = ["static.O0", "static.O2", "dynamic.O0", "dynamic.O2"];

export function variantsOf(p: Program): string[] {
  if (p.kind === "c") return p.variants ?? C_VARIANTS;
  return p.staticPie ? ["static.O2", "staticpie.O2"] : ["static.O2"];
}

export interface ManifestCase {
  name: string;
  program: string;
  variant: string;
  binary: string;
  dynamic: boolean;
  args: string[];
  env: Record<string, string>;
  stdin: string | null;
  mkdirs: string[];
  stdout: string;
  stderr: string | null;
  exitStatus: number;
  signal: string | null;
  timeoutMs: number;
  /** the `-cpu` option, when the program needs optional extensions */
  cpu?: string;
}

export interface Manifest {
  description: string;
  pathsRelativeTo: string;
  qemu: string;
  sysroot: string;
  cases: ManifestCase[];
}

export interface RunResult {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exitStatus: number;
  signal: string | null;
}

export async function which(cmd: string): Promise<boolean> {
  try {
    const o = await new Deno.Command("sh", {
      args: ["-c", `command -v "$0" >/dev/null`, cmd],
      stdout: "null",
      stderr: "null",
    }).output();
    return o.success;
  } catch {
    return false;
  }
}

/** Runs one case on qemu-riscv64 in a fresh temporary cwd. */
export async function runOnQemu(
  c: Pick<
    ManifestCase,
    "binary" | "dynamic" | "args" | "env" | "stdin" | "mkdirs" | "timeoutMs" | "cpu"
  >,
): Promise<RunResult> {
  const cwd = await Deno.makeTempDir({ prefix: "denemu-guest-" });
  try {
    for (const d of c.mkdirs) await Deno.mkdir(join(cwd, d), { recursive: true });
    const bin = resolve(GUESTS, c.binary);
    const qargs = [
      ...(c.cpu ? ["-cpu", c.cpu] : []),
      ...(c.dynamic ? ["-L", SYSROOT] : []),
      bin,
      ...c.args,
    ];
    const child = new Deno.Command(QEMU, {
      args: qargs,
      cwd,
      clearEnv: true,
      env: c.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), c.timeoutMs);
    const w = child.stdin.getWriter();
    try {
      if (c.stdin !== null) await w.write(new TextEncoder().encode(c.stdin));
      await w.close();
    } catch {
      // guest exited without reading stdin
    }
    const o = await child.output();
    clearTimeout(timer);
    // qemu-user re-raises a fatal guest signal on itself, so the host process dies by it.
    const signal = o.signal ?? null;
    const exitStatus = signal ? 128 + ((SIG as Record<string, number>)[signal] ?? 0) : o.code;
    return { stdout: o.stdout, stderr: o.stderr, exitStatus, signal };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

async function run(cmd: string, args: string[]): Promise<string> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const err = new TextDecoder().decode(o.stderr);
  if (!o.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${err}`);
  return new TextDecoder().decode(o.stdout);
}

async function build(p: Program, variant: string): Promise<string> {
  const out = join(GUESTS, "bin", `${p.name}.${variant}`);
  const [link, opt] = variant.split(".");
  let args: string[];
  if (p.kind === "isa") {
    const linkFlags = link === "staticpie"
      ? ["-fPIE", "-static-pie", "-Wl,--no-dynamic-linker"]
      : ["-static"];
    args = [
      ...BASE_FLAGS,
      ...ISA_FLAGS,
      ...(p.march ? [`-march=${p.march}`] : []),
      ...linkFlags,
      "-o",
      out,
      join(GUESTS, "src/isa", `${p.name}.c`),
    ];
  } else {
    const src = p.kind === "bench"
      ? join(GUESTS, "src/bench", `${p.name}.c`)
      : join(GUESTS, "src/c", `${p.name}.c`);
    args = [
      ...BASE_FLAGS,
      `-${opt}`,
      ...(link === "static" ? ["-static"] : []),
      ...(p.extra ?? []),
      "-o",
      out,
      src,
      ...(p.libs ?? []),
    ];
  }
  await run(CC, args);
  return out;
}

/** The RVC test must really contain compressed encodings. */
async function checkCompressed(bin: string) {
  const dis = await run(OBJDUMP, ["-d", "-M", "no-aliases", bin]);
  const n = dis.split("\n").filter((l) => /\tc\.[a-z]/.test(l)).length;
  if (n < 30) throw new Error(`${bin}: only ${n} compressed instructions in the disassembly`);
  console.log(`  rv64c: ${n} compressed instructions in the disassembly`);
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function main() {
  const noBuild = Deno.args.includes("--no-build");
  const missing: string[] = [];
  for (const t of noBuild ? [QEMU] : [CC, OBJDUMP, QEMU]) if (!(await which(t))) missing.push(t);
  try {
    await Deno.stat(join(SYSROOT, "lib/ld-linux-riscv64-lp64d.so.1"));
  } catch {
    missing.push(`${SYSROOT} (riscv64 glibc sysroot, Debian package libc6-riscv64-cross)`);
  }
  if (missing.length) {
    console.error(`build_guests: missing required tools: ${missing.join(", ")}`);
    console.error(
      "install e.g. gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu qemu-user (Debian)",
    );
    Deno.exit(1);
  }
  const qemuVersion = (await run(QEMU, ["--version"])).split("\n")[0];
  await Deno.mkdir(join(GUESTS, "bin"), { recursive: true });
  const expDir = join(GUESTS, "expected");
  await Deno.remove(expDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(expDir, { recursive: true });

  const cases: ManifestCase[] = [];
  for (const p of PROGRAMS) {
    const variants = variantsOf(p);
    if (!noBuild) {
      console.log(`build ${p.name}: ${variants.join(" ")}`);
      await Promise.all(variants.map((v) => build(p, v)));
      if (p.name === "rv64c") await checkCompressed(join(GUESTS, "bin", "rv64c.static.O2"));
    }
    for (const spec of p.cases) {
      const base = spec.id ? `${p.name}.${spec.id}` : p.name;
      // The first variant's output is stored as <base>.stdout; a variant whose output differs
      // gets its own <base>.<variant>.stdout (and a warning, since that is unexpected).
      let first: RunResult | null = null;
      for (const variant of variants) {
        const c: ManifestCase = {
          name: `${base}.${variant}`,
          program: p.name,
          variant,
          binary: `bin/${p.name}.${variant}`,
          dynamic: variant.startsWith("dynamic"),
          args: spec.args ?? [],
          env: spec.env ?? {},
          stdin: spec.stdin ?? null,
          mkdirs: spec.mkdirs ?? [],
          stdout: "",
          stderr: null,
          exitStatus: 0,
          signal: null,
          timeoutMs: spec.timeoutMs ?? 60_000,
          ...(p.cpu ? { cpu: p.cpu } : {}),
        };
        const r = await runOnQemu(c);
        let tag = base;
        if (first === null) {
          first = r;
        } else if (
          !eq(first.stdout, r.stdout) || (spec.checkStderr && !eq(first.stderr, r.stderr)) ||
          first.exitStatus !== r.exitStatus
        ) {
          console.warn(`  warning: ${c.name} differs from ${variants[0]}; stored separately`);
          tag = `${base}.${variant}`;
        }
        c.stdout = `expected/${tag}.stdout`;
        await Deno.writeFile(join(GUESTS, c.stdout), r.stdout);
        if (spec.checkStderr) {
          c.stderr = `expected/${tag}.stderr`;
          await Deno.writeFile(join(GUESTS, c.stderr), r.stderr);
        }
        c.exitStatus = r.exitStatus;
        c.signal = r.signal;
        cases.push(c);
        console.log(
          `  ${c.name}: exit ${r.exitStatus}${
            r.signal ? ` (${r.signal})` : ""
          }, ${r.stdout.length} bytes`,
        );
      }
    }
  }
  if (!noBuild) await buildA64Guests();
  const manifest: Manifest = {
    description:
      "riscv64 Linux guest test cases with results recorded from qemu-riscv64; see tests/guests/README.md",
    pathsRelativeTo: "tests/guests",
    qemu: qemuVersion,
    sysroot: SYSROOT,
    cases,
  };
  await Deno.writeTextFile(
    join(GUESTS, "manifest.json"),
    JSON.stringify(manifest, null, 2) + "\n",
  );
  console.log(`wrote ${relative(REPO, join(GUESTS, "manifest.json"))}: ${cases.length} cases`);
}

if (import.meta.main) await main();
