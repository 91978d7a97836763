/**
 * The IR builder: what targets call to emit one translation block's ops.
 *
 * @module
 */

import { Cond, type IrBlock, type IrOp, type Label, Op, type Temp, type TrapKind } from "./ir.ts";

/** The `args` of every op but `CALL` (shared: ops are never edited in place). */
const NO_ARGS: readonly Temp[] = Object.freeze([]);

function blank(op: Op, d: Temp, a: Temp, b: Temp): IrOp {
  return {
    op,
    d,
    a,
    b,
    c: 0,
    e: 0,
    imm: 0n,
    cond: Cond.EQ,
    size: 0,
    label: 0,
    signed: false,
    args: NO_ARGS,
    pc: 0n,
  };
}

/**
 * Builds the IR of one translation block. Targets receive one per TB.
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
 * ```
 */
export class IrBuilder {
  readonly ops: IrOp[] = [];
  #numTemps: number;
  #numLabels = 0;
  #constCache = new Map<bigint, Temp>();

  /**
   * @param numGlobals how many globals the target declared
   * @param firstTemp first temp to hand out (to continue an existing block)
   * @param firstLabel first label to hand out (likewise)
   */
  constructor(readonly numGlobals: number, firstTemp = numGlobals, firstLabel = 0) {
    this.#numTemps = firstTemp;
    this.#numLabels = firstLabel;
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
  constant(v: bigint): Temp {
    v = BigInt.asIntN(64, v);
    let t = this.#constCache.get(v);
    if (t === undefined) {
      t = this.temp();
      this.movi(t, v);
      this.#constCache.set(v, t);
    }
    return t;
  }

  /** Appends an op with temps `d`, `a`, `b` (other fields at their defaults, for the caller to set). */
  #emit(op: Op, d: Temp = 0, a: Temp = 0, b: Temp = 0): IrOp {
    const o = blank(op, d, a, b);
    this.ops.push(o);
    return o;
  }

  /** `d = a` */
  mov(d: Temp, a: Temp): void {
    this.#emit(Op.MOV, d, a);
  }

  /** `d = v` (v is taken modulo 2^64, signed) */
  movi(d: Temp, v: bigint): void {
    this.#emit(Op.MOVI, d).imm = BigInt.asIntN(64, v);
  }

  /** A binary ALU op or an extension (`b` unused for extensions). */
  binop(op: Op, d: Temp, a: Temp, b: Temp = 0): void {
    this.#emit(op, d, a, b);
  }

  /** `d = (a cond b) ? 1 : 0` */
  setcond(cond: Cond, d: Temp, a: Temp, b: Temp): void {
    this.#emit(Op.SETCOND, d, a, b).cond = cond;
  }

  /** `d = (a cond b) ? ifTrue : ifFalse` */
  movcond(cond: Cond, d: Temp, a: Temp, b: Temp, ifTrue: Temp, ifFalse: Temp): void {
    const o = this.#emit(Op.MOVCOND, d, a, b);
    o.cond = cond;
    o.c = ifTrue;
    o.e = ifFalse;
  }

  /** `if (a cond b) goto l` (forward only) */
  brcond(cond: Cond, a: Temp, b: Temp, l: Label): void {
    const o = this.#emit(Op.BRCOND, 0, a, b);
    o.cond = cond;
    o.label = l;
  }

  /** `goto l` (forward only) */
  br(l: Label): void {
    this.#emit(Op.BR).label = l;
  }

  /** Places label `l` here. */
  setLabel(l: Label): void {
    this.#constCache.clear();
    this.#emit(Op.LABEL).label = l;
  }

  /** `d = mem[a + offset]` of `size` bytes (1, 2, 4, 8). */
  load(d: Temp, a: Temp, offset: bigint, size: number, signed: boolean): void {
    const o = this.#emit(Op.LOAD, d, a);
    o.imm = offset;
    o.size = size;
    o.signed = signed;
  }

  /** `mem[a + offset] = v` (low `size` bytes). */
  store(a: Temp, offset: bigint, v: Temp, size: number): void {
    const o = this.#emit(Op.STORE, 0, a, v);
    o.imm = offset;
    o.size = size;
  }

