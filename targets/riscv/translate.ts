/**
 * The TB loop: fetch 16 bits, find the length, fetch the rest, decode, start
 * the instruction and emit its IR, until an instruction ends the TB, the
 * instruction budget is reached, or the next instruction would leave the
 * TB's first page.
 *
 * A fetch fault on the TB's first instruction raises an instruction page
 * fault (cause 12, data = the faulting address); later it just ends the TB
 * before that instruction, so the fault is raised precisely when execution
 * gets there.
 *
 * @module
 */

import { type Decoder, type TranslateContext, TrapKind, type Wide } from "../../plugin_target.ts";
import { Cause } from "./causes.ts";
import {
  type DisasContext,
  pcPlus,
  raiseIllegal,
  type TransFn,
  type TransTable,
} from "./context.ts";
import { Priv } from "./csr.ts";
import { riscvDecoders, riscvInsnLength } from "./decode.ts";
import type { HelperRegistry } from "./helpers.ts";
import type { DebugTriggers } from "./triggers.ts";
import { RVA_TRANS } from "./trans_rva.ts";
import { RVD_TRANS } from "./trans_rvd.ts";
import { ZFH_TRANS } from "./trans_zfh.ts";
import { ZICBO_TRANS } from "./trans_zicbo.ts";
import { RVF_TRANS } from "./trans_rvf.ts";
import { RVI_TRANS } from "./trans_rvi.ts";
import { RVM_TRANS } from "./trans_rvm.ts";
import { ZICSR_TRANS } from "./trans_zicsr.ts";
import { ZIFENCEI_TRANS } from "./trans_zifencei.ts";
import { PRIV_TRANS } from "./trans_priv.ts";
import { ZICOND_TRANS } from "./trans_zicond.ts";
import { ZBA_TRANS } from "./trans_zba.ts";
import { ZBB_TRANS } from "./trans_zbb.ts";
import { ZBC_TRANS } from "./trans_zbc.ts";
import { ZBK_TRANS } from "./trans_zbk.ts";
import { ZBS_TRANS } from "./trans_zbs.ts";
import { rvvTrans } from "./trans_rvv.ts";
import { vtypeCode, vtypeOfCode } from "./trans_rvv_fast.ts";

/** `table` with every function illegal while `off(ctx)` (QEMU's REQUIRE_FPU, require_rvv). */
function requireUnit(table: TransTable, off: (ctx: DisasContext) => boolean): TransTable {
  return Object.fromEntries(
    Object.entries(table).map(([name, fn]) => [name, (ctx, a) => !off(ctx) && fn(ctx, a)]),
  );
}

const fpOff = (ctx: DisasContext) => ctx.fpOff;

/**
 * Every translation function but the vector ones (see {@linkcode riscvTrans}), by the name the
 * decode tables use.
 *
 * @example
 * ```ts
 * import { RISCV_TRANS } from "./translate.ts";
 * console.log("c.addi" in RISCV_TRANS, "addi" in RISCV_TRANS); // false true
 * ```
 */
export const RISCV_TRANS: Readonly<TransTable> = {
  ...RVI_TRANS,
  ...RVM_TRANS,
  ...RVA_TRANS,
  ...requireUnit(RVF_TRANS, fpOff),
  ...requireUnit(RVD_TRANS, fpOff),
  ...requireUnit(ZFH_TRANS, fpOff),
  ...ZICBO_TRANS,
  ...ZICSR_TRANS,
  ...ZIFENCEI_TRANS,
  ...PRIV_TRANS,
  ...ZICOND_TRANS,
  ...ZBA_TRANS,
  ...ZBB_TRANS,
  ...ZBC_TRANS,
  ...ZBK_TRANS,
  ...ZBS_TRANS,
};
let vectorTable: TransTable | undefined;

/**
 * The translation function of the instruction the decode tables name `name`. The vector ones
 * are built at their first use: only a CPU with V decodes them.
 *
 * @example
 * ```ts
 * import { riscvTrans } from "./translate.ts";
 * console.log(typeof riscvTrans("addi"), typeof riscvTrans("vadd.vv")); // function function
 * ```
 */
export function riscvTrans(name: string): TransFn | undefined {
  return RISCV_TRANS[name] ?? (vectorTable ??= requireUnit(rvvTrans(), (ctx) => ctx.vecOff))[name];
}

/**
 * The translation functions of a decoder's patterns, by pattern index, each
 * found at its first use (a lookup by name per instruction cost more than
 * the rest of its decoding). A CSR instruction's function first forgets that
 * vstart is known to be 0 (`csrw vstart`).
 */
