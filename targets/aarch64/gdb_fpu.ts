/**
 * The FP/SIMD registers as gdb sees them: the `org.gnu.gdb.aarch64.fpu`
 * feature, v0-v31 as 128-bit unions of their lanes (`d`, `s`, `h`, `b`, `q`,
 * each as float and unsigned/signed integers where gdb has a type), then fpsr
 * and fpcr. The union is the one gdb gives v0-v31 on QEMU's default
 * `max` CPU (with half-precision and bfloat16 `h` lanes), so that
 * `p $v0` prints as under `qemu-aarch64 -g`. The state keeps each V
 * register as two 64-bit halves (see `state.ts`).
 *
 * @module
 */

import type { GdbStateFeature, GdbStateRegister } from "../../plugin_target.ts";
import { A64 } from "./state.ts";

/** Lane shapes: union name, lane count and element types by field name. */
const LANES: [string, number, [string, string][]][] = [
  ["vnd", 2, [["f", "ieee_double"], ["u", "uint64"], ["s", "int64"]]],
  ["vns", 4, [["f", "ieee_single"], ["u", "uint32"], ["s", "int32"]]],
  ["vnh", 8, [["bf", "bfloat16"], ["f", "ieee_half"], ["u", "uint16"], ["s", "int16"]]],
  ["vnb", 16, [["u", "uint8"], ["s", "int8"]]],
  ["vnq", 1, [["u", "uint128"], ["s", "int128"]]],
];

/** The `<vector>` and `<union>` definitions of the `aarch64v` type. */
function types(): string {
  const out: string[] = [];
  for (const [union, count, fields] of LANES) {
    for (const [f, t] of fields) {
      out.push(`<vector id="${union}${f}" type="${t}" count="${count}"/>`);
    }
    out.push(`<union id="${union}">`);
    for (const [f] of fields) out.push(`<field name="${f}" type="${union}${f}"/>`);
    out.push("</union>");
  }
  out.push('<union id="aarch64v">');
  for (const [union] of LANES) out.push(`<field name="${union[2]}" type="${union}"/>`);
  out.push("</union>");
  return out.join("\n");
}

function view(state: Uint8Array): DataView {
  return new DataView(state.buffer, state.byteOffset, state.byteLength);
}

/** V register `n`: its low half at `vLow(n)`, its high half at `vHigh(n)`. */
function vreg(n: number): GdbStateRegister {
  const lo = 8 * A64.vLow(n), hi = 8 * A64.vHigh(n);
  return {
    name: `v${n}`,
    bits: 128,
    type: "aarch64v",
    read: (s) => (view(s).getBigUint64(hi, true) << 64n) | view(s).getBigUint64(lo, true),
    write: (s, v) => {
      view(s).setBigUint64(lo, BigInt.asUintN(64, v), true);
      view(s).setBigUint64(hi, BigInt.asUintN(64, v >> 64n), true);
    },
  };
}

/** A 32-bit FP status/control register kept at byte `offset` of the state. */
function fpReg(name: string, offset: number): GdbStateRegister {
  return {
    name,
    bits: 32,
    type: "int",
    read: (s) => BigInt(view(s).getUint32(offset, true)),
    write: (s, v) => view(s).setUint32(offset, Number(BigInt.asUintN(32, v)), true),
  };
}

/**
 * The FP/SIMD feature of the aarch64 target description.
 *
 * @example
 * ```ts
 * import { aarch64FpuFeature } from "./gdb_fpu.ts";
 * const f = aarch64FpuFeature();
 * console.log(f.regs.length, f.regs[32].name); // 34 "fpsr"
 * ```
 */
export function aarch64FpuFeature(): GdbStateFeature {
  return {
    name: "org.gnu.gdb.aarch64.fpu",
    types: types(),
    regs: [
      ...Array.from({ length: 32 }, (_, n) => vreg(n)),
      fpReg("fpsr", A64.FPSR),
      fpReg("fpcr", A64.FPCR),
    ],
  };
}
