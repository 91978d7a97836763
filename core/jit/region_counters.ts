/**
 * Inline counters (scoreboard entries, `Op.COUNTER_ADD`) in a region's code.
 * Each counter lives in an i64 local, loaded at entry and stored back at
 * every exit and around every call into JS (callbacks and tools read and
 * reset counters), so an add is a register add, with no load-add-store chain
 * through memory.
 *
 * The adds are deferred, too: the emitter keeps each counter's pending delta
 * and emits one add where something could see the count (a call, a branch, a
 * label, an exit, a read of the counter). A guest load or store is not such a
 * point, although it may fault: its slow path, out of line, adds the pending
 * deltas before the call that may fault and takes them back after it, so the
 * count is exact at a fault (the faulting instruction counted, as its add came
 * before its access) while the fast path carries no add at all. A TB with a
 * per-instruction counter then pays one add per run of loads, stores and ALU
 * ops instead of one per memory access.
 *
 * @module
 */

import { type IrOp, Op } from "../ir.ts";
import { I64, W, type WasmCode } from "./wasm_code.ts";

/**
 * The counters of one region.
 *
 * @example
 * ```ts
 * import { RegionCounters } from "./region_counters.ts";
 * import { WasmCode } from "./wasm_code.ts";
 * const c = new WasmCode(), types: number[] = [];
 * const counters = new RegionCounters(c, [], 6, types);
 * counters.settle();
 * console.log(counters.size, types.length); // 0 0
 * ```
 */
export class RegionCounters {
  /** the local of each counter, by host address */
  readonly #local = new Map<number, number>();
  /** deltas not yet added to the locals, by host address */
  readonly #pending = new Map<number, bigint>();

  /**
   * Gives each counter the ops of `blocks` add to a local from `firstLocal`
   * on, pushing their types to `localTypes`.
   */
  constructor(readonly c: WasmCode, blocks: IrOp[][], firstLocal: number, localTypes: number[]) {
    for (const ops of blocks) {
      for (const o of ops) {
        const addr = Number(o.imm);
        if (o.op !== Op.COUNTER_ADD || this.#local.has(addr)) continue;
        this.#local.set(addr, firstLocal + this.#local.size);
        localTypes.push(I64);
      }
    }
  }

  /** The number of locals the counters take. */
  get size(): number {
    return this.#local.size;
  }

  /** The local of the counter at host address `addr`, if the region counts there. */
  local(addr: number): number | undefined {
    this.settle();
    return this.#local.get(addr);
  }

  /** `COUNTER_ADD`: defers the add (see the module doc). */
  add(o: IrOp): void {
    const addr = Number(o.imm);
    this.#pending.set(addr, (this.#pending.get(addr) ?? 0n) + o.pc);
  }

  /** Emits the pending adds: before anything but a pure op or a memory access's fast path. */
  settle(): void {
    this.#emitAdds(1n);
    this.#pending.clear();
  }

  /**
   * Emits `call` (a slow path that may branch out on a fault) with the
   * pending adds made before it and taken back after it.
   */
  aroundSlowPath(call: () => void): void {
    this.beforeExit();
    call();
    this.#emitAdds(-1n);
  }

  /** Emits the pending adds on a path that leaves the region (they stay pending on the others). */
  beforeExit(): void {
    this.#emitAdds(1n);
  }

  /** Stores the locals to their counters (the pending adds must be settled). */
  flush(): void {
    const c = this.c;
    for (const [addr, l] of this.#local) c.i32Const(addr).localGet(l).mem(W.i64Store, 0);
  }

  /** Loads the locals from their counters. */
  reload(): void {
    const c = this.c;
    for (const [addr, l] of this.#local) c.i32Const(addr).mem(W.i64Load, 0).localSet(l);
  }

  #emitAdds(sign: bigint): void {
    for (const [addr, delta] of this.#pending) {
      const l = this.#local.get(addr)!;
      this.c.localGet(l).i64Const(BigInt.asIntN(64, sign * delta)).op(W.i64Add).localSet(l);
    }
  }
}
