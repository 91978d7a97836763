/**
 * The IR builder: what targets call to emit one translation block's ops.
 *
 * @module
 */

import { Cond, type IrBlock, type IrOp, type Label, Op, type Temp, type TrapKind } from "./ir.ts";

/**
 * A 64-bit value as the builder takes it: a bigint, or a number where that is
 * exact (an integer of at most 53 bits), which costs no allocation. Translators
 * keep pcs and immediates as numbers; numbers are read as signed, so a pc
 * past 2^63 is its signed value (`-4` for `0xffff_ffff_ffff_fffc`).
 */
export type Wide = bigint | number;

/** The exact range of numbers: what {@linkcode IrEmitter.constant} keys by number. */
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER), MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** `v` as a bigint (a number must be exact: see {@linkcode Wide}). */
export function wideBigint(v: Wide): bigint {
  return typeof v === "bigint" ? v : BigInt(v);
}

/** The `args` of every op but `CALL` (shared: ops are never edited in place). */
const NO_ARGS: readonly Temp[] = Object.freeze([]);

/**
 * What targets call to emit one translation block's ops: temps, labels,
 * constants and one method per kind of op. Where the ops go is the
 * subclass's: {@linkcode IrBuilder} makes op objects, and the TB cache's
 * builder (`PackedBuilder` in `ir_pack_builder.ts`) writes the packed form directly.
 *
 * @example
 * ```ts
 * import { Op } from "./ir.ts";
 * import { IrBuilder, type IrEmitter } from "./ir_builder.ts";
 * function addi(ir: IrEmitter, rd: number, rs: number, imm: bigint): void {
 *   const t = ir.temp();
 *   ir.movi(t, imm);
 *   ir.binop(Op.ADD, rd, rs, t);
 * }
 * const b = new IrBuilder(32);
 * addi(b, 1, 2, 5n);
 * console.log(b.ops.length, b.ops[1].op === Op.ADD, b.ops[1].d, b.ops[1].a); // 2 true 1 2
 * ```
 */
export abstract class IrEmitter {
  #numTemps: number;
  #numLabels: number;
  /**
   * The constants since the last label and their temps: each value a number
   * where that is exact, else a bigint (so that `1` and `1n` meet). A block
   * has a handful between labels: a search costs less than making a `Map`.
   */
  #constValues: Wide[] = [];
  #constTemps: Temp[] = [];
  /** how many of those are current (the arrays keep their length, as a length of 0 frees them) */
  #consts = 0;

  /**
   * Makes an emitter for a target with `numGlobals` globals.
   *
   * @param numGlobals how many globals the target declared
   * @param firstTemp first temp to hand out (to continue an existing block)
   * @param firstLabel first label to hand out (likewise)
   */
  constructor(readonly numGlobals: number, firstTemp = numGlobals, firstLabel = 0) {
    this.#numTemps = firstTemp;
    this.#numLabels = firstLabel;
  }

  /** Starts over, as a new emitter with `firstTemp` and `firstLabel` would. */
  protected reset(firstTemp: number, firstLabel: number): void {
    this.#numTemps = firstTemp;
    this.#numLabels = firstLabel;
    this.#consts = 0;
  }

  /**
   * Forgets the constants' temps, as a new emitter would (ops copied in
   * between may not let them dominate what follows).
   */
  forgetConstants(): void {
    this.#consts = 0;
  }

  /** How many temps (globals included) were handed out. */
  get numTemps(): number {
    return this.#numTemps;
  }

  /** How many labels were handed out. */
  get numLabels(): number {
    return this.#numLabels;
  }

  /** A fresh TB-local temp. */
  temp(): Temp {
    return this.#numTemps++;
  }

  /** A fresh label. */
  label(): Label {
    return this.#numLabels++;
  }

  /**
   * A temp holding constant `v`, materialised at its first use and reused
   * until the next label (a join point the first use may not dominate).
   */
  constant(v: Wide): Temp {
    if (typeof v === "bigint") {
      v = BigInt.asIntN(64, v);
      if (v >= MIN_SAFE && v <= MAX_SAFE) v = Number(v);
    }
    const values = this.#constValues, n = this.#consts;
    for (let i = 0; i < n; i++) if (values[i] === v) return this.#constTemps[i];
    const t = this.temp();
    this.movi(t, v);
    values[n] = v;
    this.#constTemps[n] = t;
    this.#consts = n + 1;
    return t;
  }

