// How the JIT forms regions: an indirect jump's targets, seen while its TB was
// interpreted, are compiled into the same region as the jump, so a dispatch
// loop (switch tables, returns, bytecode interpreters) stays inside one module.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { JitBackend, type TranslationBlock } from "../mod.ts";
import { A, CODE, i, machine, X } from "./riscv/asm.ts";

const { a0, a1, a2, t1 } = X;
const andi = (rd: number, rs1: number, imm: number) => i(imm, rs1, 7, rd, 0x13);
const add = (rd: number, rs1: number, rs2: number) => A.op(0, 0, rd, rs1, rs2);

// A loop that dispatches through a register to one of two handlers.
const dispatch = [
  andi(t1, a1, 1), //   0: which handler
  A.slli(t1, t1, 3), // 4
  add(t1, t1, a2), //   8: a2 = CODE + 20
  A.jalr(0, t1, 0), // 12: indirect jump
  A.ecall, //          16
  A.addi(a0, a0, 1), // 20: handler 0
  A.jal(0, 12), //     24: -> 36
  A.addi(a0, a0, 2), // 28: handler 1
  A.jal(0, 4), //      32: -> 36
  A.addi(a1, a1, -1), // 36
  A.bne(a1, 0, -40), // 40: -> 0
  A.ecall, //          44
];

/** The TBs compiled together with the TB at `pc`. */
function regionOf(jit: JitBackend, tb: TranslationBlock): bigint[] {
  return jit.regionOf(tb).map((t) => t.pc - CODE);
}

Deno.test("jit: the targets an indirect jump took join its region", () => {
  const m = machine(dispatch, "rv64", true);
  const jit = m.cpu.backend as JitBackend;
  jit.hotThreshold = 8;
  m.cpu.setGlobal(a1, 1000n);
  m.cpu.setGlobal(a2, CODE + 20n);
  assertEquals(m.cpu.run(1_000_000).reason, "trap");
  assertEquals(m.cpu.getGlobal(a0), 500n * 1n + 500n * 2n);
  const region = regionOf(jit, m.cpu.tbs.peek(CODE)!);
  for (const handler of [20n, 28n]) {
    assertEquals(region.includes(handler), true, `handler at +${handler} in ${region}`);
  }
});
