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
 * Layout of a block: each op's one wide value (its `pc` if it has one, else
 * its `imm`; COUNTER_ADD, which has both, keeps its host address in a word) as
 * a 64-bit word in `wide`, then in `code` (32-bit words, from `base`)
 * {@linkcode STRIDE} words per op (see the `W_*` offsets; fields no op uses
 * together share a word), each CALL's argument count and temps, the op index
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
import { IrEmitter, type Wide } from "./ir_builder.ts";

/** Words per op in {@linkcode PackedIr.code}. */
export const STRIDE = 6;
/** Word 0 of an op: the opcode in the low byte, then the fields below. */
export const OP_MASK = 0xff;
const COND_SHIFT = 8, COND_MASK = 0xf;
/** Word 0: LOAD's `signed`. */
export const SIGNED = 1 << 12;
/** Word 0: the op's wide value is at least 2^63 (`wide` holds it modulo 2^64, signed). */
export const WIDE_UNSIGNED = 1 << 13;
/** Word 0, from this bit: `size` (below 2^15). */
export const SIZE_SHIFT = 16;
/** Word offsets of an op's temps. */
export const W_D = 1, W_A = 2, W_B = 3, W_E = 5;
/**
 * Word 4 holds one of the fields no op uses together: the label (BR, BRCOND,
 * LABEL), the index in `code` of a CALL's argument count (its temps follow),
 * COUNTER_ADD's host address (its `imm`, as an unsigned 32-bit number), else `c`.
 */
export const W_X = 4;

const TWO_63 = 1n << 63n, TWO_64 = 1n << 64n;
/** The indices of a 64-bit word's low and high halves in an `Int32Array` over it (host order). */
const LOW = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1, HIGH = 1 - LOW;

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
  /**
   * op `i`'s wide value at `wideBase + i` (shared as `code`): its `pc` for the ops
   * that have one (INSN_START, GOTO_TB, COUNTER_ADD), else its `imm`
   */
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
  /** where the words its owner packed with it start in `code` (see {@linkcode packBuilt}) */
  readonly tail: number;
}

/** Checks that `v` fits in 64 bits (signed or unsigned); returns its unsigned flag. */
function unsignedFlag(v: bigint, what: string): number {
  if (v >= -TWO_63 && v < TWO_63) return 0;
  if (v >= 0n && v < TWO_64) return WIDE_UNSIGNED;
  throw new InternalError(`IR ${what} out of 64 bits: ${v}`);
}

/** Whether `v` is 0 (as a number or a bigint). */
function isZero(v: Wide): boolean {
  return v === 0 || v === 0n;
}

/** Whether op `op` keeps its `pc` in the wide word (the others keep their `imm` there). */
function widePc(op: number): boolean {
  return op === Op.INSN_START || op === Op.GOTO_TB || op === Op.COUNTER_ADD;
}

/** Whether op `op` keeps its label in word {@linkcode W_X} (the others keep `c` there). */
function xIsLabel(op: number): boolean {
  return op === Op.BR || op === Op.BRCOND || op === Op.LABEL;
}

