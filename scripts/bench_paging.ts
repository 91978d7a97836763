/**
 * The system-mode compute bench: `tests/baremetal/bin/paging_bench.elf` (built
 * by `deno task baremetal`) runs one loop of loads, stores and arithmetic in
 * M-mode on physical addresses (after a warm-up run of the same), then in
 * S-mode with Sv39 paging on, under
 * Denemu (JIT, in-process) and qemu-system-riscv64 (`-M virt -bios none`).
 * Both must print the same checksums. The instructions of each phase are
 * Denemu's exact count (the guest prints its `minstret` delta); Denemu's
 * time is host wall time between the guest's phase markers (seen at slice
 * ends: a few hundred thousand instructions late at most), QEMU's the `time`
 * CSR ticks the guest prints (10 MHz on QEMU's virt, real time without
 * icount), so that QEMU's start-up is left out.
 *
 * @example
 * ```ts ignore
 * import { benchPaging } from "./bench_paging.ts";
 * await benchPaging({ row: (n, v) => console.log(n, v), results: {} }, 3);
 * // or: deno run -A scripts/bench_paging.ts
 * ```
 *
 * @module
 */

import { createMachine } from "../mod.ts";
import type { BenchOutput } from "./bench_fuzz.ts";

const ELF = new URL("../tests/baremetal/bin/paging_bench.elf", import.meta.url).pathname;
/** The guest's phases in order; the first is its warm-up, not reported. */
const PHASES = ["warmup", "bare", "sv39"] as const;
/** QEMU virt's timebase: the `time` CSR counts at 10 MHz. */
const QEMU_TIMEBASE_HZ = 10_000_000;

/** What the guest printed for one phase. */
interface Phase {
  checksum: string;
  ticks: number;
  insns: number;
}

/** The phases in `out`, in order (throws when the guest did not finish). */
function parsePhases(out: string): Phase[] {
  const re = /checksum=(0x[0-9a-f]+)\s+ticks=(0x[0-9a-f]+)\s+insns=(0x[0-9a-f]+)/g;
  const phases = [...out.matchAll(re)].map((m) => ({
    checksum: m[1],
    ticks: Number(m[2]),
    insns: Number(m[3]),
  }));
  if (phases.length !== PHASES.length) throw new Error(`paging_bench did not finish: ${out}`);
  return phases;
}

/** One Denemu run: each phase's instructions and host seconds. */
async function denemuRun(): Promise<{ phases: Phase[]; seconds: number[] }> {
  const m = await createMachine({ system: { bios: "none", kernel: ELF, memory: "128M" } });
  const marks: number[] = [];
  for (const p of PHASES) m.serial.expect(`${p}:`).then(() => marks.push(performance.now()));
  await m.runToExit();
  marks.push(performance.now());
  const phases = parsePhases(m.serial.output);
  await m.close();
  return { phases, seconds: PHASES.map((_, i) => (marks[i + 1] - marks[i]) / 1000) };
}

/** QEMU's seconds per phase (from the guest's ticks), or null without QEMU. */
async function qemuRun(): Promise<{ phases: Phase[]; seconds: number[] } | null> {
  const args = ["-M", "virt", "-bios", "none", "-m", "128M", "-nographic", "-kernel", ELF];
  try {
    const r = await new Deno.Command("qemu-system-riscv64", {
      args,
      stdin: "null",
      stdout: "piped",
    })
      .output();
    const phases = parsePhases(new TextDecoder().decode(r.stdout));
    return { phases, seconds: phases.map((p) => p.ticks / QEMU_TIMEBASE_HZ) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * Runs the bench `runs` times under each, alternating, and writes the best
 * MIPS of each phase; returns them in `out.results`.
 */
export async function benchPaging(out: BenchOutput, runs: number): Promise<void> {
  if (!await Deno.stat(ELF).then(() => true, () => false)) {
    out.row("paging bench", "skipped: tests/baremetal/bin/paging_bench.elf is missing");
    return;
  }
  const ours = PHASES.map(() => 0), theirs = PHASES.map(() => 0);
  let qemuMissing = false;
  for (let i = 0; i < runs; i++) {
    const d = await denemuRun();
    d.phases.forEach((p, k) => ours[k] = Math.max(ours[k], p.insns / d.seconds[k] / 1e6));
    const q = qemuMissing ? null : await qemuRun();
    if (!q) {
      qemuMissing = true;
      continue;
    }
    q.phases.forEach((p, k) => {
      if (p.checksum !== d.phases[k].checksum) {
        throw new Error(`paging_bench ${PHASES[k]}: QEMU's checksum ${p.checksum} differs`);
      }
      theirs[k] = Math.max(theirs[k], d.phases[k].insns / q.seconds[k] / 1e6);
    });
  }
  for (const [k, phase] of PHASES.entries()) {
    if (phase === "warmup") continue;
    const label = phase === "bare" ? "M-mode, physical" : "S-mode, Sv39 paging on";
    const q = qemuMissing
      ? "qemu-system-riscv64 skipped: not installed"
      : `qemu-system-riscv64 ${theirs[k].toFixed(0)} MIPS, denemu/qemu ${
        (ours[k] / theirs[k]).toFixed(2)
      }x`;
    out.row(`compute loop, ${label}`, `denemu ${ours[k].toFixed(0)} MIPS; ${q}`);
    out.results[`system${phase === "bare" ? "Bare" : "Sv39"}Mips`] = ours[k];
    if (!qemuMissing) {
      out.results[`qemuSystem${phase === "bare" ? "Bare" : "Sv39"}Mips`] = theirs[k];
    }
  }
}

if (import.meta.main) {
  await benchPaging({ row: (n, v) => console.log(n.padEnd(40), v), results: {} }, 3);
}
