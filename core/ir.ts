/**
 * The target-independent intermediate representation (IR).
 *
 * A target translates each guest instruction into a short sequence of IR ops,
 * in the spirit of QEMU's TCG ops. Both backends (the reference interpreter in
 * `interp.ts` and the WebAssembly JIT) execute the same IR, so the IR holds only
 * plain data: numbers, bigints and indices. Never a JS closure.
 *
 * Values are 64-bit integers. Ops with a `32` suffix work on the low 32 bits of
 * their operands and produce the 32-bit result sign-extended to 64 bits (this is
 * what RV64's `*W` instructions want, and what a 32-bit guest keeps in its
 * registers).
 *
 * Temps: indices `0 .. globals.length-1` are the target's globals (guest
 * registers that live in the CPU state block); higher indices are TB-local
 * temps created with {@linkcode IrBuilder.temp}.
 *
 * Vector ops (`VDUP` .. `VMASK`) work on 128-bit values kept in *slots*:
 * 16-byte areas of host memory (a target's vector registers in its state
 * block, or a scratch area there), named by host address in `d`, `a` and
 * `b` where other ops name temps. `size` is the lane width in bytes (1, 2,
 * 4, 8); lanes are little-endian. The interpreter runs them lane by lane;
 * the JIT maps each onto wasm SIMD: `v128.load` of the source slots, one
 * `i8x16`/`i16x8`/`i32x4`/`i64x2` op, `v128.store` (lanes wasm lacks, as
 * `i8x16.mul` and 64-bit minimum, are built from a few SIMD ops). Nothing of
 * a slot lives in a wasm local, so helpers read and write vector registers
 * without any write-back. `VLD`/`VST` move a slot from or to guest memory;
 * temps give the address, and the shifts' amount. The JIT's inline path
 * takes a 16-byte access within one page (its slow path, two 8-byte ones). Targets emit vector ops only where they have checked the
 * configuration (element width, length, masking) at translation or run time.
 *
 * @module
 */

/** An IR value slot: a global (guest register) or a TB-local temp. */
export type Temp = number;

/** A forward-declared branch target inside one TB. */
export type Label = number;

/**
 * Comparison conditions for `setcond`, `brcond` and `movcond` (and
 * `InsnHandle.onExecIf`).
 *
 * @example
 * ```ts
 * import { Cond } from "./ir.ts";
 * console.log(Cond.LTU); // 4
 * ```
 */
export const Cond = {
  EQ: 0,
  NE: 1,
  LT: 2,
  GE: 3,
  LTU: 4,
  GEU: 5,
  LE: 6,
  GT: 7,
  LEU: 8,
  GTU: 9,
} as const;
/**
 * A comparison condition.
 *
 * @example
 * ```ts
 * import { Cond } from "./ir.ts";
 * const c: Cond = Cond.EQ;
 * ```
 */
export type Cond = typeof Cond[keyof typeof Cond];

/** Names of conditions, for dumps. */
export const COND_NAMES = ["eq", "ne", "lt", "ge", "ltu", "geu", "le", "gt", "leu", "gtu"];

/**
 * The IR opcodes. Binary ALU ops are `d = a OP b`.
 *
 * Division is total: `x / 0` gives all ones (`divu`, `div`), `x % 0` gives `x`,
 * and the signed overflow case `MIN / -1` gives `MIN` with remainder 0.
 */
