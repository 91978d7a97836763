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
import {
  Cond,
  type IrBlock,
  type IrOp,
  type Label,
  Op,
  OPERANDS,
  READS_A,
  READS_ARGS,
  READS_B,
  READS_C,
  READS_E,
  type Temp,
  WRITES_D,
} from "./ir.ts";
import { IrEmitter } from "./ir_builder.ts";

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

/**
 * The opcode the folder gives an op it drops (in word 0, as {@linkcode OP_MASK}
 * is no opcode): packing skips it.
 */
export const DEAD = OP_MASK;

/** Word 0's flags for an op's `imm` and `pc` (checking that they fit in 64 bits). */
function wideFlags(imm: bigint, pc: bigint): number {
  return (imm === 0n ? 0 : unsignedFlag(imm, IMM_UNSIGNED, "immediate")) |
    (pc === 0n ? 0 : unsignedFlag(pc, PC_UNSIGNED, "pc"));
}

/** A builder's growing arrays: op words, wide values (and their words), CALL arguments. */
interface Scratch {
  code: Int32Array;
  wide: BigInt64Array;
  wide32: Int32Array;
  args: Int32Array;
}

function newScratch(ops: number, args: number): Scratch {
  const wide = new BigInt64Array(2 * ops);
  return {
    code: new Int32Array(ops * STRIDE),
    wide,
    wide32: new Int32Array(wide.buffer),
    args: new Int32Array(args),
  };
}

/** The arrays of the last builder released, for the next one (one TB is built at a time). */
let spare: Scratch | undefined;

/**
 * The TB cache's builder: it writes each op in the packed layout as it is
 * emitted (no op object), so that folding (`foldConstants` in `ir_fold.ts`)
 * and {@linkcode packBuilt} work on words. Op `i`'s words are at
 * `code[i * STRIDE]`, its `imm` and `pc` at `wide[2 * i]` and after, and a
 * CALL's `W_LABEL` word is the index in `args` of its argument count.
 *
 * @example
 * ```ts
 * import { PackedBuilder, packBuilt } from "./ir_pack.ts";
 * const b = new PackedBuilder(4);
 * b.movi(1, -1n);
 * b.gotoTb(0x1000n);
 * const packed = packBuilt(b, 4);
 * b.release();
 * console.log(packed.numOps, b.numTemps); // 2 4
 * ```
 */
export class PackedBuilder extends IrEmitter {
  #s: Scratch;
  #n = 0;
  #nArgs = 0;

  constructor(numGlobals: number, firstTemp = numGlobals, firstLabel = 0) {
    super(numGlobals, firstTemp, firstLabel);
    this.#s = spare ?? newScratch(256, 64);
    spare = undefined;
  }

  /** How many ops were emitted (dropped ones included). */
  get numOps(): number {
    return this.#n;
  }

  /** The op words (valid until the next op is emitted). */
  get code(): Int32Array {
    return this.#s.code;
  }

  /** The CALL arguments: a count, then the temps. */
  get args(): Int32Array {
    return this.#s.args;
  }

  /** The wide values as 32-bit words (op `i`'s at `4 * i`). */
  get wideWords(): Int32Array {
    return this.#s.wide32;
  }

  /** Hands the arrays to the next builder: this one is not used again. */
  release(): void {
    spare = this.#s;
  }

  protected put(
    op: Op,
    d: Temp,
    a: Temp,
    b: Temp,
    imm: bigint,
    size: number,
    signed: boolean,
    cond: Cond,
    c: Temp,
    e: Temp,
    label: Label,
    pc: bigint,
  ): void {
    const n = this.#n;
    if ((n + 1) * STRIDE > this.#s.code.length) this.#grow(2 * n, this.#s.args.length);
    const { code, wide, wide32 } = this.#s, at = n * STRIDE;
    code[at] = op | (cond << COND_SHIFT) | (signed ? SIGNED : 0) | wideFlags(imm, pc);
    code[at + W_D] = d;
    code[at + W_A] = a;
    code[at + W_B] = b;
    code[at + W_C] = c;
    code[at + W_E] = e;
    code[at + W_SIZE] = size;
    code[at + W_LABEL] = label;
    if (imm === 0n) wide32[4 * n] = wide32[4 * n + 1] = 0;
    else wide[2 * n] = imm; // stored modulo 2^64
    if (pc === 0n) wide32[4 * n + 2] = wide32[4 * n + 3] = 0;
    else wide[2 * n + 1] = pc;
    this.#n = n + 1;
  }

  protected putCall(d: Temp, helper: number, args: readonly Temp[]): void {
    const at = this.#nArgs;
    if (at + 1 + args.length > this.#s.args.length) {
      this.#grow(this.#s.code.length / STRIDE, 2 * (at + 1 + args.length));
    }
    const out = this.#s.args;
    out[at] = args.length;
    for (let k = 0; k < args.length; k++) out[at + 1 + k] = args[k];
    this.#nArgs = at + 1 + args.length;
    this.put(Op.CALL, d, 0, 0, BigInt(helper), 0, false, Cond.EQ, 0, 0, at, 0n);
  }

  /** Appends op object `o` (as the builder's methods would have made it). */
  append(o: IrOp): void {
    if (o.op !== Op.CALL) {
      this.put(o.op, o.d, o.a, o.b, o.imm, o.size, o.signed, o.cond, o.c, o.e, o.label, o.pc);
    } else if (o.label !== 0) throw new InternalError("a CALL op with a label");
    else this.putCall(o.d, Number(o.imm), o.args);
  }

  #grow(ops: number, args: number): void {
    const old = this.#s, s = newScratch(ops, args);
    s.code.set(old.code);
    s.wide.set(old.wide);
    s.args.set(old.args);
    this.#s = s;
  }

