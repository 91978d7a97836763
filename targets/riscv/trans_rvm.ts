/**
 * Translation of the M extension (multiply and divide). IR division is
 * already total with RISC-V's results for division by zero and overflow.
 *
 * @module
 */

import { Op } from "../../plugin_target.ts";
import { aluRegTrans, type AluSpec, mulHigh32 } from "./alu.ts";
import type { TransTable } from "./context.ts";

const M_OPS: Record<string, AluSpec> = {
  mul: { op: Op.MUL, op32: Op.MUL32 },
  mulh: { op: Op.MULHS, emit32: mulHigh32(Op.EXT32S, Op.EXT32S) },
  mulhsu: { op: Op.MULHSU, emit32: mulHigh32(Op.EXT32S, Op.EXT32U) },
  mulhu: { op: Op.MULHU, emit32: mulHigh32(Op.EXT32U, Op.EXT32U) },
  div: { op: Op.DIV, op32: Op.DIV32 },
  divu: { op: Op.DIVU, op32: Op.DIVU32 },
  rem: { op: Op.REM, op32: Op.REM32 },
  remu: { op: Op.REMU, op32: Op.REMU32 },
  mulw: { op: Op.MUL32 },
  divw: { op: Op.DIV32 },
  divuw: { op: Op.DIVU32 },
  remw: { op: Op.REM32 },
  remuw: { op: Op.REMU32 },
};

/**
 * The M-extension translation functions.
 *
 * @example
 * ```ts
 * import { RVM_TRANS } from "./trans_rvm.ts";
 * console.log("mulhsu" in RVM_TRANS); // true
 * ```
 */
export const RVM_TRANS: TransTable = aluRegTrans(M_OPS);