class PatternTrans {
  readonly #fns: (TransFn | null | undefined)[];
  constructor(readonly decoder: Decoder) {
    this.#fns = decoder.patterns.map(() => undefined);
  }

  /** The function of pattern `index`, or null (`illegal`, or none of that name). */
  get(index: number): TransFn | null {
    const fn = this.#fns[index];
    return fn !== undefined ? fn : (this.#fns[index] = this.#find(index));
  }

  #find(index: number): TransFn | null {
    const p = this.decoder.patterns[index];
    if (p.name === "illegal") return null;
    const name = p.attrs.trans ?? p.name, fn = riscvTrans(name);
    if (!fn || !name.startsWith("csr")) return fn ?? null;
    return (ctx, a) => {
      ctx.vector.vstartZero = false;
      return fn(ctx, a);
    };
  }
}

const patternTrans = new WeakMap<Decoder, PatternTrans>();

function transOf(decoder: Decoder): PatternTrans {
  let t = patternTrans.get(decoder);
  if (!t) patternTrans.set(decoder, t = new PatternTrans(decoder));
  return t;
}

/** `T` with its fields writable. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A TB's pc as the number its translation computes with (see `DisasContext.pc`):
 * RV64's signed value, where it and every pc of the TB are exact; else undefined.
 */
function pcNumber(pc: bigint, xlen: 32 | 64): number | undefined {
  const n = Number(xlen === 64 ? BigInt.asIntN(64, pc) : pc);
  return Math.abs(n) < 2 ** 52 ? n : undefined;
}

/** {@linkcode fetchInsn}'s results other than an instruction. */
const STOP = -1, FAULT_AT_PC = -2, FAULT_AFTER_PC = -3;
/** An instruction {@linkcode fetchInsn} returns is `bits + size * INSN_SIZE_UNIT`. */
const INSN_SIZE_UNIT = 2 ** 32;

/**
 * Fetches the instruction at `pc`: `bits + size * INSN_SIZE_UNIT` (a number,
 * so that a fetch allocates nothing), {@linkcode STOP} where a later
 * instruction is in the page's last halfword, or where the fetch faulted at `pc` or `pc + 2`.
 */
function fetchInsn(ctx: TranslateContext, pc: Wide, first: boolean): number {
  const low = ctx.fetch(pc, 2);
  if (low === null) return FAULT_AT_PC;
  const size = riscvInsnLength(low);
  // Any instruction in the page's last halfword ends the TB before it, a compressed one too:
  // QEMU 7.2 does so (pc + size off the page counts as crossing), and its `-d exec` blocks match.
  const at = typeof pc === "number" ? pc + 2 : pc + 2n;
  if (!first && !ctx.samePage(at)) return STOP;
  if (size === 2) return low + 2 * INSN_SIZE_UNIT;
  const high = ctx.fetch(at, 2);
  if (high === null) return FAULT_AFTER_PC;
  return ((low | (high << 16)) >>> 0) + size * INSN_SIZE_UNIT;
}

/** TB-flag bits 0-1: the privilege level. */
export const PRIV_FLAGS = 3;
/** TB-flag bit set while mstatus.FS is Off. */
const FP_OFF_FLAG = 4;
/** TB-flag bit set while the vector unit is off (no V, or mstatus.VS is Off). */
const VEC_OFF_FLAG = 8;
/** TB-flag bits 4-7: vtype as the vector fast path knows it (`vtypeCode`). */
const VTYPE_SHIFT = 4;

/**
 * The TB flags: what translated code depends on besides the pc, so that
 * checks on it cost nothing at run time (as QEMU's TB flags). With the
 * vector unit on they carry vtype (SEW and LMUL, as QEMU's `VSEW` and
 * `LMUL` flags) for the vector fast path.
 *
 * @example
 * ```ts
 * import { tbFlags } from "./translate.ts";
 * console.log(tbFlags(3, true, true)); // 15: M-mode, FP off, vector off
 * console.log(tbFlags(0, false, false, 0xd0n)); // 144: U-mode, e32 m1
 * ```
 */
export function tbFlags(priv: number, fpOff: boolean, vecOff: boolean, vtype = 0n): number {
  const vector = vecOff ? VEC_OFF_FLAG : vtypeCode(vtype) << VTYPE_SHIFT;
  return priv | (fpOff ? FP_OFF_FLAG : 0) | vector;
}

