/**
 * The vector section of `deno task bench`: the RVV benchmark guest
 * (`tests/guests/bin/vcompute.static.O2`: strip-mined saxpy, dot product,
 * FP multiply-add with an ordered sum, compare-and-count) on both engines
 * beside qemu-riscv64 with the same `-cpu`, CPU seconds of the same
 * iterations, and the checksums compared.
 *
 * `deno run -A scripts/bench_vector.ts [--quick]` runs it alone.
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { type Accel, createMachine } from "../mod.ts";
import type { BenchOutput } from "./bench_fuzz.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const GUEST = `${ROOT}tests/guests/bin/vcompute.static.O2`;
const CPU = "rv64,v=true,vlen=128,elen=64,vext_spec=v1.0";

/** CPU seconds and stdout of the guest on one engine, in-process. */
async function denemu(iterations: string, accel: Accel) {
  const m = await createMachine({ program: GUEST, args: [iterations], accel, cpu: CPU });
  const c0 = cpuUsage();
  const status = await m.runToExit();
  const c1 = cpuUsage(c0);
  if (status !== 0) throw new Error(`vcompute exited with ${status}`);
  return { seconds: (c1.user + c1.system) / 1e6, stdout: m.stdout, icount: m.icount };
}

/** CPU seconds (user + system, through /usr/bin/time) and stdout of qemu-riscv64, or null. */
async function qemu(iterations: string) {
  try {
    const r = await new Deno.Command("/usr/bin/time", {
      args: ["-f", "@@cpu %U %S", "qemu-riscv64", "-cpu", CPU, GUEST, iterations],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const m = /@@cpu ([\d.]+) ([\d.]+)/.exec(new TextDecoder().decode(r.stderr));
    if (!r.success || !m) return null;
    return { seconds: Number(m[1]) + Number(m[2]), stdout: new TextDecoder().decode(r.stdout) };
  } catch {
    return null;
  }
}

/**
 * Runs the section and records `results.vector`.
 *
 * @example
 * ```ts ignore
 * await benchVector({ row: (n, v) => console.log(n, v), results: {} }, true);
 * ```
 */
export async function benchVector(out: BenchOutput, quick: boolean): Promise<void> {
  const iterations = quick ? "5" : "40";
  console.log(`\nVector (RVV) compute loop, vcompute ${iterations}, CPU seconds, VLEN 128`);
  const q = await qemu(iterations);
  const figures: Record<string, number> = {};
  for (const accel of ["jit", "interp"] as const) {
    const r = await denemu(iterations, accel);
    if (q && r.stdout !== q.stdout) {
      throw new Error(`vcompute (${accel}) differs from qemu-riscv64`);
    }
    const ratio = q ? `  (${(r.seconds / q.seconds).toFixed(0)}x qemu-riscv64)` : "";
    out.row(`vcompute ${accel}`, `${r.seconds.toFixed(2)} s, ${r.icount} instructions${ratio}`);
    figures[`${accel}Seconds`] = r.seconds;
  }
  if (q) out.row("vcompute qemu-riscv64", `${q.seconds.toFixed(2)} s`);
  out.results.vector = { iterations: Number(iterations), ...figures, qemuSeconds: q?.seconds };
}

if (import.meta.main) {
  await benchVector({
    row: (name, value) => console.log(`${name.padEnd(52)} ${value}`),
    results: {},
  }, Deno.args.includes("--quick"));
}