export const Op = {
  /** `d = a` */
  MOV: 0,
  /** `d = imm` */
  MOVI: 1,
  ADD: 2,
  SUB: 3,
  MUL: 4,
  AND: 5,
  OR: 6,
  XOR: 7,
  /** shift left by `b & 63` */
  SHL: 8,
  /** logical shift right by `b & 63` */
  SHR: 9,
  /** arithmetic shift right by `b & 63` */
  SAR: 10,
  /** high 64 bits of the signed x signed 128-bit product */
  MULHS: 11,
  /** high 64 bits of the unsigned x unsigned product */
  MULHU: 12,
  /** high 64 bits of the signed(a) x unsigned(b) product */
  MULHSU: 13,
  DIV: 14,
  DIVU: 15,
  REM: 16,
  REMU: 17,
  ADD32: 18,
  SUB32: 19,
  MUL32: 20,
  /** shift left by `b & 31` on 32 bits */
  SHL32: 21,
  SHR32: 22,
  SAR32: 23,
  DIV32: 24,
  DIVU32: 25,
  REM32: 26,
  REMU32: 27,
  EXT8S: 28,
  EXT8U: 29,
  EXT16S: 30,
  EXT16U: 31,
  EXT32S: 32,
  EXT32U: 33,
  /** `d = (a cond b) ? 1 : 0` */
  SETCOND: 34,
  /** `d = (a cond b) ? c : e` */
  MOVCOND: 35,
  /** `if (a cond b) goto label` */
  BRCOND: 36,
  /** `goto label` */
  BR: 37,
  /** defines `label` here */
  LABEL: 38,
  /** `d = guest memory[a + imm]`, `size` bytes, sign-extended if `signed` */
  LOAD: 39,
  /** `guest memory[a + imm] = b`, low `size` bytes */
  STORE: 40,
  /** `d = host(state) memory[imm]`, 8 bytes; for state fields that are not globals */
  LOAD_HOST: 41,
  /** `host(state) memory[imm] = a`, 8 bytes */
  STORE_HOST: 42,
  /** `d = helper(args...)`: a call into a target helper (see {@linkcode HelperDef}) */
  CALL: 43,
  /** Marks the start of guest instruction number `imm` (0-based) at guest pc `pc`. */
  INSN_START: 44,
  /** Ends the TB: the next pc is the constant `pc` (a direct, chainable jump). */
  GOTO_TB: 45,
  /** Ends the TB: the next pc is the value of temp `a` (an indirect jump). */
  GOTO_PTR: 46,
  /**
   * Ends the TB with a precise exception at the current instruction:
   * `imm` is the {@linkcode TrapKind}, `c` the target's cause code, `a` a
   * temp holding extra data (a fault address, the instruction bits) or -1.
   */
  RAISE: 47,
  /** `host memory[imm] += b` (64-bit): an inline counter; `b` is an immediate here. */
  COUNTER_ADD: 48,
  /**
   * IEEE binary64 arithmetic on bit patterns, rounding to nearest-even, with
   * no exception flags: `d = bits(f64(a) + f64(b))`. NaN results have an
   * unspecified payload; targets use these ops only in fast paths that have
   * excluded NaN, infinite and tiny results (flags come from exact checks).
   */
  FADD64: 49,
  FSUB64: 50,
  FMUL64: 51,
  FDIV64: 52,
  /** `d = bits(f64(signed a))`: int64 to binary64, rounding to nearest-even, no flags. */
  I64_TO_F64: 53,
  /**
   * Appends the callback id `imm` to the trace buffer: the callback runs
   * deferred, in order, no later than when control returns to the run loop
   * (cheap instrumentation that never interrupts generated code).
   */
  TRACE: 54,
  /**
   * `host u8[imm + a] += 1`, skipping 0 when it wraps (AFL++'s NeverZero): a
   * byte counter indexed by a temp (fuzzing's edge map). The emitter keeps
   * `a` inside the block it allocated; generated code does no bounds check.
   */
  COUNTER_INC8: 55,
  /**
   * Vector ops (see "Vector ops" in the module doc): `slot d = splat(a)`, the
   * low `size` bytes of temp `a` in every lane.
   */
  VDUP: 56,
  /**
   * `slot d = guest memory[a + imm]`: 16 bytes as two 8-byte loads (low first);
   * `size` is the element width, for memory hooks (which see one access per element).
   */
  VLD: 57,
  /** `guest memory[a + imm] = slot b`: as `VLD`, two 8-byte stores (low first). */
  VST: 58,
  /** `slot d = slot a OP slot b` in lanes of `size` bytes, wrapping. */
  VADD: 59,
  VSUB: 60,
  VMUL: 61,
  VAND: 62,
  VOR: 63,
  VXOR: 64,
  /** signed minimum per lane */
  VMIN: 65,
  VMINU: 66,
  VMAX: 67,
  VMAXU: 68,
  /** `slot d = slot a << (temp b mod lane bits)` in lanes of `size` bytes */
  VSHL: 69,
  VSHR: 70,
  VSAR: 71,
  /**
   * `slot d = mask lanes`: lane `i` of `size` bytes is all ones where bit
   * `imm + i` of the bytes at host address `a` is set (a mask register), else
   * zero; `imm` is a multiple of the lane count. Every bit is read before a
   * lane is written, so `d` may hold the mask itself. With VAND/VXOR it
   * merges a result into a destination under a mask.
   */
  VMASK: 72,
  /**
   * `d = bits(sqrt(f64(a)))`: the IEEE square root of binary64 bits, rounding
   * to nearest-even, with no exception flags (as `FADD64`).
   */
  FSQRT64: 73,
} as const;
/** An IR opcode. */
export type Op = typeof Op[keyof typeof Op];

