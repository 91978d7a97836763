/**
 * The vector fast path: common integer instructions translated to the IR's
 * vector ops (see "Vector ops" in `core/ir.ts`) instead of a helper call.
 *
 * It applies when the translation knows vtype (from the TB flags, see
 * {@linkcode vtypeCode}, or from a vset{i}vl{i} with an immediate vtype
 * earlier in the TB) with LMUL >= 1, its register groups are aligned, and
 * for loads and stores the element width is SEW and no mask. A masked ALU
 * instruction computes into a scratch slot and merges it into vd under
 * v0's bits (`VMASK`, then xor-and-xor): inactive elements stay
 * undisturbed, as the helpers leave them under either policy. At run time a guard then checks vl == VLMAX and vstart == 0 (and
 * for memory that the access stays in one page), and
 * falls back to the helper, which does everything else exactly, when any
 * does not hold. With vl = VLMAX there are no tail elements for a policy to
 * decide; a fault of the one-page access is at element 0, where the helper
 * would report it too.
 *
 * Instructions: vadd, vsub, vrsub, vand, vor, vxor, vmul, vmacc, vmin(u),
 * vmax(u) (`.vv`, `.vx`, `.vi` where they exist), vsll, vsrl, vsra (`.vx`,
 * `.vi`; wasm SIMD shifts every lane by one amount), vmv.v.{v,x,i},
 * vle{8,16,32,64}.v and vse{8,16,32,64}.v.
 *
 * @module
 */

import { Cond, type Label, Op, PAGE_SIZE, STATE_BASE, type Temp } from "../../plugin_target.ts";
import { addressTemp, type DisasContext, gpr, imm } from "./context.ts";
import { RiscvState } from "./state.ts";
import { decodeVtype } from "./vector_unit.ts";

/** A vtype the fast path handles: SEW in bits, LMUL 1, 2, 4 or 8. */
export interface FastVtype {
  readonly sew: number;
  readonly lmul: number;
}

/**
 * What the translation knows of the vector state at the current instruction
 * of a TB.
 *
 * @example
 * ```ts
 * import type { VectorKnown } from "./trans_rvv_fast.ts";
 * const atTbStart: VectorKnown = { flagsCode: 9, vtype: { sew: 32, lmul: 1 }, vstartZero: false };
 * ```
 */
export interface VectorKnown {
  /** the vtype field of the TB's flags ({@linkcode vtypeCode}) */
  readonly flagsCode: number;
  /** vtype when the fast path may apply (LMUL >= 1), else null */
  vtype: FastVtype | null;
  /**
   * vstart is 0 here, or vl is 0 (which the vl guard then rejects): a vset{i}vl{i}
   * or an instruction with a fast path completed since the TB began, and no CSR
   * instruction since
   */
  vstartZero: boolean;
}

/**
 * The TB-flag field (4 bits) of a vtype value: 1 + 4 * log2(SEW / 8) +
 * log2(LMUL) for the vtypes the fast path handles, 0 for the others (vill,
 * fractional LMUL, and e64/m8, for which 4 bits have no room).
 *
 * @example
 * ```ts
 * import { vtypeCode } from "./trans_rvv_fast.ts";
 * console.log(vtypeCode(0xd3n), vtypeCode(1n << 63n)); // 12 0 (e32 m8; vill)
 * ```
 */
export function vtypeCode(vtype: bigint): number {
  const t = decodeVtype(vtype, 64);
  if (!t || t.lmul < 1) return 0;
  const code = 1 + 4 * Math.log2(t.sew / 8) + Math.log2(t.lmul);
  return code < 16 ? code : 0;
}

/**
 * The vtype of a TB-flag field (see {@linkcode vtypeCode}), or null.
 *
 * @example
 * ```ts
 * import { vtypeOfCode } from "./trans_rvv_fast.ts";
 * console.log(vtypeOfCode(12)); // { sew: 32, lmul: 8 }
 * ```
 */
export function vtypeOfCode(code: number): FastVtype | null {
  return code === 0 ? null : { sew: 8 << ((code - 1) >> 2), lmul: 1 << ((code - 1) & 3) };
}

/** The vtype a vset{i}vl{i} with immediate `vtype` leaves, for the rest of the TB. */
export function knownAfterVset(vtype: number): FastVtype | null {
  const t = decodeVtype(BigInt(vtype), 64);
  return t && t.lmul >= 1 ? t : null;
}

