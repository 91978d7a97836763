/**
 * What generated region code and the JIT backend agree on: the control
 * block through which a region reports how it ended, its status codes, and
 * the jump cache through which regions tail-call each other.
 *
 * @module
 */

/** Layout of the JIT control block in host memory (offsets from its base). */
export const CTRL = {
  /** i32: instructions left of the budget at exit */
  remaining: 0,
  /** i32: instructions of the current TB not completed (on a trap) */
  refund: 4,
  /** i32: set by slow paths when they raised a trap */
  fault: 8,
  /** i32: set when translated code was invalidated during the run */
  invalidated: 12,
  /** i32: trap kind of a RAISE */
  trapKind: 16,
  /** i32: cause of a RAISE */
  trapCause: 20,
  /** i64: data of a RAISE */
  trapData: 24,
  /** i32: next free slot of the trace buffer (see `Op.TRACE`) */
  tracePtr: 32,
  /** i64: the guest address whose TLB miss left the region (status MISS) */
  missAddr: 40,
  /** i32: the miss exit's site in its region (see region_miss.ts) */
  missSite: 48,
  /** i32: the function-table slot of the region a miss exit left */
  missSlot: 52,
  size: 56,
} as const;

/** Status codes returned by a compiled region. */
export const Status = { CONTINUE: 0, TRAP: 1, RAISE: 2, INVALIDATED: 3, MISS: 4 } as const;

/**
 * Entries of the jump cache (a power of two). Regions chain through it, so a
 * collision costs a round trip through the JS loop: with 4096 entries, 80-90 %
 * of the region exits on Lua and SQLite were collisions between TBs that both
 * had compiled code. 32768 entries (512 KiB) make them rare.
 */
export const JUMP_CACHE_ENTRIES = 1 << 15;
/** Bytes per jump cache entry: guest pc (i64), table slot (i32), entry index (i32). */
export const JUMP_CACHE_ENTRY_SIZE = 16;
/** The shift that folds the pc's higher bits into the jump-cache hash. */
export const JUMP_CACHE_FOLD = 16;

/**
 * Byte offset of the jump-cache entry for a guest pc whose low 32 bits are `pcLow` (only bits
 * 1..30 reach the 15-bit hash, so a TB's stored low word serves without a bigint). Generated code
 * computes the same hash: `((pc >> 1) ^ (pc >> JUMP_CACHE_FOLD)) & (ENTRIES - 1)`.
 */
export function jumpCacheSlot(pcLow: number): number {
  const bits = pcLow & 0x7ffffffe;
  return (((bits >>> 1) ^ (bits >>> JUMP_CACHE_FOLD)) & (JUMP_CACHE_ENTRIES - 1)) *
    JUMP_CACHE_ENTRY_SIZE;
}

/** TB flags up to this value take part in chaining (they fit the key's top byte). */
export const MAX_CHAIN_FLAGS = 0xff;

/**
 * The jump-cache tag of the TB at `pc` translated under `flags`: the
 * complement of the pc with the flags XORed into its top byte, so code never
 * chains into a TB made for another privilege level or mode (canonical
 * addresses keep the pair unique), and the zeros of an empty entry (fresh
 * memory needs no fill) match no pc: a pc is even, its tag odd. Generated code
 * tests `tag ^ jumpCacheKey(0, flags) == pc`.
 *
 * @example
 * ```ts
 * import { jumpCacheKey } from "./region_abi.ts";
 * console.log(jumpCacheKey(0x1000n, 0) === ~0x1000n); // true
 * ```
 */
export function jumpCacheKey(pc: bigint, flags: number): bigint {
  return BigInt.asIntN(64, ~(pc ^ (BigInt(flags) << 56n)));
}
