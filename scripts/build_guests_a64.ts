// Builds the aarch64 guest programs into tests/guests/bin/aarch64/ (part of `deno task guests`,
// or alone: deno run -A scripts/build_guests_a64.ts). Their results are not recorded: the
// tests run each one on qemu-aarch64 in the same run and compare.
//
// - hello_asm: tests/guests/src/a64/hello.S, two svc calls and nothing else;
// - alu.O0, alu.O2: tests/guests/src/a64/alu.c, freestanding (-nostdlib), armv8.1-a for LSE;
// - fp.O0, fp.O2: tests/guests/src/a64/fp.c, freestanding FP in every rounding mode;
// - fpfast.O2: tests/guests/src/a64/fpfast.c, the double-precision fast paths in IR over 3,000
//   operand sets drawn to reach both sides of their checks, under each FPCR;
// - vec.O3, alu.O3, fp.O3: tests/guests/src/a64/vec.c (loops for the vectoriser: AdvSIMD
//   integer and FP arithmetic, conversions, reductions, saturating, widening and narrowing
//   operations, structure loads and stores) and the two above, at -O3 -ftree-vectorize;
// - magic32: the fuzz target tests/fuzz/src/magic32.c, as scripts/build_fuzz_targets.ts builds it;
// - <name>.static.O2 / .O0 and .dynamic.O2: C guests shared with riscv (tests/guests/src/c).
//   (world.static.O2 prints host time: tests/aarch64_features_test.ts records and replays it;
//   strace_calls.static.O2's -strace lines are compared with qemu-aarch64's.)
// - estimate.O2: tests/guests/src/a64/estimate.c, freestanding: the FP estimates and steps,
//   polynomial and saturating doubling multiplies, crc32, ldapr, over their inputs and FPCRs;
// - crypto.O2: tests/guests/src/a64/crypto.c, freestanding: AES, SHA-1 and SHA-256 instructions on
//   random operands, FIPS-197's AES-128 example and SHA-1/SHA-256 of "abc" through them;
// - hwcap.static.O2: tests/guests/src/a64/hwcap.c, glibc's string routines at every small size
//   and alignment, and (argument `features`) AT_HWCAP, the ID registers and /proc/cpuinfo;
// - sysquery.static.O2: tests/guests/src/a64/sysquery.c, syscalls CPython's tests ask (fcntl
//   F_GETOWN and F_NOTIFY, lseek SEEK_DATA, fallocate, splice, memfd_create, scheduler ranges,
//   socket timeouts, /proc/self/status, the errno of opening /dev/tty);
// - timer.static.O2: tests/guests/src/a64/timer.c, CNTFRQ_EL0 and CNTVCT_EL0 against
//   clock_gettime, a nanosleep and a busy loop;
// - words.static.O2: tests/guests/src/a64/words.c, runs each word of a file as one instruction
//   and prints the signal that ended it and a hash of the registers (tests/aarch64_words_test.ts);
// - compute.static.O2: the bench guest tests/guests/src/bench/compute.c (`deno task bench`),
//   vectorised (-ftree-vectorize: scvtf .2d, fmla, ld1r, ...);
// - <name>.static.O3 of a few C guests: glibc programs vectorised at -O3.
//
// Needs aarch64-linux-gnu-gcc (Debian gcc-aarch64-linux-gnu); a missing compiler is reported
// and the script exits 1.
// SPDX-License-Identifier: GPL-3.0-or-later

import { join } from "node:path";
import { GUESTS, REPO } from "./guest_paths.ts";

const CC = "aarch64-linux-gnu-gcc";
const OUT = join(GUESTS, "bin/aarch64");
/** Flags of every build, pinned so rebuilds are reproducible. */
const BASE = ["-fno-ident", `-ffile-prefix-map=${REPO}=.`, "-Wl,--build-id=none"];
const FREESTANDING = [
  "-nostdlib",
  "-static",
  "-ffreestanding",
  "-fno-builtin",
  "-fno-stack-protector",
];

/**
 * The vectoriser's builds: -O3 (-ftree-vectorize spelled out), and no loop turned into a memset
 * or memcpy call, which a freestanding guest does not have.
 */
const O3 = ["-O3", "-ftree-vectorize", "-fno-tree-loop-distribute-patterns"];

/** Freestanding, but with gcc's builtins (sqrt, fma, lround inline as single instructions). */
const FP_FREESTANDING = [
  "-nostdlib",
  "-static",
  "-ffreestanding",
  "-fno-stack-protector",
  "-fno-math-errno",
];

/** One build: output name, source (under tests/guests/src) and flags, and how the tests run it. */
export interface Build {
  name: string;
  source: string;
  flags: string[];
  /** libraries, which the link wants after the source */
  libs?: string[];
  /** arguments, and directories to make in the fresh working directory first */
  args?: string[];
  mkdirs?: string[];
  /** why the test does not compare its run with qemu-aarch64's (the feature tests run it) */
  notCompared?: string;
}

/** The C guests whose run needs arguments or directories, or is not compared with qemu-aarch64. */
const RUNS: Record<string, Pick<Build, "args" | "mkdirs" | "notCompared">> = {
  fileio: { args: ["tmpdir"], mkdirs: ["tmpdir"] },
  // Without "cas" the count depends on how qemu-aarch64's host threads interleave; the planted race
  // itself is found under -sched random by tests/aarch64_features_test.ts.
  race: { args: ["cas"] },
  world: { notCompared: "prints host time; tests/aarch64_features_test.ts records and replays it" },
  mmap_layout: { notCompared: "tests/mmap_layout_peer_test.ts compares it with its -d page log" },
};

