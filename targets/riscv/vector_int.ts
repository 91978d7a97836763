/**
 * The vector integer and fixed-point instructions as helpers, one per
 * mnemonic (`vadd.vv`, `vadd.vx`, `vadd.vi`...), generated from the element
 * functions of `vector_int_ops.ts` and the shapes here: SEW-wide, to a mask,
 * widening, narrowing. Each helper takes the instruction bits and, for the
 * `.vx` forms, the scalar operand.
 *
 * @module
 */

import type { CpuCore, HelperDef } from "../../plugin_target.ts";
import { RiscvState } from "./state.ts";
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
  vectorConfig,
  vectorFields,
  writeElem,
} from "./vector_unit.ts";
import {
  type ElemContext,
  type ElemFn,
  NARROWING,
  SINGLE_WIDTH,
  TO_MASK,
  WIDENING,
} from "./vector_int_ops.ts";

/** How an instruction's operands and destination are laid out. */
type Shape = "single" | "mask" | "widen" | "widenW" | "narrow";

/** The operand form: vector-vector, vector-scalar, vector-immediate. */
export type OperandForm = "vv" | "vx" | "vi";

/** Instructions whose v0 is an operand (carry, merge select): every element is active. */
const V0_OPERAND = new Set(["vadc", "vsbc", "vmadc", "vmsbc", "vmerge"]);
/** Instructions whose immediate is unsigned (shift amounts, as the spec's uimm5). */
const UNSIGNED_IMM = new Set(["vsll", "vsrl", "vsra", "vssrl", "vssra", "vnsrl", "vnsra"]
  .concat(["vnclipu", "vnclip"]));

/** The widths (in SEWs) of the destination and of vs2 of a shape. */
const WIDTHS: Record<Shape, { dst: number; src2: number }> = {
  single: { dst: 1, src2: 1 },
  mask: { dst: 0, src2: 1 },
  widen: { dst: 2, src2: 1 },
  widenW: { dst: 2, src2: 2 },
  narrow: { dst: 1, src2: 2 },
};

/** Checks the register groups of a shape (QEMU's `require_align`, `require_vm`). */
function checkShape(v: VectorConfig, bits: number, shape: Shape, form: OperandForm, base: string) {
  const f = vectorFields(bits), { dst, src2 } = WIDTHS[shape];
  if ((dst === 2 || src2 === 2) && v.sew === 64) throw illegal(bits); // 2 * SEW > ELEN
  if (dst === 0) {
    if (base === "vmadc" || base === "vmsbc") requireGroup(v, f.vd, 1);
  } else {
    requireGroup(v, f.vd, v.lmul * dst);
    if (!V0_OPERAND.has(base)) requireVm(v, f);
  }
  requireGroup(v, f.vs2, v.lmul * src2);
  if (form === "vv") requireGroup(v, f.vs1, v.lmul);
  if (shape === "narrow") requireNarrowDest(v, f.vd, f.vs2);
  if (shape === "widen") requireNoOverlap(v, f.vd, v.lmul * 2, f.vs2, v.lmul);
  if (shape.startsWith("widen") && form === "vv") {
    requireNoOverlap(v, f.vd, v.lmul * 2, f.vs1, v.lmul);
  }
  if ((base === "vadc" || base === "vsbc") && (f.vm === 1 || f.vd === 0)) throw illegal(bits);
}

/** The second operand's value at SEW when it is the same for every element: the scalar or the immediate. */
function operandB(form: OperandForm, base: string, bits: number, scalar: bigint, sew: number) {
  if (form === "vx") return scalar;
  if (form !== "vi") return null;
  const f = vectorFields(bits);
  return BigInt.asUintN(sew, BigInt(UNSIGNED_IMM.has(base) ? f.vs1 : f.simm5));
}

/** Builds the helper `name` of `base` in `form` with element function `fn`. */
function elementwise(
  name: string,
  base: string,
  form: OperandForm,
  shape: Shape,
  fn: ElemFn,
): HelperDef {
  const { dst, src2 } = WIDTHS[shape];
  return {
    name,
    hasResult: false,
    flags: { mayTrap: true },
    fn: (cpu: CpuCore, bitsArg: bigint, scalarArg: bigint) => {
      const bits = Number(bitsArg);
      const v = vectorConfig(cpu, bits);
      checkShape(v, bits, shape, form, base);
      if (v.vl === 0) return;
      const f = vectorFields(bits), sew = v.sew;
      const fixed = operandB(form, base, bits, BigInt.asUintN(sew, scalarArg), sew);
      const v0Operand = V0_OPERAND.has(base), mergeAll = base === "vmerge" && f.vm === 1;
      const c = elemContext(cpu, sew);
      for (let i = v.vstart; i < v.vl; i++) {
        if (!v0Operand && !active(cpu, f.vm, i)) continue;
        const a = readElem(cpu, f.vs2, sew * src2, i);
        const b = fixed ?? readElem(cpu, f.vs1, sew, i);
        c.m = mergeAll || (f.vm === 0 && v0Operand && maskBit(cpu, 0, i));
        if (dst === 0) {
          setMaskBit(cpu, f.vd, i, (fn(a, b, c) & 1n) === 1n);
        } else {
          c.d = readElem(cpu, f.vd, sew * dst, i);
          writeElem(cpu, f.vd, sew * dst, i, fn(a, b, c));
        }
      }
      setVstart(cpu, 0);
    },
  };
}

