/**
 * The code-generation section of `deno task bench` (issue 16's memory goal): `jitloop.static.O2`,
 * a JIT inside the guest, writes new code into one RWX buffer generation after generation and
 * calls each often enough to be compiled. Denemu (`emu user`, JIT) and qemu-riscv64 run it as
 * whole processes at two lengths, ten times apart, timed by /usr/bin/time: translated code is
 * bounded when the peak RSS does not grow with the generations.
 *
 * @example
 * ```ts ignore
 * import { benchCodegen } from "./bench_codegen.ts";
 * const results: Record<string, unknown> = {};
 * await benchCodegen({ row: (name, value) => console.log(name, value), results }, true);
 * ```
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

import type { BenchOutput } from "./bench_fuzz.ts";
import { timed } from "./bench_real.ts";
import { which } from "./build_guests.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const JITLOOP = `${ROOT}tests/guests/bin/jitloop.static.O2`;

/** One length of the run: CPU seconds and peak RSS of each. */
export interface CodegenFigures {
  generations: number;
  denemuSeconds: number;
  denemuRssMiB: number;
  qemuSeconds?: number;
  qemuRssMiB?: number;
}

/** Runs jitloop at two lengths under both; the figures go to `results.codegen`. */
export async function benchCodegen(out: BenchOutput, quick: boolean): Promise<void> {
  const qemu = await which("qemu-riscv64");
  const figures: CodegenFigures[] = [];
  for (const generations of quick ? [500, 5000] : [2500, 25000]) {
    const args = [JITLOOP, String(generations)];
    const emu = await timed([Deno.execPath(), "run", "-A", `${ROOT}mod.ts`, "user", ...args]);
    const f: CodegenFigures = {
      generations,
      denemuSeconds: emu.seconds,
      denemuRssMiB: emu.rssKiB / 1024,
    };
    let peer = "qemu-riscv64 not installed";
    if (qemu) {
      const q = await timed(["qemu-riscv64", ...args]);
      const same = new TextDecoder().decode(q.stdout) === new TextDecoder().decode(emu.stdout);
      if (!same) throw new Error(`jitloop ${generations}: output differs from qemu-riscv64's`);
      Object.assign(f, { qemuSeconds: q.seconds, qemuRssMiB: q.rssKiB / 1024 });
      peer = `qemu-riscv64 ${q.seconds.toFixed(2)} s, ${(q.rssKiB / 1024).toFixed(0)} MiB`;
    }
    out.row(
      `jitloop, ${generations} generations`,
      `${emu.seconds.toFixed(2)} s, peak RSS ${f.denemuRssMiB.toFixed(0)} MiB  (${peer})`,
    );
    figures.push(f);
  }
  out.results.codegen = figures;
}

if (import.meta.main) {
  await benchCodegen({ row: (n, v) => console.log(`${n.padEnd(36)} ${v}`), results: {} }, false);
}
