/**
 * `deno task bench`: guest MIPS of both backends beside qemu-riscv64 and
 * Unicorn on the same binary, measured in the same run; JIT translation-time
 * share; the cost of each hook kind; snapshots and reverse steps; start-up time; cold code
 * (`bench_cold.ts`); code generated forever and the memory it keeps (`bench_codegen.ts`); the
 * cost of recording (record/replay, `bench_rr.ts`); a vector (RVV) loop (`bench_vector.ts`); the same
 * compute guest built for aarch64 beside qemu-aarch64 (`bench_peer.ts`).
 *
 * Speeds are computed from CPU time (user + system, of this process for
 * Denemu, of the child for qemu-riscv64 and Unicorn via /usr/bin/time), so
 * that other load on the machine skews the ratios less; wall times are shown too.
 *
 * Flags: `--quick` (smaller workloads), `--json FILE` (also write the figures, kept up to date
 * after each section), `--only NAME,...` (only the named measures, from `MEASURES`: e.g. `--only
 * hooks,uboot` to measure a change to those alone by the bench's own code).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { cpuUsage } from "node:process";
import { type Accel, createMachine, type Hooks, type Machine } from "../mod.ts";
import { JitBackend } from "../core/jit/jit_backend.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { benchFuzz } from "./bench_fuzz.ts";
import { benchReal } from "./bench_real.ts";
import { benchCold } from "./bench_cold.ts";
import { benchCodegen } from "./bench_codegen.ts";
import { benchSnapshots, benchSystemSnapshots } from "./bench_snapshot.ts";
import { benchReverse } from "./bench_reverse.ts";
import { benchLinux } from "./bench_linux.ts";
import { benchPaging } from "./bench_paging.ts";
import { benchRecordReplay } from "./bench_rr.ts";
import { benchMachine } from "./bench_machine.ts";
import { benchVector } from "./bench_vector.ts";
import { benchBesidePeer } from "./bench_peer.ts";

const { values: flags } = parseArgs({
  options: { quick: { type: "boolean" }, json: { type: "string" }, only: { type: "string" } },
});
/** The measures `--only` can select, in the order the bench runs them. */
const MEASURES = [
  "raw",
  "hooks",
  "snapshots",
  "reverse",
  "startup",
  "uboot",
  "paging",
  "linux",
  "cold",
  "codegen",
  "real",
  "rr",
  "fuzz",
  "img",
  "hostile",
  "vector",
  "aarch64",
] as const;
const only = flags.only?.split(",");
const unknown = only?.filter((n) => !(MEASURES as readonly string[]).includes(n)) ?? [];
if (unknown.length) throw new Error(`--only: no measure ${unknown}; the measures: ${MEASURES}`);
/** Whether the run measures `name` (every measure without `--only`). */
const want = (name: typeof MEASURES[number]) => !only || only.includes(name);
const ROOT = new URL("../", import.meta.url).pathname;
const GUEST = `${ROOT}tests/guests/bin/compute.static.O2`;
const HELLO = `${ROOT}tests/guests/bin/hello.static.O2`;
const FULL = flags.quick ? "100" : "700";
const SMALL = flags.quick ? "3" : "10";
const HOOKED = flags.quick ? "30" : "300";

interface Run {
  icount: number;
  seconds: number;
  stdout: string;
  jit?: JitBackend;
}

/** Runs the compute guest in-process with `setup` applied to the fresh machine. */
async function denemu(
  args: string[],
  accel: Accel,
  setup?: (m: Machine) => void,
): Promise<Run> {
  const m = await createMachine({ program: GUEST, args, accel });
  setup?.(m);
  const c0 = cpuUsage();
  const status = await m.runToExit();
  const c1 = cpuUsage(c0);
  const seconds = (c1.user + c1.system) / 1e6;
  if (status !== 0) throw new Error(`guest exited with ${status}`);
  const backend = machineDriver(m).cpu.backend;
  const jit = backend instanceof JitBackend ? backend : undefined;
  return { icount: m.icount, seconds, stdout: m.stdout, jit };
}

