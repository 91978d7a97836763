/**
 * Scoreboards: arrays of 64-bit counters in host memory that generated code
 * updates inline (QEMU's `qemu_plugin_scoreboard`), with no call into JS.
 *
 * @module
 */

import type { HostMemory } from "../host_memory.ts";

/**
 * A block of 64-bit counters. Code of another host memory (a forked guest
 * process's CPU) counts in a copy there ({@linkcode Scoreboard.addressIn}),
 * which starts at 0; reads sum the copies, so a count covers every process.
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
  /** where the counters are in each host memory that counts in them (the first: `host`) */
  readonly #bases = new Map<HostMemory, number>();

  /** @internal made by `hooks.scoreboard()` */
  constructor(
    /** @internal */ readonly host: HostMemory,
    /** counters (one per vCPU) */ readonly entries: number,
  ) {
    this.#bases.set(host, host.allocate(entries * 8, 8));
  }

  /** Host address of entry `i` (what inline ops update). */
  address(i = 0): number {
    return this.addressIn(this.host, i);
  }

  /**
   * Host address of entry `i` in the copy of `memory` (made, zeroed, on first use).
   * @internal generated code of each CPU counts in its own memory
   */
  addressIn(memory: HostMemory, i = 0): number {
    if (i < 0 || i >= this.entries) throw new RangeError(`scoreboard entry ${i} out of range`);
    let base = this.#bases.get(memory);
    if (base === undefined) {
      base = memory.allocate(this.entries * 8, 8);
      memory.u8.fill(0, base, base + this.entries * 8);
      this.#bases.set(memory, base);
    }
    return base + i * 8;
  }

  /** Reads entry `i` (summed over the copies). */
  get(i = 0): bigint {
    let v = 0n;
    for (const m of this.#bases.keys()) v += m.dv.getBigInt64(this.addressIn(m, i), true);
    return BigInt.asIntN(64, v);
  }

  /** Writes entry `i` (the copies of other memories restart from 0). */
  set(i: number, v: bigint): void {
    for (const m of this.#bases.keys()) m.dv.setBigInt64(this.addressIn(m, i), 0n, true);
    this.host.dv.setBigInt64(this.address(i), BigInt.asIntN(64, v), true);
  }

  /** Sum of all entries. */
  sum(): bigint {
    let s = 0n;
    for (let i = 0; i < this.entries; i++) s += this.get(i);
    return s;
  }
}
