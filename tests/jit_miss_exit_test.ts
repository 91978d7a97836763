// Miss exits (core/jit/region_miss.ts): a load or store whose soft-TLB probe misses leaves the
// region, and the JIT runs that instruction and the rest of its TB on the interpreter. The
// results, the instruction counts at every stop and the faults must be the interpreter's; a TB
// that keeps missing is compiled again with slow-path calls; instrumented code never leaves.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Perm } from "../plugin.ts";
import { Hooks } from "../mod.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { MISS_LIMIT } from "../core/jit/region_miss.ts";
import { A, DATA, machine, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, a4 } = X;
const LD = 3, SD = 3, W = 2;
const add = (rd: number, rs1: number, rs2: number) => A.op(0, 0, rd, rs1, rs2);

/**
 * Sums doublewords at a1 (stepping `step` bytes) into a3, stores each sum at a4 (the next
 * doubleword each time) and adds it to the word at a2 with an AMO, until a load or a store
 * reaches the unmapped page after the four mapped ones.
 */
function walk(step: number, offset = 0) {
  return [
    A.load(LD, a0, a1, offset), //            0: faults at the end
    add(a3, a3, a0), //                       4
    A.store(SD, a3, a4, 0), //                8
    A.amo(0, W, 0, a2, a0), //                12: amoadd.w zero, a0, (a2)
    A.addi(a1, a1, step), //                  16
    A.addi(a4, a4, 8), //                     20
    A.jal(0, -24), //                         24: -> 0
  ];
}

function runOn(jit: boolean, program: number[], budgets: number[], hooked = false) {
  const m = machine(program, "rv64", jit);
  const hooks = hooked ? new Hooks(m.cpu) : undefined, insns = hooks?.scoreboard();
  if (insns) hooks!.onTranslate((tb) => tb.insns.forEach((i) => i.inlineAdd(insns, 1n)));
  m.mem.map(DATA + 0x1000n, 0x3000n, Perm.R | Perm.W);
  m.mem.writeBytes(DATA, new Uint8Array(0x4000).map((_, k) => (k * 29 + (k >> 8)) & 0xff));
  m.cpu.setGlobal(a1, DATA + 0x800n);
  m.cpu.setGlobal(a2, DATA);
  m.cpu.setGlobal(a4, DATA + 0x3000n);
  const stops = budgets.map((b) => [m.cpu.run(b).reason, m.cpu.icount, m.cpu.pc, insns?.get()]);
  const regs = [a0, a1, a2, a3, a4].map((r) => m.cpu.getGlobal(r));
  const stats = jit ? (m.cpu.backend as JitBackend).stats : undefined;
  return { stops, regs, mem: m.mem.readBytes(DATA, 0x4000), stats };
}

Deno.test("jit: a TLB miss leaves the region, and the interpreter finishes the TB", () => {
  // budgets that end inside TBs, then the run to the fault on the first unmapped page
  const budgets = [3, 50, 1001, 5000, 1_000_000];
  const interp = runOn(false, walk(8), budgets), jit = runOn(true, walk(8), budgets);
  assertEquals(jit.stops, interp.stops);
  assertEquals(jit.stops.at(-1)![0], "trap");
  assertEquals(jit.regs, interp.regs);
  assertEquals(jit.mem, interp.mem);
  // the first load of each new page misses (and the stores' first touches), no more
  const misses = jit.stats!.missExits;
  assertEquals(misses > 0 && misses < 40, true, `${misses} miss exits`);
});

Deno.test("jit: a TB that keeps missing is compiled again with slow-path calls", () => {
  // the load crosses a page (8 bytes at 4 before a page's end), every time: it never hits
  const program = walk(0, 0xffc - 0x800), budgets = [1_000_000];
  const interp = runOn(false, program, budgets), jit = runOn(true, program, budgets);
  assertEquals(jit.stops, interp.stops);
  assertEquals(jit.regs, interp.regs);
  assertEquals(jit.mem, interp.mem);
  // 512 iterations, of which the first MISS_LIMIT left the region (and a few first touches)
  const misses = jit.stats!.missExits;
  assertEquals(misses >= MISS_LIMIT && misses < MISS_LIMIT + 24, true, `${misses} miss exits`);
});

Deno.test("jit: instrumented code takes no miss exits, and counts as the interpreter", () => {
  const budgets = [7, 333, 1_000_000];
  const interp = runOn(false, walk(8), budgets, true), jit = runOn(true, walk(8), budgets, true);
  assertEquals(jit.stops, interp.stops);
  assertEquals(jit.regs, interp.regs);
  assertEquals(jit.stats!.missExits, 0);
});