/** How an ALU instruction's second operand (vs1, rs1 or the immediate) is given. */
type Form = "vv" | "vx" | "vi";
/** What a fast instruction does: an IR vector op with its operand order, a move, or memory. */
interface Plan {
  kind: "alu" | "move" | "load" | "store";
  /** alu: the lane op (VMUL for vmacc) */
  op: Op;
  form: Form;
  /** load, store: the element width */
  eew: number;
  /** vrsub: the scalar minus the vector */
  reversed: boolean;
  /** vmacc: vd += the product */
  macc: boolean;
}

const ALU: Record<string, Op> = {
  vadd: Op.VADD,
  vsub: Op.VSUB,
  vrsub: Op.VSUB,
  vand: Op.VAND,
  vor: Op.VOR,
  vxor: Op.VXOR,
  vmul: Op.VMUL,
  vmacc: Op.VMUL,
  vmin: Op.VMIN,
  vminu: Op.VMINU,
  vmax: Op.VMAX,
  vmaxu: Op.VMAXU,
  vsll: Op.VSHL,
  vsrl: Op.VSHR,
  vsra: Op.VSAR,
};

/**
 * The fast plan of a mnemonic, or null when it always takes the helper.
 *
 * @example
 * ```ts
 * import { fastPlan } from "./trans_rvv_fast.ts";
 * console.log(fastPlan("vadd.vx")?.kind, fastPlan("vsll.vv")); // alu null
 * ```
 */
export function fastPlan(m: string): Plan | null {
  const plan: Plan = { kind: "alu", op: Op.VOR, form: "vv", eew: 0, reversed: false, macc: false };
  const mem = /^v([ls])e(8|16|32|64)\.v$/.exec(m);
  if (mem) return { ...plan, kind: mem[1] === "l" ? "load" : "store", eew: Number(mem[2]) };
  if (/^vmv\.v\.[vxi]$/.test(m)) return { ...plan, kind: "move", form: `v${m.slice(-1)}` as Form };
  const [base, form] = m.split(".") as [string, Form];
  const op = ALU[base];
  if (op === undefined || !["vv", "vx", "vi"].includes(form)) return null;
  if (op >= Op.VSHL && form === "vv") return null; // per-lane shift amounts: no wasm SIMD op
  return { ...plan, op, form, reversed: base === "vrsub", macc: base === "vmacc" };
}

/** Host address of the 16-byte chunk `k` of vector register `reg` (groups are contiguous). */
const chunk = (ctx: DisasContext, reg: number, k: number) =>
  STATE_BASE + RiscvState.VREGS + reg * ctx.vlenb + 16 * k;
/** The scratch slots: a splatted scalar, a product or masked result, mask lanes. */
const SPLAT = STATE_BASE + RiscvState.VSCRATCH, RESULT = SPLAT + 16, MASK = SPLAT + 32;

/** Branches to `slow` unless vl == VLMAX, vstart == 0 and, for memory, the access is in one page. */
function guard(ctx: DisasContext, t: FastVtype, slow: Label, addr: Temp | null): void {
  const { ir } = ctx, bytes = ctx.vlenb * t.lmul;
  // constants before the first branch (see context.ts)
  const vlmax = imm(ctx, (bytes * 8) / t.sew), zero = imm(ctx, 0);
  const page = addr === null ? -1 : imm(ctx, PAGE_SIZE - 1);
  const lastStart = addr === null ? -1 : imm(ctx, PAGE_SIZE - bytes);
  const vl = ir.temp();
  ir.loadHost(vl, STATE_BASE + RiscvState.VL);
  ir.brcond(Cond.NE, vl, vlmax, slow);
  if (!ctx.vector.vstartZero) {
    const vstart = ir.temp();
    ir.loadHost(vstart, STATE_BASE + RiscvState.VSTART);
    ir.brcond(Cond.NE, vstart, zero, slow);
  }
  if (addr === null) return;
  const offset = ir.temp();
  ir.binop(Op.AND, offset, addr, page);
  ir.brcond(Cond.GTU, offset, lastStart, slow);
}

/** Whether every register group of the instruction starts at a multiple of LMUL. */
function aligned(ctx: DisasContext, t: FastVtype, plan: Plan): boolean {
  const vd = (ctx.bits >>> 7) & 31, vs1 = (ctx.bits >>> 15) & 31, vs2 = (ctx.bits >>> 20) & 31;
  const regs = plan.kind === "load" || plan.kind === "store"
    ? [vd]
    : plan.kind === "move"
    ? [vd, ...(plan.form === "vv" ? [vs1] : [])]
    : [vd, vs2, ...(plan.form === "vv" ? [vs1] : [])];
  return regs.every((r) => r % t.lmul === 0);
}

