/**
 * The TB loop: fetch 32 bits, decode, start the instruction and emit its
 * IR, until an instruction ends the TB, the instruction budget is reached,
 * or the next instruction is on another page. A64 instructions are 4 bytes
 * and aligned, so none crosses a page.
 *
 * A fetch fault on the TB's first instruction raises a memory trap with the
 * faulting address; later it ends the TB before that instruction.
 *
 * @module
 */

import { type TranslateContext, TrapKind } from "../../plugin_target.ts";
import { type A64Context, raiseUndefined, type TransTable } from "./context.ts";
import { decodeA64, transName } from "./decode.ts";
import { BRANCH_TRANS } from "./trans_branch.ts";
import { CRYPTO_TRANS } from "./trans_crypto.ts";
import { DP_IMM_TRANS } from "./trans_dp_imm.ts";
import { DP_REG_TRANS } from "./trans_dp_reg.ts";
import { LDST_TRANS } from "./trans_ldst.ts";
import { FP_TRANS } from "./trans_fp.ts";
import { SIMD_TRANS } from "./trans_simd.ts";
import { SIMD_LANES_TRANS } from "./trans_simd_lanes.ts";
import { SYSTEM_TRANS } from "./trans_system.ts";

/**
 * Every translation function, by the name the decode table uses.
 *
 * @example
 * ```ts
 * import { A64_TRANS } from "./translate.ts";
 * console.log("ldst_imm" in A64_TRANS); // true
 * ```
 */
export const A64_TRANS: Readonly<TransTable> = {
  ...DP_IMM_TRANS,
  ...DP_REG_TRANS,
  ...BRANCH_TRANS,
  ...SYSTEM_TRANS,
  ...LDST_TRANS,
  ...SIMD_TRANS,
  ...SIMD_LANES_TRANS,
  ...FP_TRANS,
  ...CRYPTO_TRANS,
};

/** Cause of a fetch fault (the IR's memory trap carries the address). */
const FETCH_FAULT = 0;

/**
 * Translates one TB.
 *
 * @example
 * ```ts ignore
 * translateA64(ctx); // through TargetArch.translate
 * ```
 */
export function translateA64(ctx: TranslateContext): void {
  const { ir } = ctx;
  let pc = ctx.pc;
  for (let n = 0;; n++) {
    const first = n === 0;
    if (!first && (n >= ctx.maxInsns || !ctx.samePage(pc))) return ir.gotoTb(pc);
    const bits = (pc & 3n) === 0n ? ctx.fetch(pc, 4) : null;
    if (bits === null) {
      if (!first) return ir.gotoTb(pc);
      const addr = ir.temp();
      ir.movi(addr, pc);
      return ir.raise(TrapKind.MEMORY, FETCH_FAULT, addr);
    }
    ctx.beginInsn(pc, 4, bits);
    const dc: A64Context = {
      ir,
      pc,
      nextPc: BigInt.asUintN(64, pc + 4n),
      bits,
      insnIndex: n,
      ended: false,
      endAfter: false,
    };
    const decoded = decodeA64(bits);
    const trans = decoded ? A64_TRANS[transName(decoded)] : undefined;
    if (!decoded || !trans || !trans(dc, decoded.args)) raiseUndefined(dc);
    if (dc.ended) return;
    pc = dc.nextPc;
    if (dc.endAfter) return ir.gotoTb(pc);
  }
}
