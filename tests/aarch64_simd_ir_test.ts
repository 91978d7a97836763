// The AdvSIMD integer operations that the aarch64 target writes as IR on the two 64-bit halves
// (targets/aarch64/simd_int_ir.ts) against qemu-aarch64: every element size, both Q, and every
// shift amount of the shifts by immediate, on random register values and random registers
// (the same register as source and destination too), on the interpreter, its tier and the JIT.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { compareWithQemu, randomProgram } from "./aarch64/random_programs.ts";
import { prng } from "./riscv/random_programs.ts";
import { installed } from "./util/installed.ts";
import { DIFFERENT, MISC, SAME, SHIFTS } from "../targets/aarch64/simd.decode.ts";

const f = (v: number, shift: number) => v * 2 ** shift;
/** The operations written as IR, by their decode-table names. */
const IR_SAME = ["add", "sub", "mul", "mla", "mls"];
const IR_DIFFERENT = ["smull", "umull", "smlal", "umlal"];
const IR_MISC = ["neg", "cmlt_z"];
const IR_SHIFTS = ["sshr", "ushr", "shl", "sshll", "ushll"];

/** Every encoding of the operations above, with registers from `rnd`. */
function instructions(rnd: (n: number) => number): number[] {
  const words: number[] = [];
  const regs = (m = true) => {
    const d = rnd(32), n = rnd(4) ? rnd(32) : d;
    return (m ? f(rnd(4) ? rnd(32) : d, 16) : 0) + f(n, 5) + d;
  };
  const sizes = (ok: number, q: number) =>
    [0, 1, 2, 3].filter((s) => (ok >> s) & 1 && (q || s < 3));
  for (const q of [0, 1]) {
    for (const [name, u, opc, ok] of SAME) {
      if (!IR_SAME.includes(name)) continue;
      for (const s of sizes(ok, q)) {
        words.push(f(q, 30) + f(u, 29) + 0x0e200400 + f(s, 22) + f(opc, 11) + regs());
      }
    }
    for (const [name, u, opc, ok] of DIFFERENT) {
      if (!IR_DIFFERENT.includes(name)) continue;
      for (const s of sizes(ok, 0)) {
        words.push(f(q, 30) + f(u, 29) + 0x0e200000 + f(s, 22) + f(opc, 12) + regs());
      }
    }
    for (const [name, u, opc, ok] of MISC) {
      if (!IR_MISC.includes(name)) continue;
      for (const s of sizes(ok, q)) {
        words.push(f(q, 30) + f(u, 29) + 0x0e200800 + f(s, 22) + f(opc, 12) + regs(false));
      }
    }
    for (const [name, u, opc, right, shape] of SHIFTS) {
      if (!IR_SHIFTS.includes(name)) continue;
      for (let size = 0; size < (shape === "long" ? 3 : q ? 4 : 3); size++) {
        const bits = 8 << size;
        for (let amount = right ? 1 : 0; amount < (right ? bits + 1 : bits); amount++) {
          const field = right ? 2 * bits - amount : bits + amount;
          words.push(f(q, 30) + f(u, 29) + 0x0f000400 + f(opc, 11) + f(field, 16) + regs(false));
        }
      }
    }
  }
  return words;
}

Deno.test({
  name:
    "aarch64 AdvSIMD integer operations in IR: interpreter, its tier, JIT and qemu-aarch64 agree",
  ignore: !installed("qemu-aarch64"),
  async fn() {
    const words = instructions(prng(2026));
    const dir = await Deno.makeTempDir({ prefix: "denemu-a64-simd-ir-" });
    try {
      const wrong: string[] = [];
      for (let at = 0, k = 0; at < words.length; at += 120, k++) {
        const path = `${dir}/prog${k}`;
        const body = words.slice(at, at + 120);
        await Deno.writeFile(path, randomProgram(k + 1, { length: 0, simd: true, body }), {
          mode: 0o755,
        });
        const failure = await compareWithQemu(path);
        if (failure) wrong.push(`program ${k}: ${failure}`);
      }
      assertEquals(wrong, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
