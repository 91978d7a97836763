/**
 * The wasm opcodes the region compiler emits for IR ops that map to them
 * directly: comparisons, integer and float arithmetic, loads and stores.
 *
 * @example
 * ```ts
 * import { STORE_OPS } from "./region_opcodes.ts";
 * console.log(STORE_OPS[8] !== undefined); // true
 * ```
 *
 * @module
 */

import { Cond as C, Op } from "../ir.ts";
import { W } from "./wasm_code.ts";

/** The i64 comparison of each IR condition. */
export const CMP: Record<number, number> = {
  [C.EQ]: W.i64Eq,
  [C.NE]: W.i64Ne,
  [C.LT]: W.i64LtS,
  [C.GE]: W.i64GeS,
  [C.LTU]: W.i64LtU,
  [C.GEU]: W.i64GeU,
  [C.LE]: W.i64LeS,
  [C.GT]: W.i64GtS,
  [C.LEU]: W.i64LeU,
  [C.GTU]: W.i64GtU,
};

/** IR ops that are a fixed sequence of wasm ops on their two operands. */
export const SIMPLE: Partial<Record<Op, number[]>> = {
  [Op.ADD]: [W.i64Add],
  [Op.SUB]: [W.i64Sub],
  [Op.MUL]: [W.i64Mul],
  [Op.AND]: [W.i64And],
  [Op.OR]: [W.i64Or],
  [Op.XOR]: [W.i64Xor],
  [Op.SHL]: [W.i64Shl],
  [Op.SHR]: [W.i64ShrU],
  [Op.SAR]: [W.i64ShrS],
};

/** IR float ops that are one f64 wasm op. */
export const FLOAT: Partial<Record<Op, number>> = {
  [Op.FADD64]: W.f64Add,
  [Op.FSUB64]: W.f64Sub,
  [Op.FMUL64]: W.f64Mul,
  [Op.FDIV64]: W.f64Div,
};

/** The wasm load of each access, keyed by size and signedness ("4s"). */
export const LOAD_OPS: Record<string, number> = {
  "1s": W.i64Load8S,
  "1u": W.i64Load8U,
  "2s": W.i64Load16S,
  "2u": W.i64Load16U,
  "4s": W.i64Load32S,
  "4u": W.i64Load32U,
  "8s": W.i64Load,
  "8u": W.i64Load,
};
/** The wasm store of each access size. */
export const STORE_OPS: Record<number, number> = {
  1: W.i64Store8,
  2: W.i64Store16,
  4: W.i64Store32,
  8: W.i64Store,
};
