/**
 * Vector accesses as memory hooks see them: before instrumentation, each
 * `VLD`/`VST` of an instruction with memory hooks becomes one scalar
 * `LOAD`/`STORE` per element (the op's `size`), in element order, so that
 * callbacks see the same accesses as when the instruction's helper runs:
 * loads gather their elements into 8-byte words for `STORE_HOST`, stores
 * split the slot's words with `LOAD_HOST` and shifts.
 *
 * @module
 */

import { type IrBlock, type IrOp, Op } from "../ir.ts";
import { IrBuilder } from "../ir_builder.ts";

/** Zero-extension by element size in bytes (8 needs none). */
const EXTEND: Record<number, Op> = { 1: Op.EXT8U, 2: Op.EXT16U, 4: Op.EXT32U };

/** Emits the element accesses of `VLD` or `VST` `o` into `b`. */
function expand(b: IrBuilder, o: IrOp): void {
  const size = o.size, perWord = 8 / size;
  // a fresh constant each time: the builder's cache does not see the labels copied around it
  const shift = (e: number) => {
    const t = b.temp();
    b.movi(t, BigInt(8 * size * e));
    return t;
  };
  for (let word = 0; word < 2; word++) {
    const at = o.imm + BigInt(8 * word);
    if (o.op === Op.VLD) {
      const acc = b.temp();
      for (let e = 0; e < perWord; e++) {
        const t = e === 0 ? acc : b.temp();
        b.load(t, o.a, at + BigInt(e * size), size, false);
        if (e === 0) continue;
        b.binop(Op.SHL, t, t, shift(e));
        b.binop(Op.OR, acc, acc, t);
      }
      b.storeHost(o.d + 8 * word, acc);
      continue;
    }
    const w = b.temp();
    b.loadHost(w, o.b + 8 * word);
    for (let e = 0; e < perWord; e++) {
      const t = b.temp();
      b.binop(Op.SHR, t, w, shift(e));
      if (size < 8) b.binop(EXTEND[size], t, t);
      b.store(o.a, at + BigInt(e * size), t, size);
    }
  }
}

/**
 * Rewrites in `block` the `VLD`/`VST` ops of the instructions `hooked`
 * names (by index in the TB) into element accesses.
 *
 * @example
 * ```ts ignore
 * expandVectorAccesses(tb.ir, (insn) => plan.mem.has(insn), numGlobals);
 * ```
 */
export function expandVectorAccesses(
  block: IrBlock,
  hooked: (insn: number) => boolean,
  numGlobals: number,
): void {
  let insn = -1;
  const needed = block.ops.some((o) => {
    if (o.op === Op.INSN_START) insn = o.size;
    return (o.op === Op.VLD || o.op === Op.VST) && hooked(insn);
  });
  if (!needed) return;
  const b = new IrBuilder(numGlobals, block.numTemps, block.numLabels);
  insn = -1;
  for (const o of block.ops) {
    if (o.op === Op.INSN_START) insn = o.size;
    if ((o.op === Op.VLD || o.op === Op.VST) && hooked(insn)) expand(b, o);
    else b.ops.push(o);
  }
  const out = b.finish();
  block.ops = out.ops;
  block.numTemps = out.numTemps;
}
