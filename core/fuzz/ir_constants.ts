/**
 * Constants of a block's IR: the value an op writes when its operands are
 * known constants (`MOVI`, and integer ALU ops on known values). Used to find
 * compare constants, pointers and switch bounds without knowing the target.
 *
 * @module
 */

import { type IrOp, Op } from "../ir.ts";

/**
 * The value `o` writes when its operands are known constants, else undefined.
 *
 * @example
 * ```ts
 * import { Op } from "../ir.ts";
 * import { IrBuilder } from "../ir_builder.ts";
 * import { evaluate } from "./ir_constants.ts";
 * const b = new IrBuilder(4);
 * b.binop(Op.ADD, 1, 2, 3);
 * console.log(evaluate(b.ops[0], new Map([[2, 5n], [3, 7n]]))); // 12n
 * ```
 */
export function evaluate(o: IrOp, known: Map<number, bigint>): bigint | undefined {
  if (o.op === Op.MOVI) return o.imm;
  const a = known.get(o.a), b = known.get(o.b);
  if (o.op === Op.MOV) return a;
  const s32 = (x: bigint) => BigInt.asIntN(64, BigInt.asIntN(32, x));
  if (a !== undefined && o.op === Op.EXT32U) return BigInt.asUintN(32, a);
  if (a !== undefined && o.op === Op.EXT32S) return s32(a);
  if (a === undefined || b === undefined) return undefined;
  switch (o.op) {
    case Op.ADD:
      return BigInt.asIntN(64, a + b);
    case Op.SUB:
      return BigInt.asIntN(64, a - b);
    case Op.ADD32:
      return s32(a + b);
    case Op.SUB32:
      return s32(a - b);
    case Op.OR:
      return a | b;
    case Op.XOR:
      return a ^ b;
    case Op.AND:
      return a & b;
    case Op.SHL:
      return BigInt.asIntN(64, a << (b & 63n));
    case Op.SHL32:
      return s32(a << (b & 31n));
    default:
      return undefined;
  }
}
