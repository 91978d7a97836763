/**
 * The JIT's vector ops (`VDUP` and the slot-to-slot ALU ops, see "Vector
 * ops" in `ir.ts`) as wasm SIMD: each loads its source slots with
 * `v128.load`, applies one lane op and stores the destination slot. The two
 * lane ops wasm lacks are built from others:
 * - `i8x16.mul`: the 16-bit products of the low and high byte halves
 *   (`i16x8.extmul_*_i8x16_u`), cut to their low bytes and narrowed back;
 * - 64-bit minimum and maximum: `i64x2.lt_s`/`gt_s` and `v128.bitselect`,
 *   the sign bits flipped first for the unsigned ones.
 *
 * Guest loads and stores of slots (`VLD`, `VST`) need the soft TLB and slow
 * paths, so `region_compiler.ts` emits them.
 *
 * @module
 */

import { type IrOp, Op } from "../ir.ts";
import { W, type WasmCode } from "./wasm_code.ts";

/** The SIMD prefix byte: every v128 opcode is this, then its number as a LEB128. */
const SIMD = 0xfd;

/** SIMD opcode numbers (the wasm SIMD proposal's binary encoding). */
export const V = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  and: 0x4e,
  or: 0x50,
  xor: 0x51,
  bitselect: 0x52,
  i8x16NarrowI16x8U: 0x66,
  i16x8ExtmulLowI8x16U: 0x9e,
  i16x8ExtmulHighI8x16U: 0x9f,
  i64x2LtS: 0xd8,
  i64x2GtS: 0xd9,
  i8x16Swizzle: 0x0e,
} as const;

/** Lane-wise equality opcodes by lane size in bytes. */
const EQ: Record<number, number> = { 1: 0x23, 2: 0x2d, 4: 0x37, 8: 0xd6 };

/** Splat opcodes by lane size in bytes. */
const SPLAT: Record<number, number> = { 1: 0x0f, 2: 0x10, 4: 0x11, 8: 0x12 };

/**
 * Lane ops by IR op, then lane size: add, sub, mul, min/max (signed and
 * unsigned), shifts (`shl`, `shr_u`, `shr_s`). Missing entries are built in
 * {@linkcode emitVectorAlu}.
 */
const LANE_OPS: Partial<Record<Op, Record<number, number>>> = {
  [Op.VADD]: { 1: 0x6e, 2: 0x8e, 4: 0xae, 8: 0xce },
  [Op.VSUB]: { 1: 0x71, 2: 0x91, 4: 0xb1, 8: 0xd1 },
  [Op.VMUL]: { 2: 0x95, 4: 0xb5, 8: 0xd5 },
  [Op.VMIN]: { 1: 0x76, 2: 0x96, 4: 0xb6 },
  [Op.VMINU]: { 1: 0x77, 2: 0x97, 4: 0xb7 },
  [Op.VMAX]: { 1: 0x78, 2: 0x98, 4: 0xb8 },
  [Op.VMAXU]: { 1: 0x79, 2: 0x99, 4: 0xb9 },
  [Op.VSHL]: { 1: 0x6b, 2: 0x8b, 4: 0xab, 8: 0xcb },
  [Op.VSHR]: { 1: 0x6d, 2: 0x8d, 4: 0xad, 8: 0xcd },
  [Op.VSAR]: { 1: 0x6c, 2: 0x8c, 4: 0xac, 8: 0xcc },
};

/** The bitwise ops, the same for every lane size. */
const BITWISE: Partial<Record<Op, number>> = { [Op.VAND]: V.and, [Op.VOR]: V.or, [Op.VXOR]: V.xor };

/** Emits SIMD opcode `n`. */
function simd(c: WasmCode, n: number): WasmCode {
  return c.op(SIMD).uleb(n);
}

/** Emits `v128.load` (or `store`) at host address `offset` plus the i32 on the stack. */
export function simdMem(c: WasmCode, n: number, offset: number): WasmCode {
  return simd(c, n).uleb(0).uleb(offset);
}

/** Pushes the slot at host address `at`. */
function slot(c: WasmCode, at: number): WasmCode {
  return simdMem(c.i32Const(0), V.load, at);
}

