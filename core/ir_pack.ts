/**
 * The compact form a translation block keeps its IR in for its whole life.
 *
 * The builder makes one object of 13 fields per op (152 bytes, plus a bigint
 * for each immediate); a cold guest keeps tens of thousands of TBs, each run a
 * few times, and the objects of all of them survived every scavenge (a third
 * of its CPU went to the garbage collector, docs/perf.md). Once observers have
 * instrumented a block, its ops are packed here, about 50 bytes per op in
 * buffers that blocks share: the interpreter runs the packed form directly, and
 * {@linkcode unpackIr} gives the op objects back, equal field by field, to the
 * readers that want them (the JIT, when a TB turns hot).
 *
 * Layout of a block: each op's `imm` and `pc` as two 64-bit words in `wide`,
 * then in `code` (32-bit words, from `base`) {@linkcode STRIDE} words per op
 * (see the `W_*` offsets), each CALL's argument count and temps, the op index
 * of each label, and the globals the block uses and those it writes (what the
 * interpreter loads before a run and writes back after). Positions stored in
 * `code` (`labels`, `used`, a CALL's arguments) are indices in `code`.
 *
 * @module
 */

import { InternalError } from "./errors.ts";
import { type Cond, type IrBlock, type IrOp, Op, type Temp, visitOperands } from "./ir.ts";

/** Words per op in {@linkcode PackedIr.code}. */
export const STRIDE = 8;
/** Word 0 of an op: the opcode in the low byte, then the fields below. */
export const OP_MASK = 0xff;
const COND_SHIFT = 8, COND_MASK = 0xf;
/** Word 0: LOAD's `signed`. */
export const SIGNED = 1 << 12;
/** Word 0: `imm` is at least 2^63 (`wide` holds it modulo 2^64, signed). */
export const IMM_UNSIGNED = 1 << 13;
/** Word 0: `pc` is at least 2^63. */
export const PC_UNSIGNED = 1 << 14;
/** Word offsets of an op's fields. */
export const W_D = 1, W_A = 2, W_B = 3, W_C = 4, W_E = 5, W_SIZE = 6;
/** Word 7: the label; for CALL, the index in `code` of its argument count (the temps follow). */
export const W_LABEL = 7;

const TWO_63 = 1n << 63n, TWO_64 = 1n << 64n;

/**
 * One block's IR, packed (see the module doc).
 *
 * @example
 * ```ts
 * import { IrBuilder } from "./ir_builder.ts";
 * import { packIr, unpackIr } from "./ir_pack.ts";
 * const b = new IrBuilder(4);
 * b.movi(1, -1n);
 * b.gotoTb(0x1000n);
 * const packed = packIr(b.finish(), 4);
 * console.log(packed.numOps, unpackIr(packed).ops[1].pc); // 2 4096n
 * ```
 */
export interface PackedIr {
  /** the words (shared by the blocks of a chunk: the block's start at `base`) */
  readonly code: Int32Array;
  /** where op 0 starts in `code` */
  readonly base: number;
  /** `imm` of op `i` at `wideBase + 2 * i`, its `pc` after it (shared as `code`) */
  readonly wide: BigInt64Array;
  readonly wideBase: number;
  readonly numOps: number;
  readonly numTemps: number;
  readonly numLabels: number;
  /** where label positions (op indices) start in `code` */
  readonly labels: number;
  /** where the globals the block reads or writes start in `code`, and how many */
  readonly used: number;
  readonly numUsed: number;
  /** the globals it writes: `numWritten` words after the used ones */
  readonly numWritten: number;
}

/** Checks that `v` fits in 64 bits (signed or unsigned); returns its unsigned flag. */
function unsignedFlag(v: bigint, flag: number, what: string): number {
  if (v >= -TWO_63 && v < TWO_63) return 0;
  if (v >= 0n && v < TWO_64) return flag;
  throw new InternalError(`IR ${what} out of 64 bits: ${v}`);
}

/**
 * Packed blocks are carved from shared chunks: a buffer of their own cost each
 * block more than the rest of its packing (an allocation outside the heap, zeroed).
 * A chunk lives while any block in it does, so a guest that keeps rewriting its
 * code holds at most a chunk per block it keeps.
 */
const CHUNK = 64 * 1024;

/** A chunk's two views (blocks share them: no view objects per block). */
interface Chunk {
  code: Int32Array;
  wide: BigInt64Array;
  /** bytes handed out */
  used: number;
}

function newChunk(bytes: number): Chunk {
  const buf = new ArrayBuffer(bytes);
  return { code: new Int32Array(buf), wide: new BigInt64Array(buf), used: 0 };
}

let chunk = newChunk(CHUNK);

/** A chunk with `bytes` of fresh zeroed memory at its `used` offset (8-byte aligned). */
function carve(bytes: number): Chunk {
  bytes = (bytes + 7) & ~7;
  if (bytes > CHUNK / 4) return newChunk(bytes);
  if (chunk.used + bytes > CHUNK) chunk = newChunk(CHUNK);
  return chunk;
}

/** How each global is used, while a block is packed (1 read or written, 2 written). */
let useScratch = new Uint8Array(256);

