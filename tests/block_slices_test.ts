// A run cut into slices (instruction budgets that end inside blocks) looks to
// every hook like one uninterrupted run: same block entries, same sizes.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";

const PROGRAM = "tests/guests/bin/hello.static.O2";

/** Block entries (pc:size), instruction count and memory accesses seen by hooks, budget by budget. */
async function observe(accel: "jit" | "interp", budgets: number[]) {
  const m = await createMachine({ program: PROGRAM, accel });
  const blocks: string[] = [];
  let insns = 0, accesses = 0;
  m.hooks.addBlockHook((_v, pc, size) => blocks.push(`${pc.toString(16)}:${size}`), {
    regs: "none",
  });
  m.hooks.addInsnHook(() => insns++, { regs: "none" });
  m.hooks.addMemHook(() => accesses++, { regs: "none" });
  const sb = m.hooks.scoreboard();
  m.hooks.onTranslate((tb) => tb.inlineAdd(sb, 1n));
  for (let i = 0;; i++) {
    let exited = false;
    const budget = budgets.length ? budgets[i % budgets.length] : undefined;
    for await (const ev of m.run({ budget })) if (ev.type === "exit") exited = true;
    if (exited) break;
  }
  return { blocks, insns, accesses, tbEntries: sb.get(), stdout: m.stdout };
}

for (const accel of ["interp", "jit"] as const) {
  Deno.test(`${accel}: budgets that end inside blocks are invisible to hooks`, async () => {
    const whole = await observe(accel, []);
    for (const budgets of [[7], [1], [3, 1000, 5, 77], [4097]]) {
      const sliced = await observe(accel, budgets);
      assertEquals(sliced, whole, `budgets ${budgets}`);
    }
  });
}
