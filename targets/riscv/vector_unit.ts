/**
 * The vector unit's state as helpers see it: vtype decoded into SEW, LMUL
 * and VLMAX, elements of register groups read and written in the state
 * block (little-endian, a group's registers contiguous), mask bits, and the
 * register-group checks that make an encoding illegal.
 *
 * Vector instructions run as helpers (as in QEMU's `vector_helper.c`): each
 * one loops from vstart to vl, skips masked-off elements, and resets vstart
 * to 0 when done. Tail and masked-off elements are left undisturbed, which
 * is what QEMU 7.2 does for both policies (its `rvv_ta_all_1s` is off), so
 * agnostic results match qemu-riscv64's.
 *
 * @module
 */

import {
  type CpuCore,
  GuestTrap,
  type HelperDef,
  STATE_BASE,
  TrapKind,
} from "../../plugin_target.ts";
import { Cause } from "./causes.ts";
import { RiscvState } from "./state.ts";

/** The largest ELEN: 64-bit elements (QEMU 7.2's `elen=64`). */
export const ELEN = 64;

/** vtype.vill: bit XLEN-1 as read by `csrr vtype`. */
const VILL_BIT = 63n;

/**
 * The decoded vtype and the registers an instruction runs with.
 *
 * @example
 * ```ts ignore
 * const v = vectorConfig(cpu, bits); // throws an illegal-instruction trap when vill
 * for (let i = v.vstart; i < v.vl; i++) {}
 * ```
 */
export interface VectorConfig {
  readonly cpu: CpuCore;
  /** the instruction bits (for illegal-instruction traps) */
  readonly bits: number;
  /** element width in bits: 8, 16, 32, 64 */
  readonly sew: number;
  /** LMUL as a number: 1/8 .. 8 */
  readonly lmul: number;
  readonly vl: number;
  readonly vstart: number;
  /** VLEN / 8 */
  readonly vlenb: number;
  /** VLEN * LMUL / SEW */
  readonly vlmax: number;
}

/** LMUL by vtype.vlmul (4 is reserved). */
const LMULS = [1, 2, 4, 8, 0, 1 / 8, 1 / 4, 1 / 2];

/**
 * Decodes a vtype value; null when it sets vill (reserved bits, SEW above
 * ELEN, a reserved or too small LMUL), as QEMU 7.2's `vsetvl` helper.
 *
 * @example
 * ```ts
 * import { decodeVtype } from "./vector_unit.ts";
 * console.log(decodeVtype(0xd1n, 64)); // { sew: 32, lmul: 2 } (e32, m2, ta, ma)
 * ```
 */
export function decodeVtype(vtype: bigint, xlen: 32 | 64): { sew: number; lmul: number } | null {
  if (vtype === lastVtype.vtype && xlen === lastVtype.xlen) return lastVtype.decoded;
  const decoded = decodeVtypeBits(vtype, xlen);
  lastVtype = { vtype, xlen, decoded };
  return decoded;
}

/** The last vtype decoded: every vector instruction decodes vtype, which rarely changes. */
let lastVtype: {
  vtype: bigint;
  xlen: number;
  decoded: { sew: number; lmul: number } | null;
} = { vtype: -1n, xlen: 0, decoded: null };

function decodeVtypeBits(vtype: bigint, xlen: 32 | 64): { sew: number; lmul: number } | null {
  const vlmul = Number(vtype & 7n), sew = 8 << Number((vtype >> 3n) & 7n);
  const reserved = BigInt.asUintN(xlen, vtype) >> 8n; // vediv, reserved bits and vill
  if (reserved !== 0n || sew > ELEN || vlmul === 4) return null;
  if (vlmul > 4 && ELEN >> (8 - vlmul) < sew) return null;
  return { sew, lmul: LMULS[vlmul] };
}

/** An illegal-instruction trap for the instruction `bits`. */
export function illegal(bits: number): GuestTrap {
  return new GuestTrap(TrapKind.ILLEGAL, Cause.ILLEGAL_INSN, BigInt(bits >>> 0));
}

/**
 * The configuration the instruction `bits` runs with; an illegal-instruction
 * trap while vtype.vill is set.
 *
 * @example
 * ```ts ignore
 * const v = vectorConfig(cpu, bits);
 * ```
 */
