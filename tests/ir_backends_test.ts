// Differential test of the backends on random IR: the reference interpreter, the interpreter
// tier without bigints (alone) and the wasm JIT must leave identical state and traps.
import assert from "node:assert/strict";
import type { CpuCore } from "../plugin.ts";
import { interpreterTierBackend } from "../core/cpu_core.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { DATA, machine, NREGS, runAlike } from "./util/toy_target.ts";

function snapshot(cpu: CpuCore) {
  const regs = Array.from({ length: NREGS }, (_, i) => cpu.getGlobal(i));
  return {
    regs,
    pc: cpu.pc,
    icount: cpu.icount,
    data: [...cpu.mem.readBytes(DATA, 0x1000)].join(),
  };
}

Deno.test("interp, interp32 and jit agree on random IR", async (t) => {
  let traps = 0, regionCalls = 0, missExits = 0;
  for (const blocks of [1, 3, 17, 40, 90]) {
    await t.step(`${blocks} blocks`, () => {
      const a = machine(false, blocks), b = machine(true, blocks), c = machine(false, blocks);
      c.backend = interpreterTierBackend;
      traps += runAlike(a, b, 400, 200, snapshot);
      runAlike(machine(false, blocks), c, 400, 200, snapshot);
      regionCalls += (b.backend as JitBackend).stats.regionCalls;
      missExits += (b.backend as JitBackend).stats.missExits;
    });
  }
  assert(traps > 10, `the random programs should trap sometimes (${traps})`);
  assert(regionCalls > 100, `the JIT ran few regions (${regionCalls})`);
  // a TLB miss in a region leaves it; the interpreter runs the rest of the TB
  assert(missExits > 0, "no region took a miss exit");
});
