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

import { type Cond, Op, type Temp } from "./ir.ts";
import {
  condOf,
  OP_MASK,
  type PackedBuilder,
  STRIDE,
  visitPacked,
  W_A,
  W_B,
  W_D,
} from "./ir_pack.ts";
import { alu, compare } from "./interp_alu.ts";

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

/** The value of temp `t` if the MOVI `def[t]` of `b` defines it, else undefined. */
function known(b: PackedBuilder, def: Int32Array, t: Temp): bigint | undefined {
  return t >= 0 && def[t] >= 0 ? b.imm(def[t]) : undefined;
}

/** The value of pure op `op` of `b` over sources `ta`, `tb` of known values (`def`), or undefined. */
function evaluate(
  b: PackedBuilder,
  def: Int32Array,
  op: number,
  cond: Cond,
  ta: Temp,
  tb: Temp,
): bigint | undefined {
  if (!(ta >= 0 && def[ta] >= 0)) return undefined;
  const unary = op === Op.MOV || (op >= Op.EXT8S && op <= Op.EXT32U);
  if (!unary && !(tb >= 0 && def[tb] >= 0)) return undefined;
  const a = known(b, def, ta)!;
  if (unary) return op === Op.MOV ? a : alu(op as Op, a, 0n);
  const bv = known(b, def, tb)!;
  if (op === Op.SETCOND) return compare(cond, a, bv) ? 1n : 0n;
  return alu(op as Op, a, bv);
}

/**
 * Counts per temp, zeroed, and the op defining each known temp: what
 * `foldConstants` and `removeDeadTemps` use. Shared, because a typed array of
 * a block's own (past 64 bytes) is an allocation outside the heap that cost
 * more than the folding.
 */
let scratch = new Uint16Array(1024);
let defScratch = new Int32Array(1024);

function counts(numTemps: number): Uint16Array {
  if (scratch.length < numTemps) scratch = new Uint16Array(numTemps);
  return scratch.fill(0, 0, numTemps);
}

// The operand visitors, made once (closures per block were most of what folding allocated):
// they count in `scratch`.
const ignore = () => {};
const countRead = (t: Temp) => {
  if (t >= 0) scratch[t]++;
};
const uncountRead = (t: Temp) => {
  if (t >= 0) scratch[t]--;
};

/**
 * Folds constants in the ops of `b` and drops pure ops whose temp result is
 * never read. Globals below `numGlobals` are never removed or assumed constant.
 *
 * @example
 * ```ts
 * import { Op } from "./ir.ts";
 * import { PackedBuilder } from "./ir_pack.ts";
 * import { foldConstants } from "./ir_fold.ts";
 * const b = new PackedBuilder(2);
 * const zero = b.temp(), one = b.temp();
 * b.movi(zero, 0n);
 * b.movi(one, 1n);
 * b.binop(Op.ADD, 1, zero, one); // global 1 = 0 + 1
 * foldConstants(b, 2);
 * const { ops } = b.finish();
 * b.release();
 * console.log(ops.length, ops[0].op === Op.MOVI, ops[0].imm); // 1 true 1n
 * ```
 */
export function foldConstants(b: PackedBuilder, numGlobals: number): void {
  const code = b.code, args = b.args, end = b.numOps * STRIDE;
  const writes = counts(b.numTemps);
  for (let at = 0; at < end; at += STRIDE) {
    const w = visitPacked(code, at, args, ignore);
    if (w >= 0) writes[w]++;
  }
  if (defScratch.length < b.numTemps) defScratch = new Int32Array(b.numTemps);
  // the MOVI that defines each temp of known value (-1: none)
  const def = defScratch.fill(-1, 0, b.numTemps);
  for (let i = 0, at = 0; at < end; i++, at += STRIDE) {
    const w = code[at];
    let op = w & OP_MASK;
    if (op !== Op.MOVI && isFoldable(op)) {
      const v = evaluate(b, def, op, condOf(w), code[at + W_A], code[at + W_B]);
      if (v !== undefined) {
        b.setMovi(i, v);
        op = Op.MOVI;
      }
    }
    const d = code[at + W_D];
    if (op === Op.MOVI && d >= numGlobals && writes[d] === 1) def[d] = i;
  }
  removeDeadTemps(b, numGlobals);
}

/** Drops pure ops whose result is a temp nobody reads, until none is left. */
function removeDeadTemps(b: PackedBuilder, numGlobals: number): void {
  const code = b.code, args = b.args, reads = counts(b.numTemps);
  for (let at = 0; at < b.numOps * STRIDE; at += STRIDE) visitPacked(code, at, args, countRead);
  // Backwards, a dropped op's sources are mostly defined before it: one pass usually does.
  for (let changed = true; changed;) {
    changed = false;
    for (let i = b.numOps - 1; i >= 0; i--) {
      const at = i * STRIDE, d = code[at + W_D];
      if (!isPure(code[at] & OP_MASK) || d < numGlobals || reads[d] !== 0) continue;
      visitPacked(code, at, args, uncountRead);
      b.kill(i);
      changed = true;
    }
  }
}
