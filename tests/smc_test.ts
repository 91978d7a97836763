// Self-modifying code: a hot loop rewrites one of its own instructions
// (without fence.i, which QEMU does not need either); both engines must run
// the new instruction from the next iteration on, also when the loop is compiled.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { Hooks } from "../mod.ts";
import { A, CODE, i, machine, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, t0 } = X;
const addi = (rd: number, rs1: number, imm: number) => i(imm, rs1, 0, rd, 0x13);
const PATCH = addi(a0, a0, 100);

const loop = [
  addi(a1, a1, -1), //  0
  addi(a0, a0, 1), //   4: rewritten to `addi a0, a0, 100` when a1 reaches 500
  addi(t0, a1, -500), // 8
  A.bne(t0, 0, 12), // 12: -> 24
  A.store(2, a2, a3, 4), // 16: sw a2, 4(a3)
  addi(0, 0, 0), //    20
  A.bne(a1, 0, -24), // 24: -> 0
  A.ecall, //          28
];

// JIT hot thresholds: 2, and 0, where the TB of the store is compiled too (it runs once)
for (const [name, threshold] of [["interp", -1], ["jit", 2], ["jit (threshold 0)", 0]] as const) {
  Deno.test(`${name}: a loop that rewrites its own code runs the new code`, () => {
    const jit = threshold >= 0;
    const m = machine(loop, "rv64", jit);
    if (jit) (m.cpu.backend as JitBackend).hotThreshold = threshold;
    m.cpu.setGlobal(a1, 1000n);
    m.cpu.setGlobal(a2, BigInt(PATCH));
    m.cpu.setGlobal(a3, CODE);
    // a per-instruction counter stays exact where the store invalidates its own TB
    const hooks = new Hooks(m.cpu), sb = hooks.scoreboard();
    hooks.onTranslate((tb) => tb.insns.forEach((insn) => insn.inlineAdd(sb, 1n)));
    const exit = m.cpu.run(1_000_000);
    assertEquals(exit.reason, "trap");
    assertEquals(sb.get(), BigInt(m.cpu.icount + 1), "every instruction and the ecall counted");
    // 500 iterations added 1, the 500 after the rewrite added 100
    assertEquals(m.cpu.getGlobal(a0), 500n + 500n * 100n);
    if (jit) assertEquals((m.cpu.backend as JitBackend).stats.regionsCompiled > 1, true);
  });
}
