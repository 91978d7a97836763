/**
 * The vector unit as gdb sees it, as QEMU 7.2's gdbstub describes it: the
 * `org.gnu.gdb.riscv.vector` feature holds v0-v31, each a union of its
 * elements as `q`, `l`, `w`, `s` and `b` lanes, then the vector CSRs vstart,
 * vxsat, vxrm, vcsr, vl, vtype and vlenb, all in gdb's `vector` group
 * (`info registers vector`). They are read from and written to the state
 * block (see `state.ts`).
 *
 * @module
 */

import type { GdbStateFeature, GdbStateRegister } from "../../plugin_target.ts";
import { RiscvState } from "./state.ts";

/** gdb's lane types of a vector register, widest first, with QEMU's names. */
const LANES = [
  { id: "quads", type: "uint128", field: "q", bits: 128 },
  { id: "longs", type: "uint64", field: "l", bits: 64 },
  { id: "words", type: "uint32", field: "w", bits: 32 },
  { id: "shorts", type: "uint16", field: "s", bits: 16 },
  { id: "bytes", type: "uint8", field: "b", bits: 8 },
];

function slot(state: Uint8Array, offset: number): bigint {
  return new DataView(state.buffer, state.byteOffset).getBigUint64(offset, true);
}

function setSlot(state: Uint8Array, offset: number, v: bigint): void {
  new DataView(state.buffer, state.byteOffset).setBigUint64(offset, BigInt.asUintN(64, v), true);
}

/** A vector CSR kept in one state slot; `writable` false for vl, vtype and vlenb (read-only CSRs). */
function csrSlot(name: string, offset: number, xlen: number, writable: boolean): GdbStateRegister {
  return {
    name,
    bits: xlen,
    type: "int",
    group: "vector",
    read: (state) => BigInt.asUintN(xlen, slot(state, offset)),
    write: (state, v) => writable && setSlot(state, offset, v),
  };
}

/** vcsr: vxrm in bits 1-2, vxsat in bit 0. */
function vcsr(xlen: number): GdbStateRegister {
  return {
    name: "vcsr",
    bits: xlen,
    type: "int",
    group: "vector",
    read: (state) => (slot(state, RiscvState.VXRM) << 1n) | slot(state, RiscvState.VXSAT),
    write: (state, v) => {
      setSlot(state, RiscvState.VXRM, (v >> 1n) & 3n);
      setSlot(state, RiscvState.VXSAT, v & 1n);
    },
  };
}

/** Vector register `n` of `vlenb` bytes, little-endian in the state block. */
function vreg(n: number, vlenb: number): GdbStateRegister {
  const at = RiscvState.VREGS + n * vlenb;
  return {
    name: `v${n}`,
    bits: vlenb * 8,
    type: "riscv_vector",
    group: "vector",
    read: (state) => {
      let v = 0n;
      for (let k = vlenb - 1; k >= 0; k--) v = (v << 8n) | BigInt(state[at + k]);
      return v;
    },
    write: (state, v) => {
      for (let k = 0; k < vlenb; k++) state[at + k] = Number((v >> BigInt(8 * k)) & 0xffn);
    },
  };
}

/**
 * The gdb features of the vector unit at `vlen` bits (none without V: `vlen` 0).
 *
 * @example
 * ```ts
 * import { vectorGdbFeatures } from "./gdb_vector.ts";
 * const [vector] = vectorGdbFeatures(64, 128);
 * console.log(vector.regs.length, vector.regs[32].name); // 39 "vstart"
 * ```
 */
export function vectorGdbFeatures(xlen: number, vlen: number): GdbStateFeature[] {
  if (!vlen) return [];
  const vlenb = vlen / 8;
  const types = [
    ...LANES.map((l) => `<vector id="${l.id}" type="${l.type}" count="${vlen / l.bits}"/>`),
    '<union id="riscv_vector">',
    ...LANES.map((l) => `<field name="${l.field}" type="${l.id}"/>`),
    "</union>",
  ].join("");
  return [{
    name: "org.gnu.gdb.riscv.vector",
    file: "riscv-vector.xml",
    types,
    regs: [
      ...Array.from({ length: 32 }, (_, n) => vreg(n, vlenb)),
      csrSlot("vstart", RiscvState.VSTART, xlen, true),
      csrSlot("vxsat", RiscvState.VXSAT, xlen, true),
      csrSlot("vxrm", RiscvState.VXRM, xlen, true),
      vcsr(xlen),
      csrSlot("vl", RiscvState.VL, xlen, false),
      csrSlot("vtype", RiscvState.VTYPE, xlen, false),
      csrSlot("vlenb", RiscvState.VLENB, xlen, false),
    ],
  }];
}
