/**
 * Jump-table dispatch seen in a block's IR, for comparison feedback. A dense
 * `switch (x)` compiles to `i = x - first; if (i >u last - first) goto
 * default; goto *table[i]`: the only comparison holds `i` and the bound,
 * never a case value, so input-to-state replacement cannot reach a case
 * (libFuzzer gets the cases from `__sanitizer_cov_trace_switch`; AFL++'s
 * LLVM mode splits switches into compare chains at compile time). Here the
 * block's IR is followed from `x` to the bounds check (`x + K`, also after
 * 32-bit arithmetic and zero extension), and the check is reported as the
 * compare chain it stands for: `x` (recomputed from the checked value, as
 * `x` itself is often overwritten by then) against each case value `i - K`.
 *
 * @module
 */

import { Cond, type IrBlock, Op, type Temp, visitOperands } from "../ir.ts";
import { evaluate } from "./ir_constants.ts";

/** Most cases reported per bounds check (the first ones). */
const MAX_CASES = 32;

/**
 * A bounds check of a jump table before op `at`: temp `checked` holds
 * `x + offset` wrapped to `width` bits, and `x` selects among `values`.
 */
export interface SwitchCheck {
  at: number;
  checked: Temp;
  offset: bigint;
  width: number;
  values: bigint[];
}

/** `x + offset`, wrapped to `width` bits; `shifted` bits left to undo by a right shift. */
interface Affine {
  offset: bigint;
  width: number;
  shifted: number;
}

const BOUND_CONDS = new Set<number>([Cond.LTU, Cond.GEU, Cond.LEU, Cond.GTU]);
const EXTENSION_WIDTH: Record<number, number> = {
  [Op.EXT32S]: 32,
  [Op.EXT32U]: 32,
  [Op.EXT16U]: 16,
  [Op.EXT8U]: 8,
};

/** The affine value `o` writes, given what is known of its operands. */
function affineOf(
  o: { op: number; a: Temp; b: Temp },
  known: Map<Temp, bigint>,
  affine: Map<Temp, Affine>,
): Affine | undefined {
  const base = (t: Temp): Affine => affine.get(t) ?? { offset: 0n, width: 64, shifted: 0 };
  const ka = known.get(o.a), kb = known.get(o.b);
  switch (o.op) {
    case Op.MOV:
      return affine.get(o.a);
    case Op.ADD:
    case Op.ADD32:
    case Op.SUB:
    case Op.SUB32: {
      const sub = o.op === Op.SUB || o.op === Op.SUB32;
      const [t, k] = kb !== undefined
        ? [o.a, sub ? -kb : kb]
        : !sub && ka !== undefined
        ? [o.b, ka]
        : [-1, 0n];
      if (t < 0 || known.has(t)) return undefined;
      const v = base(t);
      if (v.shifted) return undefined;
      const width = o.op === Op.ADD32 || o.op === Op.SUB32 ? Math.min(v.width, 32) : v.width;
      return { ...v, offset: v.offset + k, width };
    }
    case Op.SHL:
      return kb !== undefined && affine.has(o.a)
        ? { ...base(o.a), shifted: Number(kb & 63n) }
        : undefined;
    case Op.SHR: {
      const v = affine.get(o.a);
      if (!v || kb === undefined || Number(kb & 63n) !== v.shifted) return undefined;
      return { ...v, width: Math.min(v.width, 64 - v.shifted), shifted: 0 };
    }
    default: {
      const w = EXTENSION_WIDTH[o.op];
      const v = affine.get(o.a);
      return w && v && !v.shifted ? { ...v, width: Math.min(v.width, w) } : undefined;
    }
  }
}

/**
 * The jump-table bounds checks of `ir`.
 *
 * @example
 * ```ts ignore
 * for (const s of switchChecks(ir)) console.log(`before op ${s.at}: x in`, s.values);
 * ```
 */
export function switchChecks(ir: IrBlock): SwitchCheck[] {
  const known = new Map<Temp, bigint>(), affine = new Map<Temp, Affine>();
  const out: SwitchCheck[] = [];
  ir.ops.forEach((o, at) => {
    if ((o.op === Op.BRCOND || o.op === Op.SETCOND) && BOUND_CONDS.has(o.cond)) {
      const checked = affine.has(o.a) ? o.a : o.b;
      const v = affine.get(checked), bound = known.get(checked === o.a ? o.b : o.a);
      if (v && !v.shifted && bound !== undefined && bound >= 0n) {
        const n = Math.min(MAX_CASES, Number(bound) + 1);
        const values = Array.from(
          { length: n },
          (_, i) => BigInt.asUintN(v.width, BigInt(i) - v.offset),
        );
        out.push({ at, checked, offset: v.offset, width: v.width, values });
      }
    }
    if (o.op === Op.LABEL || o.op === Op.CALL) {
      known.clear();
      affine.clear();
    }
    const d = visitOperands(o, () => {});
    if (d < 0) return;
    const value = evaluate(o, known),
      a = value === undefined ? affineOf(o, known, affine) : undefined;
    known.delete(d);
    affine.delete(d);
    if (value !== undefined) known.set(d, value);
    else if (a) affine.set(d, a);
  });
  return out;
}
