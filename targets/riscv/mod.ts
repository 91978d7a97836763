/**
 * The RISC-V target plugin: RV64IMAFDC + Zicsr + Zifencei (`-cpu rv64`) and
 * the same ISA at XLEN 32 (`-cpu rv32`), plus the optional extensions of
 * `isa.ts` (`-cpu rv64,zba=on`, `-cpu rva22u64`), decoded from declarative tables,
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

import type {
  AccessType,
  RegisterAccess,
  SystemCapableTarget,
  TargetPlugin,
} from "../../plugin_target.ts";
import type { GuestMemory } from "../../plugin_target.ts";
import { Cause } from "./causes.ts";
import { csrHelpers } from "./csr.ts";
import { disassembleRiscv } from "./disas.ts";
import { fpuHelpers } from "./fpu_helpers.ts";
import { HelperRegistry } from "./helpers.ts";
import { riscvLinuxAbi } from "./linux_abi.ts";
import { RiscvState, riscvStateLayout } from "./state.ts";
import { mmuIndex, tbFlags, translateRiscv } from "./translate.ts";
import { extensionTags, type OptionalExtension, parseRiscvCpu } from "./isa.ts";
import { PRIV_HELPERS } from "./trans_priv.ts";
import { RiscvHart } from "./hart.ts";
import { riscvGdbArch } from "./gdb.ts";
import "./csr_machine.ts";
import "./csr_hpm.ts";
import "./csr_supervisor.ts";
import "./smstateen.ts";
import { CBO_HELPER } from "./trans_zicbo.ts";
import { TRIGGER_WATCH_HELPER } from "./csr_debug.ts";
import { BITMANIP_HELPERS } from "./bitmanip_helpers.ts";
import { resetVector, vectorHelpers } from "./trans_rvv.ts";

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
 * Creates the target for a `-cpu` option: "rv64" or "rv32" with QEMU's
 * extension properties ("rv64,zba=on,zbb=true"), or a profile ("rva22u64"); see `isa.ts`.
 *
 * @example
 * ```ts
 * import { createRiscvTarget } from "./mod.ts";
 * console.log(createRiscvTarget("rv32").xlen); // 32
 * ```
 */
export function createRiscvTarget(cpu: string): SystemCapableTarget {
  const isa = parseRiscvCpu(cpu);
  const { xlen } = isa;
  const helpers = new HelperRegistry();
  helpers.addAll(fpuHelpers());
  helpers.addAll(csrHelpers(xlen));
  helpers.addAll(PRIV_HELPERS);
  helpers.add(TRIGGER_WATCH_HELPER);
  helpers.addAll(BITMANIP_HELPERS);
  helpers.add(CBO_HELPER);
  const has = (e: OptionalExtension) => isa.extensions.has(e);
  // Only a CPU with V decodes vector instructions; building their helpers is ~10 ms of start-up.
  if (has("v")) helpers.addAll(vectorHelpers(xlen));
  const tags = extensionTags(xlen, isa.extensions);
  const features = {
    sstc: has("sstc"),
    svnapot: has("svnapot"),
    svpbmt: has("svpbmt"),
    smstateen: has("smstateen"),
  };
  // Hart 0 in system mode: the translator checks its debug triggers (other harts' are not).
  /** each hart by the memory its CPU fetches through (a translation's `ctx.memory`) */
  const harts = new WeakMap<GuestMemory, RiscvHart>();
  return {
    name: `riscv${xlen}`,
    xlen,
    isa: isa.isaString,
    elfMachine: EM_RISCV,
    elfClass: xlen === 64 ? 2 : 1,
    state: riscvStateLayout(xlen),
    helpers: helpers.defs,
    reset(regs: RegisterAccess) {
      for (let off = 0; off < RiscvState.SIZE; off += 8) regs.setState(off, 0n);
      resetVector(regs, has("v") ? isa.vlen : 0);
    },
    tbFlags: (regs) =>
      tbFlags(
        Number(regs.getState(RiscvState.PRIV)),
        regs.getState(RiscvState.FP_OFF) !== 0n,
        regs.getState(RiscvState.VEC_OFF) !== 0n,
        regs.getState(RiscvState.VTYPE),
      ),
    mmuIndex,
    translate: (ctx) =>
      translateRiscv(ctx, {
        xlen,
        helpers,
        extensionTags: tags,
        triggers: harts.get(ctx.memory)?.triggers,
        vlenb: has("v") ? isa.vlen / 8 : 0,
      }),
    disassemble: (bits, size, pc) => disassembleRiscv(xlen, bits, size, pc),
    memoryFaultCause: (access, reason) =>
      reason === "misaligned" ? FAULT_CAUSES[access].misaligned : FAULT_CAUSES[access].fault,
    // The Linux ABI in linux_abi.ts is riscv64's (lp64d); RV32 has no Linux ABI yet.
    linux: xlen === 64 ? riscvLinuxAbi : undefined,
    system: {
      attach: (cpu, binding) => {
        const h = new RiscvHart(cpu, xlen, binding, features);
        harts.set(cpu.mem, h);
        return h;
      },
    },
    gdb: riscvGdbArch(xlen, has("v") ? isa.vlen : 0),
  };
}

/**
 * The plugin manifest (the module's default export).
 *
 * @example
 * ```ts
 * import riscv from "./mod.ts";
 * console.log(riscv.cpus); // ["rv64", "rv32", "rva22u64", "rva22s64", "rva23u64", "rva23s64"]
 * ```
 */
const plugin: TargetPlugin = {
  kind: "target",
  name: "riscv",
  apiVersion: { min: 2, cur: 2 },
  cpus: ["rv64", "rv32", "rva22u64", "rva22s64", "rva23u64", "rva23s64"],
  elfMachines: [
    { machine: EM_RISCV, elfClass: 2, cpu: "rv64" },
    { machine: EM_RISCV, elfClass: 1, cpu: "rv32" },
  ],
  create: createRiscvTarget,
};

export default plugin;
