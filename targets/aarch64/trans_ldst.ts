/**
 * Loads and stores: single registers in every addressing mode (unscaled,
 * post- and pre-index, unsigned scaled offset, register offset, literal),
 * pairs, exclusives (ldxr/stxr and their acquire/release forms), ldar/stlr,
 * and the LSE atomics (ldadd, ldclr, ldeor, ldset, ld[su]max, ld[su]min,
 * swp, cas).
 *
 * Guest threads take turns between instructions on one host thread, so an
 * atomic is a load and a store; the exclusive monitor is an address that a
 * thread switch clears (`breakReservation`), as RISC-V's LR/SC.
 *
 * @module
 */

import { Cond, Op, type Temp, TrapKind } from "../../plugin_target.ts";
import {
  type A64Context,
  extended,
  imm,
  load,
  reg,
  regSp,
  setReg,
  tmp,
  type TransTable,
} from "./context.ts";
import { A64 } from "./state.ts";

type Args = Record<string, number>;

/**
 * The access of one register at `base + offset`: `a.sz` (log2 bytes; 4 is a
 * Q register), `a.fp`, `a.load` (0 store, 1 load, 2 prefetch), `a.sign`, `a.w`.
 */
function access(ctx: A64Context, a: Args, rt: number, base: Temp, offset: bigint): void {
  const { ir } = ctx;
  if (a.load === 2) return;
  const bytes = Math.min(8, 1 << a.sz);
  if (a.fp) {
    const lo = A64.vLow(rt), hi = A64.vHigh(rt);
    if (a.load) {
      load(ctx, lo, base, offset, bytes, false);
      if (a.sz === 4) load(ctx, hi, base, offset + 8n, 8, false);
      else ir.movi(hi, 0n);
    } else {
      ir.store(base, offset, lo, bytes);
      if (a.sz === 4) ir.store(base, offset + 8n, hi, 8);
    }
    return;
  }
  if (a.load) {
    const d = rt === 31 ? ir.temp() : rt;
    load(ctx, d, base, offset, bytes, a.sign === 1);
    if (a.w && a.sign) ir.binop(Op.EXT32U, d, d);
  } else ir.store(base, offset, reg(ctx, rt), bytes);
}

/**
 * Where an access goes in addressing mode `mode` (0 offset, 1 post-index,
 * 2 pre-index), running `body` with the address and writing the base back.
 */
function addressed(
  ctx: A64Context,
  rn: number,
  offset: bigint,
  mode: number,
  body: (base: Temp, offset: bigint) => void,
): void {
  const { ir } = ctx;
  const base = regSp(rn);
  if (mode === 0) return body(base, offset);
  const addr = ir.temp();
  ir.binop(Op.ADD, addr, base, imm(ctx, offset));
  body(mode === 2 ? addr : base, 0n);
  ir.mov(rn, addr);
}

/**
 * Xn (or SP) as the address of an exclusive, acquire/release or atomic access of `bytes`: these
 * must be aligned (a pair to its whole size) or raise SIGBUS, as on qemu-aarch64 (whose
 * store-exclusive checks only when the monitor holds the address: a failing one does not fault).
 */
function alignedBase(ctx: A64Context, rn: number, bytes: number): Temp {
  const { ir } = ctx, addr = regSp(rn), ok = ir.label();
  if (bytes === 1) return addr;
  ir.brcond(Cond.EQ, tmp(ctx, Op.AND, addr, imm(ctx, bytes - 1)), imm(ctx, 0n), ok);
  ir.raise(TrapKind.MISALIGNED, 0, addr);
  ir.setLabel(ok);
  return addr;
}

/** The 0/1 status temp of a store-exclusive to `addr`: stores `value` if the monitor holds `addr`. */
function storeExclusive(ctx: A64Context, addr: Temp, store: () => void): Temp {
  const { ir } = ctx;
  const status = ir.temp();
  const one = imm(ctx, 1), zero = imm(ctx, 0);
  const fail = ir.label(), done = ir.label();
  ir.brcond(Cond.NE, A64.EXCL_ADDR, addr, fail);
  store();
  ir.mov(status, zero);
  ir.br(done);
  ir.setLabel(fail);
  ir.mov(status, one);
  ir.setLabel(done);
  ir.movi(A64.EXCL_ADDR, -1n);
  return status;
}

