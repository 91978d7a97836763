// Differential test of the two backends on random IR: the reference
// interpreter and the wasm JIT must leave identical state and traps.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { CpuCore } from "../plugin.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { DATA, machine, NREGS } from "./util/toy_target.ts";

function snapshot(cpu: CpuCore) {
  const regs = Array.from({ length: NREGS }, (_, i) => cpu.getGlobal(i));
  return {
    regs,
    pc: cpu.pc,
    icount: cpu.icount,
    data: [...cpu.mem.readBytes(DATA, 0x1000)].join(),
  };
}

Deno.test("interp and jit agree on random IR", async (t) => {
  let traps = 0, regionCalls = 0;
  for (const blocks of [1, 3, 17, 40, 90]) {
    await t.step(`${blocks} blocks`, () => {
      const a = machine(false, blocks), b = machine(true, blocks);
      for (let step = 0; step < 400; step++) {
        const budget = 1 + (step * 37) % 200;
        const ea = a.run(budget), eb = b.run(budget);
        assertEquals(eb, ea, `exit at step ${step}`);
        assertEquals(snapshot(b), snapshot(a), `state at step ${step}`);
        if (ea.reason === "trap") {
          traps++;
          // resume after the trapping instruction
          a.pc = b.pc = a.pc + 4n;
        }
      }
      regionCalls += (b.backend as JitBackend).stats.regionCalls;
    });
  }
  assert(traps > 10, `the random programs should trap sometimes (${traps})`);
  assert(regionCalls > 100, `the JIT ran few regions (${regionCalls})`);
});
