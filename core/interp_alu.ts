/**
 * The integer and binary64 ALU of the IR on bigints, as the reference interpreter (and the
 * folder, and the interpreter tier for its rare ops) evaluates it.
 *
 * @module
 */

import { InternalError } from "./errors.ts";
import { Cond, Op } from "./ir.ts";

const MIN64 = -(1n << 63n);
const MIN32 = -(1n << 31n);

/** Evaluates a comparison on signed 64-bit values. */
export function compare(cond: Cond, a: bigint, b: bigint): boolean {
  switch (cond) {
    case Cond.EQ:
      return a === b;
    case Cond.NE:
      return a !== b;
    case Cond.LT:
      return a < b;
    case Cond.GE:
      return a >= b;
    case Cond.LE:
      return a <= b;
    case Cond.GT:
      return a > b;
    case Cond.LTU:
      return BigInt.asUintN(64, a) < BigInt.asUintN(64, b);
    case Cond.GEU:
      return BigInt.asUintN(64, a) >= BigInt.asUintN(64, b);
    case Cond.LEU:
      return BigInt.asUintN(64, a) <= BigInt.asUintN(64, b);
    default:
      return BigInt.asUintN(64, a) > BigInt.asUintN(64, b);
  }
}

const f64View = new Float64Array(1);
const i64View = new BigInt64Array(f64View.buffer);

/** Applies `f` to `a` and `b` read as binary64 bit patterns. */
function floatOp(a: bigint, b: bigint, f: (x: number, y: number) => number): bigint {
  i64View[0] = a;
  const x = f64View[0];
  i64View[0] = b;
  f64View[0] = f(x, f64View[0]);
  return i64View[0];
}

const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);
const u32 = (v: bigint) => BigInt.asUintN(32, v);

/**
 * Evaluates a binary ALU op or extension on signed 64-bit values. The common ops call
 * `BigInt.asIntN(64, ...)` themselves, around every result that can pass 64 bits (also under a
 * 32-bit one): TurboFan then does them in 64-bit machine arithmetic with no overflow check. Through
 * the `s64`/`s32` helpers it kept a check that deoptimised `alu` on the first overflowing
 * product, and again after each recompile.
 */
export function alu(op: Op, a: bigint, b: bigint): bigint {
  switch (op) {
    case Op.ADD:
      return BigInt.asIntN(64, a + b);
    case Op.SUB:
      return BigInt.asIntN(64, a - b);
    case Op.MUL:
      return BigInt.asIntN(64, a * b);
    case Op.AND:
      return a & b;
    case Op.OR:
      return a | b;
    case Op.XOR:
      return a ^ b;
    case Op.SHL:
      return BigInt.asIntN(64, a << (b & 63n));
    case Op.SHR:
      return BigInt.asIntN(64, BigInt.asUintN(64, a) >> (b & 63n));
    case Op.SAR:
      return a >> (b & 63n);
    case Op.ADD32:
      return BigInt.asIntN(32, BigInt.asIntN(64, a + b));
    case Op.SUB32:
      return BigInt.asIntN(32, BigInt.asIntN(64, a - b));
    case Op.MUL32:
      return BigInt.asIntN(32, BigInt.asIntN(64, a * b));
    case Op.SHL32:
      return BigInt.asIntN(32, BigInt.asIntN(64, a << (b & 31n)));
    case Op.SHR32:
      return BigInt.asIntN(32, BigInt.asUintN(32, a) >> (b & 31n));
    case Op.SAR32:
      return BigInt.asIntN(32, a) >> (b & 31n);
    case Op.EXT8S:
      return BigInt.asIntN(8, a);
    case Op.EXT8U:
      return BigInt.asUintN(8, a);
    case Op.EXT16S:
      return BigInt.asIntN(16, a);
    case Op.EXT16U:
      return BigInt.asUintN(16, a);
    case Op.EXT32S:
      return BigInt.asIntN(32, a);
    case Op.EXT32U:
      return BigInt.asUintN(32, a);
    default:
      return rareAlu(op, a, b);
  }
}

/** The ALU ops that {@linkcode alu} leaves out of its hot switch: high products, division, binary64. */
function rareAlu(op: Op, a: bigint, b: bigint): bigint {
  switch (op) {
    case Op.MULHS:
      return s64((a * b) >> 64n);
    case Op.MULHU:
      return s64((u64(a) * u64(b)) >> 64n);
    case Op.MULHSU:
      return s64((a * u64(b)) >> 64n);
    case Op.DIV:
      if (b === 0n) return -1n;
      if (a === MIN64 && b === -1n) return MIN64;
      return s64(a / b);
    case Op.DIVU:
      return b === 0n ? -1n : s64(u64(a) / u64(b));
    case Op.REM:
      if (b === 0n) return a;
      if (a === MIN64 && b === -1n) return 0n;
      return a % b;
    case Op.REMU:
      return b === 0n ? a : s64(u64(a) % u64(b));
    case Op.DIV32: {
      const x = s32(a), y = s32(b);
      if (y === 0n) return -1n;
      if (x === MIN32 && y === -1n) return MIN32;
      return s32(x / y);
    }
    case Op.DIVU32: {
      const y = u32(b);
      return y === 0n ? -1n : s32(u32(a) / y);
    }
    case Op.REM32: {
      const x = s32(a), y = s32(b);
      if (y === 0n) return x;
      if (x === MIN32 && y === -1n) return 0n;
      return x % y;
    }
    case Op.REMU32: {
      const y = u32(b);
      return y === 0n ? s32(a) : s32(u32(a) % y);
    }
    case Op.FADD64:
      return floatOp(a, b, (x, y) => x + y);
    case Op.FSUB64:
      return floatOp(a, b, (x, y) => x - y);
    case Op.FMUL64:
      return floatOp(a, b, (x, y) => x * y);
    case Op.FDIV64:
      return floatOp(a, b, (x, y) => x / y);
    case Op.FSQRT64:
      return floatOp(a, 0n, Math.sqrt);
    case Op.I64_TO_F64:
      f64View[0] = Number(a);
      return i64View[0];
    default:
      throw new InternalError(`not an ALU op: ${op}`);
  }
}