export function vectorConfig(cpu: CpuCore, bits: number): VectorConfig {
  const vtype = cpu.getState(RiscvState.VTYPE);
  if ((vtype >> VILL_BIT) & 1n) throw illegal(bits);
  const { sew, lmul } = decodeVtype(vtype, 64)!;
  const vlenb = Number(cpu.getState(RiscvState.VLENB));
  return {
    cpu,
    bits,
    sew,
    lmul,
    vl: Number(cpu.getState(RiscvState.VL)),
    vstart: Number(cpu.getState(RiscvState.VSTART)),
    vlenb,
    vlmax: (vlenb * 8 * lmul) / sew,
  };
}

/** Sets vtype to vill with vl = 0, as a vset{i}vl{i} with an unsupported vtype does. */
export function setVill(cpu: CpuCore): void {
  cpu.setState(RiscvState.VTYPE, 1n << VILL_BIT);
  cpu.setState(RiscvState.VL, 0n);
  cpu.setState(RiscvState.VSTART, 0n);
}

/** Sets vstart (a fault leaves it at the faulting element; a finished instruction at 0). */
export function setVstart(cpu: CpuCore, i: number): void {
  cpu.setState(RiscvState.VSTART, BigInt(i));
}

/** VLEN/8 of each CPU: fixed at reset, read per element (cheaper than the state block's bigint). */
const vlenbOf = new WeakMap<CpuCore, number>();
/** The last CPU {@linkcode vregByte} served and its VLEN/8: the common case skips the map. */
let lastCpu: CpuCore | null = null, lastVlenb = 0;

/** The host byte offset of byte `at` of vector register `reg` (groups are contiguous). */
function vregByte(cpu: CpuCore, reg: number, at: number): number {
  if (cpu !== lastCpu) {
    let vlenb = vlenbOf.get(cpu);
    if (vlenb === undefined) {
      vlenb = Number(cpu.getState(RiscvState.VLENB));
      vlenbOf.set(cpu, vlenb);
    }
    lastCpu = cpu;
    lastVlenb = vlenb;
  }
  return STATE_BASE + RiscvState.VREGS + reg * lastVlenb + at;
}

/**
 * Element `i` of width `bits` of the group at `reg`, zero-extended.
 *
 * @example
 * ```ts ignore
 * const x = readElem(cpu, 8, 32, 3); // v8's element 3 at SEW 32
 * ```
 */
export function readElem(cpu: CpuCore, reg: number, bits: number, i: number): bigint {
  const at = vregByte(cpu, reg, (i * bits) >> 3), dv = cpu.host.dv;
  switch (bits) {
    case 8:
      return BigInt(dv.getUint8(at));
    case 16:
      return BigInt(dv.getUint16(at, true));
    case 32:
      return BigInt(dv.getUint32(at, true));
    default:
      return dv.getBigUint64(at, true);
  }
}

/** Writes element `i` of width `bits` of the group at `reg` (the value is truncated). */
export function writeElem(cpu: CpuCore, reg: number, bits: number, i: number, v: bigint): void {
  const at = vregByte(cpu, reg, (i * bits) >> 3), dv = cpu.host.dv;
  switch (bits) {
    case 8:
      return dv.setUint8(at, Number(v & 0xffn));
    case 16:
      return dv.setUint16(at, Number(v & 0xffffn), true);
    case 32:
      return dv.setUint32(at, Number(v & 0xffffffffn), true);
    default:
      return dv.setBigUint64(at, BigInt.asUintN(64, v), true);
  }
}

/** Mask bit `i` of register `reg` (v0 for masking). */
export function maskBit(cpu: CpuCore, reg: number, i: number): boolean {
  return (cpu.host.u8[vregByte(cpu, reg, i >> 3)] >> (i & 7) & 1) === 1;
}

/** Sets mask bit `i` of register `reg` to `on`. */
export function setMaskBit(cpu: CpuCore, reg: number, i: number, on: boolean): void {
  const at = vregByte(cpu, reg, i >> 3), u8 = cpu.host.u8;
  u8[at] = on ? u8[at] | (1 << (i & 7)) : u8[at] & ~(1 << (i & 7));
}

/** The raw bytes of `count` registers from `reg` (whole-register moves, loads and stores). */
export function vregBytes(cpu: CpuCore, reg: number, count: number): Uint8Array {
  const start = vregByte(cpu, reg, 0); // also caches this CPU's VLEN/8 in lastVlenb
  return cpu.host.u8.subarray(start, start + count * lastVlenb);
}

/** The fields every vector encoding has. */
export interface VectorFields {
  vd: number;
  vs1: number;
  vs2: number;
  /** 1 = unmasked */
  vm: number;
  /** bits 19:15 sign-extended (the .vi forms) */
  simm5: number;
}

