/**
 * The block the TB cache hands its observers to instrument, between translation and packing.
 *
 * @module
 */

import type { IrOp } from "./ir.ts";
import type { PackedBuilder } from "./ir_pack.ts";
import type { BlockToRewrite } from "./tb.ts";

/**
 * The block observers may instrument: its ops become objects only when one
 * reads them (most blocks go from the builder to their packed form as words).
 * The TB cache reuses one for every TB ({@linkcode BlockToInstrument.start}): its fields are
 * written at every TB from the first, so that the first instrumented TB, which rewrites them,
 * changes no field V8 had seen as constant (that deoptimized the TB cache's code; docs/perf.md,
 * fifteenth session, the first hooked machine).
 *
 * @example
 * ```ts ignore
 * const block = new BlockToInstrument(builder);
 * for (const o of observers) o.instrument?.(block, ctx);
 * ```
 */
export class BlockToInstrument implements BlockToRewrite {
  #ops: IrOp[] | undefined;
  #built: PackedBuilder;
  /** the builder an observer rewrote the block into, released after packing */
  replaced: PackedBuilder | undefined;
  numTemps: number;
  numLabels: number;
  constructor(built: PackedBuilder) {
    this.#built = built;
    this.numTemps = built.numTemps;
    this.numLabels = built.numLabels;
  }

  /** Makes this the block of `built` (the next TB's), as a new one would be. */
  start(built: PackedBuilder): this {
    this.#ops = this.replaced = undefined;
    this.#built = built;
    this.numTemps = built.numTemps;
    this.numLabels = built.numLabels;
    return this;
  }

  get ops(): IrOp[] {
    return this.#ops ??= this.#built.finish().ops;
  }

  set ops(ops: IrOp[]) {
    this.#ops = ops;
  }

  get packed(): PackedBuilder | undefined {
    const b = this.#built;
    const same = this.numTemps === b.numTemps && this.numLabels === b.numLabels;
    return this.#ops === undefined && same ? b : undefined;
  }

  replace(b: PackedBuilder): void {
    this.replaced?.release();
    this.replaced = this.#built = b;
    this.#ops = undefined;
    this.numTemps = b.numTemps;
    this.numLabels = b.numLabels;
  }
}
