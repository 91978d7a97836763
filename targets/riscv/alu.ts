/**
 * One emitter for every integer ALU instruction (register-register and
 * register-immediate, I and M, base and W forms), driven by tables of specs.
 *
 * @module
 */

import { type Cond, type IrEmitter, Op, type Temp } from "../../plugin_target.ts";
import { type DisasContext, gpr, gprDest, imm, type TransTable } from "./context.ts";

/**
 * How one ALU instruction computes `d = a OP b`.
 *
 * @example
 * ```ts
 * import { Op } from "../../plugin_target.ts";
 * import type { AluSpec } from "./alu.ts";
 * const add: AluSpec = { op: Op.ADD, op32: Op.ADD32 };
 * ```
 */
export interface AluSpec {
  /** the IR op (on RV32 too, unless `op32` or `emit32` is given) */
  op?: Op;
  /** a comparison instead: `d = (a cond b) ? 1 : 0` */
  cond?: Cond;
  /** the IR op on RV32, where the 64-bit op would not give the 32-bit result */
  op32?: Op;
  /** a custom RV32 sequence (the mulh family) */
  emit32?: (ir: IrEmitter, d: Temp, a: Temp, b: Temp) => void;
  /** a custom sequence on every XLEN (bit manipulation); it writes `d` last, as `d` may be `a` or `b` */
  emit?: (ctx: DisasContext, d: Temp, a: Temp, b: Temp) => void;
}

/**
 * RV32 high product: `d = (ext(a) * ext(b)) >> 32` with per-operand extensions.
 *
 * @example
 * ```ts
 * import { Op } from "../../plugin_target.ts";
 * import { mulHigh32 } from "./alu.ts";
 * const mulhu32 = mulHigh32(Op.EXT32U, Op.EXT32U);
 * ```
 */
export function mulHigh32(extA: Op, extB: Op): (ir: IrEmitter, d: Temp, a: Temp, b: Temp) => void {
  return (ir, d, a, b) => {
    const x = ir.temp(), y = ir.temp();
    ir.binop(extA, x, a);
    ir.binop(extB, y, b);
    ir.binop(Op.MUL, d, x, y);
    ir.binop(Op.SAR, d, d, ir.constant(32n));
  };
}

function emitAlu(ctx: DisasContext, spec: AluSpec, rd: number, a: Temp, b: Temp): void {
  const d = gprDest(ctx, rd);
  if (spec.emit) spec.emit(ctx, d, a, b);
  else if (spec.cond !== undefined) ctx.ir.setcond(spec.cond, d, a, b);
  else if (ctx.xlen === 32 && spec.emit32) spec.emit32(ctx.ir, d, a, b);
  else ctx.ir.binop(ctx.xlen === 32 ? spec.op32 ?? spec.op! : spec.op!, d, a, b);
}

/**
 * Translation functions for register-register ALU instructions (`rd = rs1 OP rs2`).
 *
 * @example
 * ```ts
 * import { Op } from "../../plugin_target.ts";
 * import { aluRegTrans } from "./alu.ts";
 * const t = aluRegTrans({ add: { op: Op.ADD, op32: Op.ADD32 } });
 * console.log(Object.keys(t)); // ["add"]
 * ```
 */
export function aluRegTrans(specs: Record<string, AluSpec>): TransTable {
  const out: TransTable = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = (ctx, a) => {
      emitAlu(ctx, spec, a.rd, gpr(ctx, a.rs1), gpr(ctx, a.rs2));
      return true;
    };
  }
  return out;
}

/**
 * Translation functions for register-immediate ALU instructions (`rd = rs1 OP imm`).
 *
 * @example
 * ```ts
 * import { Op } from "../../plugin_target.ts";
 * import { aluImmTrans } from "./alu.ts";
 * const t = aluImmTrans({ addi: { op: Op.ADD, op32: Op.ADD32 } });
 * console.log(Object.keys(t)); // ["addi"]
 * ```
 */
export function aluImmTrans(specs: Record<string, AluSpec>): TransTable {
  const out: TransTable = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = (ctx, a) => {
      emitAlu(ctx, spec, a.rd, gpr(ctx, a.rs1), imm(ctx, a.imm));
      return true;
    };
  }
  return out;
}
