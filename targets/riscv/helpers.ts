/**
 * The target's helper table: helpers are registered by name and called from
 * IR by index (`CALL` with `imm` = the index).
 *
 * @module
 */

import type { HelperDef } from "../../plugin_target.ts";

/**
 * An ordered set of helpers with lookup by name.
 *
 * @example
 * ```ts
 * import { HelperRegistry } from "./helpers.ts";
 * const r = new HelperRegistry();
 * r.add({ name: "twice", fn: (_cpu, a) => a * 2n, hasResult: true });
 * console.log(r.index("twice")); // 0
 * ```
 */
export class HelperRegistry {
  readonly defs: HelperDef[] = [];
  readonly #byName = new Map<string, number>();

  /** Adds a helper; its name must be new. Returns its index. */
  add(def: HelperDef): number {
    if (this.#byName.has(def.name)) throw new Error(`helper ${def.name} registered twice`);
    this.#byName.set(def.name, this.defs.length);
    this.defs.push(def);
    return this.defs.length - 1;
  }

  /** Adds every helper in `defs`. */
  addAll(defs: Iterable<HelperDef>): void {
    for (const d of defs) this.add(d);
  }

  /** The index of helper `name` (throws when unknown: a translator bug). */
  index(name: string): number {
    const i = this.#byName.get(name);
    if (i === undefined) throw new Error(`unknown helper ${name}`);
    return i;
  }
}
