/**
 * The AdvSIMD permutations of two registers (uzp, zip, trn), run by
 * one helper on the V registers in the state block, and the lane access
 * the other helpers share (the arithmetic: the generic helpers of
 * `simd_int.ts` and `simd_fp.ts`). Bitwise operations and moves are IR (see
 * `trans_simd.ts`).
 *
 * @module
 */

import type { CpuCore, HelperDef } from "../../plugin_target.ts";
import { A64 } from "./state.ts";

/**
 * The operations, by the number `a64_vec`'s first argument carries.
 *
 * @example
 * ```ts
 * import { VecOp } from "./simd_helpers.ts";
 * console.log(VecOp.UZP1); // 24
 * ```
 */
export const VecOp = {
  UZP1: 24,
  TRN1: 25,
  ZIP1: 26,
  UZP2: 27,
  TRN2: 28,
  ZIP2: 29,
} as const;

/**
 * The lanes of Vn, `esize` bytes each, as unsigned bigints. Lanes below 8 bytes are read from the
 * state block as numbers (a bigint shift per lane cost more than the helpers' arithmetic).
 */
export function lanes(cpu: CpuCore, n: number, esize: number): bigint[] {
  const low = cpu.getGlobal(A64.vLow(n)), high = cpu.getGlobal(A64.vHigh(n));
  if (esize === 16) return [BigInt.asUintN(64, low) | (BigInt.asUintN(64, high) << 64n)];
  if (esize === 8) return [BigInt.asUintN(64, low), BigInt.asUintN(64, high)];
  const dv = cpu.host.dv, perHalf = 8 / esize, out: bigint[] = new Array(2 * perHalf);
  for (let h = 0; h < 2; h++) {
    const at = cpu.globalHostOffset(h ? A64.vHigh(n) : A64.vLow(n));
    for (let i = 0; i < perHalf; i++) {
      const p = at + i * esize;
      const v = esize === 4
        ? dv.getUint32(p, true)
        : esize === 2
        ? dv.getUint16(p, true)
        : dv.getUint8(p);
      out[h * perHalf + i] = BigInt(v);
    }
  }
  return out;
}

/** Writes `values` (lanes of `esize` bytes, the rest zero) to Vd. */
export function setLanes(cpu: CpuCore, d: number, esize: number, values: bigint[]): void {
  if (esize === 16) return setLanes(cpu, d, 8, [values[0], values[0] >> 64n]);
  if (esize === 8) {
    cpu.setGlobal(A64.vLow(d), values[0] ?? 0n);
    return cpu.setGlobal(A64.vHigh(d), values[1] ?? 0n);
  }
  const dv = cpu.host.dv, perHalf = 8 / esize;
  for (let h = 0; h < 2; h++) {
    const at = cpu.globalHostOffset(h ? A64.vHigh(d) : A64.vLow(d));
    for (let i = 0; i < perHalf; i++) {
      const p = at + i * esize, v = Number(BigInt.asUintN(32, values[h * perHalf + i] ?? 0n));
      if (esize === 4) dv.setUint32(p, v, true);
      else if (esize === 2) dv.setUint16(p, v, true);
      else dv.setUint8(p, v);
    }
  }
}

/** Permutations of the lanes of Vn and Vm: the source lane of each result lane. */
const PERMUTES: Partial<Record<number, (i: number, count: number) => [0 | 1, number]>> = {
  [VecOp.UZP1]: (i, c) => (2 * i < c ? [0, 2 * i] : [1, 2 * i - c]),
  [VecOp.UZP2]: (i, c) => (2 * i < c ? [0, 2 * i + 1] : [1, 2 * i - c + 1]),
  [VecOp.TRN1]: (i) => [(i & 1) as 0 | 1, i & ~1],
  [VecOp.TRN2]: (i) => [(i & 1) as 0 | 1, i | 1],
  [VecOp.ZIP1]: (i) => [(i & 1) as 0 | 1, i >> 1],
  [VecOp.ZIP2]: (i, c) => [(i & 1) as 0 | 1, (c >> 1) + (i >> 1)],
};

/**
 * Runs operation `op` on Vd, Vn, Vm; `info` packs the element size (log2
 * bytes, bits 0-1) and Q (bit 2).
 */
function vec(cpu: CpuCore, op: number, d: number, n: number, m: number, info: number): void {
  const sz = info & 3, q = (info >> 2) & 1;
  const esize = 1 << sz, count = (q ? 16 : 8) / esize;
  const src = [lanes(cpu, n, esize), lanes(cpu, m, esize)];
  const permute = PERMUTES[op]!;
  setLanes(
    cpu,
    d,
    esize,
    Array.from({ length: count }, (_, i) => {
      const [which, lane] = permute(i, count);
      return src[which][lane];
    }),
  );
}

/**
 * The AdvSIMD helper.
 *
 * @example
 * ```ts
 * import { SIMD_HELPER } from "./simd_helpers.ts";
 * console.log(SIMD_HELPER.name); // "a64_vec"
 * ```
 */
export const SIMD_HELPER: HelperDef = {
  name: "a64_vec",
  fn: vec,
  smallArgs: true,
  hasResult: false,
  flags: { readsState: true, writesState: true },
};