/**
 * The register fields of the instruction `bits`.
 *
 * @example
 * ```ts
 * import { vectorFields } from "./vector_unit.ts";
 * console.log(vectorFields(0x022080d7).vd); // 1 (vadd.vv v1,v2,v1)
 * ```
 */
export function vectorFields(bits: number): VectorFields {
  return {
    vd: (bits >>> 7) & 31,
    vs1: (bits >>> 15) & 31,
    vs2: (bits >>> 20) & 31,
    vm: (bits >>> 25) & 1,
    simm5: (bits << 12) >> 27,
  };
}

/**
 * Checks that register `reg` starts a group of `emul` registers (fractional
 * groups are one register) and that the group ends by v31; an illegal
 * instruction otherwise, as QEMU's `require_align`.
 *
 * @example
 * ```ts ignore
 * requireGroup(v, f.vd, v.lmul * 2); // a widening destination
 * ```
 */
export function requireGroup(v: VectorConfig, reg: number, emul: number): void {
  if (emul > 8 || emul < 1 / 8) throw illegal(v.bits);
  if (emul > 1 && (reg % emul !== 0 || reg + emul > 32)) throw illegal(v.bits);
}

/** Whether the register groups [a, a + aSize) and [b, b + bSize) share a register. */
function overlaps(a: number, aSize: number, b: number, bSize: number): boolean {
  return a < b + bSize && b < a + aSize;
}

/**
 * Checks that the group of `wide` registers at `wideReg` (EMUL `wideEmul`) and the
 * narrower one at `narrowReg` do not overlap, except in the wide group's highest
 * part when the narrow group is at least one register; an illegal instruction
 * otherwise, as QEMU's `require_noover` (spec 5.2).
 *
 * @example
 * ```ts ignore
 * requireNoOverlap(v, f.vd, v.lmul * 2, f.vs2, v.lmul); // a widening destination and source
 * ```
 */
export function requireNoOverlap(
  v: VectorConfig,
  wideReg: number,
  wideEmul: number,
  narrowReg: number,
  narrowEmul: number,
): void {
  const wide = Math.max(1, wideEmul), narrow = Math.max(1, narrowEmul);
  const inHighestPart = wide > narrow && wideReg < narrowReg && narrowEmul >= 1 &&
    !overlaps(wideReg, wide, narrowReg + narrow, narrow);
  if (overlaps(wideReg, wide, narrowReg, narrow) && !inHighestPart) throw illegal(v.bits);
}

/**
 * A narrowing destination may be the source group's first register or lie outside
 * it, never overlap it elsewhere; an illegal instruction otherwise, as QEMU's
 * `vext_check_sd`.
 *
 * @example
 * ```ts ignore
 * requireNarrowDest(v, f.vd, f.vs2); // vnsrl.wi v5, v4, 1 at LMUL 1 is illegal
 * ```
 */
export function requireNarrowDest(v: VectorConfig, vd: number, vs2: number): void {
  const narrow = Math.max(1, v.lmul), wide = Math.max(1, 2 * v.lmul);
  if (vd !== vs2 && overlaps(vd, narrow, vs2, wide)) throw illegal(v.bits);
}

/** A masked instruction whose destination is not a mask may not write v0 (QEMU's `require_vm`). */
export function requireVm(v: VectorConfig, f: VectorFields): void {
  if (f.vm === 0 && f.vd === 0) throw illegal(v.bits);
}

/** Whether element `i` is active: unmasked, or its v0 bit set. */
export function active(cpu: CpuCore, vm: number, i: number): boolean {
  return vm === 1 || maskBit(cpu, 0, i);
}

/** The body of a vector helper: the configuration, the fields and the rs1/rs2 operand values. */
export type VectorBody = (
  v: VectorConfig,
  f: VectorFields,
  x1: bigint,
  x2: bigint,
) => bigint | void;

/**
 * A helper named `name` (a mnemonic) that decodes the instruction bits, reads
 * the configuration (an illegal-instruction trap while vill) and runs `body`.
 *
 * @example
 * ```ts ignore
 * const vid = vectorHelper("vid.v", (v, f) => { ... });
 * ```
 */
export function vectorHelper(name: string, body: VectorBody, hasResult = false): HelperDef {
  return {
    name,
    hasResult,
    flags: { mayTrap: true },
    fn: (cpu: CpuCore, bits: bigint, x1: bigint, x2: bigint) => {
      const b = Number(bits);
      return body(vectorConfig(cpu, b), vectorFields(b), x1, x2) ?? (hasResult ? 0n : undefined);
    },
  };
}
