/**
 * RISC-V register, rounding-mode and CSR names, as the assembler spells them.
 *
 * @module
 */

/** ABI names of x0..x31. */
export const GPR_ABI_NAMES: readonly string[] = [
  "zero",
  "ra",
  "sp",
  "gp",
  "tp",
  "t0",
  "t1",
  "t2",
  "s0",
  "s1",
  "a0",
  "a1",
  "a2",
  "a3",
  "a4",
  "a5",
  "a6",
  "a7",
  "s2",
  "s3",
  "s4",
  "s5",
  "s6",
  "s7",
  "s8",
  "s9",
  "s10",
  "s11",
  "t3",
  "t4",
  "t5",
  "t6",
]; // deno-fmt-ignore

/** ABI names of f0..f31. */
export const FPR_ABI_NAMES: readonly string[] = [
  "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
  "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
  "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
  "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
]; // deno-fmt-ignore

/** Rounding-mode names by rm value (5 and 6 are reserved). */
export const ROUNDING_MODE_NAMES: readonly string[] = [
  "rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn",
]; // deno-fmt-ignore

function numbered(prefix: string, base: number, from: number, to: number): [number, string][] {
  const out: [number, string][] = [];
  for (let i = from; i <= to; i++) out.push([base + i - from, `${prefix}${i}`]);
  return out;
}

/** Standard CSR names by number (user, supervisor, machine and debug CSRs). */
export const CSR_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [0x001, "fflags"],
  [0x002, "frm"],
  [0x003, "fcsr"],
  [0xc00, "cycle"],
  [0xc01, "time"],
  [0xc02, "instret"],
  ...numbered("hpmcounter", 0xc03, 3, 31),
  [0xc80, "cycleh"],
  [0xc81, "timeh"],
  [0xc82, "instreth"],
  ...numbered("hpmcounter", 0xc83, 3, 31).map(([n, s]): [number, string] => [n, s + "h"]),
  [0x100, "sstatus"],
  [0x104, "sie"],
  [0x105, "stvec"],
  [0x106, "scounteren"],
  [0x10a, "senvcfg"],
  [0x140, "sscratch"],
  [0x141, "sepc"],
  [0x142, "scause"],
  [0x143, "stval"],
  [0x144, "sip"],
  [0x180, "satp"],
  [0xf11, "mvendorid"],
  [0xf12, "marchid"],
  [0xf13, "mimpid"],
  [0xf14, "mhartid"],
  [0xf15, "mconfigptr"],
  [0x300, "mstatus"],
  [0x301, "misa"],
  [0x302, "medeleg"],
  [0x303, "mideleg"],
  [0x304, "mie"],
  [0x305, "mtvec"],
  [0x306, "mcounteren"],
  [0x30a, "menvcfg"],
  [0x310, "mstatush"],
  [0x31a, "menvcfgh"],
  [0x320, "mcountinhibit"],
  ...numbered("mhpmevent", 0x323, 3, 31),
  [0x340, "mscratch"],
  [0x341, "mepc"],
  [0x342, "mcause"],
  [0x343, "mtval"],
  [0x344, "mip"],
  [0x34a, "mtinst"],
  [0x34b, "mtval2"],
  ...numbered("pmpcfg", 0x3a0, 0, 15),
  ...numbered("pmpaddr", 0x3b0, 0, 63),
  [0xb00, "mcycle"],
  [0xb02, "minstret"],
  ...numbered("mhpmcounter", 0xb03, 3, 31),
  [0xb80, "mcycleh"],
  [0xb82, "minstreth"],
  ...numbered("mhpmcounter", 0xb83, 3, 31).map(([n, s]): [number, string] => [n, s + "h"]),
  [0x7a0, "tselect"],
  [0x7a1, "tdata1"],
  [0x7a2, "tdata2"],
  [0x7a3, "tdata3"],
  [0x7b0, "dcsr"],
  [0x7b1, "dpc"],
  [0x7b2, "dscratch0"],
  [0x7b3, "dscratch1"],
]);

/**
 * The assembler name of CSR `num`, or its hex number.
 *
 * @example
 * ```ts
 * import { csrName } from "./names.ts";
 * console.log(csrName(3), csrName(0x7c0)); // "fcsr 0x7c0"
 * ```
 */
export function csrName(num: number): string {
  return CSR_NAMES.get(num) ?? `0x${num.toString(16)}`;
}