/** The integer ALU ops and extensions: `d = a OP b` (or `d = OP a`), no side effects. */
export const INTEGER_ALU_OPS: readonly Op[] = [
  Op.ADD,
  Op.SUB,
  Op.MUL,
  Op.AND,
  Op.OR,
  Op.XOR,
  Op.SHL,
  Op.SHR,
  Op.SAR,
  Op.MULHS,
  Op.MULHU,
  Op.MULHSU,
  Op.DIV,
  Op.DIVU,
  Op.REM,
  Op.REMU,
  Op.ADD32,
  Op.SUB32,
  Op.MUL32,
  Op.SHL32,
  Op.SHR32,
  Op.SAR32,
  Op.DIV32,
  Op.DIVU32,
  Op.REM32,
  Op.REMU32,
  Op.EXT8S,
  Op.EXT8U,
  Op.EXT16S,
  Op.EXT16U,
  Op.EXT32S,
  Op.EXT32U,
]; // deno-fmt-ignore

const UNARY: ReadonlySet<number> = new Set([
  Op.EXT8S, Op.EXT8U, Op.EXT16S, Op.EXT16U, Op.EXT32S, Op.EXT32U, Op.I64_TO_F64, Op.MOV,
  Op.FSQRT64,
]); // deno-fmt-ignore

/** The binary64 ops on bits (`FADD64` ... `I64_TO_F64`): no flags, no traps, no side effects. */
export const FLOAT64_ALU_OPS: readonly Op[] = [
  Op.FADD64,
  Op.FSUB64,
  Op.FMUL64,
  Op.FDIV64,
  Op.FSQRT64,
  Op.I64_TO_F64,
];

/**
 * Whether `op` is a vector op (they name 16-byte slots of host memory, not temps).
 *
 * @example
 * ```ts
 * import { isVectorOp, Op } from "./ir.ts";
 * console.log(isVectorOp(Op.VADD), isVectorOp(Op.ADD)); // true false
 * ```
 */
export function isVectorOp(op: Op): boolean {
  return op >= Op.VDUP && op <= Op.VMASK;
}

/**
 * Calls `read` for each temp op `o` reads; returns the temp it writes, or -1.
 * The allocation-free form of {@linkcode operands}.
 *
 * @example
 * ```ts
 * import { Op, visitOperands } from "./ir.ts";
 * import { IrBuilder } from "./ir_builder.ts";
 * const b = new IrBuilder(4);
 * b.binop(Op.ADD, 1, 2, 3);
 * const reads: number[] = [];
 * console.log(visitOperands(b.ops[0], (t) => reads.push(t)), reads); // 1 [ 2, 3 ]
 * ```
 */
export function visitOperands(o: IrOp, read: (t: Temp) => void): Temp {
  const m = OPERANDS[o.op];
  if (m & READS_A && o.a >= 0) read(o.a);
  if (m & READS_B) read(o.b);
  if (m & READS_C) read(o.c);
  if (m & READS_E) read(o.e);
  if (m & READS_ARGS) { for (const a of o.args) read(a); }
  return m & WRITES_D ? o.d : -1;
}

/** Bits of {@linkcode OPERANDS}: the fields an op reads as temps (`a` only when not negative). */
export const READS_A = 1, READS_B = 2, READS_C = 4, READS_E = 8, READS_ARGS = 16;
/** Bit of {@linkcode OPERANDS}: the op writes temp `d` (CALL: when `d` is not negative). */
export const WRITES_D = 32;

/** The operand bits of opcode `op` (see {@linkcode OPERANDS}). */
function operandBits(op: Op): number {
  switch (op) {
    case Op.MOVI:
    case Op.LOAD_HOST:
      return WRITES_D;
    case Op.LOAD:
      return READS_A | WRITES_D;
    case Op.STORE:
    case Op.BRCOND:
      return READS_A | READS_B;
    case Op.STORE_HOST:
    case Op.GOTO_PTR:
    case Op.COUNTER_INC8:
    case Op.RAISE: // `a` is -1 when there is no data
    case Op.VDUP:
    case Op.VLD:
    case Op.VST:
      return READS_A;
    case Op.VSHL:
    case Op.VSHR:
    case Op.VSAR:
      return READS_B;
    case Op.CALL:
      return READS_ARGS | WRITES_D;
    case Op.MOVCOND:
      return READS_A | READS_B | READS_C | READS_E | WRITES_D;
    case Op.BR:
    case Op.LABEL:
    case Op.INSN_START:
    case Op.GOTO_TB:
    case Op.COUNTER_ADD:
    case Op.TRACE:
      return 0;
    default:
      if (isVectorOp(op)) return 0; // slot to slot: no temp
      return UNARY.has(op) ? READS_A | WRITES_D : READS_A | READS_B | WRITES_D;
  }
}

