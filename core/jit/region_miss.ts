/**
 * Miss exits: a guest load or store whose soft-TLB probe misses leaves the
 * region instead of calling the slow path, when it is the first side effect
 * of its instruction, so that the JIT can run that instruction (and the rest
 * of its TB) again on the interpreter from the instruction's start.
 *
 * Why: V8's optimising tier spends about half of a region's compile time on the
 * calls in it. Every live guest register is split and spilled around each
 * call, and a region has a slow-path call per probe (about five per TB).
 * Compiling speedtest1's regions with those calls replaced by an exit took
 * TurboFan about half the time (docs/perf.md, twelfth session), while misses
 * are rare once the TLB is warm: about 300 in a whole speedtest1 run.
 * A TB that keeps missing (a page-crossing access, MMIO, a page holding code,
 * TLB conflicts) gets its regions recompiled with the calls after
 * {@linkcode MISS_LIMIT} misses.
 *
 * Instrumentation is exact across a rerun where it is placed per instruction.
 * An access that may leave is the first thing of its instruction that changes
 * state, and a callback's call (or trace) before it in its instruction is one,
 * so the interpreter's rest of the TB, instrumented as the whole TB cut to its
 * instructions (the block entry only in a rest from instruction 0), makes
 * again none of the calls the region made. Inline adds (COUNTER_ADD) are the
 * exception: the instrumentation flushes its merged adds before each access
 * (core/hooks/instrument.ts), so the region has made those of the missed
 * instruction (and of the block entry), and the rest makes them again before
 * that same access. So the adds a rest makes before its first access are
 * exactly the ones counted twice, and the JIT takes them back
 * ({@linkcode repeatedAdds}). Coverage maps (fuzz/coverage.ts) instrument every
 * rest as a block of its own: a TB with their ops takes no miss exit.
 *
 * @module
 */

import { type IrBlock, type IrOp, isVectorOp, Op, visitOperands } from "../ir.ts";
import { OP_MASK, type PackedIr, STRIDE, unpackOp } from "../ir_pack.ts";

/** Misses of one TB after which its regions are compiled again with slow-path calls. */
export const MISS_LIMIT = 64;

/** Where a miss exit left: the TB (its index in the region) and the instruction in it. */
export interface MissSite {
  tb: number;
  insn: number;
}

/** Which TBs of a region may take miss exits. */
export interface MissExitEnv {
  /** per TB of the region */
  tbs: readonly boolean[];
}

const ACCESSES: ReadonlySet<number> = new Set([Op.LOAD, Op.STORE, Op.VLD, Op.VST]);
/**
 * Ops a rerun could not make exact (a coverage map's update, which also runs in a rest as in a
 * block of its own). Targets use the host-state ones too (RISC-V's fcsr), so a TB with any of
 * them takes no miss exit at all.
 */
const HOOK_OPS: ReadonlySet<number> = new Set([Op.COUNTER_INC8, Op.LOAD_HOST, Op.STORE_HOST]);
/** Ops that change state, or observe the instruction, before an access: it may not leave. */
const EFFECTS: ReadonlySet<number> = new Set([Op.CALL, Op.RAISE, Op.TRACE]);
const none = () => {};

/**
 * The accesses of a TB's ops that may take a miss exit: each is the first
 * thing of its instruction that changes state or calls out (no guest register
 * written, no access, no helper call or trace before it), so running the
 * instruction again from its start is exact. None in a TB with a coverage map's
 * ops (see `HOOK_OPS`).
 *
 * @example
 * ```ts
 * import { IrBuilder } from "../ir_builder.ts";
 * import { missExitAccesses } from "./region_miss.ts";
 * const b = new IrBuilder(4);
 * b.insnStart(0x1000n, 0);
 * const t = b.temp();
 * b.load(t, 1, 0n, 8, false);
 * b.store(1, 8n, t, 8);
 * console.log(missExitAccesses(b.finish().ops, 4).size); // 1: the load, not the store after it
 * ```
 */
export function missExitAccesses(ops: readonly IrOp[], numGlobals: number): Set<IrOp> {
  const found = new Set<IrOp>();
  let clean = false;
  for (const o of ops) {
    if (HOOK_OPS.has(o.op)) return new Set();
    if (o.op === Op.INSN_START) clean = true;
    else if (ACCESSES.has(o.op)) {
      if (clean) found.add(o);
      clean = false;
    } else if (EFFECTS.has(o.op) || isVectorOp(o.op)) clean = false;
    else {
      const w = visitOperands(o, none);
      if (w >= 0 && w < numGlobals) clean = false;
    }
  }
  return found;
}

/**
 * For each TB of a region (its IR in `irs`), the accesses that take miss exits: those of
 * {@linkcode missExitAccesses} in the TBs `env` allows (none without `env`).
 *
 * @example
 * ```ts
 * import { missExitSets } from "./region_miss.ts";
 * console.log(missExitSets([{ ops: [], numTemps: 4, numLabels: 0 }], 4)[0].size); // 0
 * ```
 */
export function missExitSets(
  irs: readonly IrBlock[],
  numGlobals: number,
  env?: MissExitEnv,
): Set<IrOp>[] {
  return irs.map((ir, k) => env?.tbs[k] ? missExitAccesses(ir.ops, numGlobals) : new Set<IrOp>());
}

/** An inline add to take back: `*host -= delta` (a counter's host address, the addend). */
export interface RepeatedAdd {
  host: number;
  delta: bigint;
}

/**
 * The inline adds that `rest`, the interpreter's rest of a TB from the instruction that took a
 * miss exit, makes before its first access: the region made them already (see the module doc).
 *
 * @example
 * ```ts
 * import { IrBuilder } from "../ir_builder.ts";
 * import { packIr } from "../ir_pack.ts";
 * import { repeatedAdds } from "./region_miss.ts";
 * const b = new IrBuilder(4);
 * b.insnStart(0x1000n, 0);
 * b.counterAdd(64, 1n);
 * const t = b.temp();
 * b.load(t, 1, 0n, 8, false);
 * b.counterAdd(64, 1n);
 * console.log(repeatedAdds(packIr(b.finish(), 4))); // [ { host: 64, delta: 1n } ]
 * ```
 */
export function repeatedAdds(rest: PackedIr): RepeatedAdd[] {
  const out: RepeatedAdd[] = [];
  for (let i = 0; i < rest.numOps; i++) {
    const op = rest.code[rest.base + i * STRIDE] & OP_MASK;
    if (ACCESSES.has(op)) break;
    if (op === Op.COUNTER_ADD) {
      const o = unpackOp(rest, i);
      out.push({ host: Number(o.imm), delta: o.pc });
    }
  }
  return out;
}