/** The LSE atomic operations by `o3:opc`: the new memory value from the old one and rs. */
const ATOMIC_OPS: Record<number, (ctx: A64Context, old: Temp, rs: Temp, sz: number) => Temp> = {
  0: (ctx, old, rs) => tmp(ctx, Op.ADD, old, rs),
  1: (ctx, old, rs) => tmp(ctx, Op.AND, old, tmp(ctx, Op.XOR, rs, imm(ctx, -1))),
  2: (ctx, old, rs) => tmp(ctx, Op.XOR, old, rs),
  3: (ctx, old, rs) => tmp(ctx, Op.OR, old, rs),
  4: (ctx, old, rs, sz) => pick(ctx, Cond.GT, old, rs, sz, true),
  5: (ctx, old, rs, sz) => pick(ctx, Cond.LT, old, rs, sz, true),
  6: (ctx, old, rs, sz) => pick(ctx, Cond.GTU, old, rs, sz, false),
  7: (ctx, old, rs, sz) => pick(ctx, Cond.LTU, old, rs, sz, false),
  8: (_ctx, _old, rs) => rs,
};

/** `old cond rs ? old : rs` on `2^sz`-byte values (max and min). */
function pick(ctx: A64Context, cond: Cond, old: Temp, rs: Temp, sz: number, signed: boolean) {
  const ext = [
    signed ? Op.EXT8S : Op.EXT8U,
    signed ? Op.EXT16S : Op.EXT16U,
    signed ? Op.EXT32S : Op.EXT32U,
    Op.MOV,
  ][sz];
  const x = tmp(ctx, ext, old), y = tmp(ctx, ext, rs);
  const d = ctx.ir.temp();
  ctx.ir.movcond(cond, d, x, y, x, y);
  return d;
}

/**
 * The translation functions of this group.
 *
 * @example
 * ```ts
 * import { LDST_TRANS } from "./trans_ldst.ts";
 * console.log("ldstp" in LDST_TRANS); // true
 * ```
 */
