/**
 * Scoreboards: arrays of 64-bit counters in host memory that generated code
 * updates inline (QEMU's `qemu_plugin_scoreboard`), with no call into JS.
 *
 * @module
 */

import type { HostMemory } from "../host_memory.ts";

/**
 * A block of 64-bit counters.
 *
 * @example
 * ```ts
 * import { HostMemory } from "../host_memory.ts";
 * import { Scoreboard } from "./scoreboard.ts";
 * const sb = new Scoreboard(new HostMemory(), 2);
 * sb.set(1, 5n);
 * console.log(sb.get(1) + sb.sum()); // 10n
 * ```
 */
export class Scoreboard {
  readonly #base: number;

  /** @internal made by `hooks.scoreboard()` */
  constructor(
    /** @internal */ readonly host: HostMemory,
    /** counters (one per vCPU) */ readonly entries: number,
  ) {
    this.#base = host.allocate(entries * 8, 8);
  }

  /** Host address of entry `i` (what inline ops update). */
  address(i = 0): number {
    if (i < 0 || i >= this.entries) throw new RangeError(`scoreboard entry ${i} out of range`);
    return this.#base + i * 8;
  }

  /** Reads entry `i`. */
  get(i = 0): bigint {
    return this.host.dv.getBigInt64(this.address(i), true);
  }

  /** Writes entry `i`. */
  set(i: number, v: bigint): void {
    this.host.dv.setBigInt64(this.address(i), BigInt.asIntN(64, v), true);
  }

  /** Sum of all entries. */
  sum(): bigint {
    let s = 0n;
    for (let i = 0; i < this.entries; i++) s += this.get(i);
    return s;
  }
}