  /** The `imm` of op `i`. */
  imm(i: number): bigint {
    return readWide(this.#s.code[i * STRIDE], IMM_UNSIGNED, this.#s.wide[2 * i]);
  }

  /** Makes op `i` a MOVI of `v` (its other fields stay, as folding leaves them). */
  setMovi(i: number, v: bigint): void {
    const code = this.#s.code, at = i * STRIDE;
    code[at] = (code[at] & ~(OP_MASK | IMM_UNSIGNED)) | Op.MOVI | wideFlags(v, 0n);
    this.#s.wide[2 * i] = v;
  }

  /** Drops op `i`. */
  kill(i: number): void {
    this.#s.code[i * STRIDE] |= DEAD;
  }

  /** The ops not dropped, as objects (for observers that instrument the block). */
  finish(): IrBlock {
    const { code, wide, args } = this.#s, ops: IrOp[] = [];
    for (let i = 0; i < this.#n; i++) {
      if ((code[i * STRIDE] & OP_MASK) === DEAD) continue;
      ops.push(decodeOp(code, i * STRIDE, wide, 2 * i, args));
    }
    return { ops, numTemps: this.numTemps, numLabels: this.numLabels };
  }
}

/**
 * Calls `read` for each temp the op at `code[at]` reads (CALL arguments in
 * `args`); returns the temp it writes, or -1 (see {@linkcode OPERANDS}).
 */
export function visitPacked(
  code: Int32Array,
  at: number,
  args: Int32Array,
  read: (t: Temp) => void,
): Temp {
  const m = OPERANDS[code[at] & OP_MASK];
  if (m & READS_A && code[at + W_A] >= 0) read(code[at + W_A]);
  if (m & READS_B) read(code[at + W_B]);
  if (m & READS_C) read(code[at + W_C]);
  if (m & READS_E) read(code[at + W_E]);
  if (m & READS_ARGS) {
    const k = code[at + W_LABEL];
    for (let j = k + 1; j <= k + args[k]; j++) read(args[j]);
  }
  return m & WRITES_D ? code[at + W_D] : -1;
}

/** How each global is used, while a block is packed (1 read or written, 2 written). */
let useScratch = new Uint8Array(256);

/** Marks the globals the live ops of `b` use in `useScratch`; returns their CALL argument words. */
function markUses(b: PackedBuilder, numGlobals: number): number {
  if (useScratch.length < numGlobals) useScratch = new Uint8Array(numGlobals);
  const use = useScratch.fill(0, 0, numGlobals), code = b.code, args = b.args;
  const read = (t: Temp) => {
    if (t >= 0 && t < numGlobals) use[t] |= 1;
  };
  let argWords = 0;
  for (let at = 0; at < b.numOps * STRIDE; at += STRIDE) {
    const op = code[at] & OP_MASK;
    if (op === DEAD) continue;
    if (op === Op.CALL) argWords += 1 + args[code[at + W_LABEL]];
    const w = visitPacked(code, at, args, read);
    if (w >= 0 && w < numGlobals) use[w] |= 3;
  }
  return argWords;
}

/** Packs the ops `b` kept into a chunk; `numGlobals` is the target's. */
export function packBuilt(b: PackedBuilder, numGlobals: number): PackedIr {
  const from = b.code, fromArgs = b.args, fromWide = b.wideWords;
  const argWords = markUses(b, numGlobals), use = useScratch;
  let n = 0, numUsed = 0, numWritten = 0;
  for (let at = 0; at < b.numOps * STRIDE; at += STRIDE) if ((from[at] & OP_MASK) !== DEAD) n++;
  for (let g = 0; g < numGlobals; g++) {
    if (use[g]) numUsed++;
    if (use[g] & 2) numWritten++;
  }
  const { numTemps, numLabels } = b;
  const words = n * STRIDE + argWords + numLabels + numUsed + numWritten;
  const ch = carve(16 * n + 4 * words), code = ch.code;
  const wideBase = ch.used / 8, base = ch.used / 4 + 4 * n;
  ch.used += (16 * n + 4 * words + 7) & ~7;
  let args = base + n * STRIDE, j = 0;
  const labels = args + argWords, used = labels + numLabels;
  for (let i = 0; i < b.numOps; i++) {
    const at = i * STRIDE, op = from[at] & OP_MASK, to = base + j * STRIDE;
    if (op === DEAD) continue;
    for (let k = 0; k < STRIDE; k++) code[to + k] = from[at + k];
    for (let k = 0; k < 4; k++) code[2 * wideBase + 4 * j + k] = fromWide[4 * i + k];
    if (op === Op.LABEL) code[labels + from[at + W_LABEL]] = j;
    if (op === Op.CALL) {
      const k = from[at + W_LABEL];
      code[to + W_LABEL] = args;
      for (let x = k; x <= k + fromArgs[k]; x++) code[args++] = fromArgs[x];
    }
    j++;
  }
  let u = used, w = used + numUsed;
  for (let g = 0; g < numGlobals; g++) {
    if (use[g]) code[u++] = g;
    if (use[g] & 2) code[w++] = g;
  }
  const wide = ch.wide;
  return { code, base, wide, wideBase, numOps: n, numTemps, numLabels, labels, used, numUsed, numWritten };
}

/** Packs `block` (whose ops are then free to go); `numGlobals` is the target's. */
export function packIr(block: IrBlock, numGlobals: number): PackedIr {
  const b = new PackedBuilder(numGlobals, block.numTemps, block.numLabels);
  try {
    for (const o of block.ops) b.append(o);
    return packBuilt(b, numGlobals);
  } finally {
    b.release();
  }
}

/** A wide value of the op whose word 0 is `w`, read back as unsigned if its `flag` says so. */
function readWide(w: number, flag: number, v: bigint): bigint {
  return w & flag ? BigInt.asUintN(64, v) : v;
}

/** Op `i`'s `imm`. */
export function immOf(p: PackedIr, i: number): bigint {
  return readWide(p.code[p.base + i * STRIDE], IMM_UNSIGNED, p.wide[p.wideBase + 2 * i]);
}

/** The condition in word 0 `w` of an op. */
export function condOf(w: number): Cond {
  return ((w >> COND_SHIFT) & COND_MASK) as Cond;
}

/** Op `i`'s `pc`. */
export function pcOf(p: PackedIr, i: number): bigint {
  return readWide(p.code[p.base + i * STRIDE], PC_UNSIGNED, p.wide[p.wideBase + 2 * i + 1]);
}

/** The argument temps at `args[at]` (a count, then the temps). */
function argsAt(args: Int32Array, at: number): Temp[] {
  const out: Temp[] = [];
  for (let k = at + 1; k <= at + args[at]; k++) out.push(args[k]);
  return out;
}

/** CALL op `i`'s argument temps. */
export function argsOf(p: PackedIr, i: number): Temp[] {
  return argsAt(p.code, p.code[p.base + i * STRIDE + W_LABEL]);
}

const NO_ARGS: readonly Temp[] = Object.freeze([]);

/** The op whose words start at `code[at]`, its wide values at `wide[wi]`, CALL arguments in `args`. */
function decodeOp(
  code: Int32Array,
  at: number,
  wide: BigInt64Array,
  wi: number,
  args: Int32Array,
): IrOp {
  const w = code[at], op = (w & OP_MASK) as Op;
  return {
    op,
    d: code[at + W_D],
    a: code[at + W_A],
    b: code[at + W_B],
    c: code[at + W_C],
    e: code[at + W_E],
    imm: readWide(w, IMM_UNSIGNED, wide[wi]),
    cond: condOf(w),
    size: code[at + W_SIZE],
    label: op === Op.CALL ? 0 : code[at + W_LABEL],
    signed: (w & SIGNED) !== 0,
    args: op === Op.CALL ? argsAt(args, code[at + W_LABEL]) : NO_ARGS,
    pc: readWide(w, PC_UNSIGNED, wide[wi + 1]),
  };
}

/** Op `i` as the builder made it. */
export function unpackOp(p: PackedIr, i: number): IrOp {
  return decodeOp(p.code, p.base + i * STRIDE, p.wide, p.wideBase + 2 * i, p.code);
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