/**
 * The MMU mode (soft-TLB table) of TBs made under `flags`: U 0, S 1, M 2,
 * one per privilege level as QEMU's RISC-V MMU indices. What else decides a
 * translation (satp, MPRV/MPP, SUM, MXR, PMP) flushes every table when it
 * changes (`RiscvHart.regimeChanged`).
 *
 * @example
 * ```ts
 * import { mmuIndex, tbFlags } from "./translate.ts";
 * console.log(mmuIndex(tbFlags(3, true, true)), mmuIndex(tbFlags(0, false, false))); // 2 0
 * ```
 */
export function mmuIndex(flags: number): number {
  const priv = flags & PRIV_FLAGS;
  return priv === Priv.M ? 2 : priv;
}

/**
 * What translation depends on besides the TB: the ISA, the helpers, and in
 * system mode the hart's debug triggers.
 *
 * @example
 * ```ts ignore
 * const setup: TranslateSetup = { xlen: 64, helpers, extensionTags: ["Zba", "Zba64"] };
 * ```
 */
export interface TranslateSetup {
  readonly xlen: 32 | 64;
  readonly helpers: HelperRegistry;
  /** decode-table tags of the enabled optional extensions */
  readonly extensionTags: readonly string[];
  readonly triggers?: DebugTriggers;
  /** VLEN / 8, 0 without V */
  readonly vlenb: number;
}

/**
 * Translates one TB (`ctx.flags`: see {@linkcode tbFlags}).
 *
 * @example
 * ```ts ignore
 * translateRiscv(ctx, { xlen: 64, helpers, extensionTags: [] }); // through TargetArch.translate
 * ```
 */
export function translateRiscv(ctx: TranslateContext, setup: TranslateSetup): void {
  const { ir, flags } = ctx;
  const { xlen, helpers, triggers } = setup;
  const priv = flags & 3;
  const watch = triggers?.watches(priv) ?? 0;
  let pc = pcNumber(ctx.pc, xlen) ?? ctx.pc;
  const flagsCode = flags >> VTYPE_SHIFT;
  const vector = { flagsCode, vtype: vtypeOfCode(flagsCode), vstartZero: false };
  // One context per TB, its per-instruction fields set for each (an object per
  // instruction was most of what translating one allocated).
  const dc: Mutable<DisasContext> = {
    ir,
    xlen,
    pc,
    nextPc: pc,
    bits: 0,
    size: 0,
    insnIndex: 0,
    helpers,
    priv,
    watch,
    fpOff: (flags & FP_OFF_FLAG) !== 0,
    vecOff: (flags & VEC_OFF_FLAG) !== 0,
    vlenb: setup.vlenb,
    vector,
    ended: false,
    endAfter: false,
  };
  const { insn16, insn32 } = riscvDecoders(xlen, setup.extensionTags);
  const trans16 = transOf(insn16), trans32 = transOf(insn32);
  for (let n = 0;; n++) {
    const first = n === 0;
    if (!first && (n >= ctx.maxInsns || !ctx.samePage(pc))) return ir.gotoTb(pc);
    const fetched = fetchInsn(ctx, pc, first);
    if (fetched === STOP) return ir.gotoTb(pc);
    if (fetched < 0) {
      if (!first) return ir.gotoTb(pc);
      const addr = ir.temp();
      ir.movi(addr, fetched === FAULT_AT_PC ? pc : typeof pc === "number" ? pc + 2 : pc + 2n);
      return ir.raise(TrapKind.MEMORY, Cause.FETCH_PAGE_FAULT, addr);
    }
    const size = Math.floor(fetched / INSN_SIZE_UNIT), bits = fetched % INSN_SIZE_UNIT;
    ctx.beginInsn(pc, size, bits);
    if (triggers?.execHit(pc, priv)) return ir.raise(TrapKind.BREAKPOINT, Cause.BREAKPOINT);
    dc.pc = pc;
    dc.nextPc = pcPlus(dc, size);
    dc.bits = bits;
    dc.size = size;
    dc.insnIndex = n;
    dc.ended = dc.endAfter = false;
    // Decoded in place: the pattern's index, then its arguments in the object it reuses.
    const decoder = size === 2 ? insn16 : insn32, word = bits | 0;
    const index = decoder.match(word);
    const trans = index < 0 ? null : (size === 2 ? trans16 : trans32).get(index);
    if (!trans || !trans(dc, decoder.scratchArgs(index, word))) raiseIllegal(dc);
    if (dc.ended) return;
    pc = dc.nextPc;
    if (dc.endAfter) return ir.gotoTb(pc);
  }
}
