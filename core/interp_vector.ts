/**
 * The interpreter's vector ops (`VDUP` .. `VSAR`, see "Vector ops" in
 * `ir.ts`): lane by lane over the 16-byte slots in host memory, as plainly
 * as the scalar ops in `interp.ts`. The JIT's wasm SIMD is checked against it.
 *
 * @module
 */

import type { CpuCore } from "./cpu_core.ts";
import { type IrOp, Op } from "./ir.ts";

/** Guest loads and stores as the interpreter does them (the CPU's, or a logging wrapper). */
type GuestAccess = Pick<CpuCore, "load" | "store">;

/** Lane `at` (a host address) of `size` bytes, zero-extended. */
function readLane(dv: DataView, at: number, size: number): bigint {
  switch (size) {
    case 1:
      return BigInt(dv.getUint8(at));
    case 2:
      return BigInt(dv.getUint16(at, true));
    case 4:
      return BigInt(dv.getUint32(at, true));
    default:
      return dv.getBigUint64(at, true);
  }
}

/** Writes lane `at` of `size` bytes (`v` truncated). */
function writeLane(dv: DataView, at: number, size: number, v: bigint): void {
  switch (size) {
    case 1:
      return dv.setUint8(at, Number(BigInt.asUintN(8, v)));
    case 2:
      return dv.setUint16(at, Number(BigInt.asUintN(16, v)), true);
    case 4:
      return dv.setUint32(at, Number(BigInt.asUintN(32, v)), true);
    default:
      return dv.setBigUint64(at, BigInt.asUintN(64, v), true);
  }
}

/** One lane of a binary vector op on `bits`-wide lanes (`a` zero-extended, `b` a lane or shift). */
function lane(op: Op, a: bigint, b: bigint, bits: number): bigint {
  const s = (v: bigint) => BigInt.asIntN(bits, v);
  const shift = b & BigInt(bits - 1);
  switch (op) {
    case Op.VADD:
      return a + b;
    case Op.VSUB:
      return a - b;
    case Op.VMUL:
      return a * b;
    case Op.VAND:
      return a & b;
    case Op.VOR:
      return a | b;
    case Op.VXOR:
      return a ^ b;
    case Op.VMIN:
      return s(a) < s(b) ? a : b;
    case Op.VMINU:
      return a < b ? a : b;
    case Op.VMAX:
      return s(a) > s(b) ? a : b;
    case Op.VMAXU:
      return a > b ? a : b;
    case Op.VSHL:
      return a << shift;
    case Op.VSHR:
      return a >> shift;
    default: // VSAR
      return s(a) >> shift;
  }
}

/**
 * Runs vector op `o` over temps `t` (guest accesses through `access`).
 *
 * @example
 * ```ts ignore
 * if (isVectorOp(o.op)) runVectorOp(cpu, access, o, t);
 * ```
 */
export function runVectorOp(cpu: CpuCore, access: GuestAccess, o: IrOp, t: bigint[]): void {
  const dv = cpu.host.dv;
  switch (o.op) {
    case Op.VDUP:
      for (let i = 0; i < 16; i += o.size) writeLane(dv, o.d + i, o.size, t[o.a]);
      return;
    case Op.VLD: {
      const addr = t[o.a] + o.imm;
      for (let i = 0; i < 16; i += 8) {
        dv.setBigUint64(o.d + i, access.load(BigInt.asUintN(64, addr + BigInt(i)), 8, false), true);
      }
      return;
    }
    case Op.VST: {
      const addr = t[o.a] + o.imm;
      for (let i = 0; i < 16; i += 8) {
        access.store(BigInt.asUintN(64, addr + BigInt(i)), 8, dv.getBigUint64(o.b + i, true));
      }
      return;
    }
    case Op.VMASK: {
      // Every mask bit is read before a lane is written: `d` may be the mask's own slot.
      const lanes = 16 / o.size, first = Number(o.imm);
      let bits = 0;
      for (let i = 0, bit = first; i < lanes; i++, bit++) {
        bits |= ((dv.getUint8(o.a + (bit >> 3)) >> (bit & 7)) & 1) << i;
      }
      for (let i = 0; i < lanes; i++) {
        writeLane(dv, o.d + i * o.size, o.size, (bits >> i) & 1 ? -1n : 0n);
      }
      return;
    }
    default: {
      const shift = o.op >= Op.VSHL, bits = o.size * 8;
      for (let i = 0; i < 16; i += o.size) {
        const b = shift ? t[o.b] : readLane(dv, o.b + i, o.size);
        writeLane(dv, o.d + i, o.size, lane(o.op, readLane(dv, o.a + i, o.size), b, bits));
      }
    }
  }
}
