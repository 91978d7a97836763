/**
 * Compiles a region (several TBs) from IR into one WebAssembly function.
 *
 * Shape of the generated function `run(entry: i32, budget: i32) -> i32`:
 * ```text
 * load the guest registers (globals) its tight loops use into i64 locals
 * block $exit
 *   block $exitPc
 *     block $trap
 *       block $inval
 *         loop $dispatch
 *           block $try
 *             block $hash
 *               block $tbN-1 ... block $tb0
 *                 br_table(next) -> $tb0..$tbN-1
 *               end  <TB 0 code>  ... end <TB N-1 code>
 *             end
 *             ent = jump-cache slot of addr
 *           end
 *           jump cache knows addr: a TB of this region? next = its index, br $dispatch
 *                                  else status = CHAIN, br $exit
 *           br $exitPc
 *         end
 *       end
 *       store the refund; status = INVALIDATED, br $exitPc
 *     end
 *     status = TRAP, br $exit
 *   end
 *   store addr as the pc
 * end
 * store the inline counters
 * status = CHAIN: tail-call the jump-cache entry in `ent`; else return status
 * ```
 * A direct jump to a later TB of the region branches straight to the end of
 * that TB's block, where its code starts; one to an earlier TB sets `next`
 * and branches to `$dispatch`. Every other exit shares the code at the end:
 * a jump out of the region puts its target in `addr` and branches to `$try`
 * (its jump-cache slot in `ent`, when the target is constant) or `$hash`;
 * an exit to the run loop puts the pc in `addr` and branches to `$exitPc`; a
 * slow path or helper that trapped branches to `$trap`. Sharing them keeps
 * the code V8 compiles small: an exit is a few bytes. Guest loads and stores
 * check the soft TLB inline and call an out-of-line slow path on a miss
 * (region_access.ts). Guest registers live in locals: a TB loads those it
 * uses at its start (but those of tight loops, loaded at the entry), and
 * stores each to the CPU state before the next op that may leave or read
 * it, so the exits write nothing back (region_tb.ts). Each TB entry checks and charges the instruction
 * budget, so budgets stay exact. `region_code.ts` holds what the TBs share
 * (locals, function indices), `region_tb.ts` emits one TB.
 *
 * @module
 */

import type { TranslationBlock } from "../tb.ts";
import { assembleModule, I32, W, type WasmFunctionSpec } from "./wasm_code.ts";
import { internalFunctions } from "./wasm_helpers.ts";
import { fixedImports, type HelperImport } from "./region_imports.ts";
import { closeExits, LOCALS, openExits } from "./region_exits.ts";
import type { MissSite } from "./region_miss.ts";
import { RegionCode, type RegionEnv } from "./region_code.ts";
import { TbEmitter } from "./region_tb.ts";

export type { RegionEnv } from "./region_code.ts";

/** The compiled region before instantiation. */
export interface CompiledRegion {
  bytes: Uint8Array;
  /** the helper imports, in import order */
  helperImports: HelperImport[];
  /** where each miss exit is, by the site number it leaves in `CTRL.missSite` */
  missSites: MissSite[];
}

/**
 * Compiles `tbs` into one module. TB `i` is entry `i` of the `run` export.
 *
 * @example
 * ```ts ignore
 * const { bytes } = compileRegion([tbA, tbB], env);
 * ```
 */
export function compileRegion(tbs: TranslationBlock[], env: RegionEnv): CompiledRegion {
  const r = new RegionCode(tbs, env), c = r.c;
  r.loadGlobals(r.used.filter((g) => r.heldAcross[g]));
  r.reloadCounters();
  c.localGet(LOCALS.entry).localSet(LOCALS.next);
  openExits(c);
  for (let i = 0; i < tbs.length; i++) c.block();
  c.localGet(LOCALS.next).brTable(tbs.map((_, i) => i), 0);
  for (let k = 0; k < tbs.length; k++) {
    c.op(W.end); // end of block $tbk: TB k's code follows
    new TbEmitter(r, k).emit();
  }
  closeExits(c, { ...env, flags: tbs[0]?.flags ?? 0 }, r.flushCounters, r.budgetCounter);
  const imports: WasmFunctionSpec[] = [
    ...fixedImports(),
    ...r.helperImports.specs(),
  ];
  const run: WasmFunctionSpec = {
    name: "run",
    params: [I32, I32],
    result: I32,
    locals: r.localTypes,
    body: c,
    exported: true,
  };
  const bytes = assembleModule(env.memoryPages, imports, [
    ...r.access.specs(),
    ...(r.usesInternal ? internalFunctions(r.firstAluHelper) : []),
    run,
  ]);
  const compiled = { bytes, helperImports: r.helperImports.list, missSites: r.missSites };
  r.release();
  return compiled;
}
