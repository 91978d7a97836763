/**
 * A per-instruction inline counter kept by the instruction budget: when every
 * TB of a region adds the same delta to one counter for each instruction it
 * starts, the counter is `delta` times the instructions the budget charged
 * (`remaining`, which a TB's entry lowers by its length), less those of the
 * TB not started when an exit leaves mid-TB. The region then makes no add at
 * all: it stores the count when something may see it (each exit, call and
 * trace drain), from a mark of `remaining` at the last store.
 *
 * Why: the adds were the per-instruction counter's cost. One add per TB cost
 * as much as the per-block counter, and only no add at all ran as fast as
 * unhooked code (docs/perf.md, seventeenth and nineteenth sessions).
 *
 * The count at each exit is what the adds in place give: instructions
 * started, so a faulting or raising instruction counts (as QEMU's inline
 * counter does) though `icount` refunds it, and a miss exit counts its
 * instruction (the JIT takes back the rest's adds before its first access,
 * region_miss.ts). Regions that mix counters or add anywhere else keep the adds.
 *
 * @module
 */

import { FLOAT64_ALU_OPS, type IrBlock, type IrOp, Op } from "../ir.ts";
import { isPure } from "../ir_fold.ts";
import { W, type WasmCode } from "./wasm_code.ts";
import { LOCALS } from "./region_exits.ts";
import { CTRL } from "./region_abi.ts";

const FLOAT_OPS: ReadonlySet<number> = new Set(FLOAT64_ALU_OPS);

/** Ops that nothing can observe a count at: the adds before them may lag. */
function unobserved(op: number): boolean {
  return isPure(op) || FLOAT_OPS.has(op) || op === Op.INSN_START || op === Op.COUNTER_ADD;
}

/**
 * The counter (host address) and delta of a region whose TBs (their IR in `irs`, their
 * lengths in `lens`) each add `delta` to it per instruction started, as seen at every op
 * that may observe it; undefined when some TB does otherwise or the region has no adds.
 *
 * @example
 * ```ts
 * import { IrBuilder } from "../ir_builder.ts";
 * import { uniformCounter } from "./region_counter.ts";
 * const b = new IrBuilder(4);
 * b.insnStart(0x1000n, 0);
 * b.counterAdd(64, 1n);
 * b.gotoTb(0x1004n);
 * console.log(uniformCounter([b.finish()], [1])); // { host: 64, delta: 1n }
 * ```
 */
export function uniformCounter(
  irs: readonly IrBlock[],
  lens: readonly number[],
): { host: number; delta: bigint } | undefined {
  const first = irs[0]?.ops.find((o) => o.op === Op.COUNTER_ADD);
  if (!first) return undefined;
  // the first add may be merged over several instructions: the delta is the TB's sum per insn
  const host = Number(first.imm), sum = sumOfAdds(irs[0].ops), delta = sum / BigInt(lens[0]);
  if (delta * BigInt(lens[0]) !== sum) return undefined;
  for (let k = 0; k < irs.length; k++) {
    let added = 0n, insn = -1;
    for (const o of irs[k].ops) {
      if (o.op === Op.COUNTER_ADD) {
        if (Number(o.imm) !== host) return undefined;
        added += o.pc;
      } else if (o.op === Op.INSN_START) insn = o.size;
      else if ((o.op === Op.LOAD_HOST || o.op === Op.STORE_HOST) && Number(o.imm) === host) {
        return undefined;
      }
      if (!unobserved(o.op) && added !== BigInt(insn + 1) * delta) return undefined;
    }
    if (added !== BigInt(lens[k]) * delta) return undefined;
  }
  return { host, delta };
}

/** The deltas of a TB's adds, summed. */
function sumOfAdds(ops: readonly IrOp[]): bigint {
  return ops.reduce((n, o) => o.op === Op.COUNTER_ADD ? n + o.pc : n, 0n);
}

const { remaining: L_REMAINING, next: L_NEXT } = LOCALS;

/**
 * The code of a counter kept by the budget: its host address and its delta.
 * While a region runs, the count in memory is ahead by `delta` times the
 * budget left (`remaining`) at the last store: the entry adds that, and each
 * store takes off `delta` times the budget left now, so no local holds a
 * mark across the region's code.
 *
 * @example
 * ```ts ignore
 * const counter = new BudgetCounter(c, 64, 1n);
 * counter.restart(0); // at the region's entry
 * ```
 */
export class BudgetCounter {
  constructor(readonly c: WasmCode, readonly host: number, readonly delta: bigint) {}

  /** `*host += delta * x` (or `-=` when `minus`), `x` the i32 that `push` leaves. */
  #add(push: () => void, minus: boolean): void {
    const { c, host } = this;
    c.i32Const(host).i32Const(host).mem(W.i64Load, 0);
    push();
    c.op(W.i64ExtendI32S);
    if (this.delta !== 1n) c.i64Const(this.delta).op(W.i64Mul);
    c.op(minus ? W.i64Sub : W.i64Add).mem(W.i64Store, 0);
  }

  /** `remaining + notStarted`: the budget left as the instructions started so far see it. */
  #left(notStarted: number): () => void {
    return () => {
      this.c.localGet(L_REMAINING);
      if (notStarted) this.c.i32Const(notStarted).op(W.i32Add);
    };
  }

  /**
   * Makes the count in memory exact, where `notStarted` of the instructions the budget charged
   * have not started yet.
   */
  flush(notStarted: number): void {
    this.#add(this.#left(notStarted), true);
  }

  /** Counts on from here (the region's entry, after a call), `notStarted` as for `flush`. */
  restart(notStarted: number): void {
    this.#add(this.#left(notStarted), false);
  }

  /** An exit that leaves `n` charged instructions of its TB not started: they do not count. */
  skip(n: number): void {
    if (n) this.#add(() => this.c.i32Const(n), true);
  }

  /** At the invalidation exit: the refund in `next` has not started. */
  skipRefund(): void {
    this.#add(() => this.c.localGet(L_NEXT), true);
  }

  /** At the trap exit: of the refund in the control block, all but the faulting one. */
  skipTrapped(ctrl: number): void {
    const c = this.c;
    this.#add(
      () => c.i32Const(ctrl + CTRL.refund).mem(W.i32Load, 0).i32Const(1).op(W.i32Sub),
      true,
    );
  }
}
