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
import { type CaseSpec, type Program, PROGRAMS, variantsOf } from "./guest_programs.ts";

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
  let args: string[], src: string | undefined;
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
    src = join(GUESTS, p.kind === "bench" ? "src/bench" : "src/c", `${p.name}.c`);
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
  // A generated source goes where a written one would be (the binary names its path) until built.
  if (p.source) await Deno.writeTextFile(src!, p.source());
  try {
    await run(CC, args);
  } finally {
    if (p.source) await Deno.remove(src!);
  }
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

/** Exits with a message naming what is missing when a tool the build needs is not installed. */
async function requireTools(noBuild: boolean): Promise<void> {
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
}

/** The manifest entry of one case of `p` in one variant, before its results are recorded. */
function caseOf(p: Program, spec: CaseSpec, base: string, variant: string): ManifestCase {
  return {
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
    ...(spec.cpu ?? p.cpu ? { cpu: spec.cpu ?? p.cpu } : {}),
  };
}

/**
 * Runs each case of `p` in every variant on qemu-riscv64 and stores the results under
 * expected/. The first variant's output is stored as <base>.stdout; a variant whose output
 * differs gets its own <base>.<variant>.stdout (and a warning, since that is unexpected).
 */
async function recordCases(p: Program, variants: string[]): Promise<ManifestCase[]> {
  const cases: ManifestCase[] = [];
  for (const spec of p.cases) {
    const base = spec.id ? `${p.name}.${spec.id}` : p.name;
    let first: RunResult | null = null;
    for (const variant of variants) {
      const c = caseOf(p, spec, base, variant);
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
      const signal = r.signal ? ` (${r.signal})` : "";
      console.log(`  ${c.name}: exit ${r.exitStatus}${signal}, ${r.stdout.length} bytes`);
    }
  }
  return cases;
}

async function main() {
  const noBuild = Deno.args.includes("--no-build");
  await requireTools(noBuild);
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
    cases.push(...await recordCases(p, variants));
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
