/**
 * The words of the packed IR (`ir_pack.ts`) and the TB cache's builder,
 * which writes them as ops are emitted.
 *
 * An op is {@linkcode STRIDE} 32-bit words (see the `W_*` offsets; fields no
 * op uses together share a word) and one wide value: its `pc` if it has one
 * (GOTO_TB, COUNTER_ADD), else its `imm`. The builder keeps each op's wide
 * value as a 64-bit word beside its words; the packed form keeps it in word
 * {@linkcode W_E} (only MOVCOND has an `e`, and no wide value), as a 32-bit
 * number ({@linkcode WIDE_INLINE}) or, where it does not fit, as the index of
 * a 64-bit word of the block's ({@linkcode WIDE_FAR}). Instruction boundaries
 * (INSN_START, a third of a cold guest's ops) are not ops in either form: each
 * is kept on the side, the position of the op it precedes, its word 0 (which
 * holds its index as `size`) and its pc. So folding, packing and the
 * interpreter's loop skip them, and a packed block keeps 12 bytes per
 * instruction boundary and 24 per op, not 32 for each (docs/perf.md,
 * "Fourteenth session, cold code").
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
/** Word 0 (packed form only): the wide value is word {@linkcode W_E}, a signed 32-bit number. */
export const WIDE_INLINE = 1 << 14;
/** Word 0 (packed form only): word {@linkcode W_E} is the index of the wide value among the block's. */
export const WIDE_FAR = 1 << 15;
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
/**
 * The opcode the folder gives an op it drops (in word 0, as {@linkcode OP_MASK}
 * is no opcode): packing skips it.
 */
export const DEAD = OP_MASK;

const TWO_63 = 1n << 63n, TWO_64 = 1n << 64n;
/** The indices of a 64-bit word's low and high halves in an `Int32Array` over it (host order). */
export const LOW = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1, HIGH = 1 - LOW;

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
 * Writes `v` as the wide value in `slot` of `wide` (`wide32`: its words); `isPc`
 * says a negative number is a pc past 2^63. Returns word 0's unsigned flag.
 */
function writeWide(
  wide: BigInt64Array,
  wide32: Int32Array,
  slot: number,
  v: Wide,
  isPc: boolean,
  op: Op,
): number {
  if (typeof v === "number") {
    check(Number.isSafeInteger(v), op, "immediate or pc number");
    // A number is exact: its words are its two's complement; a negative pc is read back unsigned.
    const high = Math.floor(v / 2 ** 32);
    wide32[2 * slot + LOW] = v - high * 2 ** 32;
    wide32[2 * slot + HIGH] = high;
    return isPc && v < 0 ? WIDE_UNSIGNED : 0;
  }
  if (v === 0n) {
    wide32[2 * slot] = wide32[2 * slot + 1] = 0;
    return 0;
  }
  const flag = unsignedFlag(v, "immediate or pc");
  wide[slot] = v; // stored modulo 2^64
  return flag;
}

/**
 * A builder's growing arrays: op words, wide values (and their words), CALL arguments, starts.
 * A class, not an object literal: a literal's fields lose their array types when V8 makes its
 * boilerplate at the literal's second run (the first instrumented TB here), which deoptimizes
 * every function reading them (docs/perf.md, fifteenth session, the first hooked machine).
 */
class Scratch {
  readonly code: Int32Array;
  readonly wide: BigInt64Array;
  readonly wide32: Int32Array;
  readonly args: Int32Array;
  /** per instruction boundary: the builder's op index it precedes, its word 0 */
  readonly starts: Int32Array;
  readonly startWide: BigInt64Array;
  readonly startWide32: Int32Array;

  constructor(ops: number, args: number, starts: number) {
    this.code = new Int32Array(ops * STRIDE);
    this.wide = new BigInt64Array(ops);
    this.wide32 = new Int32Array(this.wide.buffer);
    this.args = new Int32Array(args);
    this.starts = new Int32Array(2 * starts);
    this.startWide = new BigInt64Array(starts);
    this.startWide32 = new Int32Array(this.startWide.buffer);
  }
}

/**
 * The arrays of the last builders released, for the next ones. One TB is built at a time, but an
 * instrumented TB is written again into a second builder (`injectInstrumentation`, `packIr`)
 * while the first still holds its arrays: with a single spare, each of them allocated a fresh set
 * (about 9 KB in five array buffers; docs/perf.md, fifteenth session).
 */
const spares: Scratch[] = [];
/** More spares than builders alive at once would only keep memory. */
const MAX_SPARES = 4;