  /** `d = 64-bit word at host address hostAddr` (a state field that is not a global). */
  loadHost(d: Temp, hostAddr: number): void {
    this.#emit(Op.LOAD_HOST, d).imm = BigInt(hostAddr);
  }

  /** `64-bit word at host address hostAddr = a`. */
  storeHost(hostAddr: number, a: Temp): void {
    this.#emit(Op.STORE_HOST, 0, a).imm = BigInt(hostAddr);
  }

  /** `64-bit word at host address hostAddr += delta`: an inline counter. */
  counterAdd(hostAddr: number, delta: bigint): void {
    const o = this.#emit(Op.COUNTER_ADD);
    o.imm = BigInt(hostAddr);
    o.pc = delta;
  }

  /** `host u8[hostAddr + index] += 1`, never wrapping to 0 (see `Op.COUNTER_INC8`). */
  counterInc8(hostAddr: number, index: Temp): void {
    this.#emit(Op.COUNTER_INC8, 0, index).imm = BigInt(hostAddr);
  }

  /** Records callback `id` in the trace buffer (see `Op.TRACE`). */
  trace(id: number): void {
    this.#emit(Op.TRACE).imm = BigInt(id);
  }

  /** `slot d = splat(low size bytes of a)` (see "Vector ops" in `ir.ts`). */
  vdup(d: number, a: Temp, size: number): void {
    this.#emit(Op.VDUP, d, a).size = size;
  }

  /** `slot d = slot a OP slot b` (`VADD` .. `VMAXU`), or `slot a` shifted by temp `b` (`VSHL` .. `VSAR`). */
  vbinop(op: Op, d: number, a: number, b: Temp | number, size: number): void {
    this.#emit(op, d, a, b).size = size;
  }

  /** `slot d = lanes of size bytes`, all ones where bit `firstBit + i` at host address `mask` is set. */
  vmask(d: number, mask: number, firstBit: number, size: number): void {
    const o = this.#emit(Op.VMASK, d, mask);
    o.imm = BigInt(firstBit);
    o.size = size;
  }

  /** `slot d = guest memory[a + offset]`, 16 bytes of elements of `size` bytes. */
  vld(d: number, a: Temp, offset: bigint, size: number): void {
    const o = this.#emit(Op.VLD, d, a);
    o.imm = offset;
    o.size = size;
  }

  /** `guest memory[a + offset] = slot b`, 16 bytes of elements of `size` bytes. */
  vst(a: Temp, offset: bigint, b: number, size: number): void {
    const o = this.#emit(Op.VST, 0, a, b);
    o.imm = offset;
    o.size = size;
  }

  /** Calls helper number `helper` with `args`; its result (if any) goes to `d` (pass -1 for none). */
  call(d: Temp, helper: number, args: readonly Temp[]): void {
    const o = this.#emit(Op.CALL, d);
    o.imm = BigInt(helper);
    o.args = args;
  }

  /** Marks the start of guest instruction `index` at `pc`. */
  insnStart(pc: bigint, index: number): void {
    const o = this.#emit(Op.INSN_START);
    o.pc = pc;
    o.size = index;
  }

  /** Ends the TB, continuing at the constant `pc`. */
  gotoTb(pc: bigint): void {
    this.#emit(Op.GOTO_TB).pc = BigInt.asUintN(64, pc);
  }

  /** Ends the TB, continuing at the address held in `a`. */
  gotoPtr(a: Temp): void {
    this.#emit(Op.GOTO_PTR, 0, a);
  }

  /** Ends the TB with a precise trap at the current instruction. */
  raise(kind: TrapKind, cause: number, data: Temp | -1 = -1): void {
    const o = this.#emit(Op.RAISE, 0, data);
    o.imm = BigInt(kind);
    o.c = cause;
  }

  /** The finished block. */
  finish(): IrBlock {
    return { ops: this.ops, numTemps: this.#numTemps, numLabels: this.#numLabels };
  }
}
