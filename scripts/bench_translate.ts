/**
 * What translating a TB costs alone: records the TBs a run of a user-mode
 * program translates (pc and flags, in order), then, in a fresh process so
 * that V8 is as cold as in a real start-up, translates the same TBs again
 * without running them, and prints the process CPU per TB (compiler and GC
 * threads included). docs/perf.md, "Thirteenth session, cold code", calls it
 * `tbench`.
 *
 * ```sh
 * deno run -A scripts/bench_translate.ts tests/guests/bin/cold.static.O2 4
 * ```
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

import process from "node:process";
import { createMachine } from "../core/machine/create.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { TbCache } from "../core/tb.ts";

const [first, ...rest] = Deno.args;

if (first === "--translate") {
  // The second process: `--translate FILE PROGRAM ARGS...`.
  const [file, program, ...args] = rest;
  const tbs: [string, number][] = JSON.parse(Deno.readTextFileSync(file));
  const m = await createMachine({ program, args, stdout: "capture" });
  const cache = machineDriver(m).cpu.tbs;
  const list = tbs.map(([pc, flags]) => [BigInt(pc), flags] as const);
  const before = process.cpuUsage();
  for (const [pc, flags] of list) cache.get(pc, flags);
  const used = process.cpuUsage(before), ms = (used.user + used.system) / 1000;
  console.log(
    `${list.length} TBs: ${ms.toFixed(1)} ms CPU, ${
      (ms * 1000 / list.length).toFixed(2)
    } µs per TB`,
  );
  await m.close();
} else {
  if (!first) {
    console.error("usage: bench_translate.ts PROGRAM [ARGS...]");
    Deno.exit(1);
  }
  const tbs: [string, number][] = [];
  const get = TbCache.prototype.get;
  TbCache.prototype.get = function (pc: bigint, flags: number) {
    const made = this.translated, tb = get.call(this, pc, flags);
    if (this.translated !== made) tbs.push([pc.toString(), flags]);
    return tb;
  };
  const m = await createMachine({ program: first, args: rest, stdout: "capture" });
  await m.runToExit();
  await m.close();
  const file = await Deno.makeTempFile({ suffix: ".json" });
  Deno.writeTextFileSync(file, JSON.stringify(tbs));
  const self = new URL(import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", self, "--translate", file, first, ...rest],
  }).output();
  await Deno.remove(file);
  await Deno.stdout.write(out.stdout);
  await Deno.stderr.write(out.stderr);
}