/**
 * The TB cache's builder: it writes each op in the packed layout as it is
 * emitted (no op object), so that folding (`foldConstants` in `ir_fold.ts`)
 * and `packBuilt` (`ir_pack.ts`) work on words. Op `i`'s words are at
 * `code[i * STRIDE]`, its wide value at `wide[i]`, and a CALL's `W_X` word
 * is the index in `args` of its argument count; instruction boundaries are
 * in `starts` (see the module doc), not ops.
 *
 * @example
 * ```ts
 * import { PackedBuilder } from "./ir_pack_builder.ts";
 * const b = new PackedBuilder(4);
 * b.insnStart(0x1000n, 0);
 * b.movi(1, -1n);
 * b.gotoTb(0x1004n);
 * console.log(b.numOps, b.numStarts, b.finish().ops.length); // 2 1 3
 * b.release();
 * ```
 */
export class PackedBuilder extends IrEmitter {
  #s: Scratch;
  #n = 0;
  #nArgs = 0;
  #nStarts = 0;
  #released = false;

  constructor(numGlobals: number, firstTemp = numGlobals, firstLabel = 0) {
    super(numGlobals, firstTemp, firstLabel);
    this.#s = spares.pop() ?? new Scratch(256, 64, 64);
  }

  /**
   * Starts another block (the TB cache reuses one builder): as a new builder
   * made with `firstTemp` and `firstLabel`, after {@linkcode release}.
   */
  restart(firstTemp = this.numGlobals, firstLabel = 0): void {
    if (!this.#released) throw new InternalError("a builder restarted before its release");
    this.reset(firstTemp, firstLabel);
    this.#s = spares.pop() ?? new Scratch(256, 64, 64);
    this.#n = this.#nArgs = this.#nStarts = 0;
    this.#released = false;
  }

  /** How many ops were emitted (dropped ones included, instruction boundaries not). */
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

  /** How many instruction boundaries were emitted. */
  get numStarts(): number {
    return this.#nStarts;
  }

  /** Boundary `k`'s op index at `2 * k`, its word 0 at `2 * k + 1`. */
  get starts(): Int32Array {
    return this.#s.starts;
  }

  /** The boundaries' pcs as 32-bit words (boundary `k`'s at `2 * k`). */
  get startWideWords(): Int32Array {
    return this.#s.startWide32;
  }

  /** Hands the arrays to the next builder: this one is not used again. */
  release(): void {
    if (!this.#released && spares.length < MAX_SPARES) spares.push(this.#s);
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
    // the packed form keeps a wide value in word W_E (see WIDE_INLINE): only MOVCOND has an `e`
    check(e === 0 || isZero(v), op, "e beside an immediate");
    const w0 = op | (cond << COND_SHIFT) | (signed ? SIGNED : 0) | (size << SIZE_SHIFT);
    if (op === Op.INSN_START) {
      check((d | a | b | x | e) === 0, op, "temps");
      this.#putStart(w0, v);
      return;
    }
    const n = this.#n;
    if ((n + 1) * STRIDE > this.#s.code.length) this.#grow(2 * n, this.#s.args.length);
    const { code, wide, wide32 } = this.#s, at = n * STRIDE;
    code[at] = w0 | writeWide(wide, wide32, n, v, isPc, op);
    code[at + W_D] = d;
    code[at + W_A] = a;
    code[at + W_B] = b;
    code[at + W_X] = x;
    code[at + W_E] = e;
    this.#n = n + 1;
  }

  /** Records an instruction boundary before the next op: word 0 `w0`, pc `pc`. */
  #putStart(w0: number, pc: Wide): void {
    const k = this.#nStarts;
    if (2 * (k + 1) > this.#s.starts.length) {
      this.#grow(this.#s.code.length / STRIDE, this.#s.args.length, 2 * k);
    }
    const s = this.#s;
    s.starts[2 * k] = this.#n;
    s.starts[2 * k + 1] = w0 | writeWide(s.startWide, s.startWide32, k, pc, true, Op.INSN_START);
    this.#nStarts = k + 1;
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

  /** The opcode of op `i` ({@linkcode DEAD} when the folder dropped it). */
  opcode(i: number): number {
    return this.#s.code[i * STRIDE] & OP_MASK;
  }

  /** The instruction index of boundary `k` (its `size`). */
  startIndex(k: number): number {
    return this.#s.starts[2 * k + 1] >>> SIZE_SHIFT;
  }

  /** Appends op `i` of `src` as it is (a builder of the same temps), without making an object. */
  copyOp(src: PackedBuilder, i: number): void {
    this.forgetConstants();
    const n = this.#n, from = src.#s, at = i * STRIDE;
    if ((n + 1) * STRIDE > this.#s.code.length) this.#grow(2 * n, this.#s.args.length);
    const s = this.#s, to = n * STRIDE;
    for (let w = 0; w < STRIDE; w++) s.code[to + w] = from.code[at + w];
    s.wide32[2 * n] = from.wide32[2 * i];
    s.wide32[2 * n + 1] = from.wide32[2 * i + 1];
    if ((from.code[at] & OP_MASK) === Op.CALL) {
      const a = from.code[at + W_X], count = from.args[a], x = this.#nArgs;
      if (x + 1 + count > s.args.length) this.#grow(s.code.length / STRIDE, 2 * (x + 1 + count));
      this.#s.args.set(from.args.subarray(a, a + 1 + count), x);
      this.#s.code[to + W_X] = x;
      this.#nArgs = x + 1 + count;
    }
    this.#n = n + 1;
  }

  /** Appends instruction boundary `k` of `src` before the next op. */
  copyStart(src: PackedBuilder, k: number): void {
    this.forgetConstants();
    const j = this.#nStarts;
    if (2 * (j + 1) > this.#s.starts.length) {
      this.#grow(this.#s.code.length / STRIDE, this.#s.args.length, 2 * j);
    }
    const s = this.#s, from = src.#s;
    s.starts[2 * j] = this.#n;
    s.starts[2 * j + 1] = from.starts[2 * k + 1];
    s.startWide32[2 * j] = from.startWide32[2 * k];
    s.startWide32[2 * j + 1] = from.startWide32[2 * k + 1];
    this.#nStarts = j + 1;
  }

  #grow(ops: number, args: number, starts = this.#s.startWide.length): void {
    const old = this.#s, s = new Scratch(ops, args, starts);
    s.code.set(old.code);
    s.wide.set(old.wide);
    s.args.set(old.args);
    s.starts.set(old.starts);
    s.startWide.set(old.startWide);
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
    const { code, wide, args, starts, startWide } = this.#s, ops: IrOp[] = [];
    for (let i = 0, k = 0; i <= this.#n; i++) {
      for (; k < this.#nStarts && starts[2 * k] === i; k++) {
        ops.push(startOp(starts[2 * k + 1], startWide[k]));
      }
      if (i === this.#n || (code[i * STRIDE] & OP_MASK) === DEAD) continue;
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

/**
 * The wide value, as stored, of the packed op whose word 0 is `w` and word
 * {@linkcode W_E} is `v`; the block's other wide values are from `wide[wideBase]`.
 */
export function rawWide(w: number, v: number, wide: BigInt64Array, wideBase: number): bigint {
  if (w & WIDE_INLINE) return BigInt(v);
  return w & WIDE_FAR ? wide[wideBase + v] : 0n;
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

/** The argument temps at `args[at]` (a count, then the temps). */
export function argsAt(args: Int32Array, at: number): Temp[] {
  const out: Temp[] = [];
  for (let k = at + 1; k <= at + args[at]; k++) out.push(args[k]);
  return out;
}

const NO_ARGS: readonly Temp[] = Object.freeze([]);

/** The op whose words start at `code[at]`, with wide value `wide` and CALL arguments in `args`. */
export function decodeOp(code: Int32Array, at: number, wide: bigint, args: Int32Array): IrOp {
  const w = code[at], op = (w & OP_MASK) as Op, x = code[at + W_X], v = readWide(w, wide);
  const pc = widePc(op) ? v : 0n;
  const imm = op === Op.COUNTER_ADD ? BigInt(x >>> 0) : widePc(op) ? 0n : v;
  return {
    op,
    d: code[at + W_D],
    a: code[at + W_A],
    b: code[at + W_B],
    c: op === Op.CALL || op === Op.COUNTER_ADD || xIsLabel(op) ? 0 : x,
    e: w & (WIDE_INLINE | WIDE_FAR) ? 0 : code[at + W_E],
    imm,
    cond: condOf(w),
    size: sizeOf(w),
    label: xIsLabel(op) ? x : 0,
    signed: (w & SIGNED) !== 0,
    args: op === Op.CALL ? argsAt(args, x) : NO_ARGS,
    pc,
  };
}

/** The INSN_START op of an instruction boundary with word 0 `w` and pc `wide`. */
export function startOp(w: number, wide: bigint): IrOp {
  return {
    op: Op.INSN_START,
    d: 0,
    a: 0,
    b: 0,
    c: 0,
    e: 0,
    imm: 0n,
    cond: condOf(w),
    size: sizeOf(w),
    label: 0,
    signed: (w & SIGNED) !== 0,
    args: NO_ARGS,
    pc: readWide(w, wide),
  };
}
