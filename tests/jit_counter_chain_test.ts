// A per-instruction counter that the JIT keeps by its budget (core/jit/region_counter.ts) is
// stored at every exit of a region, a chain to the next region too. These runs mix regions that
// keep it by the budget (with different deltas), keep its adds, or keep none, so that regions of
// each kind chain into each other: the counts must be the interpreter's at every stop. A chain
// that leaves the count ahead for the next region (docs/perf.md, twentieth session) must pass them.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";

const PROGRAM = new URL("./guests/bin/compute.static.O2", import.meta.url).pathname;

/** How much each instruction of a TB at `pc` adds: a pattern over the code's TBs. */
type Deltas = (pc: bigint) => bigint;

/** The counter's value at each stop of a compute run cut into `budget`-instruction slices. */
async function countsAtStops(accel: "jit" | "interp", deltas: Deltas, budget: number) {
  const m = await createMachine({ program: PROGRAM, args: ["4"], accel });
  const sb = m.hooks.scoreboard();
  m.hooks.onTranslate((tb) => tb.insns.forEach((i) => i.inlineAdd(sb, deltas(tb.pc))));
  const stops: string[] = [];
  for (let exited = false; !exited;) {
    for await (const ev of m.run({ budget })) if (ev.type === "exit") exited = true;
    stops.push(`${m.icount}: ${sb.get()}`);
  }
  return stops;
}

const patterns: [string, Deltas][] = [
  // every region keeps the counter by the budget
  ["the same delta everywhere", () => 1n],
  // regions whose TBs all add 1, or all 3, keep it with different deltas; regions that mix
  // them keep their adds
  ["deltas 1 and 3", (pc) => (pc & 0x100n ? 1n : 3n)],
  // regions of TBs that add nothing keep no counter
  ["deltas 2 and 0", (pc) => (pc & 16n ? 2n : 0n)],
];

for (const [name, deltas] of patterns) {
  Deno.test(`jit: a per-instruction counter is exact across chained regions (${name})`, async () => {
    for (const budget of [1_000_000, 33_333]) {
      const interp = await countsAtStops("interp", deltas, budget);
      assertEquals(await countsAtStops("jit", deltas, budget), interp, `budget ${budget}`);
    }
  });
}
