/**
 * Injects instrumentation into a TB's IR: callbacks become CALLs of a few
 * generic helpers (indexing a callback table), inline operations become
 * COUNTER_ADD ops on scoreboards in host memory. Code nobody instruments is
 * left untouched, so it pays nothing.
 *
 * @module
 */

import { expandVectorAccesses } from "./expand_vector.ts";
import { Cond, FLOAT64_ALU_OPS, INTEGER_ALU_OPS, type IrOp, Op } from "../ir.ts";
import { IrBuilder, type IrEmitter } from "../ir_builder.ts";
import { BEFORE_ACCESS } from "../cpu_core.ts";
import { DEAD, PackedBuilder } from "../ir_pack_builder.ts";
import type { BlockToRewrite } from "../tb.ts";

/**
 * How a callback may touch registers (QEMU's NO_REGS / R_REGS / RW_REGS).
 *
 * @example
 * ```ts ignore
 * m.hooks.addInsnHook((v) => v.writeReg("a0", 0n), { regs: "write" as RegsAccess });
 * ```
 */
export type RegsAccess = "none" | "read" | "write";

/** Callbacks and inline ops attached to one point of a TB. */
export interface InjectionPoint {
  /** callback ids (in the callback table) with their register access; deferred ones are traced */
  calls: { id: number; regs: RegsAccess; deferred?: boolean }[];
  /** inline `*host += delta` */
  adds: { host: number; delta: bigint }[];
  /** conditional callbacks: call `id` when the 64-bit word at `host` compares `cond` to `value` */
  conds: { host: number; cond: Cond; value: bigint; id: number; regs: RegsAccess }[];
}

/** A memory callback on the loads/stores of one instruction. */
export interface MemInjection {
  id: number;
  regs: RegsAccess;
  loads: boolean;
  stores: boolean;
  /** called before the access (its `info` has {@linkcode BEFORE_ACCESS}), else after */
  before: boolean;
}

/** Helper indices of the generic callback helpers, per register access. */
export interface CallbackHelpers {
  exec: Record<RegsAccess, number>;
  mem: Record<RegsAccess, number>;
  /** arms a memory callback (id, 1 loads | 2 stores | 4 before) for the accesses of the next helper */
  memArm: Record<RegsAccess, number>;
  /** disarms them after that helper */
  memDisarm: number;
  /** whether helper `index` accesses guest memory itself (`HelperFlags.accessesMemory`) */
  accessesMemory: (index: number) => boolean;
}

/** Arms `list` around a CALL of a helper that accesses memory itself (vector loads and stores). */
function armAround(
  b: IrBuilder,
  list: MemInjection[],
  helpers: CallbackHelpers,
  flush: (b: IrBuilder) => void,
): boolean {
  let armed = false;
  for (const m of list) {
    const kinds = (m.loads ? 1n : 0n) | (m.stores ? 2n : 0n) | (m.before ? 4n : 0n);
    if (!(kinds & 3n)) continue;
    b.call(-1, helpers.memArm[m.regs], [b.constant(BigInt(m.id)), b.constant(kinds)]);
    armed = true;
  }
  flush(b);
  return armed;
}

/** What to inject into one TB: points per instruction index (-1 = TB entry). */
export interface InjectionPlan {
  before: Map<number, InjectionPoint>;
  mem: Map<number, MemInjection[]>;
}

/** An empty injection point. */
export function emptyPoint(): InjectionPoint {
  return { calls: [], adds: [], conds: [] };
}

/**
 * Inline adds waiting to be emitted. Adds of consecutive instructions that
 * nothing can observe in between (pure ALU ops) are merged into one per
 * counter, which breaks the store-to-load chain of per-instruction counters.
 */
type PendingAdds = Map<number, bigint>;

/** Emits the pending adds, if `now`. */
function emitAdds(b: IrEmitter, pending: PendingAdds, now = true): void {
  if (!now || !pending.size) return;
  for (const [host, delta] of pending) b.counterAdd(host, delta);
  pending.clear();
}

function emitPoint(
  b: IrEmitter,
  p: InjectionPoint,
  helpers: CallbackHelpers,
  pending: PendingAdds,
): void {
  for (const a of p.adds) pending.set(a.host, (pending.get(a.host) ?? 0n) + a.delta);
  if (p.conds.length || p.calls.length) emitAdds(b, pending); // callbacks may read counters
  for (const c of p.conds) {
    const v = b.temp(), skip = b.label();
    b.loadHost(v, c.host);
    b.brcond(invert(c.cond), v, b.constant(c.value), skip);
    b.call(-1, helpers.exec[c.regs], [b.constant(BigInt(c.id))]);
    b.setLabel(skip);
  }
  for (const c of p.calls) {
    if (c.deferred) b.trace(c.id);
    else b.call(-1, helpers.exec[c.regs], [b.constant(BigInt(c.id))]);
  }
}

/** Ops that cannot exit the TB, branch, or read or write memory. */
const PURE = new Set<number>([
  ...INTEGER_ALU_OPS,
  Op.MOV,
  Op.MOVI,
  Op.SETCOND,
  Op.MOVCOND,
  ...FLOAT64_ALU_OPS,
]);

const INVERSE: Record<number, Cond> = {
  [Cond.EQ]: Cond.NE,
  [Cond.NE]: Cond.EQ,
  [Cond.LT]: Cond.GE,
  [Cond.GE]: Cond.LT,
  [Cond.LTU]: Cond.GEU,
  [Cond.GEU]: Cond.LTU,
  [Cond.LE]: Cond.GT,
  [Cond.GT]: Cond.LE,
  [Cond.LEU]: Cond.GTU,
  [Cond.GTU]: Cond.LEU,
};

