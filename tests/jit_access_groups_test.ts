// Loads (and stores) of a TB through one base share one soft-TLB probe of their whole span
// (core/jit/region_memory.ts). When the span straddles a page, or reaches an unmapped one,
// each access must fall back to its own probe and slow path: the same values, the same
// fault at the same instruction, as the interpreter.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Perm } from "../plugin.ts";
import { accessGroups } from "../core/jit/region_memory.ts";
import { A, CODE, DATA, machine, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, a4 } = X;
const LD = 3, SD = 3;
const add = (rd: number, rs1: number, rs2: number) => A.op(0, 0, rd, rs1, rs2);
const OUT = 0x30000n;

// Walks a1 up through two mapped pages 8 bytes at a time, loading pairs (a group) and
// storing pairs at a4 (a group), until the second load of a pair reaches the unmapped page.
const walk = [
  A.load(LD, a0, a1, 0), //   0
  A.load(LD, a2, a1, 8), //   4: faults at the end
  add(a3, a3, a0), //         8
  add(a3, a3, a2), //        12
  A.store(SD, a3, a4, 0), // 16
  A.store(SD, a0, a4, 8), // 20
  A.addi(a1, a1, 8), //      24
  A.addi(a4, a4, 8), //      28
  A.jal(0, -32), //          32: -> 0
];

function runOn(jit: boolean) {
  const m = machine(walk, "rv64", jit);
  m.mem.map(DATA + 0x1000n, 0x1000n, Perm.R | Perm.W);
  m.mem.map(OUT, 0x2000n, Perm.R | Perm.W);
  const data = new Uint8Array(0x2000).map((_, k) => (k * 37 + (k >> 8)) & 0xff);
  m.mem.writeBytes(DATA, data);
  m.cpu.setGlobal(a1, DATA + 0xf00n);
  m.cpu.setGlobal(a4, OUT + 0xf00n);
  const exit = m.cpu.run(1_000_000);
  const regs = [a0, a1, a2, a3, a4].map((r) => m.cpu.getGlobal(r));
  return { m, exit, regs, icount: m.cpu.icount, out: m.mem.readBytes(OUT, 0x2000) };
}

Deno.test("jit: accesses sharing a TLB probe match the interpreter across pages and at a fault", () => {
  const interp = runOn(false), jit = runOn(true);
  const tb = jit.m.cpu.tbs.peek(CODE)!;
  assertEquals(accessGroups(tb.ir.ops).size, 4, "both pairs form a group");
  assertEquals(jit.exit.reason, "trap");
  if (jit.exit.reason === "trap") assertEquals(jit.exit.trap.pc, CODE + 4n);
  assertEquals(jit.exit, interp.exit);
  assertEquals(jit.regs, interp.regs);
  assertEquals(jit.icount, interp.icount);
  assertEquals(jit.out, interp.out);
});