/**
 * Runs a host command; returns its CPU seconds (through /usr/bin/time when
 * present, else wall seconds) and stdout/stderr, or null when it is missing.
 */
async function host(
  cmd: string,
  args: string[],
): Promise<{ seconds: number; stdout: string; stderr: string } | null> {
  const timed = await exists("/usr/bin/time");
  try {
    const t0 = performance.now();
    const r = await new Deno.Command(timed ? "/usr/bin/time" : cmd, {
      args: timed ? ["-f", "@@cpu %U %S", cmd, ...args] : args,
      stdout: "piped",
      stderr: "piped",
    }).output();
    let seconds = (performance.now() - t0) / 1000;
    if (!r.success) return null;
    const dec = new TextDecoder();
    let stderr = dec.decode(r.stderr);
    const m = /@@cpu ([\d.]+) ([\d.]+)\n?$/.exec(stderr);
    if (m) {
      seconds = Number(m[1]) + Number(m[2]);
      stderr = stderr.slice(0, m.index);
    }
    return { seconds, stdout: dec.decode(r.stdout), stderr };
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Unicorn (python3-unicorn) on the same guest: CPU seconds of the whole harness process. */
async function unicorn(args: string[], hook: "none" | "block") {
  const r = await host("/usr/bin/python3", [
    `${ROOT}scripts/peers/unicorn_run.py`,
    "--hook",
    hook,
    GUEST,
    ...args,
  ]);
  if (!r) return null;
  return { seconds: r.seconds, stdout: r.stdout };
}

const mips = (icount: number, s: number) => icount / s / 1e6;
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
const fmt = (v: number) => v.toFixed(1).padStart(8);
const rows: [string, string][] = [];
const results: Record<string, unknown> = { machine: await benchMachine() };
/** Writes the figures so far (a long run cut short keeps them), then starts a section. */
const section = async (title: string) => {
  if (flags.json) await Deno.writeTextFile(flags.json, JSON.stringify(results, null, 2) + "\n");
  console.log(`\n${title}`);
};
const row = (name: string, value: string) => {
  rows.push([name, value]);
  console.log(`${name.padEnd(52)} ${value}`);
};

/**
 * The inline counters against unhooked runs, in `rounds` rounds of one unhooked run then one run
 * of each counter: per counter, the median over rounds of its MIPS and of its ratio to the
 * unhooked run of the same round. A host stall slows one run of one round, which the median
 * leaves out; and the first round, whose counter runs compile the hooks' code, is one of many.
 */
async function counterRounds(
  list: [string, (h: Hooks) => void][],
  rounds: number,
): Promise<Map<string, { mips: number; ratio: number }>> {
  const seen = list.map(() => ({ mips: [] as number[], ratio: [] as number[] }));
  for (let i = 0; i < rounds; i++) {
    const b = await denemu([HOOKED], "jit");
    const unhooked = mips(b.icount, b.seconds);
    for (const [k, [, install]] of list.entries()) {
      const r = await denemu([HOOKED], "jit", (m) => install(m.hooks));
      seen[k].mips.push(mips(r.icount, r.seconds));
      seen[k].ratio.push(mips(r.icount, r.seconds) / unhooked);
    }
  }
  return new Map(list.map(([name], k) => [name, {
    mips: median(seen[k].mips),
    ratio: median(seen[k].ratio),
  }]));
}

console.log(`Denemu benchmark: ${GUEST.replace(ROOT, "")} (iterations ${FULL})\n`);

if (want("raw")) {
  // 1. Raw speed.
  const interp = await denemu([SMALL], "interp");
  row(`interpreter (iterations ${SMALL})`, `${fmt(mips(interp.icount, interp.seconds))} MIPS`);
  // Best of two for the JIT and for qemu-riscv64: a run's speed varies with what the host was doing.
  const jitRuns = [await denemu([FULL], "jit"), await denemu([FULL], "jit")];
  const jit = jitRuns[0].seconds <= jitRuns[1].seconds ? jitRuns[0] : jitRuns[1];
  const jitMips = mips(jit.icount, jit.seconds);
  row("jit", `${fmt(jitMips)} MIPS  (${jit.icount} insns, ${jit.seconds.toFixed(2)} s)`);
  const stats = jit.jit!.stats;
  const translateMs = stats.emitMs + stats.wasmCompileMs;
  row(
    "jit translation share",
    `${(translateMs / 10 / jit.seconds).toFixed(1)} % of run time (IR->wasm emit ${
      stats.emitMs.toFixed(0)
    } ms, wasm compile ${
      stats.wasmCompileMs.toFixed(0)
    } ms, ${stats.regionsCompiled} regions, ${stats.regionsFailed} failed)`,
  );
  results.jitTranslationPercent = translateMs / 10 / jit.seconds;
  const qemuRuns = [
    await host("qemu-riscv64", [GUEST, FULL]),
    await host("qemu-riscv64", [GUEST, FULL]),
  ];
  const qemu = qemuRuns[0] && qemuRuns[1]
    ? (qemuRuns[0].seconds <= qemuRuns[1].seconds ? qemuRuns[0] : qemuRuns[1])
    : null;
  let qemuMips = NaN;
  if (qemu) {
    if (qemu.stdout !== jit.stdout) {
      throw new Error("qemu-riscv64 and Denemu disagree on the output");
    }
    qemuMips = mips(jit.icount, qemu.seconds);
    row("qemu-riscv64", `${fmt(qemuMips)} MIPS  (${qemu.seconds.toFixed(2)} s)`);
    row("jit / qemu-riscv64", `${(jitMips / qemuMips).toFixed(3)}`);
  } else row("qemu-riscv64", "skipped: qemu-riscv64 not installed");
  const uc = await unicorn([FULL], "none");
  if (uc) {
    const ucMips = mips(jit.icount, uc.seconds);
    row("unicorn (no hooks)", `${fmt(ucMips)} MIPS  (${uc.seconds.toFixed(2)} s)`);
    row("jit / unicorn", `${(jitMips / ucMips).toFixed(2)}x`);
    results.unicornMips = ucMips;
  } else row("unicorn", "skipped: /usr/bin/python3 cannot import unicorn");
  Object.assign(results, { interpMips: mips(interp.icount, interp.seconds), jitMips, qemuMips });
}

if (want("hooks")) {
  // 2. Hook costs (smaller workload), each against the unhooked JIT on the same workload. One
  // warm-up run first, then the best of two runs per configuration: the first runs in a process
  // are slower while V8 optimizes Denemu's own code, which would otherwise skew the comparison.
  // The inline counters cost a few per cent, less than one run's spread on a loaded host: they are
  // measured in rounds instead (see `counterRounds`).
  const COUNTER_ROUNDS = flags.quick ? 3 : 7;
  await section(
    `Hook costs (iterations ${HOOKED}; counters: median of ${COUNTER_ROUNDS} rounds; others: best of 2)`,
  );
  const base = await denemu([HOOKED], "jit"); // warm-up; its icount is the workload's size
  const best = async (setup?: (m: Machine) => void) => {
    const a = await denemu([HOOKED], "jit", setup), b = await denemu([HOOKED], "jit", setup);
    return Math.max(mips(a.icount, a.seconds), mips(b.icount, b.seconds));
  };
  const baseMips = await best();
  row("jit, no hooks", `${fmt(baseMips)} MIPS`);
  results.hookBaseMips = baseMips;
  const counters: [string, (h: Hooks) => void][] = [
    ["inline counter per block (scoreboard)", (h) => {
      const sb = h.scoreboard();
      h.onTranslate((tb) => tb.inlineAdd(sb, 1n));
    }],
    ["inline counter per instruction", (h) => {
      const sb = h.scoreboard();
      h.onTranslate((tb) => tb.insns.forEach((i) => i.inlineAdd(sb, 1n)));
    }],
  ];
  results.hookCounterRounds = COUNTER_ROUNDS;
  for (const [name, { mips: m, ratio }] of await counterRounds(counters, COUNTER_ROUNDS)) {
    row(name, `${fmt(m)} MIPS  (${(ratio * 100).toFixed(0)} % of unhooked, median of rounds)`);
    results[`hook: ${name}`] = m;
    results[`hookRatio: ${name}`] = ratio;
  }
  const hookRuns: [string, (h: Hooks) => void][] = [
    ["TS block hook (regs none)", (h) => {
      let n = 0;
      h.addBlockHook(() => n++, { regs: "none" });
    }],
    ["TS block hook (regs none, deferred)", (h) => {
      let n = 0;
      h.addBlockHook(() => n++, { regs: "none", deferred: true });
    }],
    ["TS block hook (regs write)", (h) => {
      let n = 0;
      h.addBlockHook(() => n++);
    }],
    ["TS instruction hook (regs none)", (h) => {
      let n = 0;
      h.addInsnHook(() => n++, { regs: "none" });
    }],
    ["TS memory hook (regs none)", (h) => {
      let n = 0;
      h.addMemHook(() => n++, { regs: "none" });
    }],
  ];
  let blockHookMips = NaN, deferredHookMips = NaN;
  for (const [name, install] of hookRuns) {
    const m = await best((machine) => install(machine.hooks));
    if (name === "TS block hook (regs none)") blockHookMips = m;
    if (name === "TS block hook (regs none, deferred)") deferredHookMips = m;
    row(name, `${fmt(m)} MIPS  (${(m / baseMips * 100).toFixed(0)} % of unhooked)`);
    results[`hook: ${name}`] = m;
  }
  const ucBlock = await unicorn([HOOKED], "block");
  if (ucBlock) {
    const m = mips(base.icount, ucBlock.seconds);
    row("unicorn, python block hook", `${fmt(m)} MIPS`);
    row("TS block hook / unicorn python block hook", `${(blockHookMips / m).toFixed(1)}x`);
    row(
      "TS deferred block hook / unicorn python block hook",
      `${(deferredHookMips / m).toFixed(1)}x`,
    );
    results.unicornBlockHookMips = m;
  }
}

// 3. Start-up: a static and a dynamic hello world against an empty `deno run`, wall time
// (what "finishes in" means; /usr/bin/time's CPU figures are too coarse here).
// Snapshots: what the fuzzer pays per execution.
if (want("snapshots")) {
  await section("Snapshots (user mode, hello.static.O2 at its first syscall, mean)");
  Object.assign(
    results,
    await benchSnapshots(HELLO, row, flags.quick ? 200 : 2000),
  );
  console.log("\nSnapshots (system mode, virt with 128 MiB running a bare-metal program, mean)");
  results.system = await benchSystemSnapshots(
    new URL("../tests/baremetal/bin/traps.elf", import.meta.url).pathname,
    row,
    flags.quick ? 200 : 2000,
  );
}

// Reverse execution: what gdb's reverse-stepi costs after a long run.
if (want("reverse")) {
  const REVERSE_INSNS = flags.quick ? 1e7 : 1e8;
  await section(
    `Reverse execution (compute.static.O2, a history of ${REVERSE_INSNS} instructions)`,
  );
  results.reverse = await benchReverse(GUEST, ["5000"], row, REVERSE_INSNS);
}

// The commands alternate so that all see the same machine state.
if (want("startup")) {
  const STARTUP_RUNS = 11;
  await section(`Start-up (wall time, median of ${STARTUP_RUNS})`);
  const empty = await Deno.makeTempFile({ suffix: ".ts" });
  const wallMs = async (args: string[]) => {
    const t0 = performance.now();
    const r = await new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "null" })
      .output();
    // `-cpu help` exits 1, as qemu-riscv64's does
    if (r.code > 1) throw new Error(`deno ${args.join(" ")} failed`);
    return performance.now() - t0;
  };
  // Two steps on the way show where the time goes: loading Denemu's modules
  // (`--help`), then the RISC-V target as well (`-cpu help`), before any guest code.
  const emu = (...args: string[]) => ["run", "-A", `${ROOT}mod.ts`, ...args];
  const startupRuns: [string, string[]][] = [
    ["deno run (empty script)", ["run", "-A", empty]],
    ["emu --help (Denemu's modules load)", emu("--help")],
    ["emu user -cpu help (and the RISC-V target)", emu("user", "-cpu", "help")],
    ["emu user hello.static.O2", emu("user", HELLO)],
    ["emu user hello.dynamic.O2", emu("user", HELLO.replace(".static.", ".dynamic."))],
  ];
  const startupMs: number[][] = startupRuns.map(() => []);
  for (let i = 0; i < STARTUP_RUNS; i++) {
    for (const [k, [, args]] of startupRuns.entries()) startupMs[k].push(await wallMs(args));
  }
  await Deno.remove(empty);
  const tEmpty = median(startupMs[0]);
  for (const [k, [name]] of startupRuns.entries()) {
    const t = median(startupMs[k]);
    row(name, k === 0 ? `${t.toFixed(0)} ms` : `${t.toFixed(0)} ms (${(t / tEmpty).toFixed(1)}x)`);
  }
  Object.assign(results, {
    startupEmptyMs: tEmpty,
    startupModulesMs: median(startupMs[1]),
    startupTargetMs: median(startupMs[2]),
    startupHelloMs: median(startupMs[3]),
    startupDynamicHelloMs: median(startupMs[4]),
  });
}