/** The C guests that run on aarch64 today, and the builds of each. */
const C_GUESTS: [string, string[]][] = [
  ["hello", ["static.O2", "static.O0", "dynamic.O2"]],
  ["printf_float", ["static.O2", "static.O3"]],
  ["signals", ["static.O2"]],
  ["itimer", ["static.O2"]],
  ["posix_timer", ["static.O2"]],
  ["strings", ["static.O2", "static.O3"]],
  ["sort", ["static.O2", "static.O3"]],
  ["setjmp", ["static.O2"]],
  ["math", ["static.O2", "static.O3"]],
  ["atomics", ["static.O2"]],
  ["stack", ["static.O2"]],
  ["fileio", ["static.O2"]],
  ["race", ["static.O2"]],
  ["world", ["static.O2"]],
  ["strace_calls", ["static.O2"]],
  ["mmap_layout", ["static.O2", "dynamic.O2"]],
];

/**
 * Every build.
 *
 * @example
 * ```ts
 * import { a64Builds } from "./build_guests_a64.ts";
 * console.log(a64Builds()[0].name); // "hello_asm"
 * ```
 */
export function a64Builds(): Build[] {
  const builds: Build[] = [
    // Stripped: the assembler names its temporary file in the symbol table, which changes per build.
    { name: "hello_asm", source: "a64/hello.S", flags: [...FREESTANDING, "-s"] },
    { name: "alu.O0", source: "a64/alu.c", flags: [...FREESTANDING, "-O0", "-march=armv8.1-a"] },
    { name: "alu.O2", source: "a64/alu.c", flags: [...FREESTANDING, "-O2", "-march=armv8.1-a"] },
    { name: "fp.O2", source: "a64/fp.c", flags: [...FP_FREESTANDING, "-O2"] },
    { name: "fp.O0", source: "a64/fp.c", flags: [...FP_FREESTANDING, "-O0"] },
    { name: "vec.O3", source: "a64/vec.c", flags: [...FP_FREESTANDING, ...O3] },
    { name: "fp.O3", source: "a64/fp.c", flags: [...FP_FREESTANDING, ...O3] },
    { name: "fpfast.O2", source: "a64/fpfast.c", flags: [...FP_FREESTANDING, "-O2"] },
    {
      name: "alu.O3",
      source: "a64/alu.c",
      flags: [...FREESTANDING, ...O3, "-march=armv8.1-a"],
    },
    {
      name: "magic32",
      source: "../../fuzz/src/magic32.c",
      flags: ["-O1", "-static"],
      notCompared: "a fuzz target with a planted bug: tests/aarch64_features_test.ts fuzzes it",
    },
    {
      name: "estimate.O2",
      source: "a64/estimate.c",
      // The assembler takes pmull's 1Q form only with +aes, crc32 with +crc, sqrdmlah with
      // +rdma, ldapr with +rcpc, sb with +sb.
      flags: [...FREESTANDING, "-O2", "-march=armv8-a+aes+crc+rdma+rcpc+sb"],
    },
    {
      name: "crypto.O2",
      source: "a64/crypto.c",
      flags: [...FP_FREESTANDING, "-O2", "-march=armv8-a+crypto"],
    },
    { name: "hwcap.static.O2", source: "a64/hwcap.c", flags: ["-O2", "-static"] },
    { name: "sysquery.static.O2", source: "a64/sysquery.c", flags: ["-O2", "-static"] },
    { name: "timer.static.O2", source: "a64/timer.c", flags: ["-O2", "-static"] },
    {
      name: "words.static.O2",
      source: "a64/words.c",
      flags: ["-O2", "-static"],
      notCompared:
        "runs a file of words: tests/aarch64_words_test.ts compares it with qemu-aarch64",
    },
    {
      name: "compute.static.O2",
      source: "bench/compute.c",
      flags: ["-O2", "-ftree-vectorize", "-static"],
      args: ["20"],
    },
  ];
  for (const [prog, variants] of C_GUESTS) {
    for (const v of variants) {
      const [link, opt] = v.split(".");
      const flags = [`-${opt}`, ...(link === "static" ? ["-static"] : []), "-pthread"];
      const c = { name: `${prog}.${v}`, source: `c/${prog}.c`, flags, libs: ["-lm"] };
      builds.push({ ...c, ...RUNS[prog] });
    }
  }
  return builds;
}

/** Builds every aarch64 guest; throws when the compiler fails. */
export async function buildA64Guests(): Promise<void> {
  await Deno.mkdir(OUT, { recursive: true });
  for (const b of a64Builds()) {
    const source = join(GUESTS, "src", b.source);
    const args = [...BASE, ...b.flags, "-o", join(OUT, b.name), source, ...(b.libs ?? [])];
    const r = await new Deno.Command(CC, { args, cwd: REPO, stderr: "piped" }).output();
    if (!r.success) throw new Error(`${CC} ${b.name}: ${new TextDecoder().decode(r.stderr)}`);
    console.log(`built bin/aarch64/${b.name}`);
  }
}

if (import.meta.main) {
  try {
    await buildA64Guests();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    Deno.exit(1);
  }
}