  /**
   * Appends an op (every field but CALL's `args`: see {@linkcode IrOp}). A
   * number `imm` is its value; a number `pc` is taken modulo 2^64 (a bigint
   * one is as given: COUNTER_ADD's delta may be negative).
   */
  protected abstract put(
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
  ): void;

  /** Appends a CALL op. */
  protected abstract putCall(d: Temp, helper: number, args: readonly Temp[]): void;

  /** Appends an op with temps `d`, `a`, `b` and no other field. */
  #emit(op: Op, d: Temp = 0, a: Temp = 0, b: Temp = 0): void {
    this.put(op, d, a, b, 0, 0, false, Cond.EQ, 0, 0, 0, 0);
  }

  /** Appends `d = op(a, b)` with `imm` and `size` (the memory and host ops). */
  #emitImm(op: Op, d: Temp, a: Temp, b: Temp, imm: Wide, size = 0, signed = false): void {
    this.put(op, d, a, b, imm, size, signed, Cond.EQ, 0, 0, 0, 0);
  }

  /** `d = a` */
  mov(d: Temp, a: Temp): void {
    this.#emit(Op.MOV, d, a);
  }

  /** `d = v` (v is taken modulo 2^64, signed) */
  movi(d: Temp, v: Wide): void {
    this.#emitImm(Op.MOVI, d, 0, 0, typeof v === "number" ? v : BigInt.asIntN(64, v));
  }

  /** A binary ALU op or an extension (`b` unused for extensions). */
  binop(op: Op, d: Temp, a: Temp, b: Temp = 0): void {
    this.#emit(op, d, a, b);
  }

  /** `d = (a cond b) ? 1 : 0` */
  setcond(cond: Cond, d: Temp, a: Temp, b: Temp): void {
    this.put(Op.SETCOND, d, a, b, 0, 0, false, cond, 0, 0, 0, 0);
  }

  /** `d = (a cond b) ? ifTrue : ifFalse` */
  movcond(cond: Cond, d: Temp, a: Temp, b: Temp, ifTrue: Temp, ifFalse: Temp): void {
    this.put(Op.MOVCOND, d, a, b, 0, 0, false, cond, ifTrue, ifFalse, 0, 0);
  }

  /** `if (a cond b) goto l` (forward only) */
  brcond(cond: Cond, a: Temp, b: Temp, l: Label): void {
    this.put(Op.BRCOND, 0, a, b, 0, 0, false, cond, 0, 0, l, 0);
  }

  /** `goto l` (forward only) */
  br(l: Label): void {
    this.put(Op.BR, 0, 0, 0, 0, 0, false, Cond.EQ, 0, 0, l, 0);
  }

  /** Places label `l` here. */
  setLabel(l: Label): void {
    this.#consts = 0;
    this.put(Op.LABEL, 0, 0, 0, 0, 0, false, Cond.EQ, 0, 0, l, 0);
  }

  /** `d = mem[a + offset]` of `size` bytes (1, 2, 4, 8). */
  load(d: Temp, a: Temp, offset: Wide, size: number, signed: boolean): void {
    this.#emitImm(Op.LOAD, d, a, 0, offset, size, signed);
  }

  /** `mem[a + offset] = v` (low `size` bytes). */
  store(a: Temp, offset: Wide, v: Temp, size: number): void {
    this.#emitImm(Op.STORE, 0, a, v, offset, size);
  }

  /** `d = 64-bit word at host address hostAddr` (a state field that is not a global). */
  loadHost(d: Temp, hostAddr: number): void {
    this.#emitImm(Op.LOAD_HOST, d, 0, 0, hostAddr);
  }

  /** `64-bit word at host address hostAddr = a`. */
  storeHost(hostAddr: number, a: Temp): void {
    this.#emitImm(Op.STORE_HOST, 0, a, 0, hostAddr);
  }

  /** `64-bit word at host address hostAddr += delta`: an inline counter. */
  counterAdd(hostAddr: number, delta: bigint): void {
    this.put(Op.COUNTER_ADD, 0, 0, 0, BigInt(hostAddr), 0, false, Cond.EQ, 0, 0, 0, delta);
  }

  /** `host u8[hostAddr + index] += 1`, never wrapping to 0 (see `Op.COUNTER_INC8`). */
  counterInc8(hostAddr: number, index: Temp): void {
    this.#emitImm(Op.COUNTER_INC8, 0, index, 0, hostAddr);
  }

  /** Records callback `id` in the trace buffer (see `Op.TRACE`). */
  trace(id: number): void {
    this.#emitImm(Op.TRACE, 0, 0, 0, id);
  }

  /** `slot d = splat(low size bytes of a)` (see "Vector ops" in `ir.ts`). */
  vdup(d: number, a: Temp, size: number): void {
    this.#emitImm(Op.VDUP, d, a, 0, 0, size);
  }

  /** `slot d = slot a OP slot b` (`VADD` .. `VMAXU`), or `slot a` shifted by temp `b` (`VSHL` .. `VSAR`). */
  vbinop(op: Op, d: number, a: number, b: Temp | number, size: number): void {
    this.#emitImm(op, d, a, b, 0, size);
  }

  /** `slot d = lanes of size bytes`, all ones where bit `firstBit + i` at host address `mask` is set. */
  vmask(d: number, mask: number, firstBit: number, size: number): void {
    this.#emitImm(Op.VMASK, d, mask, 0, firstBit, size);
  }

  /** `slot d = guest memory[a + offset]`, 16 bytes of elements of `size` bytes. */
  vld(d: number, a: Temp, offset: Wide, size: number): void {
    this.#emitImm(Op.VLD, d, a, 0, offset, size);
  }

  /** `guest memory[a + offset] = slot b`, 16 bytes of elements of `size` bytes. */
  vst(a: Temp, offset: Wide, b: number, size: number): void {
    this.#emitImm(Op.VST, 0, a, b, offset, size);
  }

  /** Calls helper number `helper` with `args`; its result (if any) goes to `d` (pass -1 for none). */
  call(d: Temp, helper: number, args: readonly Temp[]): void {
    this.putCall(d, helper, args);
  }

  /** Marks the start of guest instruction `index` at `pc` (modulo 2^64). */
  insnStart(pc: Wide, index: number): void {
    this.put(Op.INSN_START, 0, 0, 0, 0, index, false, Cond.EQ, 0, 0, 0, pc);
  }

  /** Ends the TB, continuing at the constant `pc` (modulo 2^64). */
  gotoTb(pc: Wide): void {
    const v = typeof pc === "number" ? pc : BigInt.asUintN(64, pc);
    this.put(Op.GOTO_TB, 0, 0, 0, 0, 0, false, Cond.EQ, 0, 0, 0, v);
  }

  /** Ends the TB, continuing at the address held in `a`. */
  gotoPtr(a: Temp): void {
    this.#emit(Op.GOTO_PTR, 0, a);
  }

  /** Ends the TB with a precise trap at the current instruction. */
  raise(kind: TrapKind, cause: number, data: Temp | -1 = -1): void {
    this.put(Op.RAISE, 0, data, 0, kind, 0, false, Cond.EQ, cause, 0, 0, 0);
  }
}

