/**
 * Smstateen and Ssstateen: the state-enable CSRs (`-cpu rv64,smstateen=on`).
 * M-mode's mstateen0-3 (with mstateen0h-3h on RV32) say which extra state
 * lower privilege levels may reach; S-mode's sstateen0-3 do the same for
 * U-mode.
 *
 * What this hart has, as the specification asks of a hart without the
 * hypervisor, Zfinx, Zcmt, AIA or scontext:
 * - mstateen0 keeps SE0 (bit 63: S-mode may access sstateen0) and ENVCFG
 *   (bit 62: S-mode may access senvcfg); mstateen1-3 keep only SE0;
 * - sstateen0-3 keep no bit (each bit they could hold controls state this
 *   hart does not have), so they read 0;
 * - with the extension off, every state-enable CSR is an illegal instruction.
 *
 * QEMU 7.2 predates Smstateen; the bare-metal test `smstateen` checks this
 * against the specification.
 *
 * @module
 */

import { CsrIllegal, Priv } from "./csr.ts";
import { defineHartCsr } from "./csr_machine.ts";
import type { RiscvHart } from "./hart.ts";

/** mstateenN bit 63: the lower levels' access to sstateenN. */
export const STATEEN_SE0 = 1n << 63n;
/** mstateen0 bit 62: S-mode's access to senvcfg. */
export const STATEEN0_ENVCFG = 1n << 62n;

/** The bits mstateen`index` keeps. */
function writable(index: number): bigint {
  return index === 0 ? STATEEN_SE0 | STATEEN0_ENVCFG : STATEEN_SE0;
}

/**
 * Throws {@linkcode CsrIllegal} when the hart has Smstateen and a mode below
 * M accesses state that mstateen`index`'s `bit` does not enable.
 *
 * @example
 * ```ts ignore
 * requireStateEnabled(hart, 0, STATEEN0_ENVCFG); // before an S-mode senvcfg access
 * ```
 */
export function requireStateEnabled(h: RiscvHart, index: number, bit: bigint): void {
  if (h.smstateen && h.priv < Priv.M && (h.mstateen[index] & bit) === 0n) throw new CsrIllegal();
}

function requireExtension(h: RiscvHart): void {
  if (!h.smstateen) throw new CsrIllegal();
}

for (let index = 0; index < 4; index++) {
  const setLow = (h: RiscvHart, v: bigint) =>
    (h.mstateen[index] & ~0xffffffffn) | BigInt.asUintN(32, v);
  defineHartCsr({
    num: 0x30c + index,
    name: `mstateen${index}`,
    priv: Priv.M,
    read: (h, xlen) => {
      requireExtension(h);
      return xlen === 32 ? h.mstateen[index] & 0xffffffffn : h.mstateen[index];
    },
    write: (h, v, xlen) => {
      requireExtension(h);
      h.mstateen[index] = (xlen === 32 ? setLow(h, v) : BigInt.asUintN(64, v)) & writable(index);
    },
  });
  defineHartCsr({
    num: 0x31c + index,
    name: `mstateen${index}h`,
    priv: Priv.M,
    read: (h) => {
      requireExtension(h);
      return h.mstateen[index] >> 32n;
    },
    write: (h, v) => {
      requireExtension(h);
      const value = (h.mstateen[index] & 0xffffffffn) | (BigInt.asUintN(32, v) << 32n);
      h.mstateen[index] = value & writable(index);
    },
    rv32Only: true,
  });
  defineHartCsr({
    num: 0x10c + index,
    name: `sstateen${index}`,
    priv: Priv.S,
    read: (h) => {
      requireExtension(h);
      requireStateEnabled(h, index, STATEEN_SE0);
      return 0n;
    },
    write: (h) => {
      requireExtension(h);
      requireStateEnabled(h, index, STATEEN_SE0);
    },
  });
}
