/**
 * What the compilation of one region shares across its TBs: the wasm
 * locals (guest registers, inline counters, the temps' pool, the access
 * groups' host addresses), the function indices of helpers and access
 * functions, and the code that moves guest registers and counters between
 * locals and memory around calls and exits. `region_tb.ts` emits each TB
 * with it; `region_compiler.ts` puts the pieces together.
 *
 * @module
 */

import { type HelperDef, type IrBlock, type IrOp, markGlobals, Op } from "../ir.ts";
import { STATE_BASE } from "../host_memory.ts";
import type { TranslationBlock } from "../tb.ts";
import { I32, I64, W, WasmCode } from "./wasm_code.ts";
import { HELPER_OPS } from "./wasm_helpers.ts";
import { constantTemps, packTemps, type TempSlots } from "./temp_locals.ts";
import {
  HelperImports,
  IMP_SLOW_LOAD,
  IMP_SLOW_STORE,
  NUM_FIXED_IMPORTS,
} from "./region_imports.ts";
import { AccessFunctions, type AccessGroup, accessGroups } from "./region_memory.ts";
import { type MissExitEnv, missExitSets, type MissSite } from "./region_miss.ts";
import { BudgetCounter, uniformCounter } from "./region_counter.ts";

/** What the compiler needs to know besides the TBs. */
export interface RegionEnv {
  numGlobals: number;
  /** state offset of each global */
  globalOffsets: number[];
  pcOffset: number;
  /** all helpers, by CALL index */
  helpers: HelperDef[];
  /** host address of the control block */
  ctrl: number;
  /** initial size of the shared memory, in wasm pages */
  memoryPages: number;
  /** host address of the jump cache (see `jumpCacheSlot`) */
  jumpCache: number;
  /** this region's slot in the function table (indirect jumps to its own TBs stay inside) */
  selfSlot: number;
  /** host address just past the trace buffer (a full buffer calls the `drain` import) */
  traceEnd: number;
  /** host address of the soft-TLB table of the region's MMU mode (`tlbTable`) */
  tlbTable: number;
  /** which TBs' accesses may take miss exits (region_miss.ts); none when absent */
  missExits?: MissExitEnv;
  /** where each TB's indirect jump went while interpreted: those in the region are compared inline */
  indirectTargets?: readonly (readonly bigint[] | undefined)[];
}

/**
 * The most TBs of a loop whose guest registers stay in locals across its TBs: loading them at
 * each TB's start slowed the compute guest's small loops by 3 %, while holding those of the
 * larger loops (an interpreter's dispatch loop) cost V8's register allocator more than the
 * loads save (docs/perf.md, seventeenth session).
 */
const TIGHT_LOOP = 4;

/** The first local after the params and the exits' locals (region_exits.ts `LOCALS`). */
const FIRST_FREE_LOCAL = 6;

/**
 * The `run` body of the region being compiled, reused by every region: its
 * bytes are copied into the module (assembleModule), and a fresh buffer of a
 * region's size (about 26 bytes per IR op on speedtest1) cost more to allocate.
 */
const regionBody = new WasmCode(1 << 16);

/**
 * One region being compiled: its locals, function indices and shared code.
 *
 * @example
 * ```ts ignore
 * const r = new RegionCode([tbA, tbB], env);
 * r.loadGlobals(r.used); // load the guest registers the region uses into their locals
 * ```
 */
export class RegionCode {
  readonly c: WasmCode;
  readonly irs: IrBlock[];
  /** the types of the `run` function's locals, params first */
  readonly localTypes: number[] = [I32, I32, I64, I32];
  /** the local of each guest register the region uses (-1: unused) */
  readonly globalLocal: Int32Array;
  readonly used: number[] = [];
  /**
   * The guest registers (1 by index) that the TBs of the region's tight loops use (see
   * `TIGHT_LOOP`): loaded at the region's entry and held in their locals across TBs. Each TB
   * loads the others it uses at its start (see `TbEmitter`), so that no value is live across
   * the region's TBs and exits but these: the CPU state is up to date at every TB boundary.
   */
  readonly heldAcross: Uint8Array;
  /** the local of each inline counter, by its host address */
  readonly counterLocal = new Map<number, number>();
  /** the region's one per-instruction counter, kept by the budget instead (region_counter.ts) */
  budgetCounter: BudgetCounter | undefined;
  /** whether some op needs the internal wasm functions (128-bit multiplies, division) */
  usesInternal = false;
  readonly tempBase: number;
  readonly tempSlots: TempSlots[];
  readonly groupBase: number;
  readonly groups: Map<IrOp, AccessGroup>[];
  /** temps written once by a MOVI, read as constants (see constantTemps) */
  readonly constants: Map<number, bigint>[];
  /** accesses that leave on a TLB miss */
  readonly missable: Set<IrOp>[];
  readonly missSites: MissSite[] = [];
  /** the helper imports: one per helper called, one per bound CALL site */
  readonly helperImports: HelperImports;
  readonly access: AccessFunctions;
  readonly firstAluHelper: number;
  readonly entryOf: Map<bigint, number>;

