/**
 * The functions every region imports before its helpers: the two memory
 * slow paths (`slow_load`, `slow_store`) and `drain`. The slow paths are wasm
 * functions of one small support module ({@linkcode slowPathModule}) around
 * the JS `load` and `store`: made once per JIT, not in every region module.
 *
 * @module
 */

import { STATE_BASE } from "../host_memory.ts";
import { type HelperDef, type IrOp, Op } from "../ir.ts";
import { assembleModule, I32, I64, W, WasmCode, type WasmFunctionSpec } from "./wasm_code.ts";
import { CTRL } from "./region_abi.ts";

/** Function indices of a region's fixed imports; helper imports follow them. */
export const IMP_SLOW_LOAD = 0, IMP_SLOW_STORE = 1, IMP_DRAIN = 2, NUM_FIXED_IMPORTS = 3;
/** Function indices of the support module's imports, the JS `load` and `store`. */
const IMP_LOAD = 0, IMP_STORE = 1;

/**
 * The fixed imports, in index order.
 *
 * @example
 * ```ts
 * import { fixedImports, IMP_DRAIN } from "./region_imports.ts";
 * console.log(fixedImports()[IMP_DRAIN].name); // drain
 * ```
 */
export function fixedImports(): readonly WasmFunctionSpec[] {
  return fixed ??= (() => {
    const [slowLoad, slowStore] = slowPaths({ pcOffset: 0, ctrl: 0 });
    return [
      { name: slowLoad.name, params: slowLoad.params, result: slowLoad.result },
      { name: slowStore.name, params: slowStore.params, result: slowStore.result },
      { name: "drain", params: [], result: null },
    ];
  })();
}
/** The fixed imports, made once (every region compile asks for them). */
let fixed: readonly WasmFunctionSpec[] | undefined;

/**
 * The support module whose exports `slow_load` and `slow_store` every region
 * imports; it imports `env.memory`, `env.table`, and the JS `env.load`
 * (`(addr, how) -> value`) and `env.store` (`(addr, value, size)`).
 *
 * @example
 * ```ts
 * import { slowPathModule } from "./region_imports.ts";
 * console.log(slowPathModule({ pcOffset: 0, ctrl: 0x2000 }, 1).length > 0); // true
 * ```
 */
export function slowPathModule(
  env: { pcOffset: number; ctrl: number },
  memoryPages: number,
): Uint8Array {
  const js: WasmFunctionSpec[] = [
    { name: "load", params: [I64, I32], result: I64 },
    { name: "store", params: [I64, I64, I32], result: null },
  ];
  return assembleModule(
    memoryPages,
    js,
    slowPaths(env).map((f) => ({ ...f, exported: true })),
  );
}

/**
 * The memory slow paths every region calls out of line: they record where
 * the access is (pc, the instructions left to refund, the budget), so that a
 * fault is precise and devices see the exact instruction count, then call the
 * `load` / `store` import. They return the fault flag (a load beside its
 * value), on which the caller branches to its trap exit. `pcOffset` is the
 * pc's offset in the state block, `ctrl` the control block's address.
 */
function slowPaths(env: { pcOffset: number; ctrl: number }): WasmFunctionSpec[] {
  const record = (pc: number, refund: number, remaining: number) =>
    new WasmCode()
      .i32Const(STATE_BASE + env.pcOffset).localGet(pc).mem(W.i64Store, 0)
      .i32Const(env.ctrl + CTRL.refund).localGet(refund).mem(W.i32Store, 0)
      .i32Const(env.ctrl + CTRL.remaining).localGet(remaining).mem(W.i32Store, 0);
  const fault = (c: WasmCode) => c.i32Const(env.ctrl + CTRL.fault).mem(W.i32Load, 0);
  return [
    {
      name: "slow_load", // (addr, how, pc, refund, remaining) -> (value, fault)
      params: [I64, I32, I64, I32, I32],
      result: [I64, I32],
      body: fault(record(2, 3, 4).localGet(0).localGet(1).call(IMP_LOAD)),
    },
    {
      name: "slow_store", // (addr, value, size, pc, refund, remaining) -> fault
      params: [I64, I64, I32, I64, I32, I32],
      result: I32,
      body: fault(record(3, 4, 5).localGet(0).localGet(1).localGet(2).call(IMP_STORE)),
    },
  ];
}

/**
 * A helper import of a region: the helper's index with its arity, or with `bound`, the helper
 * bound to one CALL's constant arguments (a function of no arguments; see `HelperDef.bind`).
 */
export interface HelperImport {
  name: string;
  helper: number;
  arity: number;
  bound?: number[];
}

/**
 * The helper imports of one region, in function-index order after the fixed imports: one per
 * helper called, and one per CALL site's constant arguments for helpers that can be bound
 * (instrumentation callbacks: each hooked TB gets its own import, with no table lookup).
 *
 * @example
 * ```ts ignore
 * const imports = new HelperImports(env.helpers, irs.map((ir) => ir.ops), constants);
 * const { fn, bound } = imports.of(callOp, constants[k]);
 * ```
 */
export class HelperImports {
  /** the imports, in index order */
  readonly list: HelperImport[];
  readonly #index = new Map<string, number>();

  constructor(
    readonly helpers: HelperDef[],
    ops: readonly (readonly IrOp[])[],
    constants: Map<number, bigint>[],
  ) {
    const byName = new Map<string, HelperImport>();
    ops.forEach((list, k) => {
      for (const o of list) {
        if (o.op !== Op.CALL) continue;
        const imp = this.#import(o, constants[k]);
        if (!byName.has(imp.name)) byName.set(imp.name, imp);
      }
    });
    this.list = [...byName.values()].sort((a, b) =>
      a.helper - b.helper || (a.name < b.name ? -1 : 1)
    );
    this.list.forEach((imp, i) => this.#index.set(imp.name, NUM_FIXED_IMPORTS + i));
  }

  /** The function index CALL `o` calls, and whether its arguments are bound (none passed). */
  of(o: IrOp, constants: Map<number, bigint>): { fn: number; bound: boolean } {
    const imp = this.#import(o, constants);
    return { fn: this.#index.get(imp.name)!, bound: imp.bound !== undefined };
  }

  /** The import CALL `o` needs (bound when its helper can be and its arguments are constant). */
  #import(o: IrOp, constants: Map<number, bigint>): HelperImport {
    const helper = Number(o.imm), def = this.helpers[helper], f = def.flags ?? {};
    const args = o.args.map((a) => constants.get(a));
    if (
      def.bind && def.smallArgs && !def.hasResult && !f.mayTrap && !f.readsState &&
      !f.writesState && args.every((a) => a !== undefined)
    ) {
      const bound = args.map(Number);
      return { name: `b${helper}_${bound.join("_")}`, helper, arity: 0, bound };
    }
    return { name: `h${helper}`, helper, arity: o.args.length };
  }

  /** The imports' wasm types. */
  specs(): WasmFunctionSpec[] {
    return this.list.map((imp) => {
      const def = this.helpers[imp.helper];
      return {
        name: imp.name,
        params: new Array(imp.arity).fill(def.smallArgs ? I32 : I64),
        result: def.hasResult ? I64 : null,
      };
    });
  }
}
