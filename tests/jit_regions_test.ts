// How the JIT forms regions: an indirect jump's targets, seen while its TB was
// interpreted, are compiled into the same region as the jump, so a dispatch
// loop (switch tables, returns, bytecode interpreters) stays inside one module.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { LinuxProcess } from "../core/linux/process.ts";
import type { TranslationBlock } from "../core/tb.ts";
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

Deno.test("jit: a TB whose jump-cache slot a colliding TB took is re-published when JS enters it", async () => {
  // Lua's interpreter has more hot TBs than the jump cache has slots: without refilling the
  // cache on entry, regions exit to JS at every jump to a TB that lost its slot (one entry
  // per ~180 guest instructions here, against over 1,000 with the refill). With a 4096-entry
  // cache, collisions still sent a region exit per ~1,400 instructions; 32768 entries: ~3,800.
  const script = `local t, s = {}, 0
    for i = 1, 20000 do t[#t + 1] = string.format("%d", i * 7) end
    for _, v in ipairs(t) do s = s + #v + math.floor(math.sqrt(tonumber(v))) end
    print(s)`;
  let out = "";
  const p = await LinuxProcess.create({
    program: new URL("real/bin/lua", import.meta.url).pathname,
    args: ["-e", script],
    accel: "jit",
    stdout: (b) => out += new TextDecoder().decode(b),
  });
  assertEquals(p.runToExit(), 0);
  assertEquals(out, "5083165\n");
  const perEntry = p.cpu.icount / (p.cpu.backend as JitBackend).stats.regionCalls;
  assertEquals(perEntry > 3000, true, `${perEntry.toFixed(0)} guest instructions per region entry`);
});

Deno.test("jit: a TB that jumps to its own start charges each pass, and stops at exact budgets", () => {
  // one TB: its branch back is a wasm loop around the TB's code (region_tb.ts), not the dispatch
  const selfLoop = [A.addi(a0, a0, 3), A.addi(a1, a1, -1), A.bne(a1, 0, -8), A.ecall];
  const budgets = [5, 17, 100, 1001, 1_000_000];
  const stopsOn = (jit: boolean) => {
    const m = machine(selfLoop, "rv64", jit);
    m.cpu.setGlobal(a1, 5000n);
    const stops = budgets.map((b) => [m.cpu.run(b).reason, m.cpu.icount, m.cpu.pc]);
    return { stops, regs: [a0, a1].map((r) => m.cpu.getGlobal(r)) };
  };
  const jit = stopsOn(true);
  assertEquals(jit, stopsOn(false));
  assertEquals(jit.regs, [15000n, 0n]);
});

Deno.test("jit: an indirect jump to a target it took before stops at the interpreter's budgets", () => {
  // the jump compares its recorded targets inline (region_tb.ts) before the jump cache
  const budgets = [9, 100, 333, 1001, 1_000_000];
  const stopsOn = (jit: boolean) => {
    const m = machine(dispatch, "rv64", jit);
    if (jit) (m.cpu.backend as JitBackend).hotThreshold = 8;
    m.cpu.setGlobal(a1, 1000n);
    m.cpu.setGlobal(a2, CODE + 20n);
    const stops = budgets.map((b) => [m.cpu.run(b).reason, m.cpu.icount, m.cpu.pc]);
    return { stops, regs: [a0, a1, t1].map((r) => m.cpu.getGlobal(r)) };
  };
  const jit = stopsOn(true);
  assertEquals(jit, stopsOn(false));
  assertEquals(jit.regs[0], 1500n);
});

// Two loops of several TBs, one inside the other. The region starts at the inner loop (+4): its
// back edge +20 -> +4 and the outer loop's jumps from +0 back into the middle (+16, +20) go to
// earlier TBs of the region through its dispatch (next = TB, br_table).
const nestedLoops = [
  A.addi(a2, 0, 3), //   0: outer: three inner passes
  A.addi(a0, a0, 1), //  4: inner head
  andi(t1, a0, 1), //    8
  A.beq(t1, 0, 8), //   12: -> 20
  A.addi(a0, a0, 2), // 16
  A.addi(a2, a2, -1), // 20
  A.bne(a2, 0, -20), // 24: -> 4
  A.addi(a1, a1, -1), // 28
  A.bne(a1, 0, -32), // 32: -> 0
  A.ecall, //           36
];

Deno.test("jit: loops of several TBs in a region stop at the interpreter's budgets", () => {
  // a back edge that skipped the budget check, or went to the wrong TB, moves a stop or a register
  const budgets = [7, 13, 29, 100, 257, 1001, 5003, 1_000_000];
  const stopsOn = (jit: boolean) => {
    const m = machine(nestedLoops, "rv64", jit);
    if (jit) (m.cpu.backend as JitBackend).hotThreshold = 8;
    m.cpu.setGlobal(a1, 2000n);
    const stops = budgets.map((b) => [m.cpu.run(b).reason, m.cpu.icount, m.cpu.pc]);
    const region = jit ? regionOf(m.cpu.backend as JitBackend, m.cpu.tbs.peek(CODE + 4n)!) : [];
    return { stops, regs: [a0, a1, a2, t1].map((r) => m.cpu.getGlobal(r)), region };
  };
  const jit = stopsOn(true), interp = stopsOn(false);
  assertEquals(jit.stops, interp.stops);
  assertEquals(jit.regs, interp.regs);
  assertEquals(jit.regs[1], 0n);
  assertEquals(jit.region, [4n, 16n, 20n, 28n, 0n]);
});
