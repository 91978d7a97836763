/**
 * The RISC-V CPU state block: byte offsets, globals and the register list.
 *
 * Layout (fixed; the Linux layer depends on it):
 * - x0..x31 at bytes 0..255 = globals 0..31 (x0 is never written)
 * - f0..f31 at bytes 256..511 = globals 32..63 (raw 64-bit patterns, NaN-boxed singles)
 * - pc at 512, fcsr at 520 (fflags bits 0-4, frm bits 5-7)
 * - LR/SC reservation address at 528, reservation valid flag at 536
 * - the privilege level at 544 (system mode; 0 = U in user mode), part of the TB flags
 * - at 552, 1 while mstatus.FS is Off (system mode; always 0 in user mode), part of the TB flags
 * - vector CSRs at 560..615 (vstart, vl, vtype, vxrm, vxsat, vlenb) and at 616 the vector-off
 *   flag (1 while V is absent or mstatus.VS is Off), part of the TB flags
 * - at 976, three 16-byte scratch slots of the vector fast path (`trans_rvv_fast.ts`)
 * - v0..v31 from 1024, `vlenb` bytes each (at most 64: VLEN 512), elements little-endian
 *
 * @module
 */

import type { RegisterInfo, StateLayout } from "../../plugin_target.ts";
import { FPR_ABI_NAMES, GPR_ABI_NAMES } from "./names.ts";

/**
 * Where things live in the state block: byte offsets, the global index of f0,
 * and the block's size.
 *
 * @example
 * ```ts
 * import { RiscvState } from "./state.ts";
 * console.log(RiscvState.FCSR, RiscvState.FPR_GLOBAL_BASE + 10); // 520 42 (fa0)
 * ```
 */
export const RiscvState = {
  /** global index of f0 (f`n` is global `FPR_GLOBAL_BASE + n`) */
  FPR_GLOBAL_BASE: 32,
  /** the pc */
  PC: 512,
  /** fcsr: fflags in bits 0-4, frm in bits 5-7 */
  FCSR: 520,
  /** the LR/SC reservation address */
  RESERVATION_ADDR: 528,
  /** the LR/SC reservation valid flag (0 or 1) */
  RESERVATION_VALID: 536,
  /** the current privilege level (0 = U, 1 = S, 3 = M); the other privileged state is in `hart.ts` */
  PRIV: 544,
  /** 1 while mstatus.FS is Off (FP instructions and FP CSRs are illegal); kept by `hart.ts` */
  FP_OFF: 552,
  /** vstart: the first element a vector instruction executes */
  VSTART: 560,
  /** vl: the vector length set by vset{i}vl{i} */
  VL: 568,
  /** vtype: vlmul, vsew, vta, vma; bit 63 is vill */
  VTYPE: 576,
  /** vxrm: the fixed-point rounding mode */
  VXRM: 584,
  /** vxsat: the fixed-point saturation flag */
  VXSAT: 592,
  /** VLEN / 8, fixed by the `-cpu` option and set at reset */
  VLENB: 600,
  /** 1 while vector instructions and CSRs are illegal (no V, or mstatus.VS Off); kept by `hart.ts` */
  VEC_OFF: 608,
  /** three 16-byte scratch slots of the IR's vector ops (a splatted scalar, a result, a mask) */
  VSCRATCH: 976,
  /** v0: vector register `n` is at `VREGS + n * vlenb` */
  VREGS: 1024,
  /** bytes used by the state block (vector registers of VLEN 512 included) */
  SIZE: 3072,
} as const;

/**
 * The state layout for an XLEN (integer registers report `xlen` bits; they
 * are always kept sign-extended in their 64-bit slots).
 *
 * @example
 * ```ts
 * import { riscvStateLayout } from "./state.ts";
 * const s = riscvStateLayout(64);
 * console.log(s.globals.length, s.registers.find((r) => r.aliases?.includes("sp"))?.name); // 64 "x2"
 * ```
 */
export function riscvStateLayout(xlen: 32 | 64): StateLayout {
  const globals = [
    ...GPR_ABI_NAMES.map((_, i) => ({ name: `x${i}`, offset: i * 8 })),
    ...FPR_ABI_NAMES.map((_, i) => ({ name: `f${i}`, offset: 256 + i * 8 })),
  ];
  const registers: RegisterInfo[] = [
    ...GPR_ABI_NAMES.map((abi, i): RegisterInfo => ({
      name: `x${i}`,
      aliases: i === 8 ? [abi, "fp"] : [abi],
      offset: i * 8,
      bits: xlen,
      kind: "int",
      ...i === 0 ? { zero: true } : {},
    })),
    { name: "pc", offset: RiscvState.PC, bits: xlen, kind: "pc" },
    ...FPR_ABI_NAMES.map((abi, i): RegisterInfo => ({
      name: `f${i}`,
      aliases: [abi],
      offset: 256 + i * 8,
      bits: 64,
      kind: "fp",
    })),
    { name: "fcsr", offset: RiscvState.FCSR, bits: 32, kind: "csr" },
  ];
  return { size: RiscvState.SIZE, pcOffset: RiscvState.PC, globals, registers };
}