export const LDST_TRANS: TransTable = {
  ldst_imm(ctx, a) {
    addressed(ctx, a.rn, BigInt(a.imm), a.mode, (base, off) => access(ctx, a, a.rt, base, off));
    return true;
  },
  ldst_uimm(ctx, a) {
    access(ctx, a, a.rt, regSp(a.rn), BigInt(a.imm) << BigInt(a.sz));
    return true;
  },
  ldst_reg(ctx, a) {
    if ((a.opt & 2) === 0) return false;
    const offset = extended(ctx, reg(ctx, a.rm), a.opt, a.s ? a.sz : 0);
    access(ctx, a, a.rt, tmp(ctx, Op.ADD, regSp(a.rn), offset), 0n);
    return true;
  },
  ldr_lit(ctx, a) {
    access(ctx, { ...a, load: 1, w: 0 }, a.rt, imm(ctx, ctx.pc + BigInt(a.imm)), 0n);
    return true;
  },
  prfm_lit: () => true,
  ldstp(ctx, a) {
    if (a.sign && a.op === 0) return false; // no ldnpsw
    const mode = [0, 1, 0, 2][a.op];
    const step = 1n << BigInt(a.sz);
    // ldp x0, x0 is CONSTRAINED UNPREDICTABLE: QEMU loads both and keeps the first, which
    // loading the second first gives.
    const order = a.load && !a.fp && a.rt === a.rt2 ? [1, 0] : [0, 1];
    addressed(ctx, a.rn, BigInt(a.imm) << BigInt(a.sz), mode, (base, off) => {
      const pair = { ...a, w: a.sign ? 0 : 1 };
      // The first load may overwrite the base register (ldp x0, x1, [x0]): keep the address.
      const kept = a.load ? tmp(ctx, Op.MOV, base) : base;
      for (const k of order) access(ctx, pair, k ? a.rt2 : a.rt, kept, off + BigInt(k) * step);
    });
    return true;
  },
  ldxr(ctx, a) {
    const { ir } = ctx;
    const addr = alignedBase(ctx, a.rn, 1 << a.sz);
    ir.mov(A64.EXCL_ADDR, addr);
    load(ctx, A64.EXCL_VAL, addr, 0n, 1 << a.sz, false);
    setReg(ctx, a.rt, A64.EXCL_VAL, 1);
    return true;
  },
  stxr(ctx, a) {
    const addr = regSp(a.rn), value = reg(ctx, a.rt);
    const status = storeExclusive(ctx, addr, () => {
      ctx.ir.store(alignedBase(ctx, a.rn, 1 << a.sz), 0n, value, 1 << a.sz);
    });
    setReg(ctx, a.rs, status, 0);
    return true;
  },
  ldar(ctx, a) {
    const d = ctx.ir.temp();
    load(ctx, d, alignedBase(ctx, a.rn, 1 << a.sz), 0n, 1 << a.sz, false);
    setReg(ctx, a.rt, d, 1);
    return true;
  },
  stlr(ctx, a) {
    ctx.ir.store(alignedBase(ctx, a.rn, 1 << a.sz), 0n, reg(ctx, a.rt), 1 << a.sz);
    return true;
  },
  ldxp(ctx, a) {
    const { ir } = ctx;
    const bytes = a.sf ? 8 : 4, addr = alignedBase(ctx, a.rn, 2 * bytes);
    ir.mov(A64.EXCL_ADDR, addr);
    load(ctx, A64.EXCL_VAL, addr, 0n, bytes, false);
    load(ctx, A64.EXCL_VAL2, addr, BigInt(bytes), bytes, false);
    setReg(ctx, a.rt, A64.EXCL_VAL, 1);
    setReg(ctx, a.rt2, A64.EXCL_VAL2, 1);
    return true;
  },
  stxp(ctx, a) {
    const addr = regSp(a.rn), bytes = a.sf ? 8 : 4;
    const first = reg(ctx, a.rt), second = reg(ctx, a.rt2);
    const status = storeExclusive(ctx, addr, () => {
      alignedBase(ctx, a.rn, 2 * bytes);
      ctx.ir.store(addr, 0n, first, bytes);
      ctx.ir.store(addr, BigInt(bytes), second, bytes);
    });
    setReg(ctx, a.rs, status, 0);
    return true;
  },
  casp(ctx, a) {
    // Rs, Rs+1 against the pair in memory; Rt, Rt+1 stored when both are equal. Odd registers
    // are reserved.
    if ((a.rs | a.rt) & 1) return false;
    const { ir } = ctx;
    const bytes = a.sf ? 8 : 4, addr = alignedBase(ctx, a.rn, 2 * bytes);
    const narrow = (r: number) => (a.sf ? reg(ctx, r) : tmp(ctx, Op.EXT32U, reg(ctx, r)));
    const e0 = narrow(a.rs), e1 = narrow(a.rs + 1);
    const v0 = reg(ctx, a.rt), v1 = reg(ctx, a.rt + 1);
    const old0 = ir.temp(), old1 = ir.temp();
    load(ctx, old0, addr, 0n, bytes, false);
    load(ctx, old1, addr, BigInt(bytes), bytes, false);
    const differ = ir.label();
    ir.brcond(Cond.NE, old0, e0, differ);
    ir.brcond(Cond.NE, old1, e1, differ);
    ir.store(addr, 0n, v0, bytes);
    ir.store(addr, BigInt(bytes), v1, bytes);
    ir.setLabel(differ);
    setReg(ctx, a.rs, old0, 1);
    setReg(ctx, a.rs + 1, old1, 1);
    return true;
  },
  cas(ctx, a) {
    const { ir } = ctx;
    const bytes = 1 << a.sz, addr = alignedBase(ctx, a.rn, bytes);
    const expected = bytes === 8
      ? reg(ctx, a.rs)
      : tmp(ctx, Op.AND, reg(ctx, a.rs), imm(ctx, (1n << BigInt(8 * bytes)) - 1n));
    const value = reg(ctx, a.rt);
    const old = ir.temp();
    load(ctx, old, addr, 0n, bytes, false);
    const differ = ir.label();
    ir.brcond(Cond.NE, old, expected, differ);
    ir.store(addr, 0n, value, bytes);
    ir.setLabel(differ);
    setReg(ctx, a.rs, old, 1);
    return true;
  },
  atomic(ctx, a) {
    const kind = a.o3 ? (a.opc === 0 ? 8 : -1) : a.opc;
    const f = ATOMIC_OPS[kind];
    if (!f) return false;
    const { ir } = ctx;
    const bytes = 1 << a.sz, addr = alignedBase(ctx, a.rn, bytes);
    const rs = reg(ctx, a.rs);
    const old = ir.temp();
    load(ctx, old, addr, 0n, bytes, false);
    ir.store(addr, 0n, f(ctx, old, rs, a.sz), bytes);
    setReg(ctx, a.rt, old, 1);
    return true;
  },
};
