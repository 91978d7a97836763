/**
 * Translation of the A extension for one hart in user mode.
 *
 * LR records a reservation (address + valid flag in the state block); SC
 * succeeds iff the reservation is valid for the same address, and always
 * clears it. AMOs are load, op, store, then the write of rd. Misaligned
 * addresses raise a misaligned load (LR) or store/AMO (AMOs) trap. SC
 * compares the reservation first, as QEMU does: the reserved address came
 * from an aligned LR, so a misaligned SC simply fails (rd = 1).
 *
 * Known difference from hardware: an AMO on an unmapped page reports the
 * load's page-fault cause (13) rather than 15, because the IR load faults
 * first. User-mode programs see the same SIGSEGV either way.
 *
 * @module
 */

import { Cond, type IrEmitter, Op, STATE_BASE, type Temp, TrapKind } from "../../plugin_target.ts";
import {
  addressTemp,
  checkAligned,
  type DisasContext,
  gpr,
  imm,
  setGpr,
  type TransFn,
  type TransTable,
  watchAccess,
} from "./context.ts";
import { WatchKind } from "./triggers.ts";
import { Cause } from "./causes.ts";
import { RiscvState } from "./state.ts";

const RES_ADDR = STATE_BASE + RiscvState.RESERVATION_ADDR;
const RES_VALID = STATE_BASE + RiscvState.RESERVATION_VALID;

/** How an AMO combines the loaded value `old` with `src` into `d`. */
type AmoOp = (ir: IrEmitter, d: Temp, old: Temp, src: Temp) => void;

const binary = (op: Op): AmoOp => (ir, d, old, src) => ir.binop(op, d, old, src);
const select = (cond: Cond): AmoOp => (ir, d, old, src) => ir.movcond(cond, d, old, src, old, src);

const AMO_OPS: Record<string, AmoOp> = {
  amoswap: (ir, d, _old, src) => ir.mov(d, src),
  amoadd: binary(Op.ADD),
  amoxor: binary(Op.XOR),
  amoand: binary(Op.AND),
  amoor: binary(Op.OR),
  amomin: select(Cond.LT),
  amomax: select(Cond.GT),
  amominu: select(Cond.LTU),
  amomaxu: select(Cond.GTU),
};

const WIDTHS = { w: 4, d: 8 } as const;

/** The aligned address of an atomic access of kinds `access`, or a misaligned trap. */
function atomicAddress(
  ctx: DisasContext,
  rs1: number,
  size: number,
  cause: number,
  access: number,
): Temp {
  const addr = addressTemp(ctx, rs1);
  checkAligned(ctx, addr, size, TrapKind.MISALIGNED, cause);
  watchAccess(ctx, addr, 0n, size, access);
  return addr;
}

function lr(size: number): TransFn {
  return (ctx, a) => {
    const { ir } = ctx;
    const addr = atomicAddress(ctx, a.rs1, size, Cause.LOAD_MISALIGNED, WatchKind.LOAD);
    const value = ir.temp();
    ir.load(value, addr, 0n, size, true);
    ir.storeHost(RES_ADDR, addr);
    ir.storeHost(RES_VALID, imm(ctx, 1));
    setGpr(ctx, a.rd, value);
    return true;
  };
}

function sc(size: number): TransFn {
  return (ctx, a) => {
    const { ir } = ctx;
    const addr = addressTemp(ctx, a.rs1);
    // A store trigger fires even when the SC then fails (QEMU fires only on the store).
    watchAccess(ctx, addr, 0n, size, WatchKind.STORE);
    // Everything the conditional part uses is materialised before branching.
    const src = gpr(ctx, a.rs2);
    const one = imm(ctx, 1), zero = imm(ctx, 0);
    const valid = ir.temp(), resAddr = ir.temp(), status = ir.temp();
    ir.loadHost(valid, RES_VALID);
    ir.loadHost(resAddr, RES_ADDR);
    ir.mov(status, one);
    const fail = ir.label();
    ir.brcond(Cond.NE, valid, one, fail);
    ir.brcond(Cond.NE, resAddr, addr, fail);
    ir.store(addr, 0n, src, size);
    ir.movi(status, 0n);
    ir.setLabel(fail);
    ir.storeHost(RES_VALID, zero);
    setGpr(ctx, a.rd, status);
    return true;
  };
}

function amo(size: number, combine: AmoOp): TransFn {
  return (ctx, a) => {
    const { ir } = ctx;
    const addr = atomicAddress(
      ctx,
      a.rs1,
      size,
      Cause.STORE_MISALIGNED,
      WatchKind.LOAD | WatchKind.STORE,
    );
    let src = gpr(ctx, a.rs2);
    if (size === 4) {
      // Word AMOs compare sign-extended 32-bit values (the loaded word is sign-extended too).
      const s = ir.temp();
      ir.binop(Op.EXT32S, s, src);
      src = s;
    }
    const old = ir.temp(), result = ir.temp();
    ir.load(old, addr, 0n, size, true);
    combine(ir, result, old, src);
    ir.store(addr, 0n, result, size);
    setGpr(ctx, a.rd, old);
    return true;
  };
}

function buildTable(): TransTable {
  const out: TransTable = {};
  for (const [suffix, size] of Object.entries(WIDTHS)) {
    out[`lr.${suffix}`] = lr(size);
    out[`sc.${suffix}`] = sc(size);
    for (const [name, op] of Object.entries(AMO_OPS)) out[`${name}.${suffix}`] = amo(size, op);
  }
  return out;
}

/**
 * The A-extension translation functions.
 *
 * @example
 * ```ts
 * import { RVA_TRANS } from "./trans_rva.ts";
 * console.log("amomaxu.w" in RVA_TRANS); // true
 * ```
 */
export const RVA_TRANS: TransTable = buildTable();
