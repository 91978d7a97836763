/**
 * The per-instruction translation context and the small IR-emitting
 * primitives every translation file shares (register access with the x0
 * rules, guest addresses per XLEN, illegal-instruction traps).
 *
 * A caution that shapes the translators: `IrEmitter.constant` materialises a
 * constant at its first use, so constants are always fetched *before* a
 * conditional branch, never only inside a region a branch may skip.
 *
 * @module
 */

import { Cond, type IrEmitter, Op, type Temp, TrapKind, type Wide } from "../../plugin_target.ts";
import { Cause } from "./causes.ts";
import type { HelperRegistry } from "./helpers.ts";
import { RiscvState } from "./state.ts";
import type { VectorKnown } from "./trans_rvv_fast.ts";

/**
 * What a translation function sees for one instruction.
 *
 * @example
 * ```ts
 * import type { DisasContext } from "./context.ts";
 * const isCompressed = (ctx: DisasContext) => ctx.size === 2;
 * ```
 */
export interface DisasContext {
  readonly ir: IrEmitter;
  readonly xlen: 32 | 64;
  /**
   * pc of this instruction: a number where that is exact (almost always; a
   * signed value on RV64, see `Wide`), else a bigint. Compute with
   * {@linkcode pcPlus} and {@linkcode regValue}, which keep the form.
   */
  readonly pc: Wide;
  /** pc of the next instruction (pc + size, wrapped to XLEN), in the form of `pc` */
  readonly nextPc: Wide;
  /** the raw instruction bits and length in bytes */
  readonly bits: number;
  readonly size: number;
  /** index of this instruction in its TB */
  readonly insnIndex: number;
  readonly helpers: HelperRegistry;
  /** privilege level the code runs at (0 = user) */
  readonly priv: number;
  /** the accesses an armed debug trigger watches (`WatchKind` bits; 0 almost always) */
  readonly watch: number;
  /** mstatus.FS is Off: FP instructions and FP CSRs are illegal */
  readonly fpOff: boolean;
  /** V is absent or mstatus.VS is Off: vector instructions and vector CSRs are illegal */
  readonly vecOff: boolean;
  /** VLEN / 8 (0 without V): fixed by `-cpu` */
  readonly vlenb: number;
  /** what the TB's translation knows of the vector state here (kept by the vector translators) */
  readonly vector: VectorKnown;
  /** set when the instruction ended the TB itself (jump, trap) */
  ended: boolean;
  /** set to end the TB after this instruction, falling through to nextPc */
  endAfter: boolean;
}

/**
 * Translates one decoded instruction. Returns false, before emitting any IR,
 * when the encoding is illegal in this context.
 *
 * @example
 * ```ts
 * import type { TransFn } from "./context.ts";
 * const nop: TransFn = () => true;
 * ```
 */
export type TransFn = (ctx: DisasContext, args: Record<string, number>) => boolean;

/**
 * Translation functions by name (the decode tables' pattern or `!trans=` names).
 *
 * @example
 * ```ts
 * import type { TransTable } from "./context.ts";
 * const table: TransTable = { fence: () => true };
 * ```
 */
export type TransTable = Record<string, TransFn>;

/**
 * The temp holding integer register `r` for reading (x0 reads as constant 0).
 *
 * @example
 * ```ts ignore
 * ctx.ir.binop(Op.ADD, gprDest(ctx, a.rd), gpr(ctx, a.rs1), gpr(ctx, a.rs2));
 * ```
 */
export function gpr(ctx: DisasContext, r: number): Temp {
  return r === 0 ? ctx.ir.constant(0) : r;
}

/**
 * The temp to write integer register `r` (a scratch temp for x0, so writes to
 * x0 are discarded).
 *
 * @example
 * ```ts ignore
 * ctx.ir.movi(gprDest(ctx, a.rd), 42n);
 * ```
 */
export function gprDest(ctx: DisasContext, r: number): Temp {
  return r === 0 ? ctx.ir.temp() : r;
}

/**
 * Copies `v` into integer register `r` (nothing for x0).
 *
 * @example
 * ```ts ignore
 * setGpr(ctx, a.rd, oldValue);
 * ```
 */
export function setGpr(ctx: DisasContext, r: number, v: Temp): void {
  if (r !== 0) ctx.ir.mov(r, v);
}

/**
 * The global of FP register `r`.
 *
 * @example
 * ```ts ignore
 * ctx.ir.mov(fpr(a.rd), fpr(a.rs1));
 * ```
 */
export function fpr(r: number): Temp {
  return RiscvState.FPR_GLOBAL_BASE + r;
}

/**
 * A constant temp for an immediate.
 *
 * @example
 * ```ts ignore
 * ctx.ir.binop(Op.ADD, d, gpr(ctx, a.rs1), imm(ctx, a.imm));
 * ```
 */
export function imm(ctx: DisasContext, v: Wide): Temp {
  return ctx.ir.constant(v);
}

/**
 * `v` (a pc in the form of {@linkcode DisasContext.pc}) as an XLEN-wide
 * register value (sign-extended to 64 bits).
 *
 * @example
 * ```ts ignore
 * ctx.ir.movi(d, regValue(ctx, ctx.nextPc)); // a link address
 * ```
 */
