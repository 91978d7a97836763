// Miss exits (core/jit/region_miss.ts): a load or store whose soft-TLB probe misses leaves the
// region, and the JIT runs that instruction and the rest of its TB on the interpreter. The
// results, the instruction counts at every stop and the faults must be the interpreter's; a TB
// that keeps missing is compiled again with slow-path calls; inline counters count as the
// interpreter's, and code with callbacks never leaves.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Perm } from "../plugin.ts";
import { Hooks } from "../mod.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { MISS_LIMIT } from "../core/jit/region_miss.ts";
import { BranchCounts } from "../core/cov/branches.ts";
import { A, CODE, DATA, machine, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, a4, a5 } = X;
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

/**
 * How a run is instrumented: per-block and per-instruction inline counters, and a callback on
 * every block (called at once or deferred) or before every instruction.
 */
type Instrumented = "counters" | "block" | "deferred" | "insn";

/** A machine running `program` on the data of `walk`: four mapped pages, then an unmapped one. */
function setUp(jit: boolean, program: number[]) {
  const m = machine(program, "rv64", jit);
  m.mem.map(DATA + 0x1000n, 0x3000n, Perm.R | Perm.W);
  m.mem.writeBytes(DATA, new Uint8Array(0x4000).map((_, k) => (k * 29 + (k >> 8)) & 0xff));
  m.cpu.setGlobal(a1, DATA + 0x800n);
  m.cpu.setGlobal(a2, DATA);
  m.cpu.setGlobal(a4, DATA + 0x3000n);
  return m;
}

