/**
 * The vector floating-point instructions as helpers, one per mnemonic,
 * through `core/softfloat`: element-wise arithmetic, comparisons into masks,
 * widening arithmetic, conversions, moves and reductions (the ordered and
 * unordered sums both add in element order, as QEMU 7.2 does).
 *
 * FP elements are SEW 16, 32 or 64 (SEW 8 is illegal); the rounding mode is
 * frm (an illegal instruction when frm is reserved), and exception flags
 * accrue into fflags. A scalar operand f[rs1] that is not properly
 * NaN-boxed reads as the canonical NaN.
 *
 * @module
 */

import { type FloatEnv, type HelperDef, nanBox16, nanBox32 } from "../../plugin_target.ts";
import { accrueFlags } from "./fpu_helpers.ts";
import { RiscvState } from "./state.ts";
import {
  FP_COMPARE,
  FP_FORMAT,
  FP_SINGLE,
  FP_UNARY,
  FP_WIDENING,
  type FpElemFn,
  unboxScalar,
} from "./vector_fp_ops.ts";
import {
  active,
  illegal,
  maskBit,
  readElem,
  requireGroup,
  requireNarrowDest,
  requireNoOverlap,
  requireVm,
  setMaskBit,
  setVstart,
  type VectorConfig,
  vectorHelper,
  writeElem,
} from "./vector_unit.ts";

/** The float environment of a vector FP instruction: frm, or illegal when frm is reserved. */
function frmEnv(v: VectorConfig): FloatEnv {
  const rm = Number((v.cpu.getState(RiscvState.FCSR) >> 5n) & 7n);
  if (rm > 4) throw illegal(v.bits);
  return { rm, flags: 0 };
}

/** Checks that elements of SEW (and of `wide` times SEW) are floats: no 8-bit FP. */
function requireFloat(v: VectorConfig, wide = 1): void {
  if (!FP_FORMAT[v.sew] || !FP_FORMAT[v.sew * wide]) throw illegal(v.bits);
}

type Shape = "single" | "mask" | "widen" | "widenW";
const WIDTHS: Record<Shape, { dst: number; src2: number }> = {
  single: { dst: 1, src2: 1 },
  mask: { dst: 0, src2: 1 },
  widen: { dst: 2, src2: 1 },
  widenW: { dst: 2, src2: 2 },
};

/** An element-wise FP helper (`.vv`, `.vf`, `.wv`, `.wf`, and `.vfm`: vfmerge). */
function fpElementwise(name: string, shape: Shape, fn: FpElemFn): HelperDef {
  const { dst, src2 } = WIDTHS[shape];
  const scalar = /\.[vw]f/.test(name) || name === "vfmv.v.f";
  const merge = name.startsWith("vfmerge") || name === "vfmv.v.f";
  return vectorHelper(name, (v, f, x1) => {
    const env = frmEnv(v), cpu = v.cpu, sew = v.sew;
    requireFloat(v, Math.max(dst, 1));
    if (dst !== 0) {
      requireGroup(v, f.vd, v.lmul * dst);
      if (!merge) requireVm(v, f);
    }
    requireGroup(v, f.vs2, v.lmul * src2);
    if (!scalar) requireGroup(v, f.vs1, v.lmul);
    if (shape === "widen") requireNoOverlap(v, f.vd, v.lmul * 2, f.vs2, v.lmul);
    if (shape.startsWith("widen") && !scalar) requireNoOverlap(v, f.vd, v.lmul * 2, f.vs1, v.lmul);
    if (v.vl === 0) return;
    const fmt = FP_FORMAT[sew], b0 = scalar ? unboxScalar(x1, sew) : 0n;
    for (let i = v.vstart; i < v.vl; i++) {
      if (merge) {
        if (f.vm === 0 && !maskBit(cpu, 0, i)) {
          writeElem(cpu, f.vd, sew, i, readElem(cpu, f.vs2, sew, i));
        } else writeElem(cpu, f.vd, sew, i, b0);
        continue;
      }
      if (!active(cpu, f.vm, i)) continue;
      const a = readElem(cpu, f.vs2, sew * src2, i);
      const b = scalar ? b0 : readElem(cpu, f.vs1, sew, i);
      if (dst === 0) setMaskBit(cpu, f.vd, i, fn(a, b, 0n, fmt, env) === 1n);
      else {
        const d = readElem(cpu, f.vd, sew * dst, i);
        writeElem(cpu, f.vd, sew * dst, i, fn(a, b, d, fmt, env));
      }
    }
    accrueFlags(cpu, env);
    setVstart(cpu, 0);
  });
}