export function regValue(ctx: DisasContext, v: Wide): Wide {
  if (typeof v === "bigint") return BigInt.asIntN(ctx.xlen, v);
  return ctx.xlen === 32 ? v | 0 : v; // an RV64 number is signed already
}

/**
 * The guest address `ctx.pc + offset` (wrapped to XLEN), in the form of
 * `ctx.pc`: an RV64 number stays exact, as `ctx.pc` is a number only below
 * 2^52 and `offset` is an immediate.
 *
 * @example
 * ```ts ignore
 * ctx.ir.gotoTb(pcPlus(ctx, a.imm)); // jal
 * ```
 */
export function pcPlus(ctx: DisasContext, offset: number): Wide {
  const pc = ctx.pc;
  if (typeof pc === "bigint") return BigInt.asUintN(ctx.xlen, pc + BigInt(offset));
  return ctx.xlen === 32 ? (pc + offset) >>> 0 : pc + offset;
}

/**
 * A guest address as a LOAD/STORE base temp plus a constant offset.
 *
 * @example
 * ```ts
 * import type { GuestAddress } from "./context.ts";
 * const spPlus8: GuestAddress = { base: 2, offset: 8 };
 * ```
 */
export interface GuestAddress {
  base: Temp;
  offset: number;
}

/**
 * The address `x[rs1] + offset`. RV64 folds the offset into the access; RV32
 * computes the 32-bit sum and zero-extends it.
 *
 * @example
 * ```ts ignore
 * const { base, offset } = guestAddress(ctx, a.rs1, a.imm);
 * ctx.ir.load(gprDest(ctx, a.rd), base, offset, 8, true);
 * ```
 */
export function guestAddress(ctx: DisasContext, rs1: number, offset: number): GuestAddress {
  if (ctx.xlen === 64) return { base: gpr(ctx, rs1), offset };
  const t = ctx.ir.temp();
  ctx.ir.binop(Op.ADD32, t, gpr(ctx, rs1), imm(ctx, offset));
  ctx.ir.binop(Op.EXT32U, t, t);
  return { base: t, offset: 0 };
}

/**
 * Before an access of `size` bytes at `base + offset` of kinds `access`
 * (`WatchKind` bits), calls `trigger_watch` if a debug trigger watches such
 * accesses (emits nothing otherwise).
 *
 * @example
 * ```ts ignore
 * watchAccess(ctx, base, offset, 8, WatchKind.STORE);
 * ```
 */
export function watchAccess(
  ctx: DisasContext,
  base: Temp,
  offset: Wide,
  size: number,
  access: number,
): void {
  if ((ctx.watch & access) === 0) return;
  const { ir } = ctx;
  let addr = base;
  if (offset !== 0 && offset !== 0n) {
    addr = ir.temp();
    ir.binop(Op.ADD, addr, base, imm(ctx, offset));
  }
  const info = imm(ctx, size | (access << 4) | (ctx.priv << 8));
  ir.call(-1, ctx.helpers.index("trigger_watch"), [addr, info]);
}

/**
 * `guestAddress` with no offset, in a single temp (atomics).
 *
 * @example
 * ```ts ignore
 * const addr = addressTemp(ctx, a.rs1);
 * ```
 */
export function addressTemp(ctx: DisasContext, rs1: number): Temp {
  if (ctx.xlen === 64) return gpr(ctx, rs1);
  const t = ctx.ir.temp();
  ctx.ir.binop(Op.EXT32U, t, gpr(ctx, rs1));
  return t;
}

/**
 * Ends the TB with an illegal-instruction trap carrying the instruction bits.
 *
 * @example
 * ```ts ignore
 * if (csrUnknown) { raiseIllegal(ctx); return true; }
 * ```
 */
export function raiseIllegal(ctx: DisasContext): void {
  const t = ctx.ir.temp();
  ctx.ir.movi(t, ctx.bits >>> 0);
  ctx.ir.raise(TrapKind.ILLEGAL, Cause.ILLEGAL_INSN, t);
  ctx.ended = true;
}

/**
 * Raises `kind`/`cause` with `addr` as data unless `addr` is `size`-aligned.
 *
 * @example
 * ```ts ignore
 * checkAligned(ctx, addr, 8, TrapKind.MISALIGNED, 6);
 * ```
 */
export function checkAligned(
  ctx: DisasContext,
  addr: Temp,
  size: number,
  kind: TrapKind,
  cause: number,
): void {
  const { ir } = ctx;
  const low = ir.temp();
  const mask = imm(ctx, size - 1);
  const zero = imm(ctx, 0);
  ir.binop(Op.AND, low, addr, mask);
  const ok = ir.label();
  ir.brcond(Cond.EQ, low, zero, ok);
  ir.raise(kind, cause, addr);
  ir.setLabel(ok);
}

/**
 * Calls helper `name` with `args`, returning a fresh temp holding its result.
 *
 * @example
 * ```ts ignore
 * const r = callHelper(ctx, "fadd_f64", [fpr(a.rs1), fpr(a.rs2), imm(ctx, ctx.bits)]);
 * ```
 */
export function callHelper(ctx: DisasContext, name: string, args: Temp[]): Temp {
  const d = ctx.ir.temp();
  ctx.ir.call(d, ctx.helpers.index(name), args);
  return d;
}
