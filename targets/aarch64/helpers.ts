/**
 * The A64 helpers: what the IR has no op for. `CALL` ops name them by their
 * index in {@linkcode A64_HELPERS}.
 *
 * @module
 */

import type { CpuCore, HelperDef } from "../../plugin_target.ts";
import { FP_HELPER } from "./fp_helpers.ts";
import { VFP_HELPER } from "./simd_fp.ts";
import { SIMD_HELPER } from "./simd_helpers.ts";
import { VINT_HELPER } from "./simd_int.ts";
import { VPERM_HELPER, VSTREAM_HELPER } from "./simd_perm.ts";
import { CRYPTO_HELPER } from "./simd_crypto.ts";

/** Count of leading zeros of a 64-bit value. */
function clz64(x: bigint): bigint {
  const v = BigInt.asUintN(64, x);
  const hi = Number(v >> 32n);
  return BigInt(hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(Number(v & 0xffffffffn)));
}

/** The bit-reflected polynomials of crc32 (IEEE 802.3) and crc32c (Castagnoli). */
const CRC_POLYS = [0xedb88320, 0x82f63b78];

/**
 * crc32[c]{b,h,w,x}: the CRC `acc` updated with the low 2^sz bytes of `value` (bit-reflected,
 * without the inversions a whole-message CRC adds); `info` is c | sz << 1.
 */
function crc32(acc: bigint, value: bigint, info: bigint): bigint {
  const poly = CRC_POLYS[Number(info & 1n)], bytes = 1 << Number(info >> 1n);
  let crc = Number(acc & 0xffffffffn);
  for (let i = 0; i < bytes; i++) {
    crc ^= Number((value >> BigInt(8 * i)) & 0xffn);
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (crc & 1 ? poly : 0);
  }
  return BigInt(crc >>> 0);
}

/**
 * The helpers, in index order.
 *
 * @example
 * ```ts
 * import { A64_HELPERS } from "./helpers.ts";
 * console.log(A64_HELPERS[0].fn(null, 1n)); // 63n
 * ```
 */
export const A64_HELPERS: HelperDef[] = [
  { name: "a64_clz", fn: (_cpu, x: bigint) => clz64(x), hasResult: true },
  {
    // CNTVCT_EL0 at CNTFRQ_EL0's 62.5 MHz (16 ns a tick), on the clock qemu-aarch64 reads: the
    // wall clock (the virtual one unless -realtime), whole microseconds as gettimeofday gives
    name: "a64_cntvct",
    fn: (cpu: CpuCore) => cpu.timerNs() / 1000n * 1000n / 16n,
    hasResult: true,
    flags: { readsState: true },
  },
  SIMD_HELPER,
  FP_HELPER,
  VINT_HELPER,
  VFP_HELPER,
  VPERM_HELPER,
  VSTREAM_HELPER,
  {
    name: "a64_crc32",
    fn: (_cpu, acc: bigint, value: bigint, info: bigint) => crc32(acc, value, info),
    hasResult: true,
  },
  CRYPTO_HELPER,
];

/**
 * Helper indices by name.
 *
 * @example
 * ```ts
 * import { A64_HELPER } from "./helpers.ts";
 * console.log(A64_HELPER.CNTVCT); // 1
 * ```
 */
export const A64_HELPER = {
  CLZ: 0,
  CNTVCT: 1,
  VEC: 2,
  FP: 3,
  VINT: 4,
  VFP: 5,
  VPERM: 6,
  VSTREAM: 7,
  CRC32: 8,
  CRYPTO: 9,
} as const;
