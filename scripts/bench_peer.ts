/**
 * One guest on both engines beside its QEMU peer, for `deno task bench`: CPU
 * seconds of the same run (user + system, of this process for Denemu, of the
 * child through /usr/bin/time for QEMU), with the outputs compared. The vector
 * section (scripts/bench_vector.ts) and the aarch64 section use it.
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { type Accel, createMachine } from "../mod.ts";
import type { BenchOutput } from "./bench_fuzz.ts";

/** What to run: the guest, its arguments, and the QEMU user-mode binary beside it. */
export interface PeerBench {
  /** the row prefix, e.g. "vcompute" */
  name: string;
  /** the key of `results` */
  key: string;
  guest: string;
  args: string[];
  /** e.g. "qemu-aarch64" */
  peer: string;
  /** a `-cpu` string given to both, when the guest needs one */
  cpu?: string;
}

/** CPU seconds and stdout of the guest on one engine, in-process. */
async function denemu(b: PeerBench, accel: Accel) {
  const m = await createMachine({ program: b.guest, args: b.args, accel, cpu: b.cpu });
  const c0 = cpuUsage();
  const status = await m.runToExit();
  const c1 = cpuUsage(c0);
  if (status !== 0) throw new Error(`${b.name} exited with ${status}`);
  return { seconds: (c1.user + c1.system) / 1e6, stdout: m.stdout, icount: m.icount };
}

/** CPU seconds and stdout of the QEMU peer, or null when it is missing or fails. */
async function qemu(b: PeerBench) {
  const cpu = b.cpu ? ["-cpu", b.cpu] : [];
  try {
    const r = await new Deno.Command("/usr/bin/time", {
      args: ["-f", "@@cpu %U %S", b.peer, ...cpu, b.guest, ...b.args],
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
 * Runs the guest on the JIT, the interpreter and the peer; writes one row each
 * and `results[key]` = `{ args, jitSeconds, interpSeconds, qemuSeconds }`.
 * Throws when an engine's output differs from the peer's.
 *
 * @example
 * ```ts ignore
 * await benchBesidePeer({ row: (n, v) => console.log(n, v), results: {} }, {
 *   name: "aarch64 compute",
 *   key: "aarch64",
 *   guest: "tests/guests/bin/aarch64/compute.static.O2",
 *   args: ["20"],
 *   peer: "qemu-aarch64",
 * });
 * ```
 */
export async function benchBesidePeer(out: BenchOutput, b: PeerBench): Promise<void> {
  const q = await qemu(b);
  const figures: Record<string, number> = {};
  for (const accel of ["jit", "interp"] as const) {
    const r = await denemu(b, accel);
    if (q && r.stdout !== q.stdout) throw new Error(`${b.name} (${accel}) differs from ${b.peer}`);
    const ratio = q ? `  (${(r.seconds / q.seconds).toFixed(0)}x ${b.peer})` : "";
    out.row(`${b.name} ${accel}`, `${r.seconds.toFixed(2)} s, ${r.icount} instructions${ratio}`);
    figures[`${accel}Seconds`] = r.seconds;
  }
  out.row(
    `${b.name} ${b.peer}`,
    q ? `${q.seconds.toFixed(2)} s` : `skipped: ${b.peer} not installed`,
  );
  out.results[b.key] = { args: b.args, ...figures, qemuSeconds: q?.seconds };
}
