// Loads (and stores) of a TB through one base share one soft-TLB probe of their whole span
// (core/jit/region_memory.ts). When the span straddles a page, or reaches an unmapped one,
// each access must fall back to its own probe and slow path: the same values, the same
// fault at the same instruction, as the interpreter. Accesses that take miss exits group only in
// a loop of their region (a group is more code), as here: the walk is one TB that loops. The JIT
// runs with miss exits (a member falls back to its own probe) and without (to a call).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Perm } from "../plugin.ts";
import { Hooks } from "../mod.ts";
import { accessGroups } from "../core/jit/region_memory.ts";
import { missExitAccesses } from "../core/jit/region_miss.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { Op } from "../core/ir.ts";
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

/** Per-instruction and per-block inline counters, read as [instructions, blocks]. */
function counters(m: ReturnType<typeof machine>) {
  const hooks = new Hooks(m.cpu);
  const insns = hooks.scoreboard(), blocks = hooks.scoreboard();
  hooks.onTranslate((tb) => {
    tb.inlineAdd(blocks, 1n);
    for (const i of tb.insns) i.inlineAdd(insns, 1n);
  });
  return () => [insns.get(), blocks.get()];
}

function runOn(jit: boolean, budgets: number[] = [1_000_000], counted = false, missExits = true) {
  const m = machine(walk, "rv64", jit);
  if (jit) (m.cpu.backend as JitBackend).missExits = missExits;
  const count = counted ? counters(m) : () => [];
  m.mem.map(DATA + 0x1000n, 0x1000n, Perm.R | Perm.W);
  m.mem.map(OUT, 0x2000n, Perm.R | Perm.W);
  const data = new Uint8Array(0x2000).map((_, k) => (k * 37 + (k >> 8)) & 0xff);
  m.mem.writeBytes(DATA, data);
  m.cpu.setGlobal(a1, DATA + 0xf00n);
  m.cpu.setGlobal(a4, OUT + 0xf00n);
  // each budget but the last stops the run (inside a TB when it is not a multiple of 9)
  const stops = budgets.slice(0, -1).map((b) => [m.cpu.run(b).reason, ...count()]);
  const exit = m.cpu.run(budgets.at(-1)!);
  const regs = [a0, a1, a2, a3, a4].map((r) => m.cpu.getGlobal(r));
  const out = m.mem.readBytes(OUT, 0x2000);
  return { m, exit, regs, icount: m.cpu.icount, out, stops, counts: count() };
}

Deno.test("jit: accesses sharing a TLB probe match the interpreter across pages and at a fault", () => {
  const interp = runOn(false);
  for (const missExits of [true, false]) {
    const jit = runOn(true, undefined, false, missExits);
    const tb = jit.m.cpu.tbs.peek(CODE)!;
    assertEquals(accessGroups(tb.ir.ops).size, 4, "both pairs form a group");
    const ops = tb.ir.ops, alone = missExitAccesses(ops, jit.m.cpu.target.state.globals.length);
    assertEquals(accessGroups(ops, alone).size, 0, "no group of the accesses passed alone");
    assertEquals(jit.exit.reason, "trap");
    if (jit.exit.reason === "trap") assertEquals(jit.exit.trap.pc, CODE + 4n);
    assertEquals(jit.exit, interp.exit);
    assertEquals(jit.regs, interp.regs);
    assertEquals(jit.icount, interp.icount);
    assertEquals(jit.out, interp.out);
  }
});

// An inline counter's add (a wasm local) splits no group, and the counts stay exact at every
// stop (budgets that end inside a TB) and at the fault, where the faulting load was counted.
Deno.test("jit: inline counters keep accesses grouped and count as the interpreter", () => {
  const budgets = [5, 13, 400, 1_000_000];
  const interp = runOn(false, budgets, true), jit = runOn(true, budgets, true);
  const tb = jit.m.cpu.tbs.peek(CODE)!;
  assertEquals(tb.ir.ops.some((o) => o.op === Op.COUNTER_ADD), true);
  assertEquals(accessGroups(tb.ir.ops).size, 4, "both pairs still form a group");
  assertEquals(jit.exit.reason, "trap");
  assertEquals(jit.stops, interp.stops);
  assertEquals(jit.counts, interp.counts);
  assertEquals(jit.counts[0], BigInt(jit.icount + 1), "the faulting load counted");
  assertEquals(jit.regs, interp.regs);
  assertEquals(jit.out, interp.out);
});
