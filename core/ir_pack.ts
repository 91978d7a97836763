/**
 * The compact form a translation block keeps its IR in for its whole life.
 *
 * Op objects (13 fields, 152 bytes, plus a bigint for each immediate) cost a
 * cold guest, which keeps tens of thousands of TBs each run a few times, most
 * of its CPU in the garbage collector (docs/perf.md). So the TB cache's
 * builder ({@linkcode PackedBuilder}) writes each op as words as it is
 * emitted, folding works on the words, and {@linkcode packBuilt} copies the
 * ops kept into buffers that blocks share: 32 bytes per op. The interpreter
 * runs the packed form directly, and {@linkcode unpackIr} gives the op objects
 * back, equal field by field, to the readers that want them (the JIT, when a
 * TB turns hot, and observers that instrument a block).
 *
 * Layout of a block, from the index {@linkcode PackedIr.at} in `code` (32-bit
 * words): a header of counts (see `H_*`), each op's one wide value (its `pc` if
 * it has one, else its `imm`; COUNTER_ADD, which has both, keeps its host
 * address in a word) as a 64-bit word, then the pcs of its instruction
 * boundaries, then {@linkcode STRIDE} words per op (see `ir_pack_builder.ts`),
 * each CALL's argument count and temps, the op index of each label, the
 * globals the block uses and those it writes (what the interpreter loads
 * before a run and writes back after), and two words per instruction
 * boundary: the index of the op it precedes, and its word 0. Positions stored
 * in `code` (a CALL's arguments) are indices in `code`. Instruction boundaries
 * are INSN_START ops again in {@linkcode unpackIr}'s op objects.
 *
 * @module
 */

import { type IrBlock, type IrOp, Op, type Temp } from "./ir.ts";
import {
  argsAt,
  DEAD,
  decodeOp,
  OP_MASK,
  PackedBuilder,
  readWide,
  startOp,
  STRIDE,
  visitPacked,
  W_X,
} from "./ir_pack_builder.ts";

export {
  condOf,
  DEAD,
  OP_MASK,
  PackedBuilder,
  readWide,
  SIGNED,
  SIZE_SHIFT,
  sizeOf,
  STRIDE,
  visitPacked,
  W_A,
  W_B,
  W_D,
  W_E,
  W_X,
  WIDE_UNSIGNED,
} from "./ir_pack_builder.ts";

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
export class PackedIr {
  /**
   * @param code the words (shared by the blocks of a chunk)
   * @param wide the same memory as 64-bit words
   * @param at where the block's header starts in `code` (see {@linkcode packBuilt})
   */
  constructor(readonly code: Int32Array, readonly wide: BigInt64Array, readonly at: number) {}

  get numOps(): number {
    return this.code[this.at + H_OPS];
  }
  get numTemps(): number {
    return this.code[this.at + H_TEMPS];
  }
  get numLabels(): number {
    return this.code[this.at + H_LABELS];
  }
  /** how many globals the block reads or writes (at {@linkcode used}) */
  get numUsed(): number {
    return this.code[this.at + H_USED];
  }
  /** how many globals it writes (after the used ones) */
  get numWritten(): number {
    return this.code[this.at + H_WRITTEN];
  }
  get numStarts(): number {
    return this.code[this.at + H_STARTS];
  }
  /**
   * op `i`'s wide value is at `wide[wideBase + i]`: its `pc` for the ops that
   * have one (GOTO_TB, COUNTER_ADD), else its `imm`; then instruction boundary
   * `k`'s pc at `wide[wideBase + numOps + k]`
   */
  get wideBase(): number {
    return (this.at + HEADER) / 2;
  }
  /** where op 0 starts in `code` (each CALL's argument count and temps follow the ops) */
  get base(): number {
    return this.at + HEADER + 2 * (this.numOps + this.numStarts);
  }
  /** where label positions (op indices) start in `code` */
  get labels(): number {
    return this.base + this.numOps * STRIDE + this.code[this.at + H_ARGS];
  }
  /** where the globals the block reads or writes start in `code` (those it writes follow) */
  get used(): number {
    return this.labels + this.numLabels;
  }
  /**
   * where the instruction boundaries start in `code` (boundary `k`: the index of
   * the op it precedes at `starts + 2 * k`, its word 0 after)
   */
  get starts(): number {
    return this.used + this.numUsed + this.numWritten;
  }
  /** where the words its owner packed with it start in `code` (see {@linkcode packBuilt}) */
  get tail(): number {
    return this.starts + 2 * this.numStarts;
  }
}

