/**
 * The AdvSIMD permutations across several registers: the table lookups
 * (tbl, tbx) and the (de)interleaving of the structure loads and stores
 * (ld2-ld4, st2-st4). A structure load loads its registers as ld1 would, then
 * `a64_vperm` de-interleaves them in place; a structure store reads the
 * interleaved stream 8 bytes at a time from `a64_vstream`, which leaves the
 * registers alone.
 *
 * @module
 */

import type { CpuCore, HelperDef } from "../../plugin_target.ts";
import { lanes, setLanes } from "./simd_helpers.ts";

/**
 * The operations of `a64_vperm`.
 *
 * @example
 * ```ts
 * import { PermOp } from "./simd_perm.ts";
 * console.log(PermOp.TBX); // 1
 * ```
 */
export const PermOp = { TBL: 0, TBX: 1, DEINTERLEAVE: 2 } as const;

/** The elements (`e` bytes) of `count` registers from `first`, in order, `bytes` of each. */
function stream(cpu: CpuCore, first: number, count: number, e: number, bytes: number): bigint[] {
  const out: bigint[] = [];
  for (let r = 0; r < count; r++) out.push(...lanes(cpu, (first + r) % 32, e).slice(0, bytes / e));
  return out;
}

/**
 * `a64_vperm`: `info` packs the element size (bits 0-1), Q (bit 2) and the
 * register count (bits 3 and up: the table's, or the structure's).
 */
function vperm(cpu: CpuCore, op: number, d: number, n: number, m: number, info: number): void {
  const sz = info & 3, q = (info >> 2) & 1, count = info >> 3;
  const bytes = q ? 16 : 8, e = 1 << sz;
  if (op === PermOp.DEINTERLEAVE) {
    const s = stream(cpu, d, count, e, bytes), per = bytes / e;
    for (let r = 0; r < count; r++) {
      setLanes(cpu, (d + r) % 32, e, Array.from({ length: per }, (_, i) => s[i * count + r]));
    }
    return;
  }
  const table = stream(cpu, n, count, 1, 16);
  const old = lanes(cpu, d, 1);
  const out = lanes(cpu, m, 1).slice(0, bytes).map((i, k) =>
    i < BigInt(table.length) ? table[Number(i)] : op === PermOp.TBX ? old[k] : 0n
  );
  setLanes(cpu, d, 1, out);
}

/**
 * The permutation helper.
 *
 * @example
 * ```ts
 * import { VPERM_HELPER } from "./simd_perm.ts";
 * console.log(VPERM_HELPER.name); // "a64_vperm"
 * ```
 */
export const VPERM_HELPER: HelperDef = {
  name: "a64_vperm",
  fn: vperm,
  smallArgs: true,
  hasResult: false,
  flags: { readsState: true, writesState: true },
};

/**
 * `a64_vstream`: the 8-byte chunk `chunk` of the interleaved stream of
 * `count` registers from `first` (elements of 2^sz bytes, `bytes` of each).
 */
function vstream(cpu: CpuCore, first: number, count: number, info: number, chunk: number) {
  const e = 1 << (info & 3), bytes = (info >> 2) & 1 ? 16 : 8, per = bytes / e;
  const s = stream(cpu, first, count, e, bytes);
  let v = 0n;
  for (let k = 0; k < 8 / e; k++) {
    const j = chunk * (8 / e) + k, r = j % count, i = Math.floor(j / count);
    v |= s[r * per + i] << BigInt(8 * e * k);
  }
  return BigInt.asIntN(64, v);
}

/**
 * The interleaving helper of the structure stores.
 *
 * @example
 * ```ts
 * import { VSTREAM_HELPER } from "./simd_perm.ts";
 * console.log(VSTREAM_HELPER.name); // "a64_vstream"
 * ```
 */
export const VSTREAM_HELPER: HelperDef = {
  name: "a64_vstream",
  fn: vstream,
  smallArgs: true,
  hasResult: true,
  flags: { readsState: true },
};
