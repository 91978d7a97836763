// JIT correctness after flushes and code writes (issue 13): whatever sequence
// of `fence.i`, flushes, code writes and budget-shortened blocks a machine
// goes through, the JIT (every block compiled on its first run) must run the
// code that is in memory, as the interpreter does.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Hooks } from "../mod.ts";
import { Perm, TrapKind } from "../plugin.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { A, CODE, DATA, encode, i, machine, type TestMachine, X } from "./riscv/asm.ts";
import { FLUSH_REGS as REGS, flushProgram, prng, runSliced } from "./riscv/random_programs.ts";

const { a0, a1, a2, a3, a4, t0, t1, t2 } = X;

function compiledEveryRun(m: TestMachine, hotThreshold = 0): TestMachine {
  (m.cpu.backend as JitBackend).hotThreshold = hotThreshold;
  return m;
}

for (const jit of [false, true]) {
  const name = jit ? "jit" : "interp";

  Deno.test(`${name}: a loop that runs fence.i and then rewrites its code runs the new code`, () => {
    // The loop's region is compiled while T is valid; then fence.i runs
    // inside it, and a store rewrites T on the next trip round the loop.
    const T = CODE + 0x1000n;
    const loop = [
      A.addi(a1, a1, -1), //        0
      A.fenceI, //                  4
      A.jal(0, Number(T - CODE) - 8), // 8: -> T
      A.addi(t1, a1, -998), //     12: back from T
      i(1, t1, 3, t1, 0x13), //    16: t1 = (a1 == 998)
      A.op(1, 0, t1, t1, a4), //   20: t1 *= T - DATA
      A.op(0, 0, t2, a3, t1), //   24: t2 = a1 == 998 ? T : DATA
      A.store(2, a2, t2, 0), //    28: sw a2, 0(t2)
      A.bne(a1, 0, -32), //        32: -> 0
      A.ecall, //                  36
    ];
    const m = machine(loop, "rv64", jit);
    if (jit) compiledEveryRun(m);
    m.mem.writeBytes(T, encode([A.addi(a0, a0, 1), A.jal(0, Number(CODE - T) + 8)]), true);
    m.cpu.setGlobal(a1, 1000n);
    m.cpu.setGlobal(a2, BigInt(A.addi(a0, a0, 100)));
    m.cpu.setGlobal(a3, DATA);
    m.cpu.setGlobal(a4, T - DATA);
    assertEquals(m.cpu.run(1_000_000).reason, "trap");
    // two trips ran `addi a0, a0, 1`, the 998 after the rewrite `addi a0, a0, 100`
    assertEquals(m.cpu.getGlobal(a0), 2n + 998n * 100n);
  });

  Deno.test(`${name}: code written after a budget-shortened block runs as written`, () => {
    // A first program, run in slices so that its first block is translated
    // shortened, then a second one written over it that loops back into it.
    const first = [A.addi(a0, a0, 1), A.addi(a0, a0, 2), A.addi(a0, a0, 3), A.ecall];
    const second = [
      A.addi(t0, 0, 3), //    0: t0 = 3
      A.addi(a1, a1, 5), //   4: loop head, where the first program started
      A.addi(a1, a1, 7), //   8
      A.addi(t0, t0, -1), // 12
      A.bne(t0, 0, -12), //  16: -> 4
      A.ecall, //            20
    ];
    const m = machine([A.ecall], "rv64", jit);
    if (jit) compiledEveryRun(m);
    m.mem.writeBytes(CODE + 4n, encode(first), true);
    assertEquals(runSliced(m, CODE + 4n, [1, 10]), "trap 8 (0x0) at 0x10010");
    m.mem.writeBytes(CODE, encode(second), true); // as Machine.writeMemory does
    assertEquals(runSliced(m, CODE, [3, 20]), "trap 8 (0x0) at 0x10014");
    assertEquals([m.cpu.getGlobal(a0), m.cpu.getGlobal(a1)], [6n, 36n]);
  });
}

for (const jit of [false, true]) {
  Deno.test(`${jit ? "jit" : "interp"}: code on a page mapped after a fetch fault there runs`, () => {
    // A guest kernel maps the page in its fault handler and returns to the same pc, with no
    // TLB or instruction-cache flush (Linux at /init): the fault must not be remembered.
    const T = 0x40000n;
    const m = machine([A.jal(0, Number(T - CODE))], "rv64", jit);
    const first = m.cpu.run(1000);
    assertEquals(first.reason === "trap" && [first.trap.kind, m.cpu.pc], [TrapKind.MEMORY, T]);
    m.mem.map(T, 0x1000n, Perm.R | Perm.X);
    m.mem.writeBytes(T, encode([A.addi(a0, 0, 7), A.ecall]), true);
    const second = m.cpu.run(1000);
    assertEquals(second.reason === "trap" && second.trap.kind, TrapKind.SYSCALL);
    assertEquals(m.cpu.getGlobal(a0), 7n);
  });
}

for (const jit of [false, true]) {
  Deno.test(`${jit ? "jit" : "interp"}: block hooks keep firing across fence.i in a compiled loop`, () => {
    // The flush empties the hooks' callback table while the loop's region runs.
    const loop = [A.addi(a1, a1, -1), A.fenceI, A.addi(a0, a0, 1), A.bne(a1, 0, -12), A.ecall];
    const m = machine(loop, "rv64", jit);
    if (jit) compiledEveryRun(m);
    const runs = new Map<bigint, number>();
    new Hooks(m.cpu).onTranslate((tb) => {
      tb.onExec(() => runs.set(tb.pc, (runs.get(tb.pc) ?? 0) + 1), { regs: "none" });
    });
    m.cpu.setGlobal(a1, 100n);
    assertEquals(m.cpu.run(100_000).reason, "trap");
    assertEquals([m.cpu.getGlobal(a0), runs.get(CODE), runs.get(CODE + 8n)], [100n, 100, 100]);
  });
}

/**
 * Runs programs in turn on one machine, each written over the last at a
 * random offset, sometimes after a full flush, in random budget slices.
 */
function runSequence(seed: number, jit: boolean): string[] {
  const rnd = prng(seed);
  const m = machine([A.ecall], "rv64", jit);
  const threshold = [0, 0, 2][rnd(3)];
  if (jit) compiledEveryRun(m, threshold);
  const log: string[] = [];
  for (let round = 0; round < 6; round++) {
    const at = CODE + BigInt(4 * rnd(8));
    m.mem.writeBytes(at, encode(flushProgram(rnd)), true);
    if (rnd(4) === 0) m.cpu.tbs.flush();
    m.cpu.setGlobal(t0, 3n);
    const budgets = Array.from({ length: 8 }, () => 1 + rnd(30));
    const end = runSliced(m, at, budgets);
    log.push(`${end}: ${REGS.map((r) => m.cpu.getGlobal(r)).join(",")}`);
  }
  return log;
}

// JIT_FLUSH_SEED=N and JIT_FLUSH_COUNT=N explore other sequences (seed 24 found
// the budget-shortened block bug).
const SEED = Number(Deno.env.get("JIT_FLUSH_SEED") ?? 1);
const COUNT = Number(Deno.env.get("JIT_FLUSH_COUNT") ?? 30);

Deno.test("jit: random sequences of code writes, flushes and budget slices run as interpreted", () => {
  for (let seed = SEED; seed < SEED + COUNT; seed++) {
    assertEquals(runSequence(seed, true), runSequence(seed, false), `seed ${seed}`);
  }
});
