/**
 * Constant folding and dead-temp removal over a freshly translated block, as
 * TCG's optimizer does before code generation.
 *
 * Translators emit the obvious IR: reading RISC-V `x0` is a `MOVI 0`, `li`
 * is `0 + imm`, an immediate operand is a `MOVI` into a temp of its own. A
 * pure op whose sources are all known constants becomes a `MOVI` of its
 * value (computed by the reference interpreter's own ALU, so both backends
 * agree by construction), and a pure op whose temp result nobody reads is
 * dropped. Both backends then have fewer ops to run, to plan and to compile.
 *
 * Only temps (not globals) that are written once carry a known value: their
 * one definition comes before every read, since control flow inside a block
 * only jumps forward.
 *
 * @module
 */

import { type IrBlock, type IrOp, Op, visitOperands } from "./ir.ts";
import { alu, compare } from "./interp.ts";

/**
 * Ops without side effects: `MOV` and the ALU ops up to `MOVCOND`.
 *
 * @example
 * ```ts
 * import { isPure } from "./ir_fold.ts";
 * import { Op } from "./ir.ts";
 * console.log(isPure(Op.ADD), isPure(Op.STORE)); // true false
 * ```
 */
export function isPure(op: number): boolean {
  return op === Op.MOV || op === Op.MOVI || (op >= Op.ADD && op <= Op.MOVCOND);
}

/** Ops folded when their sources are constants (float ops are left to run on the host's FPU). */
function isFoldable(op: number): boolean {
  return op === Op.MOV || (op >= Op.ADD && op <= Op.SETCOND);
}

/** The value of pure op `o` over known source values, or undefined. */
function evaluate(o: IrOp, known: (t: number) => bigint | undefined): bigint | undefined {
  const a = known(o.a);
  if (a === undefined) return undefined;
  if (o.op === Op.MOV || (o.op >= Op.EXT8S && o.op <= Op.EXT32U)) {
    return o.op === Op.MOV ? a : alu(o.op, a, 0n);
  }
  const b = known(o.b);
  if (b === undefined) return undefined;
  if (o.op === Op.SETCOND) return compare(o.cond, a, b) ? 1n : 0n;
  return alu(o.op, a, b);
}

/**
 * A count per temp, zeroed: `foldConstants` and `removeDeadTemps` use one
 * after the other. Shared, because a typed array of a block's own (past 64
 * bytes) is an allocation outside the heap that cost more than the folding.
 */
let scratch = new Uint16Array(1024);

function counts(numTemps: number): Uint16Array {
  if (scratch.length < numTemps) scratch = new Uint16Array(numTemps);
  return scratch.fill(0, 0, numTemps);
}

/**
 * Folds constants in `block` and drops pure ops whose temp result is never
 * read. Globals below `numGlobals` are never removed or assumed constant.
 *
 * @example
 * ```ts
 * import { Op } from "./ir.ts";
 * import { IrBuilder } from "./ir_builder.ts";
 * import { foldConstants } from "./ir_fold.ts";
 * const b = new IrBuilder(2);
 * const zero = b.temp(), one = b.temp();
 * b.movi(zero, 0n);
 * b.movi(one, 1n);
 * b.binop(Op.ADD, 1, zero, one); // global 1 = 0 + 1
 * const block = b.finish();
 * foldConstants(block, 2);
 * console.log(block.ops.length, block.ops[0].op === Op.MOVI, block.ops[0].imm); // 1 true 1n
 * ```
 */
export function foldConstants(block: IrBlock, numGlobals: number): void {
  const writes = counts(block.numTemps);
  for (const o of block.ops) {
    const w = visitOperands(o, () => {});
    if (w >= 0) writes[w]++;
  }
  const value: (bigint | undefined)[] = [];
  const known = (t: number) => value[t];
  for (const o of block.ops) {
    if (o.op !== Op.MOVI && isFoldable(o.op)) {
      const v = evaluate(o, known);
      if (v !== undefined) {
        o.op = Op.MOVI;
        o.imm = v;
      }
    }
    if (o.op === Op.MOVI && o.d >= numGlobals && writes[o.d] === 1) value[o.d] = o.imm;
  }
  removeDeadTemps(block, numGlobals);
}

/** Drops pure ops whose result is a temp nobody reads, until none is left. */
function removeDeadTemps(block: IrBlock, numGlobals: number): void {
  const reads = counts(block.numTemps);
  for (const o of block.ops) visitOperands(o, (t) => t >= 0 && reads[t]++);
  let ops = block.ops;
  for (let changed = true; changed;) {
    changed = false;
    ops = ops.filter((o) => {
      if (!isPure(o.op) || o.d < numGlobals || reads[o.d] !== 0) return true;
      visitOperands(o, (t) => t >= 0 && reads[t]--);
      changed = true;
      return false;
    });
  }
  block.ops = ops;
}