  constructor(readonly tbs: TranslationBlock[], readonly env: RegionEnv) {
    const G = env.numGlobals;
    this.c = regionBody.clear();
    // Each TB's ops, unpacked once (TBs keep them packed: see ir_pack.ts).
    this.irs = tbs.map((tb) => tb.ir);
    this.globalLocal = new Int32Array(G).fill(-1);
    this.#scanOps();
    // Temps share a pool of locals (see temp_locals.ts).
    this.tempBase = this.#counterLocals(this.#globalLocals(FIRST_FREE_LOCAL));
    this.tempSlots = this.irs.map((ir) => packTemps(ir.ops, G, ir.numTemps));
    const poolSize = this.tempSlots.reduce((n, s) => Math.max(n, s.size), 0);
    for (let i = 0; i < poolSize; i++) this.localTypes.push(I64);
    this.missable = missExitSets(this.irs, G, env.missExits);
    // Accesses that share a TLB probe (see accessGroups): one i32 local per group of a TB.
    // Those that take miss exits group only inside the region's loops.
    const inLoop = loopTbs(tbs, this.irs);
    this.heldAcross = new Uint8Array(G);
    const tight = loopTbs(tbs, this.irs, TIGHT_LOOP), written = new Uint8Array(G);
    this.irs.forEach((ir, k) => tight[k] && markGlobals(ir.ops, G, this.heldAcross, written));
    this.groups = this.irs.map((ir, k) =>
      accessGroups(ir.ops, inLoop[k] ? undefined : this.missable[k])
    );
    this.groupBase = this.tempBase + poolSize;
    const groupLocals = this.groups.reduce(
      (n, m) => Math.max(n, ...[...m.values()].map((g) => g.index + 1)),
      0,
    );
    for (let i = 0; i < groupLocals; i++) this.localTypes.push(I32);
    this.constants = this.irs.map((ir) => constantTemps(ir.ops, G));
    this.helperImports = new HelperImports(
      env.helpers,
      this.irs.map((ir) => ir.ops),
      this.constants,
    );
    // Internal functions: the access functions of the groups, then (if used) the ALU helpers.
    const firstInternal = NUM_FIXED_IMPORTS + this.helperImports.list.length;
    this.access = new AccessFunctions(firstInternal, IMP_SLOW_LOAD, IMP_SLOW_STORE, env.tlbTable);
    for (const m of this.groups) for (const o of m.keys()) this.access.use(o);
    this.firstAluHelper = this.access.first + this.access.count;
    this.entryOf = new Map<bigint, number>(tbs.map((tb, i) => [tb.pc, i]));
  }