/**
 * A block's header: its counts, as words before its wide values (a field of a
 * {@linkcode PackedIr} object costs twice as much, copied by every scavenge it survives).
 */
const H_OPS = 0, H_TEMPS = 1, H_LABELS = 2, H_ARGS = 3, H_USED = 4, H_WRITTEN = 5, H_STARTS = 6;
/** Header words (8: the wide values after it stay 8-byte aligned). */
const HEADER = 8;

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
/** The globals of the block being packed: temps below this are globals. */
let usedGlobals = 0;
/** Marks a global read in `useScratch` (made once: a closure per block cost more than the marking). */
const markRead = (t: Temp) => {
  if (t >= 0 && t < usedGlobals) useScratch[t] |= 1;
};

/** Marks the globals the live ops of `b` use in `useScratch`; returns their CALL argument words. */
function markUses(b: PackedBuilder, numGlobals: number): number {
  if (useScratch.length < numGlobals) useScratch = new Uint8Array(numGlobals);
  const use = useScratch.fill(0, 0, numGlobals), code = b.code, args = b.args;
  usedGlobals = numGlobals;
  let argWords = 0;
  for (let at = 0; at < b.numOps * STRIDE; at += STRIDE) {
    const op = code[at] & OP_MASK;
    if (op === DEAD) continue;
    if (op === Op.CALL) argWords += 1 + args[code[at + W_X]];
    const w = visitPacked(code, at, args, markRead);
    if (w >= 0 && w < numGlobals) use[w] |= 3;
  }
  return argWords;
}

/** No words after a block's (see {@linkcode packBuilt}). */
const NO_TAIL: readonly number[] = Object.freeze([]);

/**
 * Packs the ops `b` kept into a chunk; `numGlobals` is the target's. The
 * first `tailWords` int32 words of `tail` follow the block's, at {@linkcode PackedIr.tail}: what
 * its owner keeps with it (a TB its instructions), which costs there neither
 * an object nor a fresh page of the JavaScript heap.
 */
export function packBuilt(
  b: PackedBuilder,
  numGlobals: number,
  tail: readonly number[] = NO_TAIL,
  tailWords = tail.length,
): PackedIr {
  const from = b.code;
  const argWords = markUses(b, numGlobals), use = useScratch;
  let n = 0, numUsed = 0, numWritten = 0;
  for (let at = 0; at < b.numOps * STRIDE; at += STRIDE) if ((from[at] & OP_MASK) !== DEAD) n++;
  for (let g = 0; g < numGlobals; g++) {
    if (use[g]) numUsed++;
    if (use[g] & 2) numWritten++;
  }
  const { numTemps, numLabels, numStarts } = b;
  const words = HEADER + 2 * (n + numStarts) + n * STRIDE + argWords + numLabels + numUsed +
    numWritten + 2 * numStarts + tailWords;
  const ch = carve(4 * words), code = ch.code, at = ch.used / 4;
  ch.used += (4 * words + 7) & ~7;
  code[at + H_OPS] = n;
  code[at + H_TEMPS] = numTemps;
  code[at + H_LABELS] = numLabels;
  code[at + H_ARGS] = argWords;
  code[at + H_USED] = numUsed;
  code[at + H_WRITTEN] = numWritten;
  code[at + H_STARTS] = numStarts;
  const p = new PackedIr(code, ch.wide, at), base = p.base, labels = p.labels;
  let u = p.used, w = u + numUsed;
  for (let g = 0; g < numGlobals; g++) {
    if (use[g]) code[u++] = g;
    if (use[g] & 2) code[w++] = g;
  }
  const starts = p.starts, tailAt = p.tail;
  copyOps(b, code, base, p.wideBase, { args: base + n * STRIDE, labels, starts });
  for (let k = 0; k < tailWords; k++) code[tailAt + k] = tail[k];
  return p;
}

/**
 * Copies the ops `b` kept to `code[base]` (wide values at `wideBase`), CALL
 * arguments to `code[to.args]`, label positions to `code[to.labels]`,
 * instruction boundaries to `code[to.starts]` (their pcs after the ops' wide values).
 */
