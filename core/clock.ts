/**
 * The deterministic virtual clock. Guest-visible time advances with retired
 * instructions (one nanosecond each by default) plus any time skipped while the
 * guest idles, from a fixed epoch, so the same run always sees the same times.
 *
 * @module
 */

/** 2025-01-01T00:00:00Z: the guest's wall clock at instruction 0. */
export const DEFAULT_EPOCH_NS = 1_735_689_600n * 1_000_000_000n;

/**
 * Virtual time, derived from an instruction counter.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "./clock.ts";
 * let icount = 0;
 * const clock = new VirtualClock(() => icount);
 * icount = 1000;
 * console.log(clock.monotonicNs()); // 1000n
 * ```
 */
export class VirtualClock {
  /** Nanoseconds added by idling (wfi, nanosleep). */
  skippedNs = 0n;

  /** Makes a clock whose time follows the instruction count (see the parameters). */
  constructor(
    /** reads the number of retired guest instructions */
    readonly instructions: () => number,
    /** nanoseconds per instruction */
    readonly nsPerInsn: bigint = 1n,
    /** wall-clock time at instruction 0 */
    readonly epochNs: bigint = DEFAULT_EPOCH_NS,
  ) {}

  /** Nanoseconds since the machine started. */
  monotonicNs(): bigint {
    return BigInt(this.instructions()) * this.nsPerInsn + this.skippedNs;
  }

  /** Nanoseconds since the Unix epoch, as the guest sees it. */
  realtimeNs(): bigint {
    return this.epochNs + this.monotonicNs();
  }

  /** Moves virtual time forward without running instructions. */
  skip(ns: bigint): void {
    if (ns > 0n) this.skippedNs += ns;
  }
}
