/**
 * How gdb sees AArch64 registers: gdb's `org.gnu.gdb.aarch64.core` feature
 * (x0-x30, sp, pc, and cpsr packed from the flags the state keeps apart),
 * then `org.gnu.gdb.aarch64.fpu` (v0-v31, fpsr, fpcr: `gdb_fpu.ts`).
 *
 * @module
 */

import type { GdbArch } from "../../plugin_target.ts";
import { aarch64FpuFeature } from "./gdb_fpu.ts";

/**
 * The gdb description of the AArch64 target.
 *
 * @example
 * ```ts
 * import { aarch64GdbArch } from "./gdb.ts";
 * console.log(aarch64GdbArch.computed?.[0].read([-1n, 0n, 1n, 0n]).toString(16)); // "e0000000"
 * ```
 */
export const aarch64GdbArch: GdbArch = {
  arch: "aarch64",
  features: [{ name: "org.gnu.gdb.aarch64.core", kinds: ["int", "pc"] }],
  regType: (r) => (r.name === "sp" ? "data_ptr" : undefined),
  computed: [{
    name: "cpsr",
    after: "pc",
    bits: 32,
    from: ["nf", "zf", "cf", "vf"],
    read: ([nf, zf, cf, vf]) =>
      (nf < 0n ? 1n << 31n : 0n) | (BigInt.asUintN(64, zf) === 0n ? 1n << 30n : 0n) |
      (cf !== 0n ? 1n << 29n : 0n) | (vf < 0n ? 1n << 28n : 0n),
    write: (v) => [
      v & (1n << 31n) ? -1n : 0n,
      v & (1n << 30n) ? 0n : 1n,
      (v >> 29n) & 1n,
      v & (1n << 28n) ? -1n : 0n,
    ],
  }],
  stateFeatures: [aarch64FpuFeature()],
};
