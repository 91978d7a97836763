/**
 * Translation of the crypto bit-manipulation subsets' own instructions
 * (the ones Zbb and Zbc share are translated there): Zbkb's packing
 * (`pack`, `packh`, `packw`), `brev8` and RV32's `zip`/`unzip`, and Zbkx's
 * crossbar permutations `xperm4`/`xperm8`. Packing is plain IR; the rest
 * calls the pure helpers of `bitmanip_helpers.ts`.
 *
 * @module
 */

import { Op } from "../../plugin_target.ts";
import { aluRegTrans, type AluSpec } from "./alu.ts";
import { imm, type TransTable } from "./context.ts";
import { bytewise } from "./trans_zbb.ts";

/** How `pack` joins halves: each operand's low `bits` (`ext`), the result sign-extended from the low word when `word`. */
interface Packing {
  ext: Op;
  bits: number;
  word: boolean;
}

const HALF_WORDS: Packing = { ext: Op.EXT16U, bits: 16, word: true };

/** `d = ext(b) << bits | ext(a)`; `packing` may depend on XLEN. */
function pack(packing: (xlen: number) => Packing): AluSpec {
  return {
    emit: (ctx, d, a, b) => {
      const { ir } = ctx;
      const { ext, bits, word } = packing(ctx.xlen);
      const lo = ir.temp(), hi = ir.temp(), t = ir.temp();
      ir.binop(ext, lo, a);
      ir.binop(ext, hi, b);
      ir.binop(Op.SHL, hi, hi, imm(ctx, bits));
      ir.binop(Op.OR, word ? t : d, hi, lo);
      if (word) ir.binop(Op.EXT32S, d, t);
    },
  };
}

/** xperm4 (`size` 4) or xperm8 (`size` 8) over XLEN bits. */
function xperm(size: number): AluSpec {
  return {
    emit: (ctx, d, a, b) =>
      ctx.ir.call(d, ctx.helpers.index("xperm"), [a, b, imm(ctx, size), imm(ctx, ctx.xlen)]),
  };
}

/**
 * The Zbkb and Zbkx translation functions of their own instructions.
 *
 * @example
 * ```ts
 * import { ZBK_TRANS } from "./trans_zbk.ts";
 * console.log(Object.keys(ZBK_TRANS).sort().join(" "));
 * // "brev8 pack packh packw unzip xperm4 xperm8 zip"
 * ```
 */
export const ZBK_TRANS: TransTable = aluRegTrans({
  pack: pack((xlen) => xlen === 64 ? { ext: Op.EXT32U, bits: 32, word: false } : HALF_WORDS),
  packh: pack(() => ({ ext: Op.EXT8U, bits: 8, word: false })),
  packw: pack(() => HALF_WORDS),
  brev8: bytewise("brev8", (ir, d, r) => ir.binop(Op.EXT32S, d, r)),
  zip: bytewise("zip", (ir, d, r) => ir.binop(Op.EXT32S, d, r)),
  unzip: bytewise("unzip", (ir, d, r) => ir.binop(Op.EXT32S, d, r)),
  xperm4: xperm(4),
  xperm8: xperm(8),
});