/** Packs `block` (whose ops are then free to go); `numGlobals` is the target's. */
export function packIr(block: IrBlock, numGlobals: number): PackedIr {
  const ops = block.ops, n = ops.length;
  let argWords = 0;
  for (const o of ops) if (o.op === Op.CALL) argWords += 1 + o.args.length;
  if (useScratch.length < numGlobals) useScratch = new Uint8Array(numGlobals);
  const use = useScratch.fill(0, 0, numGlobals);
  const read = (t: Temp) => {
    if (t >= 0 && t < numGlobals) use[t] |= 1;
  };
  for (const o of ops) {
    const w = visitOperands(o, read);
    if (w >= 0 && w < numGlobals) use[w] |= 3;
  }
  let numUsed = 0, numWritten = 0;
  for (let g = 0; g < numGlobals; g++) {
    if (use[g]) numUsed++;
    if (use[g] & 2) numWritten++;
  }
  const words = n * STRIDE + argWords + block.numLabels + numUsed + numWritten;
  const ch = carve(16 * n + 4 * words), { code, wide } = ch;
  const wideBase = ch.used / 8, base = ch.used / 4 + 4 * n;
  ch.used += (16 * n + 4 * words + 7) & ~7;
  let args = base + n * STRIDE;
  const labels = args + argWords, used = labels + block.numLabels;
  for (let i = 0; i < n; i++) {
    const o = ops[i], at = base + i * STRIDE;
    const flags = unsignedFlag(o.imm, IMM_UNSIGNED, "immediate") |
      unsignedFlag(o.pc, PC_UNSIGNED, "pc");
    if (o.imm !== 0n) wide[wideBase + 2 * i] = o.imm; // stored modulo 2^64
    if (o.pc !== 0n) wide[wideBase + 2 * i + 1] = o.pc;
    code[at] = o.op | (o.cond << COND_SHIFT) | (o.signed ? SIGNED : 0) | flags;
    code[at + W_D] = o.d;
    code[at + W_A] = o.a;
    code[at + W_B] = o.b;
    code[at + W_C] = o.c;
    code[at + W_E] = o.e;
    code[at + W_SIZE] = o.size;
    code[at + W_LABEL] = o.label;
    if (o.op === Op.LABEL) code[labels + o.label] = i;
    if (o.op !== Op.CALL) continue;
    if (o.label !== 0) throw new InternalError("a CALL op with a label");
    code[at + W_LABEL] = args;
    code[args++] = o.args.length;
    for (const a of o.args) code[args++] = a;
  }
  let u = used, w = used + numUsed;
  for (let g = 0; g < numGlobals; g++) {
    if (use[g]) code[u++] = g;
    if (use[g] & 2) code[w++] = g;
  }
  const { numTemps, numLabels } = block;
  return {
    code,
    base,
    wide,
    wideBase,
    numOps: n,
    numTemps,
    numLabels,
    labels,
    used,
    numUsed,
    numWritten,
  };
}

/** Op `i`'s `imm`. */
export function immOf(p: PackedIr, i: number): bigint {
  const v = p.wide[p.wideBase + 2 * i];
  return p.code[p.base + i * STRIDE] & IMM_UNSIGNED ? BigInt.asUintN(64, v) : v;
}

/** The condition in word 0 `w` of an op. */
export function condOf(w: number): Cond {
  return ((w >> COND_SHIFT) & COND_MASK) as Cond;
}

/** Op `i`'s `pc`. */
export function pcOf(p: PackedIr, i: number): bigint {
  const v = p.wide[p.wideBase + 2 * i + 1];
  return p.code[p.base + i * STRIDE] & PC_UNSIGNED ? BigInt.asUintN(64, v) : v;
}

/** CALL op `i`'s argument temps. */
export function argsOf(p: PackedIr, i: number): Temp[] {
  const code = p.code, at = code[p.base + i * STRIDE + W_LABEL], out: Temp[] = [];
  for (let k = at + 1; k <= at + code[at]; k++) out.push(code[k]);
  return out;
}

const NO_ARGS: readonly Temp[] = Object.freeze([]);

/** Op `i` as the builder made it. */
export function unpackOp(p: PackedIr, i: number): IrOp {
  const code = p.code, at = p.base + i * STRIDE, w = code[at], op = (w & OP_MASK) as Op;
  return {
    op,
    d: code[at + W_D],
    a: code[at + W_A],
    b: code[at + W_B],
    c: code[at + W_C],
    e: code[at + W_E],
    imm: immOf(p, i),
    cond: condOf(w),
    size: code[at + W_SIZE],
    label: op === Op.CALL ? 0 : code[at + W_LABEL],
    signed: (w & SIGNED) !== 0,
    args: op === Op.CALL ? argsOf(p, i) : NO_ARGS,
    pc: pcOf(p, i),
  };
}

/** The block as the builder made it: fresh op objects, for readers that want them. */
export function unpackIr(p: PackedIr): IrBlock {
  const ops: IrOp[] = [];
  for (let i = 0; i < p.numOps; i++) ops.push(unpackOp(p, i));
  return { ops, numTemps: p.numTemps, numLabels: p.numLabels };
}

/** The pcs of the block's direct exits (its `GOTO_TB` ops), in order. */
export function gotoTargets(p: PackedIr): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < p.numOps; i++) {
    if ((p.code[p.base + i * STRIDE] & OP_MASK) === Op.GOTO_TB) out.push(pcOf(p, i));
  }
  return out;
}

/** The opcode of the block's last op (-1 when it has none). */
export function lastOp(p: PackedIr): number {
  return p.numOps ? p.code[p.base + (p.numOps - 1) * STRIDE] & OP_MASK : -1;
}