/**
 * Which temps each opcode reads and whether it writes one, by opcode: what
 * {@linkcode visitOperands} and the packed form's readers (`ir_fold.ts`,
 * `ir_pack_builder.ts`) follow, so the IR's operand rules are written once.
 *
 * @example
 * ```ts
 * import { Op, OPERANDS, WRITES_D } from "./ir.ts";
 * console.log((OPERANDS[Op.ADD] & WRITES_D) !== 0, OPERANDS[Op.GOTO_TB]); // true 0
 * ```
 */
export const OPERANDS: Uint8Array = Uint8Array.from(
  { length: Op.FSQRT64 + 1 },
  (_, op) => operandBits(op as Op),
);

/**
 * The temps op `o` reads and the temp it writes (or -1): what backends need
 * to know which guest registers a TB uses.
 *
 * @example
 * ```ts
 * import { Op, operands } from "./ir.ts";
 * import { IrBuilder } from "./ir_builder.ts";
 * const b = new IrBuilder(4);
 * b.binop(Op.ADD, 1, 2, 3);
 * console.log(operands(b.ops[0])); // { reads: [ 2, 3 ], writes: 1 }
 * ```
 */
export function operands(o: IrOp): { reads: Temp[]; writes: Temp } {
  const reads: Temp[] = [];
  const writes = visitOperands(o, (t) => reads.push(t));
  return { reads, writes };
}

/**
 * The globals (temps below `numGlobals`) that `ops` read or write (`used`)
 * and those they write (`written`), added as flags to the given arrays, so
 * several blocks can be scanned into one set.
 *
 * @example
 * ```ts
 * import { markGlobals, Op } from "./ir.ts";
 * import { IrBuilder } from "./ir_builder.ts";
 * const b = new IrBuilder(4);
 * b.binop(Op.ADD, 1, 2, b.temp());
 * const used = new Uint8Array(4), written = new Uint8Array(4);
 * markGlobals(b.ops, 4, used, written);
 * console.log([...used], [...written]); // [ 0, 1, 1, 0 ] [ 0, 1, 0, 0 ]
 * ```
 */
export function markGlobals(
  ops: readonly IrOp[],
  numGlobals: number,
  used: Uint8Array,
  written: Uint8Array,
): void {
  const read = (t: Temp) => {
    if (t >= 0 && t < numGlobals) used[t] = 1;
  };
  for (const o of ops) {
    const w = visitOperands(o, read);
    if (w >= 0 && w < numGlobals) used[w] = written[w] = 1;
  }
}

/** Opcode names, for dumps. */
export const OP_NAMES: readonly string[] = Object.entries(Op)
  .sort((x, y) => x[1] - y[1])
  .map(([name]) => name.toLowerCase());

/**
 * What kind of precise exception a `RAISE` op or a faulting access reports.
 *
 * @example
 * ```ts
 * import { TrapKind } from "./ir.ts";
 * console.log(TrapKind.MEMORY); // 3
 * ```
 */
export const TrapKind = {
  /** A system call instruction (RISC-V `ecall`). */
  SYSCALL: 0,
  /** A breakpoint instruction (RISC-V `ebreak`). */
  BREAKPOINT: 1,
  /** An illegal or unimplemented encoding. `a` holds the instruction bits. */
  ILLEGAL: 2,
  /** A memory access fault. `a` holds the faulting address. */
  MEMORY: 3,
  /** A misaligned access the target does not allow. */
  MISALIGNED: 4,
  /** Any other target-defined trap (the cause says which). */
  TARGET: 5,
} as const;
/**
 * A trap kind.
 *
 * @example
 * ```ts
 * import { TrapKind } from "./ir.ts";
 * const k: TrapKind = TrapKind.SYSCALL;
 * ```
 */
export type TrapKind = typeof TrapKind[keyof typeof TrapKind];

