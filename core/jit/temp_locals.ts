/**
 * Packs a TB's IR temps into a few reusable wasm locals.
 *
 * The IR takes a fresh temp for every value, so a TB of 30 instructions
 * names a hundred or more of them, while only a handful are live at once.
 * Giving each its own wasm local made V8 carry every one of them through
 * the region's dispatch loop and through every merge: its optimising tier
 * spent more CPU compiling regions than the guest spent running them. A temp
 * here lives from its first to its last mention in op order; control flow
 * inside a TB only jumps forward, so no path reads a temp outside that span.
 *
 * @module
 */

import { type IrOp, Op, visitOperands } from "../ir.ts";

/** Where each temp of a TB lives: `local[t - numGlobals]` is its slot in the pool. */
export interface TempSlots {
  /** pool slot of each temp (index `t - numGlobals`), -1 if the TB never names it */
  slot: Int32Array;
  /** pool slots the TB needs */
  size: number;
}

/**
 * Assigns the temps of `ops` (those at or above `numGlobals`) to pool slots,
 * reusing a slot once its temp is dead. A temp keeps its slot from its first
 * mention to its last, and an op's result never shares a slot with one of
 * its own sources.
 *
 * @example
 * ```ts
 * import { Op } from "../ir.ts";
 * import { IrBuilder } from "../ir_builder.ts";
 * import { packTemps } from "./temp_locals.ts";
 * const b = new IrBuilder(2);
 * const t1 = b.temp(), t2 = b.temp(), t3 = b.temp();
 * b.binop(Op.ADD, t1, 0, 1);
 * b.binop(Op.ADD, t2, t1, 1); // t1 dies here
 * b.binop(Op.ADD, t3, t2, t2); // t2 dies here; t3 takes t1's slot
 * const { size } = packTemps(b.ops, 2, b.finish().numTemps);
 * console.log(size); // 2
 * ```
 */
export function packTemps(ops: readonly IrOp[], numGlobals: number, numTemps: number): TempSlots {
  const n = Math.max(0, numTemps - numGlobals);
  const first = new Int32Array(n).fill(-1), last = new Int32Array(n);
  let at = 0;
  const mention = (t: number) => {
    if (t < numGlobals) return;
    const k = t - numGlobals;
    if (first[k] < 0) first[k] = at;
    last[k] = at;
  };
  for (; at < ops.length; at++) mention(visitOperands(ops[at], mention));
  // Temps by the op that mentions them first, and by the op that mentions them
  // last: linked lists in increasing order (no array per op).
  const startHead = new Int32Array(ops.length).fill(-1), endHead = startHead.slice();
  const nextStart = new Int32Array(n), nextEnd = new Int32Array(n);
  for (let k = n - 1; k >= 0; k--) {
    if (first[k] < 0) continue;
    nextStart[k] = startHead[first[k]];
    startHead[first[k]] = k;
    nextEnd[k] = endHead[last[k]];
    endHead[last[k]] = k;
  }
  const slot = new Int32Array(n).fill(-1);
  const free: number[] = [];
  let size = 0;
  for (let i = 0; i < ops.length; i++) {
    for (let k = startHead[i]; k >= 0; k = nextStart[k]) slot[k] = free.pop() ?? size++;
    for (let k = endHead[i]; k >= 0; k = nextEnd[k]) free.push(slot[k]);
  }
  return { slot, size };
}

/**
 * The temps of `ops` (at or above `numGlobals`) written exactly once, by a
 * `MOVI`, with their value: code can use the constant wherever they are read.
 *
 * @example
 * ```ts
 * import { IrBuilder } from "../ir_builder.ts";
 * import { constantTemps } from "./temp_locals.ts";
 * const b = new IrBuilder(2);
 * const t = b.temp();
 * b.movi(t, 7n);
 * console.log(constantTemps(b.ops, 2)); // Map(1) { 2 => 7n }
 * ```
 */
export function constantTemps(ops: readonly IrOp[], numGlobals: number): Map<number, bigint> {
  const value = new Map<number, bigint>(), writtenTwice = new Set<number>();
  for (const o of ops) {
    const w = visitOperands(o, () => {});
    if (w < numGlobals) continue;
    if (value.has(w) || o.op !== Op.MOVI) writtenTwice.add(w);
    else value.set(w, o.imm);
  }
  for (const t of writtenTwice) value.delete(t);
  return value;
}
