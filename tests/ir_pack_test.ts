// The packed IR that TBs keep (core/ir_pack.ts): every op comes back from the packed form
// field by field as the builder made it, and the interpreter's facts (label positions, the
// globals a block uses and writes) are right.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { InternalError } from "../core/errors.ts";
import { Cond, type IrOp, Op, TrapKind } from "../core/ir.ts";
import { IrBuilder, type IrEmitter } from "../core/ir_builder.ts";
import { foldConstants } from "../core/ir_fold.ts";
import {
  gotoTargets,
  lastOp,
  packBuilt,
  PackedBuilder,
  packIr,
  START_STRIDE,
  unpackIr,
} from "../core/ir_pack.ts";

const G = 8;

/** A block that uses every builder method, with extreme immediates and pcs, emitted into `b`. */
function everyOp<B extends IrEmitter>(b: B): B {
  const t = b.temp(), u = b.temp(), skip = b.label(), back = b.label();
  b.insnStart(0xffff_ffff_8000_0000n, 0);
  b.movi(t, -(1n << 63n));
  b.movi(u, (1n << 63n) + 5n); // taken modulo 2^64, signed
  // either side of what an op's word holds (larger values are kept as 64-bit words)
  for (const v of [2n ** 31n - 1n, -(2n ** 31n), 2n ** 31n, -(2n ** 31n) - 1n]) b.movi(t, v);
  b.binop(Op.ADD, 1, 2, t);
  b.binop(Op.EXT32S, 3, 1);
  b.setcond(Cond.GTU, u, 1, 2);
  b.movcond(Cond.LE, 4, 1, 2, t, u);
  b.setLabel(back);
  b.brcond(Cond.LTU, 1, 2, skip);
  b.load(5, 1, -8n, 4, true);
  b.store(1, 2047n, 5, 2);
  b.loadHost(t, 0x40);
  b.storeHost(0x48, t);
  b.counterAdd(0x100, -3n);
  b.counterInc8(0x200, u);
  b.trace(7);
  b.call(u, 3, [1, 2, t]);
  b.call(-1, 4, []);
  b.vdup(0x300, t, 4);
  b.vld(0x310, 1, 16n, 8);
  b.vbinop(Op.VSHL, 0x300, 0x310, t, 2);
  b.vmask(0x320, 0x330, 8, 1);
  b.vst(1, -16n, 0x300, 8);
  b.insnStart(0xffff_ffff_ffff_fffen, 1);
  b.br(back);
  b.setLabel(skip);
  b.raise(TrapKind.ILLEGAL, 2, -1);
  b.gotoPtr(6);
  b.gotoTb(1n << 63n);
  return b;
}

Deno.test("packed IR: every op unpacks equal to the builder's, pcs and immediates above 2^63 included", () => {
  const block = everyOp(new IrBuilder(G)).finish();
  const packed = packIr(block, G);
  assertEquals(unpackIr(packed), block);
  assertEquals(lastOp(packed), Op.GOTO_TB);
  assertEquals(gotoTargets(packed), [1n << 63n]);
});

Deno.test("packed IR: label positions, instruction boundaries, and the globals a block uses and writes, in order", () => {
  const block = everyOp(new IrBuilder(G)).finish();
  const p = packIr(block, G);
  const words = (from: number, n: number) => [...p.code.subarray(from, from + n)];
  // positions count the ops that are not instruction boundaries (those are on the side)
  const ops = block.ops.filter((o) => o.op !== Op.INSN_START);
  const at = (op: number, label: number) => ops.findIndex((o) => o.op === op && o.label === label);
  assertEquals(words(p.labels, p.numLabels), [at(Op.LABEL, 0), at(Op.LABEL, 1)]);
  assertEquals(p.numOps, ops.length);
  const brBack = ops.findIndex((o) => o.op === Op.BR);
  const starts = words(p.starts, START_STRIDE * p.numStarts);
  assertEquals(starts.filter((_, k) => k % START_STRIDE === 0), [0, brBack]);
  assertEquals(words(p.used, p.numUsed), [1, 2, 3, 4, 5, 6]);
  assertEquals(words(p.used + p.numUsed, p.numWritten), [1, 3, 4, 5]);
});

Deno.test("packed IR: a value outside 64 bits is an internal error, not a silent wrap", () => {
  const b = new IrBuilder(G);
  b.gotoTb(0n);
  const block = b.finish();
  block.ops[0].pc = 1n << 64n;
  assertThrows(() => packIr(block, G), InternalError);
  assertEquals(lastOp(packIr(new IrBuilder(G).finish(), G)), -1);
});

Deno.test("packed IR: the packing builder's words are the packed form of the op objects", () => {
  const b = everyOp(new PackedBuilder(G));
  const packed = packBuilt(b, G);
  assertEquals(b.finish(), everyOp(new IrBuilder(G)).finish());
  b.release();
  assertEquals(unpackIr(packed), everyOp(new IrBuilder(G)).finish());
  assertThrows(() => b.finish(), InternalError); // its arrays went to the next builder
});

Deno.test("packed IR: folding on words folds chains and drops chains of dead temps", () => {
  const b = new PackedBuilder(G);
  const [x, y, z, dead1, dead2] = [b.temp(), b.temp(), b.temp(), b.temp(), b.temp()];
  b.movi(x, 6n);
  b.movi(y, 7n);
  b.binop(Op.MUL, z, x, y);
  b.binop(Op.ADD, 1, z, 2); // global 1 = 42 + x2: kept, z known
  b.binop(Op.SUB, dead1, 3, 4);
  b.binop(Op.XOR, dead2, dead1, 5); // read by nobody: both go
  b.binop(Op.SHL, 6, z, y); // global 6 = 42 << 7, folded
  b.gotoTb(0x40n);
  foldConstants(b, G);
  const { ops } = b.finish();
  b.release();
  assertEquals(ops.map((o) => [o.op, o.d, o.imm]), [
    [Op.MOVI, z, 42n],
    [Op.ADD, 1, 0n],
    [Op.MOVI, 6, 42n << 7n],
    [Op.GOTO_TB, 0, 0n],
  ]);
});

Deno.test("packed IR: a field the packed form cannot hold is an internal error", () => {
  const base = (() => {
    const b = new IrBuilder(G);
    b.binop(Op.ADD, 1, 2, 3);
    return b.finish().ops[0];
  })();
  const bad: Partial<IrOp>[] = [
    { label: 1 }, // an ADD has no label
    { pc: 4n }, // nor a pc
    { op: Op.BR, label: 1, c: 2 },
    { op: Op.GOTO_TB, imm: 1n, pc: 8n },
    { op: Op.COUNTER_ADD, imm: 1n << 32n, pc: 1n }, // host addresses are below 2^32
    { size: 1 << 15 },
    { e: 1, imm: 5n }, // an immediate takes the word of `e`
  ];
  for (const o of bad) {
    const block = { ops: [{ ...base, ...o }], numTemps: G, numLabels: 2 };
    assertThrows(() => packIr(block, G), InternalError, JSON.stringify(o, (_, v) => `${v}`));
  }
});
