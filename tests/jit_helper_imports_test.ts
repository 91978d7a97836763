// Which helper imports a region declares: one per helper, and for helpers that can be bound
// (regs-none instrumentation callbacks) one per constant argument list, taking no arguments.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type HelperDef, Op } from "../core/ir.ts";
import { IrBuilder } from "../core/ir_builder.ts";
import { constantTemps } from "../core/jit/temp_locals.ts";
import { HelperImports, NUM_FIXED_IMPORTS } from "../core/jit/region_imports.ts";

const plain: HelperDef = { name: "plain", fn: () => {}, hasResult: false, smallArgs: true };
const hook: HelperDef = {
  ...plain,
  name: "hook",
  flags: { mayExit: true },
  bind: (id) => () => void id,
};

Deno.test("jit: a bindable helper gets one import per constant argument list", () => {
  const b = new IrBuilder(4);
  b.insnStart(0x1000n, 0);
  b.call(-1, 1, [b.constant(7n)]);
  b.call(-1, 1, [b.constant(3n)]);
  b.call(-1, 1, [b.constant(7n)]); // the same import again
  b.call(-1, 0, [b.constant(7n)]);
  const t = b.temp();
  b.binop(Op.ADD, t, 1, 2); // t is no constant: this call passes its argument
  b.call(-1, 1, [t]);
  const ops = b.finish().ops;
  const imports = new HelperImports([plain, hook], [ops], [constantTemps(ops, 4)]);
  assertEquals(imports.list.map((i) => [i.name, i.arity, i.bound]), [
    ["h0", 1, undefined],
    ["b1_3", 0, [3]],
    ["b1_7", 0, [7]],
    ["h1", 1, undefined],
  ]);
  const calls = ops.filter((o) => o.op === Op.CALL);
  const consts = constantTemps(ops, 4);
  assertEquals(calls.map((o) => imports.of(o, consts)), [
    { fn: NUM_FIXED_IMPORTS + 2, bound: true },
    { fn: NUM_FIXED_IMPORTS + 1, bound: true },
    { fn: NUM_FIXED_IMPORTS + 2, bound: true },
    { fn: NUM_FIXED_IMPORTS, bound: false },
    { fn: NUM_FIXED_IMPORTS + 3, bound: false },
  ]);
  assertEquals(imports.specs().map((s) => s.params.length), [1, 0, 0, 1]);
});