/** A mutable element context: `d` and `m` change per element. */
function elemContext(cpu: CpuCore, sew: number): ElemContext & { d: bigint; m: boolean } {
  return {
    sew,
    d: 0n,
    m: false,
    vxrm: Number(cpu.getState(RiscvState.VXRM) & 3n),
    saturated: () => cpu.setState(RiscvState.VXSAT, 1n),
  };
}

/** The operand form of a mnemonic suffix (`vv`, `vxm`, `wi`...). */
function formOf(suffix: string): OperandForm | undefined {
  const form = `v${suffix[1]}`;
  return /^[vw][vxi]m?$/.test(suffix) ? form as OperandForm : undefined;
}

/**
 * The helper of the element-wise integer instruction `mnemonic` (`vadd.vi`,
 * `vnsrl.wx`, `vwadd.wv`, `vmadc.vvm`, `vmv.v.x`), or undefined when it is
 * not one.
 *
 * @example
 * ```ts
 * import { intHelper } from "./vector_int.ts";
 * console.log(intHelper("vadd.vi")?.name, intHelper("vfadd.vv")); // "vadd.vi" undefined
 * ```
 */
export function intHelper(mnemonic: string): HelperDef | undefined {
  const dot = mnemonic.lastIndexOf("."), suffix = mnemonic.slice(dot + 1);
  if (mnemonic.startsWith("vmv.v.")) {
    const form = formOf(`v${suffix}`)!;
    return elementwise(mnemonic, "vmerge", form, "single", SINGLE_WIDTH.vmerge);
  }
  const base = mnemonic.slice(0, dot), form = formOf(suffix);
  if (!form) return undefined;
  const wideW = suffix[0] === "w" && `${base}.w` in WIDENING;
  if (wideW) return elementwise(mnemonic, base, form, "widenW", WIDENING[`${base}.w`]);
  if (base in SINGLE_WIDTH) return elementwise(mnemonic, base, form, "single", SINGLE_WIDTH[base]);
  if (base in TO_MASK) return elementwise(mnemonic, base, form, "mask", TO_MASK[base]);
  if (base in WIDENING) return elementwise(mnemonic, base, form, "widen", WIDENING[base]);
  if (base in NARROWING) return elementwise(mnemonic, base, form, "narrow", NARROWING[base]);
  return undefined;
}

/** vzext/vsext: the factor and signedness of each. */
const EXTENSIONS: Record<string, { factor: number; signed: boolean }> = {
  "vzext.vf2": { factor: 2, signed: false },
  "vsext.vf2": { factor: 2, signed: true },
  "vzext.vf4": { factor: 4, signed: false },
  "vsext.vf4": { factor: 4, signed: true },
  "vzext.vf8": { factor: 8, signed: false },
  "vsext.vf8": { factor: 8, signed: true },
};

/**
 * The vzext/vsext helpers: each element of vs2 at SEW/factor, extended to SEW.
 *
 * @example
 * ```ts
 * import { extensionHelpers } from "./vector_int.ts";
 * console.log(extensionHelpers().length); // 6
 * ```
 */
export function extensionHelpers(): HelperDef[] {
  return Object.entries(EXTENSIONS).map(([name, { factor, signed }]) => ({
    name,
    hasResult: false,
    flags: { mayTrap: true },
    fn: (cpu: CpuCore, bitsArg: bigint) => {
      const bits = Number(bitsArg), v = vectorConfig(cpu, bits), f = vectorFields(bits);
      const from = v.sew / factor;
      if (from < 8 || v.lmul / factor < 1 / 8) throw illegal(bits);
      requireGroup(v, f.vd, v.lmul);
      requireGroup(v, f.vs2, v.lmul / factor);
      requireVm(v, f);
      if (v.vl === 0) return;
      for (let i = v.vstart; i < v.vl; i++) {
        if (!active(cpu, f.vm, i)) continue;
        const x = readElem(cpu, f.vs2, from, i);
        writeElem(cpu, f.vd, v.sew, i, signed ? BigInt.asIntN(from, x) : x);
      }
      setVstart(cpu, 0);
    },
  }));
}