// 4. System mode: OpenSBI + U-Boot to the prompt, autoboot interrupted by a key at "Hit any key".
if (want("uboot")) {
  await section("System mode: OpenSBI + U-Boot to the prompt (wall time)");
  const FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
  const UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";
  if (await exists(FW) && await exists(UBOOT)) {
    const t0 = performance.now();
    const sys = await createMachine({ system: { memory: "256M", bios: FW, kernel: UBOOT } });
    sys.serial.expect(/Hit any key/).then(() => sys.serial.write("x"));
    sys.serial.expect(/=> /).then(() => sys.stop());
    await sys.runToExit();
    const ours = (performance.now() - t0) / 1000;
    await sys.close();
    row("denemu system (jit)", `${ours.toFixed(2)} s  (${sys.icount} insns)`);
    results.ubootPromptSeconds = ours;
    const q = await qemuToPrompt(FW, UBOOT);
    if (q !== null) {
      row("qemu-system-riscv64", `${q.toFixed(2)} s`);
      row("denemu / qemu-system-riscv64 time", `${(ours / q).toFixed(1)}x`);
      results.qemuUbootPromptSeconds = q;
    } else row("qemu-system-riscv64", "skipped: not installed");
  } else row("u-boot prompt", "skipped: the opensbi and u-boot-qemu packages are not installed");
}

