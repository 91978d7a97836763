// The interpreter keeps instruction boundaries on the side of the packed IR (core/ir_pack.ts),
// not as ops: a trap reports the pc of the last boundary run, a jump over a boundary does not
// run it, and a request to leave stops at the next boundary, as INSN_START ops did.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { TrapKind } from "../core/ir.ts";
import { IrBuilder } from "../core/ir_builder.ts";
import { packIr } from "../core/ir_pack.ts";
import { interpretBlock } from "../core/interp.ts";
import type { TranslationBlock } from "../core/tb.ts";
import { machine, NREGS } from "./util/toy_target.ts";

/**
 * Runs a TB at 0x1000 of two 4-byte instructions that traps in the second; with `jump`, the
 * first jumps over the second's boundary (and its MOVI, with `gap`) to the trap.
 */
function run(jump: boolean, gap = true, exit = false) {
  const cpu = machine(false, 1), b = new IrBuilder(NREGS), over = b.label();
  b.insnStart(0x1000n, 0);
  b.movi(1, 7n);
  if (jump) b.br(over);
  b.insnStart(0x1004n, 1);
  if (gap) b.movi(2, 9n);
  b.setLabel(over);
  b.raise(TrapKind.ILLEGAL, 2);
  const tb = { pc: 0x1000n, insnCount: 2, code: packIr(b.finish(), NREGS) };
  cpu.exitRequest = exit;
  const done = interpretBlock(cpu, tb as unknown as TranslationBlock);
  return { done, pc: cpu.pc, trap: cpu.trap?.pc, r2: cpu.getGlobal(2) === 9n };
}

Deno.test("interp: a trap reports the pc and index of the last instruction boundary run", () => {
  assertEquals(run(false), { done: 1, pc: 0x1004n, trap: 0x1004n, r2: true });
  assertEquals(run(false, false), { done: 1, pc: 0x1004n, trap: 0x1004n, r2: false });
  // the jump passes over the second boundary: the trap is the first instruction's
  assertEquals(run(true), { done: 0, pc: 0x1000n, trap: 0x1000n, r2: false });
  // likewise when the boundary is right before the label
  assertEquals(run(true, false), { done: 0, pc: 0x1000n, trap: 0x1000n, r2: false });
});

Deno.test("interp: a request to leave stops at the first boundary, before its instruction", () => {
  const r = run(false, true, true);
  assertEquals([r.done, r.pc, r.trap], [0, 0x1000n, undefined]);
});
