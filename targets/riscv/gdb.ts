/**
 * How gdb sees RISC-V registers: the standard `org.gnu.gdb.riscv.cpu` and
 * `org.gnu.gdb.riscv.fpu` features with ABI register names, fflags/frm
 * as fields of fcsr (as in gdb's own riscv feature files), and the vector unit.
 *
 * @module
 */

import type { GdbArch, RegisterInfo } from "../../plugin.ts";
import { vectorGdbFeatures } from "./gdb_vector.ts";

const POINTER_TYPES: Record<string, string> = {
  ra: "code_ptr",
  sp: "data_ptr",
  gp: "data_ptr",
  tp: "data_ptr",
};

/**
 * The gdb description of the RISC-V target at `xlen`, with the vector unit
 * when `vlen` is not 0 (see `gdb_vector.ts`).
 *
 * @example
 * ```ts
 * import { riscvGdbArch } from "./gdb.ts";
 * console.log(riscvGdbArch(64).arch); // "riscv:rv64"
 * ```
 */
export function riscvGdbArch(xlen: 32 | 64, vlen = 0): GdbArch {
  const abiName = (r: RegisterInfo) => r.aliases?.[0] ?? r.name;
  return {
    arch: `riscv:rv${xlen}`,
    features: [
      { name: "org.gnu.gdb.riscv.cpu", kinds: ["int", "pc"] },
      { name: "org.gnu.gdb.riscv.fpu", kinds: ["fp", "csr"] },
    ],
    regName: abiName,
    regType: (r) => r.kind === "int" ? POINTER_TYPES[abiName(r)] : undefined,
    fields: [
      { name: "fflags", of: "fcsr", shift: 0, width: 5 },
      { name: "frm", of: "fcsr", shift: 5, width: 3 },
    ],
    stateFeatures: vectorGdbFeatures(xlen, vlen),
    stopBeforeWatchpoint: true,
  };
}