function copyOps(
  b: PackedBuilder,
  code: Int32Array,
  base: number,
  wideBase: number,
  to: { args: number; labels: number; starts: number },
): void {
  const from = b.code, fromArgs = b.args, fromWide = b.wideWords, fromStarts = b.starts;
  const { labels, starts } = to, numStarts = b.numStarts;
  let args = to.args, j = 0, k = 0;
  for (let i = 0; i < b.numOps; i++) {
    for (; k < numStarts && fromStarts[2 * k] === i; k++) {
      code[starts + 2 * k] = j;
      code[starts + 2 * k + 1] = fromStarts[2 * k + 1];
    }
    const at = i * STRIDE, op = from[at] & OP_MASK, dst = base + j * STRIDE;
    if (op === DEAD) continue;
    for (let x = 0; x < STRIDE; x++) code[dst + x] = from[at + x];
    code[2 * (wideBase + j)] = fromWide[2 * i];
    code[2 * (wideBase + j) + 1] = fromWide[2 * i + 1];
    if (op === Op.LABEL) code[labels + from[at + W_X]] = j;
    if (op === Op.CALL) {
      const c = from[at + W_X];
      code[dst + W_X] = args;
      for (let x = c; x <= c + fromArgs[c]; x++) code[args++] = fromArgs[x];
    }
    j++;
  }
  for (; k < numStarts; k++) {
    code[starts + 2 * k] = j;
    code[starts + 2 * k + 1] = fromStarts[2 * k + 1];
  }
  const pcs = 2 * (wideBase + j), fromPcs = b.startWideWords;
  for (let x = 0; x < 2 * numStarts; x++) code[pcs + x] = fromPcs[x];
}

/**
 * Packs `block` (whose ops are then free to go); `numGlobals` and the first
 * `tailWords` of `tail` as {@linkcode packBuilt} takes them.
 */
export function packIr(
  block: IrBlock,
  numGlobals: number,
  tail: readonly number[] = NO_TAIL,
  tailWords = tail.length,
): PackedIr {
  const b = new PackedBuilder(numGlobals, block.numTemps, block.numLabels);
  try {
    for (const o of block.ops) b.append(o);
    return packBuilt(b, numGlobals, tail, tailWords);
  } finally {
    b.release();
  }
}

/** Op `i`'s wide value (its `pc` if it has one, else its `imm`). */
export function wideOf(p: PackedIr, i: number): bigint {
  return readWide(p.code[p.base + i * STRIDE], p.wide[p.wideBase + i]);
}

/** CALL op `i`'s argument temps. */
export function argsOf(p: PackedIr, i: number): Temp[] {
  return argsAt(p.code, p.code[p.base + i * STRIDE + W_X]);
}

/** Op `i` as the builder made it. */
export function unpackOp(p: PackedIr, i: number): IrOp {
  return decodeOp(p.code, p.base + i * STRIDE, p.wide[p.wideBase + i], p.code);
}

/** The block as the builder made it: fresh op objects, for readers that want them. */
export function unpackIr(p: PackedIr): IrBlock {
  const ops: IrOp[] = [], code = p.code, pcs = p.wideBase + p.numOps;
  for (let i = 0, k = 0; i <= p.numOps; i++) {
    for (; k < p.numStarts && code[p.starts + 2 * k] === i; k++) {
      ops.push(startOp(code[p.starts + 2 * k + 1], p.wide[pcs + k]));
    }
    if (i < p.numOps) ops.push(unpackOp(p, i));
  }
  return { ops, numTemps: p.numTemps, numLabels: p.numLabels };
}

/** The pcs of the block's direct exits (its `GOTO_TB` ops), in order. */
export function gotoTargets(p: PackedIr): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < p.numOps; i++) {
    if ((p.code[p.base + i * STRIDE] & OP_MASK) === Op.GOTO_TB) out.push(wideOf(p, i));
  }
  return out;
}

/** The opcode of the block's last op (-1 when it has none). */
export function lastOp(p: PackedIr): number {
  const k = p.numStarts - 1;
  if (k >= 0 && p.code[p.starts + 2 * k] === p.numOps) return Op.INSN_START;
  return p.numOps ? p.code[p.base + (p.numOps - 1) * STRIDE] & OP_MASK : -1;
}
