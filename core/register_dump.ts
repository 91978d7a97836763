/**
 * Register dumps: a generic integer one for user mode's `-d cpu`, four
 * `name value` cells per row, for a target whose Linux ABI has no dump of its
 * own (`LinuxAbi.cpuDump`, in the layout of QEMU's for the machine); and a
 * hart's, in the layout of QEMU 7.2's RISC-V `riscv_cpu_dump_state`, which
 * system mode's `-d cpu` and the monitor's `info registers` both print.
 *
 * @module
 */

import type { CpuCore } from "./cpu_core.ts";

/**
 * The rows of the integer register dump of `cpu`.
 *
 * @example
 * ```ts ignore
 * console.log(registerRows(cpu).join("\n"));
 * ```
 */
export function registerRows(cpu: CpuCore): string[] {
  const regs = cpu.target.state.registers.filter((r) => r.kind !== "fp");
  const cells = regs.map((r) =>
    `${(r.aliases?.[0] ?? r.name).padEnd(4)} ${
      BigInt.asUintN(64, cpu.getState(r.offset)).toString(16).padStart(16, "0")
    }`
  );
  const rows: string[] = [];
  for (let i = 0; i < cells.length; i += 4) rows.push(" " + cells.slice(i, i + 4).join(" "));
  return rows;
}

/** The CSRs QEMU 7.2's RISC-V dump lists (those of the H extension, which Denemu lacks, left out). */
const DUMP_CSRS = ("mhartid mstatus mip mie mideleg medeleg mtvec stvec mepc sepc mcause scause " +
  "mtval stval mscratch sscratch satp").split(" ");

/**
 * The rows of a hart's dump as QEMU 7.2's RISC-V one lays it out (on a CPU
 * without H, `-cpu rv64,h=false` there): the pc, the machine and supervisor
 * CSRs the target has, then the integer and (with `fpu`) the FP registers
 * four a row, each `name/abi-name`.
 *
 * @example
 * ```ts ignore
 * console.log(hartRows(cpu, true).join("\n"));
 * ```
 */
export function hartRows(cpu: CpuCore, fpu: boolean): string[] {
  const hex = (v: bigint) => BigInt.asUintN(64, v).toString(16).padStart(16, "0");
  const cell = (name: string, v: bigint) => ` ${name.padEnd(8)} ${hex(v)}`;
  const csrs = cpu.target.gdb?.cpuFeatures?.flatMap((f) => f.regs) ?? [];
  const rows = [cell("pc", cpu.pc)];
  for (const name of DUMP_CSRS) {
    const csr = csrs.find((r) => r.name === name);
    if (csr && (csr.present?.(cpu) ?? true)) rows.push(cell(name, csr.read(cpu)));
  }
  for (const kind of fpu ? ["int", "fp"] : ["int"]) {
    const regs = cpu.target.state.registers.filter((r) => r.kind === kind);
    const cells = regs.map((r) =>
      cell(`${r.name}/${r.aliases?.[0] ?? r.name}`, cpu.getState(r.offset))
    );
    for (let i = 0; i < cells.length; i += 4) rows.push(cells.slice(i, i + 4).join(""));
  }
  return rows;
}