function runOn(jit: boolean, program: number[], budgets: number[], hooked?: Instrumented) {
  const m = setUp(jit, program);
  const hooks = hooked ? new Hooks(m.cpu) : undefined, counts = hooks?.scoreboard(2);
  hooks?.onTranslate((tb) => {
    tb.inlineAdd(counts!, 1n, 0);
    tb.insns.forEach((i) => i.inlineAdd(counts!, BigInt(i.size), 1));
  });
  let calls = 0;
  const call = () => calls++, deferred = hooked === "deferred";
  if (hooked === "block" || deferred) hooks!.addBlockHook(call, { regs: "none", deferred });
  if (hooked === "insn") hooks!.addInsnHook(call, { regs: "none" });
  const stops = budgets.map((b) => {
    const reason = m.cpu.run(b).reason;
    return [reason, m.cpu.icount, m.cpu.pc, counts?.get(0), counts?.get(1), calls];
  });
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

Deno.test("jit: inline counters take miss exits, and count as the interpreter", () => {
  // the TB's first instruction misses (the block entry's add is taken back too), and later ones
  const budgets = [7, 333, 1001, 1_000_000];
  const interp = runOn(false, walk(8), budgets, "counters");
  const jit = runOn(true, walk(8), budgets, "counters");
  assertEquals(jit.stops, interp.stops);
  assertEquals(jit.regs, interp.regs);
  assertEquals(jit.stats!.missExits > 0, true);
});

for (const jit of [false, true]) {
  Deno.test(`${jit ? "jit" : "interp"}: a per-instruction counter counts every instruction started`, () => {
    // The store (instruction 2 of the loop's TB) takes miss exits on jit as a4 enters a new page,
    // and faults at the unmapped one: the count is icount, plus the store that started then.
    const { stops, stats } = runOn(jit, walk(8), [7, 333, 1001, 1_000_000], "counters");
    for (const [reason, icount, , , insnBytes] of stops) {
      const started = BigInt(icount as number) + (reason === "trap" ? 1n : 0n);
      assertEquals(insnBytes, 4n * started, `${reason} at ${icount}`);
    }
    assertEquals(stops.at(-1)!.slice(0, 1).concat(stops.at(-1)![2]), ["trap", CODE + 8n]);
    if (stats) assertEquals(stats.missExits > 0, true);
  });
}

Deno.test("jit: block callbacks are called once per block across miss exits", () => {
  // the callback is at the load of instruction 0 (which then calls the slow path); the stores
  // of later instructions leave
  const budgets = [7, 333, 1001, 1_000_000];
  for (const hooked of ["block", "deferred"] as const) {
    const interp = runOn(false, walk(8), budgets, hooked);
    const jit = runOn(true, walk(8), budgets, hooked);
    assertEquals(jit.stops, interp.stops);
    assertEquals(jit.regs, interp.regs);
    assertEquals(jit.stats!.missExits > 0, true, hooked);
  }
});

Deno.test("jit: a callback before every instruction keeps its TB from leaving", () => {
  const budgets = [7, 333, 1_000_000];
  const interp = runOn(false, walk(8), budgets, "insn");
  const jit = runOn(true, walk(8), budgets, "insn");
  assertEquals(jit.stops, interp.stops);
  assertEquals(jit.regs, interp.regs);
  assertEquals(jit.stats!.missExits, 0);
});

Deno.test("jit: branch counts are the interpreter's across miss exits and budget cuts", () => {
  // walk(8) whose loop branch goes both ways: back while the doubleword loaded is below 2^63
  const program = [...walk(8).slice(0, 6), A.bltu(a0, a5, -24), A.jal(0, -28)];
  const counts = (jit: boolean) => {
    const m = setUp(jit, program);
    m.cpu.setGlobal(a5, 1n << 63n);
    const branches = new BranchCounts(new Hooks(m.cpu));
    const stops = [5, 333, 1001, 1_000_000].map((b) => [m.cpu.run(b).reason, m.cpu.icount]);
    return { stops, branches: branches.branches(), backend: m.cpu.backend as JitBackend };
  };
  const interp = counts(false), jit = counts(true);
  assertEquals(jit.stops, interp.stops);
  assertEquals(jit.branches, interp.branches);
  assertEquals(jit.branches[0].taken.every((n) => n > 0n), true);
  assertEquals(jit.backend.stats.missExits > 0, true);
});

/** What reads the counter in {@linkcode countedRun}. */
interface CounterReads {
  /** the instruction of the loop whose callback reads (every one when absent) */
  at?: number;
  /** the callback resets the counter after reading it */
  reset?: boolean;
  /** the callback is deferred (traced, called when the trace buffer drains) */
  deferred?: boolean;
  /** the callback stops the run at every 100th call */
  stops?: boolean;
  /** where a4 starts: its pages until the unmapped one set the run's length */
  a4?: bigint;
}

/**
 * walk(8) counted by a per-instruction counter alone (which the JIT keeps by its budget:
 * core/jit/region_counter.ts), read by a callback as `how` says.
 */
function countedRun(jit: boolean, budgets: number[], how: CounterReads = {}) {
  const m = setUp(jit, walk(8)), hooks = new Hooks(m.cpu), sb = hooks.scoreboard();
  if (how.a4) m.cpu.setGlobal(a4, how.a4);
  const reads: bigint[] = [];
  const read = (v: { stop(): void }) => {
    reads.push(sb.get(0));
    if (how.reset) sb.set(0, 0n);
    if (how.stops && reads.length % 100 === 0) v.stop();
  };
  const { at, deferred } = how;
  hooks.onTranslate((tb) =>
    tb.insns.forEach((i) => {
      i.inlineAdd(sb, BigInt(i.size));
      if (at === undefined || i.pc === CODE + BigInt(4 * at)) {
        i.onExec(read, { regs: "none", deferred });
      }
    })
  );
  const stops: [string, number, bigint][] = [];
  for (let k = 0; k < budgets.length && stops.at(-1)?.[0] !== "trap"; k++) {
    stops.push([m.cpu.run(budgets[k]).reason, m.cpu.icount, sb.get(0)]);
  }
  const stats = jit ? (m.cpu.backend as JitBackend).stats : undefined;
  return { stops, reads, stats };
}

/** Whether the count at each stop is 4 bytes per instruction started (a faulting one too). */
function countsStarted(stops: [string, number, bigint][]): boolean {
  return stops.every(([reason, icount, count]) =>
    count === 4n * BigInt(icount + (reason === "trap" ? 1 : 0))
  );
}

for (const jit of [false, true]) {
  const name = jit ? "jit" : "interp";
  Deno.test(`${name}: a counter read and reset mid-run counts exactly across miss exits`, () => {
    // instruction 3 reads and resets: 4 instructions (16 bytes) started first, then 7 each time
    const how = { at: 3, reset: true };
    const { stops, reads, stats } = countedRun(jit, [7, 333, 1001, 1_000_000], how);
    assertEquals(reads.length, 0x1000 / 8); // a4 walks a page
    assertEquals(reads.every((n, k) => n === (k ? 28n : 16n)), true, `${reads.slice(0, 9)}`);
    // after the last read, instructions 4-6, then 0-2 (the store faults): 6 started
    assertEquals(stops.at(-1), ["trap", 7 * reads.length + 2, 24n]);
    if (stats) assertEquals(stats.missExits > 0, true);
  });

  Deno.test(`${name}: a counter read before every instruction and at faults counts them all`, () => {
    // no miss exits here (the callbacks keep the TB in place): the store faults in its slow path
    const { stops, reads } = countedRun(jit, [7, 333, 1001, 1_000_000]);
    assertEquals(reads.every((n, k) => n === 4n * BigInt(k + 1)), true, `${reads.slice(0, 9)}`);
    assertEquals(countsStarted(stops), true, JSON.stringify(stops, (_, v) => `${v}`));
    assertEquals(stops.at(-1)![0], "trap");
  });

  Deno.test(`${name}: a counter counts exactly across trace drains and stop requests`, () => {
    const budgets = Array(20).fill(1_000_000), a4 = DATA + 0x1000n; // three pages: 1536 rounds
    const deferred = countedRun(jit, budgets, { deferred: true, a4 });
    assertEquals(deferred.reads.length, 7 * 1536 + 3); // more than a trace buffer holds (4096)
    const stopped = countedRun(jit, budgets, { at: 3, stops: true, a4 });
    assertEquals(stopped.stops.filter(([reason]) => reason === "stop").length, 15);
    for (const { stops } of [deferred, stopped]) {
      assertEquals(countsStarted(stops), true, JSON.stringify(stops, (_, v) => `${v}`));
    }
  });
}
