// Regions compiled several to a wasm module (JitBackend.maxBatch): hot regions wait, their TBs
// interpreted, until the batch is full; the module's regions then run as the interpreter does. A
// module's code goes only when all its regions are dead, so once half of them are, the others are
// dropped too (code that is rewritten forever keeps dead modules bounded).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { PAGE_SIZE } from "../core/host_memory.ts";
import { A, CODE, machine, type TestMachine, X } from "./riscv/asm.ts";

const { zero, a0, t0, t1 } = X;
const NOP = A.addi(zero, zero, 0);

/** An outer loop running loop A (first page), then loops B and C (second page), 4 times. */
const firstPage = [
  A.addi(t1, zero, 4), //    0: outer count
  A.addi(t0, zero, 20), //   4: outer: A's count
  A.addi(a0, a0, 1), //      8: A
  A.addi(t0, t0, -1), //    12
  A.bne(t0, zero, -8), //   16: -> 8
  A.jal(zero, PAGE_SIZE - 20), // 20: -> B
  A.addi(t1, t1, -1), //    24: outer tail
  A.bne(t1, zero, -24), //  28: -> 4
  A.ecall, //               32
];
const secondPage = [
  A.addi(t0, zero, 20), //   0
  A.addi(a0, a0, 3), //      4: B
  A.addi(t0, t0, -1), //     8
  A.bne(t0, zero, -8), //   12: -> 4
  A.addi(t0, zero, 20), //  16
  A.addi(a0, a0, 5), //     20: C
  A.addi(t0, t0, -1), //    24
  A.bne(t0, zero, -8), //   28: -> 20
  A.jal(zero, 24 - PAGE_SIZE - 32), // 32: -> outer tail
];
const program = [
  ...firstPage,
  ...new Array(PAGE_SIZE / 4 - firstPage.length).fill(NOP),
  ...secondPage,
];
const LOOPS = { A: CODE + 8n, B: CODE + BigInt(PAGE_SIZE) + 4n, C: CODE + BigInt(PAGE_SIZE) + 20n };

/** Runs the program on the JIT with batches of 3 regions; the loops' regions share a module. */
function ranBatched(): { m: TestMachine; jit: JitBackend } {
  const m = machine(program, "rv64", true);
  const jit = m.cpu.backend as JitBackend;
  jit.hotThreshold = 8;
  jit.maxBatch = 3;
  jit.batchBlocks = 1_000_000;
  assertEquals(m.cpu.run(100_000).reason, "trap");
  assertEquals(m.cpu.getGlobal(a0), 4n * 20n * (1n + 3n + 5n));
  assertEquals([jit.stats.regionsCompiled, jit.stats.modulesCompiled], [3, 1]);
  return { m, jit };
}

/** Whether the loop at `pc` runs compiled code. */
function compiled(m: TestMachine, jit: JitBackend, pc: bigint): boolean {
  return jit.regionOf(m.cpu.tbs.peek(pc)!).length > 0;
}

Deno.test("jit: regions that wait for a batch are compiled into one module and run as interpreted", () => {
  const { m, jit } = ranBatched();
  for (const pc of Object.values(LOOPS)) assertEquals(compiled(m, jit, pc), true);
  // A batch of one compiles at once, as the JIT did before batches.
  const alone = machine(program, "rv64", true), single = alone.cpu.backend as JitBackend;
  single.hotThreshold = 8;
  single.maxBatch = 1;
  alone.cpu.run(100_000);
  assertEquals(alone.cpu.getGlobal(a0), m.cpu.getGlobal(a0));
  assertEquals(single.stats.modulesCompiled, single.stats.regionsCompiled);
});

Deno.test("jit: a module's regions stay while most live, and go when half of them are dead", () => {
  const pn = (pc: bigint) => Number(pc) / PAGE_SIZE | 0;
  const one = ranBatched();
  one.m.cpu.tbs.invalidatePage(pn(LOOPS.A)); // 1 of 3 dead
  assertEquals(compiled(one.m, one.jit, LOOPS.B), true);
  assertEquals(compiled(one.m, one.jit, LOOPS.C), true);
  const two = ranBatched();
  two.m.cpu.tbs.invalidatePage(pn(LOOPS.B)); // 2 of 3 dead: A's region is dropped too
  assertEquals(compiled(two.m, two.jit, LOOPS.A), false);
  assertEquals(two.jit.stats.regionsEvicted, 0);
});
