/**
 * The record/replay section of `deno task bench`: the compute guest on the
 * JIT plain, recording (`rr: { mode: "record" }`, QEMU's
 * `-icount rr=record`) and replaying, interleaved, best of three each by
 * CPU time. Recording must cost under 10 % (issue 15); the compute guest
 * reads no input, so this is the price of having the log attached at all.
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

import { cpuUsage } from "node:process";
import { createMachine } from "../mod.ts";
import type { RecordReplayOptions } from "../core/replay/input_log.ts";
import type { BenchOutput } from "./bench_fuzz.ts";

const GUEST = new URL("../tests/guests/bin/compute.static.O2", import.meta.url).pathname;

async function mips(iterations: string, rr?: RecordReplayOptions): Promise<number> {
  const m = await createMachine({ program: GUEST, args: [iterations], rr });
  const c0 = cpuUsage();
  const status = await m.runToExit();
  const c1 = cpuUsage(c0);
  await m.close();
  if (status !== 0) throw new Error(`compute guest exited with ${status}`);
  return m.icount / ((c1.user + c1.system) / 1e6) / 1e6;
}

/**
 * Measures recording's and replaying's cost on the compute guest.
 *
 * @example
 * ```ts ignore
 * await benchRecordReplay({ row: (n, v) => console.log(n, v), results: {} }, true);
 * ```
 */
export async function benchRecordReplay(out: BenchOutput, quick: boolean): Promise<void> {
  const iterations = quick ? "30" : "300";
  const file = await Deno.makeTempFile({ suffix: ".rr" });
  try {
    await mips(iterations); // warm-up
    const plain: number[] = [], record: number[] = [], replay: number[] = [];
    for (let i = 0; i < 3; i++) {
      plain.push(await mips(iterations));
      record.push(await mips(iterations, { mode: "record", file }));
      replay.push(await mips(iterations, { mode: "replay", file }));
    }
    const [p, r, q] = [plain, record, replay].map((xs) => Math.max(...xs));
    out.row("jit, compute", `${p.toFixed(0)} MIPS`);
    out.row("recording", `${r.toFixed(0)} MIPS  (cost ${((1 - r / p) * 100).toFixed(1)} %)`);
    out.row("replaying", `${q.toFixed(0)} MIPS  (cost ${((1 - q / p) * 100).toFixed(1)} %)`);
    out.results.rrPlainMips = p;
    out.results.rrRecordMips = r;
    out.results.rrReplayMips = q;
  } finally {
    await Deno.remove(file);
  }
}