/**
 * An {@linkcode IrEmitter} that makes op objects: what instrumentation and
 * tests use to build IR they splice or inspect.
 *
 * @example
 * ```ts
 * import { Op } from "./ir.ts";
 * import { IrBuilder } from "./ir_builder.ts";
 * const b = new IrBuilder(32);
 * const t = b.temp();
 * b.movi(t, 5n);
 * b.binop(Op.ADD, 1, 2, t); // x1 = x2 + 5
 * b.gotoTb(0x1000n);
 * console.log(b.ops.length); // 3
 * ```
 */
export class IrBuilder extends IrEmitter {
  /** the ops emitted so far, in order */
  readonly ops: IrOp[] = [];

  /** Appends one op (what every emit method ends in): here, as an {@linkcode IrOp} object. */
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
    this.ops.push({
      op,
      d,
      a,
      b,
      c,
      e,
      imm: wideBigint(imm),
      cond,
      size,
      label,
      signed,
      args: NO_ARGS,
      pc: typeof pc === "number" ? BigInt.asUintN(64, BigInt(pc)) : pc,
    });
  }

  /** Appends a CALL of helper number `helper`: here, as an {@linkcode IrOp} object. */
  protected putCall(d: Temp, helper: number, args: readonly Temp[]): void {
    this.ops.push({
      op: Op.CALL,
      d,
      a: 0,
      b: 0,
      c: 0,
      e: 0,
      imm: BigInt(helper),
      cond: Cond.EQ,
      size: 0,
      label: 0,
      signed: false,
      args,
      pc: 0n,
    });
  }

  /** The finished block. */
  finish(): IrBlock {
    return { ops: this.ops, numTemps: this.numTemps, numLabels: this.numLabels };
  }
}