/** One IR instruction. Unused fields are 0. */
export interface IrOp {
  /** the operation ({@linkcode Op}); it says which of the other fields it reads */
  op: Op;
  /** destination temp */
  d: Temp;
  /** first source temp */
  a: Temp;
  /** second source temp */
  b: Temp;
  /** third source temp (MOVCOND's "then" value, RAISE's cause) */
  c: Temp;
  /** fourth source temp (MOVCOND's "else" value) */
  e: Temp;
  /** immediate: MOVI value, LOAD/STORE offset, host address, helper index, trap kind */
  imm: bigint;
  /** SETCOND, MOVCOND, BRCOND: the condition */
  cond: Cond;
  /** LOAD, STORE: access size in bytes (1, 2, 4, 8); INSN_START: instruction index in the TB */
  size: number;
  /** BRCOND, BR, LABEL: the label */
  label: Label;
  /** LOAD: sign-extend the loaded value */
  signed: boolean;
  /** CALL: argument temps */
  args: readonly Temp[];
  /** INSN_START, GOTO_TB: a guest pc; COUNTER_ADD: the addend */
  pc: bigint;
}

/** Flags describing what a helper may do, so a backend knows what to sync. */
export interface HelperFlags {
  /** The helper reads guest registers from the state block (globals must be written back first). */
  readsState?: boolean;
  /** The helper writes guest registers in the state block (globals must be reloaded after). */
  writesState?: boolean;
  /** The helper may throw a guest trap (the pc of the current instruction must be stored). */
  mayTrap?: boolean;
  /**
   * The helper may ask to leave generated code at the next instruction boundary
   * (`cpu.exitRequest`: stop requests, hook changes) or drop translated code
   * (`fence.i`), without trapping.
   */
  mayExit?: boolean;
  /**
   * The helper reads or writes guest memory itself, through `CpuCore.load`
   * and `CpuCore.store` (vector loads and stores): memory hooks on its
   * instruction are armed around the call (see `CpuCore.helperAccessWatch`).
   */
  accessesMemory?: boolean;
  /**
   * The helper may change what the target's TB flags depend on without
   * writing globals (RISC-V's vsetvl: vtype): the TB's exits then go through
   * the run loop, which looks the next TB up with the new flags, never
   * straight to translated code of the old flags (chaining, a jump inside
   * the region).
   */
  changesTbFlags?: boolean;
}

/**
 * A helper: a target function that does the hard part of an instruction
 * (floating point, CSRs). Called with the CPU and the argument values.
 *
 * @example
 * ```ts
 * import type { HelperDef } from "./ir.ts";
 * const add3: HelperDef = { name: "add3", fn: (_cpu, a, b, c) => a + b + c, hasResult: true };
 * ```
 */
export interface HelperDef {
  /** A unique name, shown in IR dumps. */
  name: string;
  /**
   * The implementation. Arguments are bigints (numbers with `smallArgs`);
   * returns the result as a bigint when `hasResult`.
   */
  // deno-lint-ignore no-explicit-any
  fn: (cpu: any, ...args: any[]) => bigint | void;
  /**
   * Every argument fits in a signed 32-bit integer and arrives as a JS number:
   * calls from compiled code then need no BigInt conversion (instrumentation
   * callbacks use this).
   */
  smallArgs?: boolean;
  /** Whether the helper produces a value (written to the CALL's `d`). */
  hasResult: boolean;
  /** What the helper touches. */
  flags?: HelperFlags;
  /**
   * The helper bound to the constant arguments of one CALL, as compiled code may import it in
   * place of the backend's generic wrapper around `fn`: one JS frame per call, no lookup by
   * argument, and call sites that see only this call's callee (instrumentation callbacks, called
   * once per block or instruction, bound to their callback, pc and size). Used for helpers with
   * `smallArgs`, no result and no flags but `mayExit` (an exit request reaches compiled code by
   * itself: `CpuCore.onExitRequest`); it must not throw guest traps.
   */
  bind?: (...args: number[]) => () => void;
}

/**
 * A finished TB body: the ops plus what they need.
 *
 * @example
 * ```ts
 * import { IrBuilder } from "./ir_builder.ts";
 * const b = new IrBuilder(32);
 * b.gotoTb(0x1000n);
 * const block = b.finish();
 * console.log(block.ops.length, block.numTemps); // 1 32
 * ```
 */
export interface IrBlock {
  /** the ops in execution order (branches go to LABEL ops by label number) */
  ops: IrOp[];
  /** Number of temps (globals included); instrumentation may add temps. */
  numTemps: number;
  /** Number of labels. */
  numLabels: number;
}