function invert(c: Cond): Cond {
  return INVERSE[c];
}

/** The calls of the memory callbacks of LOAD or STORE `o` (at `addr`), before or after it. */
function memCalls(
  b: IrBuilder,
  o: IrOp,
  addr: number,
  list: MemInjection[],
  helpers: CallbackHelpers,
  before: boolean,
): IrBuilder {
  const isLoad = o.op === Op.LOAD;
  const value = before && isLoad ? b.constant(0n) : isLoad ? o.d : o.b;
  const info = o.size | (isLoad ? 0 : 0x100) | (o.signed ? 0x200 : 0) |
    (before ? BEFORE_ACCESS : 0);
  for (const m of list) {
    if (m.before !== before || (isLoad ? !m.loads : !m.stores)) continue;
    b.call(-1, helpers.mem[m.regs], [
      b.constant(BigInt(m.id)),
      addr,
      value,
      b.constant(BigInt(info)),
    ]);
  }
  return b;
}

/**
 * Rewrites `block` according to `plan`: as op objects in place, or, when the
 * plan has no memory callbacks and nobody read the ops, from its builder's
 * words into a new builder (`BlockToRewrite.replace`).
 *
 * @example
 * ```ts ignore
 * injectInstrumentation(tb.ir, plan, helpers, numGlobals);
 * ```
 */
export function injectInstrumentation(
  block: BlockToRewrite,
  plan: InjectionPlan,
  helpers: CallbackHelpers,
  numGlobals: number,
): void {
  const packed = block.packed;
  if (packed && block.replace && plan.mem.size === 0) {
    return block.replace(injectPacked(packed, plan, helpers, numGlobals));
  }
  expandVectorAccesses(block, (insn) => plan.mem.has(insn), numGlobals);
  const out: IrOp[] = [];
  let nextTemp = block.numTemps, nextLabel = block.numLabels;
  const fresh = () => new IrBuilder(numGlobals, nextTemp, nextLabel);
  const flush = (b: IrBuilder) => {
    const fin = b.finish();
    out.push(...fin.ops);
    nextTemp = fin.numTemps;
    nextLabel = fin.numLabels;
  };
  const pending: PendingAdds = new Map();
  let sawCall = false;
  let insn = -1;
  for (const o of block.ops) {
    // Flush merged adds before anything that can exit, branch, join or look at memory.
    const barrier = !PURE.has(o.op) && !(o.op === Op.INSN_START && !sawCall);
    if (barrier && pending.size) {
      const b = fresh();
      emitAdds(b, pending);
      flush(b);
    }
    if (o.op === Op.CALL) sawCall = true;
    const memHere = insn >= 0 ? plan.mem.get(insn) : undefined;
    const isLoad = o.op === Op.LOAD, isStore = o.op === Op.STORE;
    let addrTemp = -1;
    const armed = memHere && o.op === Op.CALL && helpers.accessesMemory(Number(o.imm)) &&
      armAround(fresh(), memHere, helpers, flush);
    if (memHere && (isLoad || isStore)) {
      // The address before the access (the load may overwrite its base register).
      const b = fresh();
      addrTemp = b.temp();
      b.binop(Op.ADD, addrTemp, o.a, b.constant(o.imm));
      flush(b);
    }
    if (addrTemp >= 0 && memHere) flush(memCalls(fresh(), o, addrTemp, memHere, helpers, true));
    out.push(o);
    if (armed) {
      const b = fresh();
      b.call(-1, helpers.memDisarm, []);
      flush(b);
    }
    if (o.op === Op.INSN_START) {
      insn = o.size;
      const b = fresh();
      if (insn === 0) {
        const entry = plan.before.get(-1);
        if (entry) emitPoint(b, entry, helpers, pending);
      }
      const p = plan.before.get(insn);
      if (p) {
        emitPoint(b, p, helpers, pending);
        if (p.calls.length || p.conds.length) sawCall = true;
      }
      flush(b);
    }
    if (addrTemp >= 0 && memHere) flush(memCalls(fresh(), o, addrTemp, memHere, helpers, false));
  }
  block.ops = out;
  block.numTemps = nextTemp;
  block.numLabels = nextLabel;
}

/**
 * {@linkcode injectInstrumentation} of a plan without memory callbacks, from
 * the words of `src` into a new builder (no op objects): the same ops as the
 * object path makes, since it too starts a fresh emitter after each op.
 */
function injectPacked(
  src: PackedBuilder,
  plan: InjectionPlan,
  helpers: CallbackHelpers,
  numGlobals: number,
): PackedBuilder {
  const b = new PackedBuilder(numGlobals, src.numTemps, src.numLabels);
  const pending: PendingAdds = new Map(), n = src.numOps, starts = src.starts;
  let sawCall = false;
  // One call site each for the points and the flushes, which every plan reaches (a per-block
  // counter too): V8's code made on block plans then needs no new feedback for instruction ones.
  for (let i = 0, k = 0; i <= n; i++) {
    for (; k < src.numStarts && starts[2 * k] === i; k++) {
      emitAdds(b, pending, sawCall);
      b.copyStart(src, k);
      const insn = src.startIndex(k);
      for (let at = insn === 0 ? -1 : insn; at <= insn; at++) { // the block entry, then insn
        const p = plan.before.get(at);
        if (!p) continue;
        emitPoint(b, p, helpers, pending);
        if ((p.calls.length || p.conds.length) && at >= 0) sawCall = true;
      }
    }
    if (i === n) break;
    const op = src.opcode(i);
    if (op === DEAD) continue;
    emitAdds(b, pending, !PURE.has(op));
    if (op === Op.CALL) sawCall = true;
    b.copyOp(src, i);
  }
  return b;
}
