/**
 * A generic integer register dump for `-d cpu`, four `name value` cells per row,
 * for a target whose Linux ABI has no dump of its own (`LinuxAbi.cpuDump`, in
 * the layout of QEMU's for the machine).
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
