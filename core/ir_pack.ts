/**
 * The compact form a translation block keeps its IR in for its whole life.
 *
 * Op objects (13 fields, 152 bytes, plus a bigint for each immediate) cost a
 * cold guest, which keeps tens of thousands of TBs each run a few times, most
 * of its CPU in the garbage collector (docs/perf.md). So the TB cache's
 * builder ({@linkcode PackedBuilder}) writes each op as words as it is
 * emitted, folding works on the words, and {@linkcode packBuilt} copies the
 * ops kept into buffers that blocks share: 24 bytes per op. The interpreter
 * runs the packed form directly, and {@linkcode unpackIr} gives the op objects
 * back, equal field by field, to the readers that want them (the JIT, when a
 * TB turns hot, and observers that instrument a block).
 *
 * Layout of a block, from the index {@linkcode PackedIr.at} in `code` (32-bit
 * words): a header of counts (see `H_*`), the wide values that do not fit in
 * 32 bits as 64-bit words (see `ir_pack_builder.ts`), {@linkcode STRIDE} words
 * per op, each CALL's argument count and temps, the op index of each label,
 * the globals the block uses and those it writes (what the interpreter loads
 * before a run and writes back after), and {@linkcode START_STRIDE} words per
 * instruction boundary. Positions stored in `code` (a CALL's arguments) are
 * indices in `code`. Instruction boundaries are INSN_START ops again in
 * {@linkcode unpackIr}'s op objects.
 *
 * @module
 */

import { type IrBlock, type IrOp, Op, type Temp } from "./ir.ts";
import {
  argsAt,
  DEAD,
  decodeOp,
  HIGH,
  LOW,
  OP_MASK,
  PackedBuilder,
  rawWide,
  readWide,
  startOp,
  STRIDE,
  visitPacked,
  W_E,
  W_X,
  WIDE_FAR,
  WIDE_INLINE,
} from "./ir_pack_builder.ts";

export {
  condOf,
  DEAD,
  OP_MASK,
  PackedBuilder,
  rawWide,
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

  /** how many ops (instruction boundaries apart) */
  get numOps(): number {
    return this.code[this.at + H_OPS];
  }
  /** how many temps, globals included */
  get numTemps(): number {
    return this.code[this.at + H_TEMPS];
  }
  /** how many labels */
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
  /** how many instruction boundaries (at {@linkcode starts}) */
  get numStarts(): number {
    return this.code[this.at + H_STARTS];
  }
  /** where the far wide values start in `wide` (see `WIDE_FAR`) */
  get wideBase(): number {
    return (this.at + HEADER) / 2;
  }
  /** where op 0 starts in `code` (each CALL's argument count and temps follow the ops) */
  get base(): number {
    return this.at + HEADER + 2 * this.code[this.at + H_FAR];
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
   * where the instruction boundaries start in `code`: boundary `k` is the index
   * of the op it precedes at `starts + START_STRIDE * k`, then its word 0, then
   * its pc as an op's word `W_E` holds a wide value
   */
  get starts(): number {
    return this.used + this.numUsed + this.numWritten;
  }
  /** where the words its owner packed with it start in `code` (see {@linkcode packBuilt}) */
  get tail(): number {
    return this.starts + START_STRIDE * this.numStarts;
  }
}

/**
 * A block's header: its counts, as words before its wide values (a field of a
 * {@linkcode PackedIr} object costs twice as much, copied by every scavenge it survives).
 */
const H_OPS = 0, H_TEMPS = 1, H_LABELS = 2, H_ARGS = 3, H_USED = 4, H_WRITTEN = 5, H_STARTS = 6;
/** Header word: how many wide values are far (see `WIDE_FAR`). */
const H_FAR = 7;
/** Words per instruction boundary. */
export const START_STRIDE = 3;
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
 * an object nor a fresh page of the JavaScript heap. So do `headWords` words
 * before the block's (an even number, zeroed, from `at - headWords`): its
 * owner's fields (a TB's counts and state).
 */