/** Wall seconds until qemu-system-riscv64 shows U-Boot's prompt, or null without QEMU. */
async function qemuToPrompt(fw: string, kernel: string): Promise<number | null> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("qemu-system-riscv64", {
      args: ["-M", "virt", "-m", "256M", "-nographic", "-bios", fw, "-kernel", kernel],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch {
    return null;
  }
  const t0 = performance.now();
  const writer = child.stdin.getWriter(), reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let out = "";
  const waitFor = async (re: RegExp) => {
    while (!re.test(out)) {
      const { value, done } = await reader.read();
      if (done) throw new Error("qemu-system-riscv64 exited early");
      out += dec.decode(value);
    }
  };
  await waitFor(/Hit any key/);
  await writer.write(new TextEncoder().encode("x"));
  out = "";
  await waitFor(/=> /);
  const seconds = (performance.now() - t0) / 1000;
  child.kill();
  await child.status;
  return seconds;
}

if (want("paging")) {
  await section("System mode: a compute loop, physical and with Sv39 paging (best of 3)");
  await benchPaging({ row, results }, flags.quick ? 1 : 3);
}

if (want("linux")) {
  await section("System mode: Linux (tests/linux) from OpenSBI to init and poweroff (wall time)");
  Object.assign(results, await benchLinux(row));
}

if (want("cold")) {
  await section("Cold code (cold.static.O2: 21,000 blocks run a few times; CPU, best of 3)");
  await benchCold({ row, results }, flags.quick ?? false);
}

if (want("codegen")) {
  await section("Code generated forever (jitloop: a JIT in the guest; CPU s and peak RSS)");
  await benchCodegen({ row, results }, flags.quick ?? false);
}

if (want("real")) {
  await section("Real programs (tests/real, Debian sources; CPU s incl. start-up, best of 2)");
  await benchReal({ row, results }, flags.quick ?? false);
}

if (want("rr")) {
  await section(`Record/replay (compute, iterations ${HOOKED}, CPU time, best of 3)`);
  await benchRecordReplay({ row, results }, flags.quick ?? false);
}

if (want("fuzz")) {
  await section("Fuzzing (tests/fuzz targets, one core, seed 1)");
  await benchFuzz({ row, results }, flags.quick ?? false);
}

if (want("img")) {
  await section("Disk images: emu img convert beside qemu-img convert (best wall of 3, its CPU)");
  results.imgConvert = await (await import("./bench_img.ts")).benchImg(flags.quick);
}

// 5. What a hostile guest can make slow (issue 13), wall time of whole runs beside qemu-riscv64.
if (want("hostile")) {
  await hostileGuest();
}

// 6. A vectorised compute loop (RVV) beside qemu-riscv64.
if (want("vector")) {
  await benchVector({ row, results }, flags.quick ?? false);
}

// 7. The compute guest built for aarch64 (issue 21) beside qemu-aarch64.
if (want("aarch64")) {
  const A64_ITERATIONS = flags.quick ? "10" : "100";
  await section(`AArch64 compute guest (compute ${A64_ITERATIONS}, CPU seconds)`);
  await benchBesidePeer({ row, results }, {
    name: "aarch64 compute",
    key: "aarch64",
    guest: `${ROOT}tests/guests/bin/aarch64/compute.static.O2`,
    args: [A64_ITERATIONS],
    peer: "qemu-aarch64",
  });
}

/**
 * Wall seconds of `emu user` and qemu-riscv64 running tests/guests/bin/hostile.static.O2:
 * 65,000 mmaps of 4 KiB, 1 GiB written to /dev/null in 64 KiB writes, a 1 GiB file read.
 */
async function hostileGuest(): Promise<void> {
  const bin = `${ROOT}tests/guests/bin/hostile.static.O2`;
  const big = await Deno.makeTempFile({ prefix: "denemu-bench-" });
  const mib = flags.quick ? 128 : 1024;
  await Deno.truncate(big, mib << 20);
  console.log(`\nHostile guest (wall seconds, best of 2, including start-up)`);
  // Best of two: the first run of a case also pays for the host's page cache.
  const wall = async (cmd: string, args: string[]) => {
    let best = NaN;
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      try {
        const r = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
        const s = (performance.now() - t0) / 1000;
        if (r.success && !(s >= best)) best = s;
      } catch {
        return NaN; // not installed
      }
    }
    return best;
  };
  const cases: [string, string[]][] = [
    ["mmap x 65,000 of 4 KiB", ["mmap", "65000"]],
    [`write ${mib} MiB to /dev/null`, ["write", String(mib)]],
    [`read a ${mib} MiB file`, ["read", big]],
  ];
  for (const [name, args] of cases) {
    const ours = await wall(Deno.execPath(), ["run", "-A", `${ROOT}mod.ts`, "user", bin, ...args]);
    const qemu = await wall("qemu-riscv64", [bin, ...args]);
    row(
      name,
      `${ours.toFixed(2)} s  qemu-riscv64 ${qemu.toFixed(2)} s  (${(ours / qemu).toFixed(1)}x)`,
    );
    results[`hostile ${name}`] = { denemuSeconds: ours, qemuSeconds: qemu };
  }
  await Deno.remove(big);
}

// The load at the end tells whether other jobs shared the machine during the run.
(results.machine as { loadAverageEnd: number[] }).loadAverageEnd = Deno.loadavg();
await section("Done.");
