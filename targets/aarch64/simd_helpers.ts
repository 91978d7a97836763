/**
 * The first lane-wise AdvSIMD operations, run by one helper on the V
 * registers in the state block: comparisons, pairwise reductions,
 * permutations, `ext`, `shrn` and `cnt` (the rest: the generic helpers of
 * `simd_int.ts` and `simd_fp.ts`). Bitwise operations and moves are IR (see
 * `trans_simd.ts`).
 *
 * @module
 */

import type { CpuCore, HelperDef } from "../../plugin.ts";
import { A64 } from "./state.ts";

/**
 * The operations, by the number `a64_vec`'s first argument carries.
 *
 * @example
 * ```ts
 * import { VecOp } from "./simd_helpers.ts";
 * console.log(VecOp.CMEQ); // 0
 * ```
 */
export const VecOp = {
  CMEQ: 0,
  CMHS: 1,
  CMHI: 2,
  CMGT: 3,
  CMGE: 4,
  CMTST: 5,
  ADDP: 6,
  UMAXP: 7,
  UMINP: 8,
  ADD: 9,
  SUB: 10,
  UMAX: 11,
  UMIN: 12,
  CMEQZ: 13,
  CMGTZ: 14,
  CMGEZ: 15,
  CMLEZ: 16,
  CMLTZ: 17,
  CNT: 18,
  EXT: 22,
  SHRN: 23,
  UZP1: 24,
  TRN1: 25,
  ZIP1: 26,
  UZP2: 27,
  TRN2: 28,
  ZIP2: 29,
} as const;

/** The lanes of Vn, `esize` bytes each, as unsigned bigints. */
export function lanes(cpu: CpuCore, n: number, esize: number): bigint[] {
  const whole = BigInt.asUintN(64, cpu.getGlobal(A64.vLow(n))) |
    (BigInt.asUintN(64, cpu.getGlobal(A64.vHigh(n))) << 64n);
  const bits = BigInt(esize * 8), mask = (1n << bits) - 1n;
  return Array.from({ length: 16 / esize }, (_, i) => (whole >> (bits * BigInt(i))) & mask);
}

/** Writes `values` (lanes of `esize` bytes, the rest zero) to Vd. */
export function setLanes(cpu: CpuCore, d: number, esize: number, values: bigint[]): void {
  const bits = BigInt(esize * 8), mask = (1n << bits) - 1n;
  let whole = 0n;
  values.forEach((v, i) => whole |= (v & mask) << (bits * BigInt(i)));
  cpu.setGlobal(A64.vLow(d), BigInt.asIntN(64, whole));
  cpu.setGlobal(A64.vHigh(d), BigInt.asIntN(64, whole >> 64n));
}

const signed = (v: bigint, esize: number) => BigInt.asIntN(esize * 8, v);
const ones = (esize: number) => (1n << BigInt(esize * 8)) - 1n;
const maxOf = (x: bigint, y: bigint) => (x > y ? x : y);
const minOf = (x: bigint, y: bigint) => (x < y ? x : y);

type LaneFn = (x: bigint, y: bigint, esize: number) => bigint;
const mask = (b: boolean, esize: number) => (b ? ones(esize) : 0n);