export function packBuilt(
  b: PackedBuilder,
  numGlobals: number,
  tail: readonly number[] = NO_TAIL,
  tailWords = tail.length,
  headWords = 0,
): PackedIr {
  const from = b.code;
  const argWords = markUses(b, numGlobals), use = useScratch;
  let n = 0, numUsed = 0, numWritten = 0;
  for (let at = 0; at < b.numOps * STRIDE; at += STRIDE) if ((from[at] & OP_MASK) !== DEAD) n++;
  for (let g = 0; g < numGlobals; g++) {
    if (use[g]) numUsed++;
    if (use[g] & 2) numWritten++;
  }
  const { numTemps, numLabels, numStarts } = b, numFar = countFar(b);
  const words = HEADER + 2 * numFar + n * STRIDE + argWords + numLabels + numUsed + numWritten +
    START_STRIDE * numStarts + tailWords;
  const ch = carve(4 * (headWords + words)), code = ch.code, at = ch.used / 4 + headWords;
  ch.used += (4 * (headWords + words) + 7) & ~7;
  code[at + H_OPS] = n;
  code[at + H_TEMPS] = numTemps;
  code[at + H_LABELS] = numLabels;
  code[at + H_ARGS] = argWords;
  code[at + H_USED] = numUsed;
  code[at + H_WRITTEN] = numWritten;
  code[at + H_STARTS] = numStarts;
  code[at + H_FAR] = numFar;
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

/** Whether the wide value of words `lo`, `hi` is not a signed 32-bit number. */
function isFar(lo: number, hi: number): boolean {
  return hi !== lo >> 31;
}

/** How many wide values of the ops `b` kept and of its instruction boundaries are far. */
function countFar(b: PackedBuilder): number {
  const code = b.code, ops = b.wideWords, pcs = b.startWideWords;
  let far = 0;
  for (let i = 0; i < b.numOps; i++) {
    if ((code[i * STRIDE] & OP_MASK) !== DEAD && isFar(ops[2 * i + LOW], ops[2 * i + HIGH])) far++;
  }
  for (let k = 0; k < b.numStarts; k++) if (isFar(pcs[2 * k + LOW], pcs[2 * k + HIGH])) far++;
  return far;
}

/**
 * Stores the wide value `i` of `words` (a builder's) for the packed op whose
 * word 0 is `code[w0]`: none if it is 0, else in `code[to]`, inline or as
 * the index of far value `far` (at `wideBase`). Returns the far values used.
 */
function placeWide(
  code: Int32Array,
  w0: number,
  to: number,
  words: Int32Array,
  i: number,
  wideBase: number,
  far: number,
): number {
  const lo = words[2 * i + LOW], hi = words[2 * i + HIGH];
  if (lo === 0 && hi === 0) return far;
  if (!isFar(lo, hi)) {
    code[w0] |= WIDE_INLINE;
    code[to] = lo;
    return far;
  }
  code[w0] |= WIDE_FAR;
  code[to] = far;
  code[2 * (wideBase + far) + LOW] = lo;
  code[2 * (wideBase + far) + HIGH] = hi;
  return far + 1;
}

/**
 * Copies the ops `b` kept to `code[base]` (far wide values at `wideBase`),
 * CALL arguments to `code[to.args]`, label positions to `code[to.labels]`,
 * instruction boundaries to `code[to.starts]`.
 */
function copyOps(
  b: PackedBuilder,
  code: Int32Array,
  base: number,
  wideBase: number,
  to: { args: number; labels: number; starts: number },
): void {
  const from = b.code, fromArgs = b.args, fromWide = b.wideWords;
  const { labels, starts } = to, numStarts = b.numStarts;
  let args = to.args, j = 0, k = 0, far = 0;
  for (let i = 0; i <= b.numOps; i++) {
    for (; k < numStarts && b.starts[2 * k] === i; k++) {
      const s = starts + START_STRIDE * k;
      code[s] = j;
      code[s + 1] = b.starts[2 * k + 1];
      far = placeWide(code, s + 1, s + 2, b.startWideWords, k, wideBase, far);
    }
    const at = i * STRIDE, op = from[at] & OP_MASK, dst = base + j * STRIDE;
    if (i === b.numOps || op === DEAD) continue;
    for (let x = 0; x < STRIDE; x++) code[dst + x] = from[at + x];
    far = placeWide(code, dst, dst + W_E, fromWide, i, wideBase, far);
    if (op === Op.LABEL) code[labels + from[at + W_X]] = j;
    if (op === Op.CALL) {
      const c = from[at + W_X];
      code[dst + W_X] = args;
      for (let x = c; x <= c + fromArgs[c]; x++) code[args++] = fromArgs[x];
    }
    j++;
  }
}

/**
 * Packs `block` (whose ops are then free to go); `numGlobals`, the first
 * `tailWords` of `tail` and `headWords` as {@linkcode packBuilt} takes them.
 */
export function packIr(
  block: IrBlock,
  numGlobals: number,
  tail: readonly number[] = NO_TAIL,
  tailWords = tail.length,
  headWords = 0,
): PackedIr {
  const b = new PackedBuilder(numGlobals, block.numTemps, block.numLabels);
  try {
    for (const o of block.ops) b.append(o);
    return packBuilt(b, numGlobals, tail, tailWords, headWords);
  } finally {
    b.release();
  }
}

/** Op `i`'s wide value (its `pc` if it has one, else its `imm`). */
export function wideOf(p: PackedIr, i: number): bigint {
  const code = p.code, at = p.base + i * STRIDE;
  return readWide(code[at], rawWide(code[at], code[at + W_E], p.wide, p.wideBase));
}

/** CALL op `i`'s argument temps. */
export function argsOf(p: PackedIr, i: number): Temp[] {
  return argsAt(p.code, p.code[p.base + i * STRIDE + W_X]);
}

/** Op `i` as the builder made it. */
export function unpackOp(p: PackedIr, i: number): IrOp {
  const code = p.code, at = p.base + i * STRIDE;
  return decodeOp(code, at, rawWide(code[at], code[at + W_E], p.wide, p.wideBase), code);
}

/** The block as the builder made it: fresh op objects, for readers that want them. */
export function unpackIr(p: PackedIr): IrBlock {
  const ops: IrOp[] = [], code = p.code, wideBase = p.wideBase;
  for (let i = 0, k = 0, s = p.starts; i <= p.numOps; i++) {
    for (; k < p.numStarts && code[s] === i; k++, s += START_STRIDE) {
      ops.push(startOp(code[s + 1], rawWide(code[s + 1], code[s + 2], p.wide, wideBase)));
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
  if (k >= 0 && p.code[p.starts + START_STRIDE * k] === p.numOps) return Op.INSN_START;
  return p.numOps ? p.code[p.base + (p.numOps - 1) * STRIDE] & OP_MASK : -1;
}
