/**
 * The AArch64 CPU state block: byte offsets, globals and the register list.
 *
 * Every 64-bit slot below `PC` is a global (global `i` is at byte `8 * i`):
 * - X0..X30 = globals 0..30, SP = global 31 (register number 31 is SP or XZR
 *   by instruction, as in the architecture);
 * - the flags in QEMU's representation, each a 64-bit global: N is the sign
 *   of `NF`, Z is `ZF == 0`, C is `CF` (0 or 1), V is the sign of `VF`, so that
 *   an instruction that sets them stores its result and nothing is packed;
 * - TPIDR_EL0 (the thread pointer), the exclusive monitor (address, -1 when
 *   none, and the value(s) loaded);
 * - V0..V31 as two 64-bit halves each (low half first).
 *
 * Then the pc, FPCR and FPSR, which are not globals.
 *
 * @module
 */

import type { RegisterInfo, StateLayout } from "../../plugin_target.ts";

/**
 * Global indices and byte offsets of the state block.
 *
 * @example
 * ```ts
 * import { A64 } from "./state.ts";
 * console.log(A64.SP, A64.vLow(1), A64.PC); // 31 42 832
 * ```
 */
export const A64 = {
  /** global of the stack pointer */
  SP: 31,
  /** globals of the flags (see the module doc) */
  NF: 32,
  ZF: 33,
  CF: 34,
  VF: 35,
  /** global of TPIDR_EL0 */
  TPIDR: 36,
  /** globals of the exclusive monitor: the address (-1: none) and the values loaded */
  EXCL_ADDR: 37,
  EXCL_VAL: 38,
  EXCL_VAL2: 39,
  /** global of the low half of V0 */
  V_BASE: 40,
  /** number of globals */
  GLOBALS: 104,
  /** the low and the high 64 bits of Vn (globals) */
  vLow: (n: number): number => 40 + 2 * n,
  vHigh: (n: number): number => 41 + 2 * n,
  /** byte offsets of the pc, FPCR and FPSR */
  PC: 832,
  FPCR: 840,
  FPSR: 848,
  /** bytes used */
  SIZE: 856,
} as const;

/** Names of the 64-bit globals below V0, in order. */
const SCALAR_GLOBALS = [
  ...Array.from({ length: 31 }, (_, i) => `x${i}`),
  "sp",
  "nf",
  "zf",
  "cf",
  "vf",
  "tpidr_el0",
  "excl_addr",
  "excl_val",
  "excl_val2",
];

/**
 * The state layout: globals and the registers users see (x0-x30, sp, pc,
 * the V registers as two 64-bit halves `v0` / `v0_hi`, the flags, fpcr, fpsr, tpidr_el0).
 *
 * @example
 * ```ts
 * import { aarch64StateLayout } from "./state.ts";
 * const s = aarch64StateLayout();
 * console.log(s.globals.length, s.registers.find((r) => r.aliases?.includes("lr"))?.name); // 104 "x30"
 * ```
 */
export function aarch64StateLayout(): StateLayout {
  const globals = SCALAR_GLOBALS.map((name, i) => ({ name, offset: 8 * i }));
  for (let n = 0; n < 32; n++) {
    globals.push({ name: `v${n}`, offset: 8 * A64.vLow(n) });
    globals.push({ name: `v${n}_hi`, offset: 8 * A64.vHigh(n) });
  }
  const registers: RegisterInfo[] = [
    ...Array.from({ length: 31 }, (_, i): RegisterInfo => ({
      name: `x${i}`,
      aliases: i === 29 ? ["fp"] : i === 30 ? ["lr"] : [],
      offset: 8 * i,
      bits: 64,
      kind: "int",
    })),
    { name: "sp", offset: 8 * A64.SP, bits: 64, kind: "int" },
    { name: "pc", offset: A64.PC, bits: 64, kind: "pc" },
    ...Array.from({ length: 32 }, (_, n): RegisterInfo => ({
      name: `v${n}`,
      aliases: [`d${n}`],
      offset: 8 * A64.vLow(n),
      bits: 64,
      kind: "fp",
    })),
    ...Array.from({ length: 32 }, (_, n): RegisterInfo => ({
      name: `v${n}_hi`,
      offset: 8 * A64.vHigh(n),
      bits: 64,
      kind: "fp",
    })),
    // The flags as the state keeps them (see the module doc); gdb sees them packed as cpsr.
    ...["nf", "zf", "cf", "vf"].map((name, i): RegisterInfo => ({
      name,
      offset: 8 * (A64.NF + i),
      bits: 64,
      kind: "csr",
    })),
    { name: "fpsr", offset: A64.FPSR, bits: 32, kind: "csr" },
    { name: "fpcr", offset: A64.FPCR, bits: 32, kind: "csr" },
    { name: "tpidr_el0", offset: 8 * A64.TPIDR, bits: 64, kind: "csr" },
  ];
  return { size: A64.SIZE, pcOffset: A64.PC, globals, registers };
}