/** A conversion, square root or class (vs2 only). */
function fpUnary(name: string): HelperDef {
  const { src, dst, fn } = FP_UNARY[name];
  return vectorHelper(name, (v, f) => {
    const env = frmEnv(v), cpu = v.cpu, sew = v.sew;
    if (!unaryLegal(name, sew)) throw illegal(v.bits);
    requireGroup(v, f.vd, v.lmul * dst);
    requireGroup(v, f.vs2, v.lmul * src);
    if (src === 2 && dst === 1) requireNarrowDest(v, f.vd, f.vs2);
    if (src === 1 && dst === 2) requireNoOverlap(v, f.vd, v.lmul * 2, f.vs2, v.lmul);
    requireVm(v, f);
    if (v.vl === 0) return;
    for (let i = v.vstart; i < v.vl; i++) {
      if (!active(cpu, f.vm, i)) continue;
      writeElem(cpu, f.vd, sew * dst, i, fn(readElem(cpu, f.vs2, sew * src, i), sew, env));
    }
    accrueFlags(cpu, env);
    setVstart(cpu, 0);
  });
}

/** Whether every float format a unary operation names exists at this SEW (no 8-bit floats). */
function unaryLegal(name: string, sew: number): boolean {
  const { src, dst } = FP_UNARY[name];
  const [, to, from] = name.match(/^vf[wn]?cvt\.(?:rtz\.|rod\.)?(\w+)\.(\w+)\./) ?? [];
  if (!to) return !!FP_FORMAT[sew];
  const fits = (kind: string, bits: number) => kind !== "f" || !!FP_FORMAT[bits];
  return sew * Math.max(src, dst) <= 64 && fits(to, sew * dst) && fits(from, sew * src);
}

/** vfmv.f.s (f[rd] = vs2[0], NaN-boxed) and vfmv.s.f (vd[0] = f[rs1] when vstart < vl). */
const FP_MOVES: HelperDef[] = [
  vectorHelper("vfmv.f.s", (v, f) => {
    requireFloat(v);
    const x = readElem(v.cpu, f.vs2, v.sew, 0);
    return v.sew === 16 ? nanBox16(x) : v.sew === 32 ? nanBox32(x) : x;
  }, true),
  vectorHelper("vfmv.s.f", (v, f, x1) => {
    requireFloat(v);
    if (v.vl > 0 && v.vstart < v.vl) writeElem(v.cpu, f.vd, v.sew, 0, unboxScalar(x1, v.sew));
    setVstart(v.cpu, 0);
  }),
];

/** vd[0] = fold(vs1[0], active vs2[i]) in element order; widening sums fold at 2*SEW. */
function fpReduction(name: string): HelperDef {
  const widen = name.startsWith("vfw");
  const op = name.includes("min")
    ? FP_SINGLE.vfmin
    : name.includes("max")
    ? FP_SINGLE.vfmax
    : widen
    ? FP_WIDENING["vfwadd.w"]
    : FP_SINGLE.vfadd;
  return vectorHelper(name, (v, f) => {
    const env = frmEnv(v), cpu = v.cpu, sew = v.sew;
    requireFloat(v, widen ? 2 : 1);
    if (v.vstart !== 0) throw illegal(v.bits); // as QEMU, like the integer reductions
    requireGroup(v, f.vs2, v.lmul);
    if (v.vl === 0) return;
    const fmt = FP_FORMAT[sew], wide = widen ? 2 * sew : sew;
    let acc = readElem(cpu, f.vs1, wide, 0);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!active(cpu, f.vm, i)) continue;
      // vfwadd.w's function takes the wide accumulator first, the SEW element second.
      acc = op(acc, readElem(cpu, f.vs2, sew, i), 0n, fmt, env);
    }
    writeElem(cpu, f.vd, wide, 0, acc);
    accrueFlags(cpu, env);
    setVstart(cpu, 0);
  });
}

/** A mnemonic's base and suffix (`vfwadd.wf`: `vfwadd`, `wf`). */
function splitName(mnemonic: string): { base: string; suffix: string } {
  const dot = mnemonic.lastIndexOf(".");
  return { base: mnemonic.slice(0, dot), suffix: mnemonic.slice(dot + 1) };
}

/**
 * The helper of the vector FP instruction `mnemonic`, or undefined.
 *
 * @example
 * ```ts
 * import { fpHelper } from "./vector_fp.ts";
 * console.log(fpHelper("vfadd.vf")?.name, fpHelper("vadd.vv")); // "vfadd.vf" undefined
 * ```
 */
export function fpHelper(mnemonic: string): HelperDef | undefined {
  if (mnemonic in FP_UNARY) return fpUnary(mnemonic);
  if (/^vfw?red/.test(mnemonic)) return fpReduction(mnemonic);
  const move = FP_MOVES.find((h) => h.name === mnemonic);
  if (move) return move;
  if (mnemonic === "vfmerge.vfm" || mnemonic === "vfmv.v.f") {
    return fpElementwise(mnemonic, "single", FP_SINGLE.vfadd);
  }
  const { base, suffix } = splitName(mnemonic);
  if (suffix[0] === "w" && `${base}.w` in FP_WIDENING) {
    return fpElementwise(mnemonic, "widenW", FP_WIDENING[`${base}.w`]);
  }
  if (base in FP_SINGLE) return fpElementwise(mnemonic, "single", FP_SINGLE[base]);
  if (base in FP_COMPARE) return fpElementwise(mnemonic, "mask", FP_COMPARE[base]);
  if (base in FP_WIDENING) return fpElementwise(mnemonic, "widen", FP_WIDENING[base]);
  return undefined;
}
