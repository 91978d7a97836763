/**
 * The vector extension V 1.0: vset{i}vl{i} and the vector CSRs here, and one
 * translation function per instruction that calls its helper (as QEMU's
 * `trans_rvv.c.inc` calls `vector_helper.c`). Every helper takes the
 * instruction bits and the values of the integer registers named by the
 * rs1 and rs2 fields; the ones with a scalar result (vmv.x.s, vcpop.m,
 * vfirst.m) write rd.
 *
 * vl, vtype and vstart are read by the helpers at run time. Translated code
 * depends on whether the vector unit is on (a TB-flag bit, as QEMU's `VS`
 * check) and, for the fast path of common integer instructions
 * (`trans_rvv_fast.ts`), on vtype (TB-flag bits, and a vsetvli's immediate
 * for the rest of its TB).
 *
 * @module
 */

import type { CpuCore, HelperDef, RegisterAccess } from "../../plugin_target.ts";
import { callHelper, fpr, gpr, gprDest, imm, type TransFn, type TransTable } from "./context.ts";
import { defineCsr, Priv } from "./csr.ts";
import { rvvPatterns } from "./decode.ts";
import { RiscvState } from "./state.ts";
import { extensionHelpers, intHelper } from "./vector_int.ts";
import { memoryHelper } from "./vector_mem.ts";
import { fpHelper } from "./vector_fp.ts";
import { permutationHelper } from "./vector_perm.ts";
import { decodeVtype, setVill, setVstart } from "./vector_unit.ts";
import { emitFast, fastPlan, knownAfterVset, vtypeCode } from "./trans_rvv_fast.ts";

/** Every vector mnemonic of the decode table but vset{i}vl{i}, in table order. */
function mnemonics(): string[] {
  return rvvPatterns().map((p) => p.name).filter((m) => !m.startsWith("vset"));
}

/** The helper of a vector instruction other than vset{i}vl{i}. */
function helperFor(mnemonic: string): HelperDef {
  const h = intHelper(mnemonic) ?? memoryHelper(mnemonic) ?? permutationHelper(mnemonic) ??
    fpHelper(mnemonic) ?? extensionHelpers().find((e) => e.name === mnemonic);
  if (!h) throw new Error(`vector: no helper for ${mnemonic}`);
  return h;
}

/**
 * Sets vl and vtype as QEMU 7.2's `vsetvl` helper: an unsupported vtype sets
 * vill and vl = 0; else vl = min(AVL, VLMAX). `keep` (rd = rs1 = x0) takes
 * the current vl as the AVL. The `vsetvl_flags` twin serves the vset{i}vl{i}
 * that may change vtype's TB-flag field (as QEMU ends the TB after vsetvl).
 */
function vsetvlHelper(xlen: 32 | 64, changesTbFlags: boolean): HelperDef {
  return {
    name: changesTbFlags ? "vsetvl_flags" : "vsetvl",
    hasResult: true,
    flags: { changesTbFlags },
    fn: (cpu: CpuCore, avl: bigint, vtype: bigint, keep: bigint) => {
      const t = decodeVtype(vtype, xlen);
      if (!t) {
        setVill(cpu);
        return 0n;
      }
      const vlmax = BigInt((Number(cpu.getState(RiscvState.VLENB)) * 8 * t.lmul) / t.sew);
      const want = keep ? cpu.getState(RiscvState.VL) : BigInt.asUintN(xlen, avl);
      const vl = want < vlmax ? want : vlmax;
      cpu.setState(RiscvState.VL, vl);
      cpu.setState(RiscvState.VTYPE, BigInt.asUintN(xlen, vtype));
      setVstart(cpu, 0);
      return vl;
    },
  };
}

/**
 * The helpers of the vector extension.
 *
 * @example
 * ```ts
 * import { vectorHelpers } from "./trans_rvv.ts";
 * console.log(vectorHelpers(64).some((h) => h.name === "vle32.v")); // true
 * ```
 */
export function vectorHelpers(xlen: 32 | 64): HelperDef[] {
  return [vsetvlHelper(xlen, false), vsetvlHelper(xlen, true), ...mnemonics().map(helperFor)];
}

/**
 * Resets the vector state: vtype = vill (as QEMU), VLENB = `vlen` / 8, and
 * the unit off when `vlen` is 0 (no V).
 *
 * @example
 * ```ts ignore
 * resetVector(cpu, 128);
 * ```
 */
export function resetVector(regs: RegisterAccess, vlen: number): void {
  regs.setState(RiscvState.VTYPE, 1n << 63n);
  regs.setState(RiscvState.VLENB, BigInt(vlen / 8));
  regs.setState(RiscvState.VEC_OFF, vlen ? 0n : 1n);
}

