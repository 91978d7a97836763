// Translated code stays bounded on a guest that generates code forever (issue 16): jitloop, a JIT
// inside the guest, writes thousands of generations of code into one RWX buffer and calls each
// often enough to be compiled. Code overwritten takes its TBs and its compiled regions with it: the
// cached TBs never exceed what the buffer and the program hold, and a few regions are alive at
// once, far below the cap (`maxRegions`) that eviction would otherwise enforce.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { JitBackend } from "../core/jit/jit_backend.ts";
import { machineDriver } from "../core/machine/machine.ts";

const JITLOOP = new URL("./guests/bin/jitloop.static.O2", import.meta.url).pathname;
const GENERATIONS = 3000;
/** The guest's buffer holds 2048 code slots; its own code is a few hundred TBs. */
const MAX_CACHED_TBS = 2048 * 2 + 1000;

Deno.test("jit: code generated forever keeps the TB cache and the live regions bounded", async () => {
  const m = await createMachine({
    program: JITLOOP,
    args: [String(GENERATIONS)],
    stdout: "capture",
  });
  try {
    const cpu = machineDriver(m).cpu;
    const jit = cpu.backend as JitBackend;
    assert.ok(jit instanceof JitBackend);
    let peakRegions = 0, peakTbs = 0;
    for (let ev = m.next(50_000); ev.type !== "exit"; ev = m.next(50_000)) {
      assertEquals(ev.type === "budget" || ev.type === "syscall", true, ev.type);
      peakRegions = Math.max(peakRegions, jit.liveRegions);
      peakTbs = Math.max(peakTbs, [...cpu.tbs.blocks()].length);
    }
    assert.match(m.stdout, new RegExp(`done: ${GENERATIONS} generations, checksum [0-9a-f]{16}\n`));
    assert.ok(jit.stats.regionsCompiled >= GENERATIONS, `${jit.stats.regionsCompiled} compiled`);
    assertEquals(jit.stats.regionsEvicted, 0);
    assert.ok(peakRegions <= 64, `${peakRegions} regions alive at once`);
    assert.ok(peakTbs > 100 && peakTbs <= MAX_CACHED_TBS, `${peakTbs} TBs cached at once`);
  } finally {
    await m.close();
  }
});
