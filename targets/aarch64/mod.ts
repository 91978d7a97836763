/**
 * The AArch64 target plugin: A64 user-mode integer code (data processing,
 * loads and stores with every addressing mode, exclusives and LSE atomics,
 * branches, the system registers user mode reaches), decoded from a
 * declarative table (`a64.decode.ts`), with the arm64 Linux ABI.
 *
 * @example
 * ```ts
 * import aarch64 from "./mod.ts";
 * const target = aarch64.create("cortex-a57");
 * console.log(target.name, target.disassemble(0xd65f03c0, 4, 0n)); // "aarch64 ret x30"
 * ```
 *
 * @module
 */

import type { TargetArch, TargetPlugin } from "../../plugin_target.ts";
import { disassembleA64 } from "./disas.ts";
import { aarch64GdbArch } from "./gdb.ts";
import { A64_HELPERS } from "./helpers.ts";
import { aarch64LinuxAbi } from "./linux_abi.ts";
import { A64, aarch64StateLayout } from "./state.ts";
import { translateA64 } from "./translate.ts";

export { decodeA64 } from "./decode.ts";
export { disassembleA64 } from "./disas.ts";
export { A64, aarch64StateLayout } from "./state.ts";

/**
 * ELF e_machine of AArch64.
 *
 * @example
 * ```ts
 * import { EM_AARCH64 } from "./mod.ts";
 * console.log(EM_AARCH64); // 183
 * ```
 */
export const EM_AARCH64 = 183;

/**
 * Creates the target (one CPU model for now).
 *
 * @example
 * ```ts
 * import { createAarch64Target } from "./mod.ts";
 * console.log(createAarch64Target("cortex-a57").xlen); // 64
 * ```
 */
export function createAarch64Target(_cpu: string): TargetArch {
  return {
    name: "aarch64",
    xlen: 64,
    isa: "armv8-a",
    elfMachine: EM_AARCH64,
    elfClass: 2,
    state: aarch64StateLayout(),
    helpers: A64_HELPERS,
    reset(regs) {
      for (let off = 0; off < A64.SIZE; off += 8) regs.setState(off, 0n);
      regs.setGlobal(A64.ZF, 1n);
      regs.setGlobal(A64.EXCL_ADDR, -1n);
    },
    tbFlags: () => 0,
    translate: translateA64,
    disassemble: (bits, _size, pc) => disassembleA64(bits, pc),
    linux: aarch64LinuxAbi,
    gdb: aarch64GdbArch,
  };
}

/**
 * The plugin manifest (the module's default export).
 *
 * @example
 * ```ts
 * import aarch64 from "./mod.ts";
 * console.log(aarch64.cpus); // ["cortex-a57"]
 * ```
 */
const plugin: TargetPlugin = {
  kind: "target",
  name: "aarch64",
  apiVersion: { min: 2, cur: 2 },
  cpus: ["cortex-a57"],
  elfMachines: [{ machine: EM_AARCH64, elfClass: 2, cpu: "cortex-a57" }],
  create: createAarch64Target,
};

export default plugin;