/** vsetvli, vsetivli, vsetvl: the AVL and vtype operands, then the helper. */
function vset(kind: "vli" | "ivli" | "vl"): TransFn {
  return (ctx, a) => {
    let avl = gpr(ctx, a.rs1), keep = 0;
    if (kind === "ivli") avl = imm(ctx, a.rs1);
    else if (a.rs1 === 0) {
      if (a.rd === 0) keep = 1;
      else avl = imm(ctx, -1);
    }
    const vtype = kind === "vl" ? gpr(ctx, a.rs2) : imm(ctx, a.rs2);
    // vtype is in the TB flags: a change sends the TB's exits through the run loop
    const same = kind !== "vl" && vtypeCode(BigInt(a.rs2)) === ctx.vector.flagsCode;
    const vl = callHelper(ctx, same ? "vsetvl" : "vsetvl_flags", [avl, vtype, imm(ctx, keep)]);
    if (a.rd !== 0) ctx.ir.mov(gprDest(ctx, a.rd), vl);
    ctx.vector.vtype = kind === "vl" ? null : knownAfterVset(a.rs2);
    ctx.vector.vstartZero = true;
    return true;
  };
}

/** Whether a vector mnemonic is an FP instruction (also illegal while mstatus.FS is Off). */
const isFp = (m: string) => /^vm?f(?!irst)/.test(m);
/** Whether its rs1 field names an FP register. */
const fpScalar = (m: string) => /\.[vw]fm?$|^vfmv\.[sv]\.f$/.test(m);

/**
 * A vector instruction: its helper (registered by {@linkcode vectorHelpers})
 * with the bits and the register values named by rs1 (an FP register for the
 * `.vf` forms) and rs2, after the fast path of `trans_rvv_fast.ts` where
 * one may apply (the helper then runs only when its run-time guard fails).
 */
function vectorOp(m: string): TransFn {
  const fp = isFp(m), fpRs1 = fpScalar(m), fpRd = m === "vfmv.f.s", plan = fastPlan(m);
  return (ctx) => {
    if (fp && ctx.fpOff) return false;
    const done = plan ? emitFast(ctx, plan) : null;
    const rs1 = (ctx.bits >>> 15) & 31, rs2 = (ctx.bits >>> 20) & 31, rd = (ctx.bits >>> 7) & 31;
    const x1 = fpRs1 ? fpr(rs1) : gpr(ctx, rs1);
    const args = [imm(ctx, ctx.bits >>> 0), x1, gpr(ctx, rs2)];
    const helper = ctx.helpers.index(m);
    const d = !ctx.helpers.defs[helper].hasResult ? -1 : fpRd ? fpr(rd) : gprDest(ctx, rd);
    ctx.ir.call(d, helper, args);
    if (done !== null) ctx.ir.setLabel(done);
    // Past a fast-path instruction vstart is 0, or vl is 0 and no fast path runs before a vset
    // (the helpers of other instructions may leave vstart alone: vmv.x.s, the vl = 0 cases).
    if (plan) ctx.vector.vstartZero = true;
    return true;
  };
}

/**
 * The vector translation functions, by mnemonic: built at the first call, since only a CPU with V
 * decodes vector instructions.
 *
 * @example
 * ```ts
 * import { rvvTrans } from "./trans_rvv.ts";
 * console.log("vadd.vv" in rvvTrans(), "vsetvli" in rvvTrans()); // true true
 * ```
 */
export function rvvTrans(): TransTable {
  return rvvTable ??= {
    vsetvli: vset("vli"),
    vsetivli: vset("ivli"),
    vsetvl: vset("vl"),
    ...Object.fromEntries(mnemonics().map((m) => [m, vectorOp(m)])),
  };
}
let rvvTable: TransTable | undefined;

/** A read/write vector CSR kept in the state block, with the bits a write keeps. */
function stateCsr(num: number, name: string, offset: number, mask: (cpu: CpuCore) => bigint) {
  defineCsr({
    num,
    name,
    priv: Priv.U,
    vec: true,
    read: (cpu) => cpu.getState(offset),
    write: (cpu, v) => cpu.setState(offset, v & mask(cpu)),
  });
}

stateCsr(0x008, "vstart", RiscvState.VSTART, (cpu) => cpu.getState(RiscvState.VLENB) * 8n - 1n);
stateCsr(0x009, "vxsat", RiscvState.VXSAT, () => 1n);
stateCsr(0x00a, "vxrm", RiscvState.VXRM, () => 3n);
defineCsr({
  num: 0x00f,
  name: "vcsr",
  priv: Priv.U,
  vec: true,
  read: (cpu) => (cpu.getState(RiscvState.VXRM) << 1n) | cpu.getState(RiscvState.VXSAT),
  write: (cpu, v) => {
    cpu.setState(RiscvState.VXRM, (v >> 1n) & 3n);
    cpu.setState(RiscvState.VXSAT, v & 1n);
  },
});
defineCsr({
  num: 0xc20,
  name: "vl",
  priv: Priv.U,
  vec: true,
  read: (cpu) => cpu.getState(RiscvState.VL),
});
defineCsr({
  num: 0xc21,
  name: "vtype",
  priv: Priv.U,
  vec: true,
  read: (cpu, xlen) => {
    const vtype = cpu.getState(RiscvState.VTYPE);
    return vtype < 0n ? BigInt.asIntN(xlen, 1n << BigInt(xlen - 1)) : vtype;
  },
});
defineCsr({
  num: 0xc22,
  name: "vlenb",
  priv: Priv.U,
  vec: true,
  read: (cpu) => cpu.getState(RiscvState.VLENB),
});
