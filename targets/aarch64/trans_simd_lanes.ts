/**
 * The translation of the AdvSIMD patterns of `simd.decode.ts`: each checks
 * the element size and Q against the operation's shape (reserved encodings
 * are undefined instructions) and writes the common integer operations as IR
 * (`simd_int_ir.ts`) or calls the generic lane helper, `a64_vint` (`simd_int.ts`) or `a64_vfp`
 * (`simd_fp.ts`).
 *
 * @module
 */

import { type A64Context, imm, type TransTable } from "./context.ts";
import { A64_HELPER } from "./helpers.ts";
import { vfpInfo } from "./simd_fp.ts";
import { VINT_NAMES, vintInfo, vintKind } from "./simd_int.ts";
import { laneOpInIr } from "./simd_int_ir.ts";
import { shiftImmediate } from "./trans_simd.ts";

type Args = Record<string, number>;

/** Calls helper `h` with the operation, the registers and `info`. */
function call(ctx: A64Context, h: number, op: number, a: Args, m: number, info: number): void {
  ctx.ir.call(-1, h, [op, a.rd, a.rn, m, info].map((v) => imm(ctx, v)));
}

/** Whether the element size and Q suit an integer operation of shape `kind`. */
function intSizeOk(a: Args, size: number): boolean {
  const kind = vintKind(a.op);
  if (!((a.ok >> size) & 1)) return false;
  // Size 3 of a long operation (pmull's 1Q form) reads one D lane of either half.
  if (size === 3 && !a.q && !a.scalar && kind !== "long") return false;
  return !(kind === "across" && size === 2 && !a.q);
}

/**
 * The register and index of a by-element operand for element size `size` (log2 bytes): H:L:M
 * with a 4-bit Rm for halfwords, H:L for words, H for doublewords; null for other sizes.
 *
 * @example
 * ```ts
 * import { byElement } from "./trans_simd_lanes.ts";
 * console.log(byElement({ h: 1, l: 0, m: 1, rm: 2 }, 2)); // { reg: 18, index: 2 }
 * ```
 */
export function byElement(a: Args, size: number): { reg: number; index: number } | null {
  if (size === 1) return { reg: a.rm, index: (a.h << 2) | (a.l << 1) | a.m };
  const reg = (a.m << 4) | a.rm;
  if (size === 2) return { reg, index: (a.h << 1) | a.l };
  return size === 3 && !a.l ? { reg, index: a.h } : null;
}

/**
 * The translation functions of this group.
 *
 * @example
 * ```ts
 * import { SIMD_LANES_TRANS } from "./trans_simd_lanes.ts";
 * console.log("vfp" in SIMD_LANES_TRANS); // true
 * ```
 */
export const SIMD_LANES_TRANS: TransTable = {
  vint(ctx, a) {
    if (!intSizeOk(a, a.size)) return false;
    if (laneOpInIr(ctx, VINT_NAMES[a.op], a, a.size)) return true;
    call(ctx, A64_HELPER.VINT, a.op, a, a.rm, vintInfo({ size: a.size, q: a.q, scalar: a.scalar }));
    return true;
  },
  vint_shift(ctx, a) {
    const shift = shiftImmediate(a);
    if (!shift) return false;
    const kind = vintKind(a.op), halves = kind === "narrow" || kind === "long";
    const bad = halves
      ? shift.size === 3
      : a.scalar
      ? !((a.ok >> shift.size) & 1)
      : shift.size === 3 && !a.q;
    if (bad) return false;
    if (laneOpInIr(ctx, VINT_NAMES[a.op], a, shift.size, shift.amount)) return true;
    // Register 32: the helper takes the immediate (the shift amount) for Vm.
    const info = vintInfo({ size: shift.size, q: a.q, scalar: a.scalar, imm: shift.amount });
    call(ctx, A64_HELPER.VINT, a.op, a, 32, info);
    return true;
  },
  vint_elem(ctx, a) {
    const e = a.size === 1 || a.size === 2 ? byElement(a, a.size) : null;
    if (!e) return false;
    const info = vintInfo({ size: a.size, q: a.q, scalar: a.scalar, imm: e.index + 1 });
    call(ctx, A64_HELPER.VINT, a.op, a, e.reg, info);
    return true;
  },
  vfp_elem(ctx, a) {
    const e = byElement(a, 2 + a.type);
    if (!e || (a.type && !a.q && !a.scalar)) return false;
    const info = vfpInfo({ double: a.type, q: a.q, scalar: a.scalar, elem: e.index });
    call(ctx, A64_HELPER.VFP, a.op, a, e.reg, info);
    return true;
  },
  vfp(ctx, a) {
    if (a.type && !a.q && !a.scalar) return false;
    call(ctx, A64_HELPER.VFP, a.op, a, a.rm, vfpInfo({ double: a.type, q: a.q, scalar: a.scalar }));
    return true;
  },
  vfp_convert(ctx, a) {
    call(ctx, A64_HELPER.VFP, a.op, a, 0, vfpInfo({ double: a.type, q: a.q, scalar: a.scalar }));
    return true;
  },
  vfp_fixed(ctx, a) {
    const shift = shiftImmediate(a);
    if (!shift || shift.size < 2 || (shift.size === 3 && !a.q && !a.scalar)) return false;
    const info = vfpInfo({ double: shift.size - 2, q: a.q, scalar: a.scalar, fbits: shift.amount });
    call(ctx, A64_HELPER.VFP, a.op, a, 0, info);
    return true;
  },
};
