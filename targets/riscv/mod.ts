/**
 * The RISC-V target plugin: RV64IMAFDC + Zicsr + Zifencei (`-cpu rv64`) and
 * the same ISA at XLEN 32 (`-cpu rv32`), decoded from declarative tables,
 * with the M/S/U privileged architecture and Sv32/Sv39/Sv48 paging for
 * system mode (`hart.ts`).
 *
 * @example
 * ```ts
 * import riscv from "./mod.ts";
 * const target = riscv.create("rv64");
 * console.log(target.name, target.disassemble(0x00000073, 4, 0n)); // "riscv64 ecall"
 * ```
 *
 * @module
 */

import {
  type AccessType,
  EmuError,
  PLUGIN_API_VERSION,
  type RegisterAccess,
  type SystemCapableTarget,
  type TargetPlugin,
} from "../../mod.ts";
import { Cause } from "./causes.ts";
import { csrHelpers } from "./csr.ts";
import { disassembleRiscv } from "./disas.ts";
import { fpuHelpers } from "./fpu_helpers.ts";
import { HelperRegistry } from "./helpers.ts";
import { riscvLinuxAbi } from "./linux_abi.ts";
import { RiscvState, riscvStateLayout } from "./state.ts";
import { translateRiscv } from "./translate.ts";
import { FENCE_I_HELPER } from "./trans_zifencei.ts";
import { PRIV_HELPERS } from "./trans_priv.ts";
import { RiscvHart } from "./hart.ts";
import { riscvGdbArch } from "./gdb.ts";
import "./csr_machine.ts";
import "./csr_supervisor.ts";

export { decodeRiscv, riscvDecoders } from "./decode.ts";
export { disassembleRiscv } from "./disas.ts";
export { csrDef, defineCsr, Priv } from "./csr.ts";
export { Cause } from "./causes.ts";
export { RiscvState, riscvStateLayout } from "./state.ts";

/**
 * ELF e_machine of RISC-V.
 *
 * @example
 * ```ts
 * import { EM_RISCV } from "./mod.ts";
 * console.log(EM_RISCV); // 243
 * ```
 */
export const EM_RISCV = 243;

/** Cause codes of memory faults by access (page faults; misaligned as given by the spec). */
const FAULT_CAUSES: Record<AccessType, { fault: number; misaligned: number }> = {
  fetch: { fault: Cause.FETCH_PAGE_FAULT, misaligned: Cause.FETCH_MISALIGNED },
  read: { fault: Cause.LOAD_PAGE_FAULT, misaligned: Cause.LOAD_MISALIGNED },
  write: { fault: Cause.STORE_PAGE_FAULT, misaligned: Cause.STORE_MISALIGNED },
};

/**
 * Creates the target for CPU model `cpu` ("rv64" or "rv32").
 *
 * @example
 * ```ts
 * import { createRiscvTarget } from "./mod.ts";
 * console.log(createRiscvTarget("rv32").xlen); // 32
 * ```
 */
export function createRiscvTarget(cpu: string): SystemCapableTarget {
  if (cpu !== "rv64" && cpu !== "rv32") {
    throw new EmuError(`riscv: unknown CPU model "${cpu}"`, "use -cpu rv64 or -cpu rv32");
  }
  const xlen = cpu === "rv64" ? 64 : 32;
  const helpers = new HelperRegistry();
  helpers.addAll(fpuHelpers());
  helpers.addAll(csrHelpers(xlen));
  helpers.add(FENCE_I_HELPER);
  helpers.addAll(PRIV_HELPERS);
  return {
    name: `riscv${xlen}`,
    xlen,
    elfMachine: EM_RISCV,
    elfClass: xlen === 64 ? 2 : 1,
    state: riscvStateLayout(xlen),
    helpers: helpers.defs,
    reset(regs: RegisterAccess) {
      for (let off = 0; off < RiscvState.SIZE; off += 8) regs.setState(off, 0n);
    },
    // The TB flags are the privilege level (0 = U in user mode).
    tbFlags: (regs) => Number(regs.getState(RiscvState.PRIV)),
    translate: (ctx) => translateRiscv(ctx, xlen, helpers, ctx.flags & 3),
    disassemble: (bits, size, pc) => disassembleRiscv(xlen, bits, size, pc),
    memoryFaultCause: (access, reason) =>
      reason === "misaligned" ? FAULT_CAUSES[access].misaligned : FAULT_CAUSES[access].fault,
    // The Linux ABI in linux_abi.ts is riscv64's (lp64d); RV32 has no Linux ABI yet.
    linux: xlen === 64 ? riscvLinuxAbi : undefined,
    system: { attach: (cpu, binding) => new RiscvHart(cpu, xlen, binding) },
    gdb: riscvGdbArch(xlen),
  };
}

/**
 * The plugin manifest (the module's default export).
 *
 * @example
 * ```ts
 * import riscv from "./mod.ts";
 * console.log(riscv.cpus); // ["rv64", "rv32"]
 * ```
 */
const plugin: TargetPlugin = {
  kind: "target",
  name: "riscv",
  apiVersion: PLUGIN_API_VERSION,
  cpus: ["rv64", "rv32"],
  elfMachines: [
    { machine: EM_RISCV, elfClass: 2, cpu: "rv64" },
    { machine: EM_RISCV, elfClass: 1, cpu: "rv32" },
  ],
  create: createRiscvTarget,
};

export default plugin;
