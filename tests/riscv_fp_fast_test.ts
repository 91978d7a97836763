// The binary64 fast paths (IR float ops + exact inexact checks, comparisons,
// conversions from integers) against the softfloat helpers they short-cut, on
// both backends, over random and edge operands and both static RNE and dynamic
// rounding.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import {
  fadd,
  fcvtFromInt,
  fdiv,
  feq,
  fle,
  type FloatEnv,
  flt,
  fmul,
  fmuladd,
  fsqrt,
  fsub,
} from "../plugin.ts";
import { A, CODE, machine } from "./riscv/asm.ts";

const F = (n: number) => 32 + n;
const FCSR = 520;
const NEG_ZERO = 1n << 63n;

/** A deterministic mix of doubles: small integers, halves, random bits, edges. */
function operands(seed: number, count: number): bigint[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) >>> 0);
  const edges = [
    0n,
    1n << 63n,
    0x7ff0000000000000n,
    0x7ff8000000000000n,
    0x0000000000000001n,
    0x0010000000000000n,
    0x7fefffffffffffffn,
    0x3ff0000000000000n,
    0x3ff0000000000001n,
    0x4340000000000000n,
    0x3ca0000000000000n,
    0x1000000000000000n,
    0x7e00000000000000n,
    (1n << 53n) - 1n,
    1n << 53n,
    -(1n << 53n),
    (1n << 53n) + 1n,
  ];
  const f64 = new Float64Array(1), bits = new BigUint64Array(f64.buffer);
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const k = next() % 5;
    if (k === 0) out.push(edges[next() % edges.length]);
    else if (k === 1) {
      f64[0] = ((next() % 41) - 20) * (next() % 2 ? 0.5 : 1);
      out.push(next() % 4 ? bits[0] : BigInt(next() % 2000) - 1000n);
    } else if (k === 2) out.push((BigInt(next()) << 32n) | BigInt(next()));
    else {
      f64[0] = (next() / 4294967296 - 0.5) * 2 ** ((next() % 80) - 40);
      out.push(bits[0]);
    }
  }
  return out.map((v) => BigInt.asUintN(64, v));
}

interface Case {
  name: string;
  /** the result goes to x3 (else f3), the first operand comes from x1 (else f1) */
  intResult?: boolean;
  intSource?: boolean;
  insn: (rm: number) => number;
  ref: (a: bigint, b: bigint, c: bigint, env: FloatEnv) => bigint;
}

const CASES: Case[] = [
  {
    name: "fadd.d",
    insn: (rm) => A.fp(0x01, rm, 3, 1, 2),
    ref: (a, b, _c, e) => fadd("f64", a, b, e),
  },
  {
    name: "fsub.d",
    insn: (rm) => A.fp(0x05, rm, 3, 1, 2),
    ref: (a, b, _c, e) => fsub("f64", a, b, e),
  },
  {
    name: "fmul.d",
    insn: (rm) => A.fp(0x09, rm, 3, 1, 2),
    ref: (a, b, _c, e) => fmul("f64", a, b, e),
  },
  {
    name: "fdiv.d",
    insn: (rm) => A.fp(0x0d, rm, 3, 1, 2),
    ref: (a, b, _c, e) => fdiv("f64", a, b, e),
  },
  {
    name: "fsqrt.d",
    insn: (rm) => A.fp(0x2d, rm, 3, 1, 0),
    ref: (a, _b, _c, e) => fsqrt("f64", a, e),
  },
  {
    name: "fmadd.d",
    insn: (rm) => A.fmadd(1, rm, 3, 1, 2, 4),
    ref: (a, b, c, e) => fmuladd("f64", a, b, c, e, false, false),
  },
  {
    name: "fnmsub.d",
    insn: (rm) => ((A.fmadd(1, rm, 3, 1, 2, 4) & ~0x7f) | 0x4b) >>> 0,
    ref: (a, b, c, e) => fmuladd("f64", a, b, c, e, true, false),
  },
  ...(["fle", "flt", "feq"] as const).map((name, f3): Case => ({
    name: `${name}.d`,
    intResult: true,
    insn: () => A.fp(0x51, f3, 3, 1, 2),
    ref: (a, b, _c, e) => ({ feq, flt, fle })[name]("f64", a, b, e),
  })),
  ...([["l", 2, true], ["lu", 3, false]] as const).map(([kind, rs2, signed]): Case => ({
    name: `fcvt.d.${kind}`,
    intSource: true,
    insn: (rm) => A.fp(0x69, rm, 3, 1, rs2),
    ref: (a, _b, _c, e) => fcvtFromInt("f64", BigInt.asUintN(64, a), 64, signed, e),
  })),
];

for (const jit of [false, true]) {
  for (const c of CASES) {
    Deno.test(`riscv fp fast path (${jit ? "jit" : "interp"}): ${c.name} equals softfloat`, () => {
      const m = machine([c.insn(0), c.insn(7), A.ecall], "rv64", jit);
      const zeros = [0n, NEG_ZERO, 0n, NEG_ZERO, 0n, 0n, NEG_ZERO, NEG_ZERO, 0n];
      const vals = [...zeros, ...operands(c.name.length * 977 + (jit ? 1 : 0), 3 * 600)];
      let fast = 0;
      for (let i = 0; i + 2 < vals.length; i += 3) {
        const [a, b, x] = [vals[i], vals[i + 1], vals[i + 2]];
        m.cpu.setGlobal(c.intSource ? 1 : F(1), a);
        m.cpu.setGlobal(F(2), b);
        m.cpu.setGlobal(F(4), x);
        m.cpu.setState(FCSR, 0n);
        m.cpu.pc = CODE;
        const exit = m.cpu.run(3);
        assert.equal(exit.reason, "trap");
        // both the static-RNE and the dynamic (frm = RNE) instruction ran
        const env = { rm: 0, flags: 0 };
        const want = c.ref(a, b, x, env);
        const got = BigInt.asUintN(64, m.cpu.getGlobal(c.intResult ? 3 : F(3)));
        const flags = Number(m.cpu.getState(FCSR) & 0x1fn);
        const tag = `${c.name}(${a.toString(16)}, ${b.toString(16)}, ${x.toString(16)})`;
        assert.equal(got.toString(16), want.toString(16), tag);
        assert.equal(flags, env.flags, `${tag} flags`);
        if (env.flags <= 1) fast++;
      }
      assert(fast > 200, `too few ordinary cases (${fast})`);
    });
  }
}
