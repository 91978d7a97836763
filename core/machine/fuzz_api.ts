/**
 * `fuzz()` as the scripting API exports it: the fuzzing engine (`fuzz.ts`,
 * `core/fuzz/`) is imported when a script first calls it, so that the many
 * runs that never fuzz do not load it.
 *
 * @module
 */

import { importOnDemand } from "../plugin.ts";
import type { Machine } from "./machine.ts";
import type { FuzzOptions, FuzzReport } from "./fuzz.ts";

export type { FuzzOptions, FuzzProgress, FuzzReport } from "./fuzz.ts";

/**
 * Fuzzes the code `opts.inject` feeds, from the machine's current state.
 *
 * @example
 * ```ts
 * import { createMachine, fuzz } from "../../mod.ts";
 * // a bare-metal routine on the virt board: parse(input, n)
 * const m = await createMachine({
 *   system: { memory: "16M", bios: "none", kernel: "tests/baremetal/bin/fuzzme.elf" },
 * });
 * m.runUntil(m.symbol("parse")!); // start every execution here
 * const input = m.symbol("input")!;
 * const report = await fuzz(m, {
 *   inject: (m, data) => {
 *     m.writeMemory(input, data.subarray(0, 256));
 *     m.writeReg("a1", BigInt(Math.min(data.length, 256)));
 *   },
 *   seeds: [new TextEncoder().encode("AAAA")],
 *   endAt: [m.readReg("ra")], // parse's return
 *   crashAt: [m.symbol("m_trap_entry")!],
 *   seed: 1,
 *   seconds: 120,
 *   until: (p) => p.crashes > 0,
 * });
 * console.log(report.crashes); // 1
 * await Deno.remove(report.output, { recursive: true });
 * ```
 */
export async function fuzz(m: Machine, opts: FuzzOptions): Promise<FuzzReport> {
  const engine = await importOnDemand<typeof import("./fuzz.ts")>("core/machine/fuzz.ts");
  return engine.runFuzz(m, opts);
}