  /**
   * Drops everything this object holds once the module is made (the caller reads what it keeps
   * first). A RegionCode that still held its lists after its compile kept them alive through
   * later scavenges, into V8's old generation, though a full collection found the RegionCode
   * itself dead. Emptying only the per-TB lists (the thirteenth session's fix, when these
   * survivors doubled a Linux boot's old generation) left about 10 MiB of them in a boot (the
   * environment, the TB list and the locals' lists among them), and V8 grows its young
   * generation by the bytes that survive (docs/perf.md, sixteenth session). The ops were
   * unpacked for this compile (`tb.ir` unpacks afresh), so nothing else holds them.
   */
  release(): void {
    // The containers are emptied, not only dropped: a promoted `TbEmitter` shares them.
    for (const ir of this.irs) ir.ops.length = 0;
    for (const maps of [this.groups, this.constants, this.missable]) {
      for (const m of maps) m.clear();
    }
    const fields = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) fields[key] = undefined;
  }

  /** Marks the globals used, and whether ALU helpers are called. */
  #scanOps(): void {
    const G = this.env.numGlobals;
    const isUsed = new Uint8Array(G), isWritten = new Uint8Array(G);
    for (const ir of this.irs) {
      markGlobals(ir.ops, G, isUsed, isWritten);
      for (const o of ir.ops) {
        if (HELPER_OPS.includes(o.op)) this.usesInternal = true;
      }
    }
    for (let g = 0; g < G; g++) {
      if (isUsed[g]) this.used.push(g);
    }
  }

  /** Gives each guest register used a local from `next` on; returns the next free local. */
  #globalLocals(next: number): number {
    for (const g of this.used) {
      this.globalLocal[g] = next++;
      this.localTypes.push(I64);
    }
    return next;
  }

  /** Inline counters (scoreboards) live in locals too: no load-add-store chain through memory. */
  #counterLocals(next: number): number {
    const uniform = uniformCounter(this.irs, this.tbs.map((tb) => tb.insnCount));
    if (uniform) {
      this.budgetCounter = new BudgetCounter(this.c, uniform.host, uniform.delta);
      return next;
    }
    for (const ir of this.irs) {
      for (const o of ir.ops) {
        const addr = Number(o.imm);
        if (o.op === Op.COUNTER_ADD && !this.counterLocal.has(addr)) {
          this.counterLocal.set(addr, next++);
          this.localTypes.push(I64);
        }
      }
    }
    return next;
  }

  /**
   * JS (callbacks, tools) may read or reset counters: they are in memory across every call.
   * `notStarted`: the instructions of the TB the budget charged that have not started yet.
   */
  flushCounters = (notStarted = 0): void => {
    if (this.budgetCounter) return this.budgetCounter.flush(notStarted);
    for (const [addr, l] of this.counterLocal) {
      this.c.i32Const(addr).localGet(l).mem(W.i64Store, 0);
    }
  };

  /** Takes the counters from memory again (`notStarted` as for `flushCounters`). */
  reloadCounters(notStarted = 0): void {
    if (this.budgetCounter) return this.budgetCounter.restart(notStarted);
    for (const [addr, l] of this.counterLocal) this.c.i32Const(addr).mem(W.i64Load, 0).localSet(l);
  }

  /** Stores guest register `g`'s local into the CPU state (see `TbEmitter`'s `#storeWritten`). */
  storeGlobal(g: number): void {
    this.c.i32Const(this.#stateOf(g)).localGet(this.globalLocal[g]).mem(W.i64Store, 0);
  }

  /** Loads guest registers `gs` into their locals. */
  loadGlobals(gs: readonly number[]): void {
    for (const g of gs) {
      this.c.i32Const(this.#stateOf(g)).mem(W.i64Load, 0).localSet(this.globalLocal[g]);
    }
  }

  storePc(pc: bigint): void {
    this.c.i32Const(STATE_BASE + this.env.pcOffset).i64Const(pc).mem(W.i64Store, 0);
  }

  storeCtrl32(field: number, v: number): void {
    this.c.i32Const(this.env.ctrl + field).i32Const(v).mem(W.i32Store, 0);
  }

  #stateOf(g: number): number {
    return STATE_BASE + this.env.globalOffsets[g];
  }
}

/**
 * Whether each TB of a region lies in a loop of it: between the target and the source of a
 * direct jump to the same or an earlier TB of the region (region order), at most `maxTbs` TBs
 * apart.
 */
function loopTbs(tbs: TranslationBlock[], irs: IrBlock[], maxTbs = Infinity): boolean[] {
  const index = new Map<bigint, number>(tbs.map((tb, i) => [tb.pc, i]));
  const inLoop = tbs.map(() => false);
  irs.forEach((ir, j) => {
    for (const o of ir.ops) {
      const i = o.op === Op.GOTO_TB ? index.get(o.pc) : undefined;
      if (i !== undefined && i <= j && j - i < maxTbs) {
        for (let k = i; k <= j; k++) inLoop[k] = true;
      }
    }
  });
  return inLoop;
}