/** Throws unless field `what` of op `op` is `ok` (one the packed form can hold). */
function check(ok: boolean, op: Op, what: string): void {
  if (!ok) throw new InternalError(`IR op ${op}: its ${what} does not fit the packed form`);
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

/** A builder's growing arrays: op words, wide values (and their words), CALL arguments. */
interface Scratch {
  code: Int32Array;
  wide: BigInt64Array;
  wide32: Int32Array;
  args: Int32Array;
}

function newScratch(ops: number, args: number): Scratch {
  const wide = new BigInt64Array(ops);
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
 * `code[i * STRIDE]`, its wide value at `wide[i]`, and a CALL's `W_X` word
 * is the index in `args` of its argument count.
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
  #released = false;

  constructor(numGlobals: number, firstTemp = numGlobals, firstLabel = 0) {
    super(numGlobals, firstTemp, firstLabel);
    this.#s = spare ?? newScratch(256, 64);
    spare = undefined;
  }

  /**
   * Starts another block (the TB cache reuses one builder): as a new builder
   * made with `firstTemp` and `firstLabel`, after {@linkcode release}.
   */
  restart(firstTemp = this.numGlobals, firstLabel = 0): void {
    if (!this.#released) throw new InternalError("a builder restarted before its release");
    this.reset(firstTemp, firstLabel);
    this.#s = spare ?? newScratch(256, 64);
    spare = undefined;
    this.#n = this.#nArgs = 0;
    this.#released = false;
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

  /** The wide values as 32-bit words (op `i`'s at `2 * i`). */
  get wideWords(): Int32Array {
    return this.#s.wide32;
  }

  /** Hands the arrays to the next builder: this one is not used again. */
  release(): void {
    spare = this.#s;
    this.#released = true;
  }

  protected put(
    op: Op,
    d: Temp,
    a: Temp,
    b: Temp,
    imm: Wide,
    size: number,
    signed: boolean,
    cond: Cond,
    c: Temp,
    e: Temp,
    label: Label,
    pc: Wide,
  ): void {
    const n = this.#n;
    if ((n + 1) * STRIDE > this.#s.code.length) this.#grow(2 * n, this.#s.args.length);
    const { code, wide, wide32 } = this.#s, at = n * STRIDE;
    const inX = xIsLabel(op) || op === Op.CALL, isPc = widePc(op);
    let v = imm, x = inX ? label : c;
    check((inX ? c : label) === 0 && size >= 0 && size < 1 << 15, op, "label, c or size");
    if (isPc) {
      v = pc;
      if (op === Op.COUNTER_ADD) {
        check(x === 0 && imm >= 0 && imm < 2 ** 32, op, "host address");
        x = Number(imm) | 0;
      } else check(isZero(imm), op, "immediate");
    } else check(isZero(pc), op, "pc");
    let flag = 0;
    if (typeof v === "number") {
      check(Number.isSafeInteger(v), op, "immediate or pc number");
      // A number is exact: its words are its two's complement; a negative pc is read back unsigned.
      const high = Math.floor(v / 2 ** 32);
      wide32[2 * n + LOW] = v - high * 2 ** 32;
      wide32[2 * n + HIGH] = high;
      if (isPc && v < 0) flag = WIDE_UNSIGNED;
    } else if (v === 0n) wide32[2 * n] = wide32[2 * n + 1] = 0;
    else {
      flag = unsignedFlag(v, "immediate or pc");
      wide[n] = v; // stored modulo 2^64
    }
    code[at] = op | (cond << COND_SHIFT) | (signed ? SIGNED : 0) | (size << SIZE_SHIFT) | flag;
    code[at + W_D] = d;
    code[at + W_A] = a;
    code[at + W_B] = b;
    code[at + W_X] = x;
    code[at + W_E] = e;
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
    this.put(Op.CALL, d, 0, 0, helper, 0, false, Cond.EQ, 0, 0, at, 0);
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

  /** The `imm` of MOVI op `i`. */
  imm(i: number): bigint {
    return readWide(this.#s.code[i * STRIDE], this.#s.wide[i]);
  }

  /** Makes pure op `i` a MOVI of `v` (its other fields stay, as folding leaves them). */
  setMovi(i: number, v: bigint): void {
    const code = this.#s.code, at = i * STRIDE;
    code[at] = (code[at] & ~(OP_MASK | WIDE_UNSIGNED)) | Op.MOVI | unsignedFlag(v, "immediate");
    this.#s.wide[i] = v;
  }

  /** Drops op `i`. */
  kill(i: number): void {
    this.#s.code[i * STRIDE] |= DEAD;
  }

  /** The ops not dropped, as objects (for observers that instrument the block). */
  finish(): IrBlock {
    // Its arrays are the next block's now: an observer that kept a block reads it in time.
    if (this.#released) throw new InternalError("a block's IR read after its TB was made");
    const { code, wide, args } = this.#s, ops: IrOp[] = [];
    for (let i = 0; i < this.#n; i++) {
      if ((code[i * STRIDE] & OP_MASK) === DEAD) continue;
      ops.push(decodeOp(code, i * STRIDE, wide[i], args));
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
  if (m & READS_C) read(code[at + W_X]);
  if (m & READS_E) read(code[at + W_E]);
  if (m & READS_ARGS) {
    const k = code[at + W_X];
    for (let j = k + 1; j <= k + args[k]; j++) read(args[j]);
  }
  return m & WRITES_D ? code[at + W_D] : -1;
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
  const from = b.code, fromArgs = b.args, fromWide = b.wideWords;
  const argWords = markUses(b, numGlobals), use = useScratch;
  let n = 0, numUsed = 0, numWritten = 0;
  for (let at = 0; at < b.numOps * STRIDE; at += STRIDE) if ((from[at] & OP_MASK) !== DEAD) n++;
  for (let g = 0; g < numGlobals; g++) {
    if (use[g]) numUsed++;
    if (use[g] & 2) numWritten++;
  }
  const { numTemps, numLabels } = b;
  const words = n * STRIDE + argWords + numLabels + numUsed + numWritten + tailWords;
  const ch = carve(8 * n + 4 * words), code = ch.code;
  const wideBase = ch.used / 8, base = ch.used / 4 + 2 * n;
  ch.used += (8 * n + 4 * words + 7) & ~7;
  let args = base + n * STRIDE, j = 0;
  const labels = args + argWords, used = labels + numLabels;
  for (let i = 0; i < b.numOps; i++) {
    const at = i * STRIDE, op = from[at] & OP_MASK, to = base + j * STRIDE;
    if (op === DEAD) continue;
    for (let k = 0; k < STRIDE; k++) code[to + k] = from[at + k];
    code[2 * (wideBase + j)] = fromWide[2 * i];
    code[2 * (wideBase + j) + 1] = fromWide[2 * i + 1];
    if (op === Op.LABEL) code[labels + from[at + W_X]] = j;
    if (op === Op.CALL) {
      const k = from[at + W_X];
      code[to + W_X] = args;
      for (let x = k; x <= k + fromArgs[k]; x++) code[args++] = fromArgs[x];
    }
    j++;
  }
  let u = used, w = used + numUsed;
  for (let g = 0; g < numGlobals; g++) {
    if (use[g]) code[u++] = g;
    if (use[g] & 2) code[w++] = g;
  }
  const tailAt = w;
  for (let k = 0; k < tailWords; k++) code[tailAt + k] = tail[k];
  const wide = ch.wide;
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
    tail: tailAt,
  };
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

/** The wide value `v` of the op whose word 0 is `w`, read back as unsigned if the op says so. */
export function readWide(w: number, v: bigint): bigint {
  return w & WIDE_UNSIGNED ? BigInt.asUintN(64, v) : v;
}

/** The `size` in word 0 `w` of an op. */
export function sizeOf(w: number): number {
  return w >>> SIZE_SHIFT;
}

/** The condition in word 0 `w` of an op. */
export function condOf(w: number): Cond {
  return ((w >> COND_SHIFT) & COND_MASK) as Cond;
}

/** Op `i`'s wide value (its `pc` if it has one, else its `imm`). */
export function wideOf(p: PackedIr, i: number): bigint {
  return readWide(p.code[p.base + i * STRIDE], p.wide[p.wideBase + i]);
}

/** The argument temps at `args[at]` (a count, then the temps). */
function argsAt(args: Int32Array, at: number): Temp[] {
  const out: Temp[] = [];
  for (let k = at + 1; k <= at + args[at]; k++) out.push(args[k]);
  return out;
}

/** CALL op `i`'s argument temps. */
export function argsOf(p: PackedIr, i: number): Temp[] {
  return argsAt(p.code, p.code[p.base + i * STRIDE + W_X]);
}

const NO_ARGS: readonly Temp[] = Object.freeze([]);

/** The op whose words start at `code[at]`, with wide value `wide` and CALL arguments in `args`. */
function decodeOp(code: Int32Array, at: number, wide: bigint, args: Int32Array): IrOp {
  const w = code[at], op = (w & OP_MASK) as Op, x = code[at + W_X], v = readWide(w, wide);
  const pc = widePc(op) ? v : 0n;
  const imm = op === Op.COUNTER_ADD ? BigInt(x >>> 0) : widePc(op) ? 0n : v;
  return {
    op,
    d: code[at + W_D],
    a: code[at + W_A],
    b: code[at + W_B],
    c: op === Op.CALL || op === Op.COUNTER_ADD || xIsLabel(op) ? 0 : x,
    e: code[at + W_E],
    imm,
    cond: condOf(w),
    size: sizeOf(w),
    label: xIsLabel(op) ? x : 0,
    signed: (w & SIGNED) !== 0,
    args: op === Op.CALL ? argsAt(args, x) : NO_ARGS,
    pc,
  };
}

/** Op `i` as the builder made it. */
export function unpackOp(p: PackedIr, i: number): IrOp {
  return decodeOp(p.code, p.base + i * STRIDE, p.wide[p.wideBase + i], p.code);
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
    if ((p.code[p.base + i * STRIDE] & OP_MASK) === Op.GOTO_TB) out.push(wideOf(p, i));
  }
  return out;
}

/** The opcode of the block's last op (-1 when it has none). */
export function lastOp(p: PackedIr): number {
  return p.numOps ? p.code[p.base + (p.numOps - 1) * STRIDE] & OP_MASK : -1;
}
