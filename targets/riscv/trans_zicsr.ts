/**
 * Translation of Zicsr: csrrw/csrrs/csrrc and their immediate forms. Access
 * is checked at translation time against the CSR table; reads and writes go
 * through the `csr_read` / `csr_write` helpers, except those of the FP CSRs
 * (fields of fcsr in host state: plain IR).
 *
 * @module
 */

import { Op, STATE_BASE, type Temp } from "../../plugin_target.ts";
import {
  callHelper,
  type DisasContext,
  gpr,
  imm,
  raiseIllegal,
  setGpr,
  type TransFn,
  type TransTable,
} from "./context.ts";
import { csrDef, csrLegal, FP_CSR_FIELDS } from "./csr.ts";
import { RiscvState } from "./state.ts";

const FCSR = STATE_BASE + RiscvState.FCSR;

type CsrKind = "rw" | "rs" | "rc";

/** An FP CSR's field of fcsr. */
interface FpField {
  shift: number;
  bits: number;
}

/** The value of FP CSR `field`: `(fcsr >> shift) & mask`. */
function readFpField(ctx: DisasContext, { shift, bits }: FpField): Temp {
  const { ir } = ctx, v = ir.temp();
  ir.loadHost(v, FCSR);
  if (shift) ir.binop(Op.SHR, v, v, imm(ctx, shift));
  ir.binop(Op.AND, v, v, imm(ctx, (1 << bits) - 1));
  return v;
}

/** Writes `value` to FP CSR `field`: the field's bits of fcsr, the others kept. */
function writeFpField(ctx: DisasContext, { shift, bits }: FpField, value: Temp): void {
  const { ir } = ctx, mask = ((1 << bits) - 1) << shift;
  const kept = ir.temp(), field = ir.temp();
  ir.loadHost(kept, FCSR);
  ir.binop(Op.AND, kept, kept, imm(ctx, ~mask));
  ir.binop(Op.SHL, field, value, imm(ctx, shift));
  ir.binop(Op.AND, field, field, imm(ctx, mask));
  ir.binop(Op.OR, kept, kept, field);
  ir.storeHost(FCSR, kept);
}

function csrOp(kind: CsrKind, immediate: boolean): TransFn {
  return (ctx, a) => {
    const { ir } = ctx;
    // csrrs/csrrc with a zero source do not write; csrrw with rd=x0 does not read.
    const writes = kind === "rw" || a.rs1 !== 0;
    const reads = kind !== "rw" || a.rd !== 0;
    if (
      !csrLegal(a.csr, ctx.priv, writes, ctx.xlen) || (ctx.fpOff && csrDef(a.csr)?.fp) ||
      (ctx.vecOff && csrDef(a.csr)?.vec)
    ) {
      raiseIllegal(ctx);
      return true;
    }
    const src = immediate ? imm(ctx, a.rs1) : gpr(ctx, a.rs1);
    const num = imm(ctx, a.csr);
    let old: Temp = -1;
    const bits = imm(ctx, ctx.bits >>> 0);
    const fp = FP_CSR_FIELDS.get(a.csr);
    const read = (modify: number) =>
      fp ? readFpField(ctx, fp) : callHelper(ctx, "csr_read", [num, bits, imm(ctx, modify)]);
    if (reads) old = read(0);
    if (writes) {
      let value = src;
      if (kind !== "rw") {
        const base = csrDef(a.csr)?.readForModify ? read(1) : old;
        value = ir.temp();
        if (kind === "rs") ir.binop(Op.OR, value, base, src);
        else {
          ir.binop(Op.XOR, value, src, imm(ctx, -1));
          ir.binop(Op.AND, value, value, base);
        }
      }
      if (fp) writeFpField(ctx, fp, value);
      else ir.call(-1, ctx.helpers.index("csr_write"), [num, value, bits]);
      if (csrDef(a.csr)?.endsTb) ctx.endAfter = true;
    }
    if (reads) setGpr(ctx, a.rd, old);
    return true;
  };
}

/**
 * The Zicsr translation functions.
 *
 * @example
 * ```ts
 * import { ZICSR_TRANS } from "./trans_zicsr.ts";
 * console.log(Object.keys(ZICSR_TRANS).length); // 6
 * ```
 */
export const ZICSR_TRANS: TransTable = {
  csrrw: csrOp("rw", false),
  csrrs: csrOp("rs", false),
  csrrc: csrOp("rc", false),
  csrrwi: csrOp("rw", true),
  csrrsi: csrOp("rs", true),
  csrrci: csrOp("rc", true),
};