/** Pushes a v128 constant with every 64-bit lane `v`. */
function const64(c: WasmCode, v: bigint): WasmCode {
  simd(c, V.const);
  for (let i = 0; i < 16; i++) c.raw([Number((v >> BigInt((i & 7) * 8)) & 0xffn)]);
  return c;
}

/** Pushes a v128 constant whose lanes of `size` bytes are `lane(i)`. */
function constLanes(c: WasmCode, size: number, lane: (i: number) => number): WasmCode {
  simd(c, V.const);
  for (let at = 0; at < 16; at++) c.raw([at % size === 0 ? lane(at / size) & 0xff : 0]);
  return c;
}

/**
 * Mask lanes: the mask bits from bit `first` (one per lane) splatted, so
 * that every lane holds them all (i8 lanes their byte, by a swizzle), cut
 * to the lane's own bit and compared with it.
 */
function maskLanes(c: WasmCode, size: number, at: number, first: number): void {
  const bit = (i: number) => 1 << (i % 8);
  c.i32Const(0).mem(size === 1 ? W.i32Load16U : W.i32Load8U, at + (first >> 3));
  if (first & 7) c.i32Const(first & 7).op(W.i32ShrU);
  if (size === 8) c.op(W.i64ExtendI32U);
  simd(c, SPLAT[size === 1 ? 2 : size]);
  if (size === 1) simd(constLanes(c, 1, (i) => (i < 8 ? 0 : 1)), V.i8x16Swizzle);
  simd(constLanes(c, size, (i) => bit(i)), V.and);
  simd(constLanes(c, size, (i) => bit(i)), EQ[size]);
}

/** i8x16 multiply: the low bytes of the 16-bit products of each half, narrowed. */
function mul8(c: WasmCode, a: number, b: number): void {
  for (const half of [V.i16x8ExtmulLowI8x16U, V.i16x8ExtmulHighI8x16U]) {
    simd(slot(slot(c, a), b), half);
    simd(const64(c, 0x00ff00ff00ff00ffn), V.and);
  }
  simd(c, V.i8x16NarrowI16x8U);
}

/** i64x2 minimum or maximum: bitselect(a, b, a < b) (or a > b), sign bits flipped if unsigned. */
function minMax64(c: WasmCode, op: Op, a: number, b: number): void {
  slot(slot(c, a), b);
  const unsigned = op === Op.VMINU || op === Op.VMAXU;
  for (const s of [a, b]) {
    slot(c, s);
    if (unsigned) simd(const64(c, 1n << 63n), V.xor);
  }
  simd(c, op === Op.VMIN || op === Op.VMINU ? V.i64x2LtS : V.i64x2GtS);
  simd(c, V.bitselect);
}

/**
 * Emits vector op `o` but `VLD`/`VST`; `src` gives a temp as a wasm local or a constant.
 *
 * @example
 * ```ts ignore
 * if (isVectorOp(o.op)) emitVectorAlu(c, o, src);
 * ```
 */
export function emitVectorAlu(c: WasmCode, o: IrOp, src: (t: number) => number | bigint): void {
  c.i32Const(0); // the destination's address, under the value
  if (o.op === Op.VMASK) maskLanes(c, o.size, o.a, Number(o.imm));
  else if (o.op === Op.VDUP) {
    c.operand(src(o.a));
    if (o.size < 8) c.op(W.i32WrapI64);
    simd(c, SPLAT[o.size]);
  } else if (o.op >= Op.VSHL) {
    slot(c, o.a).operand(src(o.b)).op(W.i32WrapI64);
    simd(c, LANE_OPS[o.op]![o.size]);
  } else if (BITWISE[o.op] !== undefined) {
    simd(slot(slot(c, o.a), o.b), BITWISE[o.op]!);
  } else if (LANE_OPS[o.op]![o.size] !== undefined) {
    simd(slot(slot(c, o.a), o.b), LANE_OPS[o.op]![o.size]);
  } else if (o.op === Op.VMUL) mul8(c, o.a, o.b);
  else minMax64(c, o.op, o.a, o.b);
  simdMem(c, V.store, o.d);
}