/** Element-wise operations of two vectors. */
const ELEMENTWISE: Partial<Record<number, LaneFn>> = {
  [VecOp.CMEQ]: (x, y, e) => mask(x === y, e),
  [VecOp.CMHS]: (x, y, e) => mask(x >= y, e),
  [VecOp.CMHI]: (x, y, e) => mask(x > y, e),
  [VecOp.CMGT]: (x, y, e) => mask(signed(x, e) > signed(y, e), e),
  [VecOp.CMGE]: (x, y, e) => mask(signed(x, e) >= signed(y, e), e),
  [VecOp.CMTST]: (x, y, e) => mask((x & y) !== 0n, e),
  [VecOp.ADD]: (x, y) => x + y,
  [VecOp.SUB]: (x, y) => x - y,
  [VecOp.UMAX]: maxOf,
  [VecOp.UMIN]: minOf,
  [VecOp.CMEQZ]: (x, _y, e) => mask(x === 0n, e),
  [VecOp.CMGTZ]: (x, _y, e) => mask(signed(x, e) > 0n, e),
  [VecOp.CMGEZ]: (x, _y, e) => mask(signed(x, e) >= 0n, e),
  [VecOp.CMLEZ]: (x, _y, e) => mask(signed(x, e) <= 0n, e),
  [VecOp.CMLTZ]: (x, _y, e) => mask(signed(x, e) < 0n, e),
  [VecOp.CNT]: (x) => BigInt([...x.toString(2)].filter((c) => c === "1").length),
};

/** Permutations of the lanes of Vn and Vm: the source lane of each result lane. */
const PERMUTES: Partial<Record<number, (i: number, count: number) => [0 | 1, number]>> = {
  [VecOp.UZP1]: (i, c) => (2 * i < c ? [0, 2 * i] : [1, 2 * i - c]),
  [VecOp.UZP2]: (i, c) => (2 * i < c ? [0, 2 * i + 1] : [1, 2 * i - c + 1]),
  [VecOp.TRN1]: (i) => [(i & 1) as 0 | 1, i & ~1],
  [VecOp.TRN2]: (i) => [(i & 1) as 0 | 1, i | 1],
  [VecOp.ZIP1]: (i) => [(i & 1) as 0 | 1, i >> 1],
  [VecOp.ZIP2]: (i, c) => [(i & 1) as 0 | 1, (c >> 1) + (i >> 1)],
};

/** Pairwise operations. */
const REDUCING: Partial<Record<number, LaneFn>> = {
  [VecOp.ADDP]: (x, y) => x + y,
  [VecOp.UMAXP]: maxOf,
  [VecOp.UMINP]: minOf,
};

/**
 * Runs operation `op` on Vd, Vn, Vm; `info` packs the element size (log2
 * bytes, bits 0-1), Q (bit 2) and an immediate (bits 3 and up: ext's byte
 * index, shrn's shift).
 */
function vec(cpu: CpuCore, op: number, d: number, n: number, m: number, info: number): void {
  const sz = info & 3, q = (info >> 2) & 1, extra = info >> 3;
  const esize = 1 << sz, count = (q ? 16 : 8) / esize;
  if (op === VecOp.EXT) {
    const bytes = [...lanes(cpu, n, 1).slice(0, q ? 16 : 8), ...lanes(cpu, m, 1)];
    return setLanes(cpu, d, 1, bytes.slice(extra, extra + (q ? 16 : 8)));
  }
  if (op === VecOp.SHRN) {
    // Source lanes are 2 * esize bytes; shrn2 (Q) fills the upper half and keeps the lower.
    const src = lanes(cpu, n, 2 * esize).map((v) => v >> BigInt(extra));
    const kept = q ? lanes(cpu, d, esize).slice(0, 8 / esize) : [];
    return setLanes(cpu, d, esize, [...kept, ...src]);
  }
  const x = lanes(cpu, n, esize).slice(0, count), y = lanes(cpu, m, esize).slice(0, count);
  const permute = PERMUTES[op];
  if (permute) {
    const src = [x, y];
    return setLanes(
      cpu,
      d,
      esize,
      x.map((_, i) => {
        const [which, lane] = permute(i, count);
        return src[which][lane];
      }),
    );
  }
  const f = ELEMENTWISE[op];
  if (f) return setLanes(cpu, d, esize, x.map((v, i) => f(v, y[i], esize)));
  const g = REDUCING[op]!;
  const pairs = (v: bigint[]) =>
    Array.from({ length: count / 2 }, (_, i) => g(v[2 * i], v[2 * i + 1], esize));
  setLanes(cpu, d, esize, [...pairs(x), ...pairs(y)]);
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