/** The second operand of an ALU form: a slot chunk (vv), or the splat slot filled once. */
function secondOperand(ctx: DisasContext, plan: Plan, sew: number) {
  const rs1 = (ctx.bits >>> 15) & 31, simm5 = (ctx.bits << 12) >> 27;
  if (plan.form === "vv") return { slot: (k: number) => chunk(ctx, rs1, k), scalar: -1 };
  const shift = plan.kind === "alu" && plan.op >= Op.VSHL;
  const scalar = plan.form === "vx" ? gpr(ctx, rs1) : imm(ctx, shift ? rs1 : simm5);
  if (!shift) ctx.ir.vdup(SPLAT, scalar, sew / 8);
  return { slot: () => SPLAT, scalar };
}

/** The fast body of `plan` for vtype `t`, chunk by chunk (the guard has passed). */
function body(ctx: DisasContext, plan: Plan, t: FastVtype, addr: Temp): void {
  const { ir } = ctx, size = t.sew / 8, chunks = (ctx.vlenb * t.lmul) / 16;
  const vd = (ctx.bits >>> 7) & 31, vs2 = (ctx.bits >>> 20) & 31;
  if (plan.kind === "load" || plan.kind === "store") {
    for (let k = 0; k < chunks; k++) {
      if (plan.kind === "load") ir.vld(chunk(ctx, vd, k), addr, BigInt(16 * k), size);
      else ir.vst(addr, BigInt(16 * k), chunk(ctx, vd, k), size);
    }
    return;
  }
  const second = secondOperand(ctx, plan, t.sew);
  const masked = ((ctx.bits >>> 25) & 1) === 0;
  for (let k = 0; k < chunks; k++) {
    const d = chunk(ctx, vd, k), a = chunk(ctx, vs2, k), b = second.slot(k);
    const out = masked ? RESULT : d; // masked: the result, then merged into vd under v0
    if (plan.kind === "move") ir.vbinop(Op.VOR, out, b, b, size);
    else if (plan.op >= Op.VSHL) ir.vbinop(plan.op, out, a, second.scalar, size);
    else if (plan.reversed) ir.vbinop(plan.op, out, b, a, size);
    else if (!plan.macc) ir.vbinop(plan.op, out, a, b, size);
    else {
      ir.vbinop(Op.VMUL, RESULT, a, b, size);
      ir.vbinop(Op.VADD, out, d, RESULT, size);
    }
    if (!masked) continue;
    // vd ^= (result ^ vd) & mask: inactive elements stay undisturbed
    ir.vmask(MASK, chunk(ctx, 0, 0), (k * 16) / size, size);
    ir.vbinop(Op.VXOR, RESULT, RESULT, d, size);
    ir.vbinop(Op.VAND, RESULT, RESULT, MASK, size);
    ir.vbinop(Op.VXOR, d, d, RESULT, size);
  }
}

/**
 * Emits the fast path of `plan` if it may apply here: the guard, the vector
 * ops, and a branch over the helper call the caller emits next; returns the
 * label to place after that call, or null (emitting nothing) when only the
 * helper can run the instruction.
 *
 * @example
 * ```ts ignore
 * const done = plan && emitFast(ctx, plan);
 * emitHelperCall(ctx);
 * if (done !== null) ctx.ir.setLabel(done);
 * ```
 */
export function emitFast(ctx: DisasContext, plan: Plan): Label | null {
  const t = ctx.vector.vtype, vm = (ctx.bits >>> 25) & 1, vd = (ctx.bits >>> 7) & 31;
  if (!t || !aligned(ctx, t, plan)) return null;
  const memory = plan.kind === "load" || plan.kind === "store";
  if (vm === 0 && (memory || vd === 0)) return null; // masked accesses; vd = v0 is illegal
  if (memory && (plan.eew !== t.sew || ctx.watch !== 0)) return null;
  const { ir } = ctx, slow = ir.label(), done = ir.label();
  const addr = memory ? addressTemp(ctx, (ctx.bits >>> 15) & 31) : -1;
  guard(ctx, t, slow, memory ? addr : null);
  body(ctx, plan, t, addr);
  ir.br(done);
  ir.setLabel(slow);
  return done;
}
