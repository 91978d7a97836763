/**
 * Small internal wasm functions the JIT puts in every module for IR ops
 * that WebAssembly has no single instruction for: the high half of 64x64
 * products and total (never trapping) division with the IR's results.
 *
 * @module
 */

import { I64, W, WasmCode, type WasmFunctionSpec } from "./wasm_code.ts";
import { Op } from "../ir.ts";

const MASK32 = 0xffffffffn;

/** mulhu(a, b): high 64 bits of the unsigned 128-bit product. Locals: 2..5 scratch. */
function mulhuBody(): WasmCode {
  const c = new WasmCode();
  const [A, B, AH, BH, T, K] = [0, 1, 2, 3, 4, 5];
  c.localGet(A).i64Const(32n).op(W.i64ShrU).localSet(AH);
  c.localGet(B).i64Const(32n).op(W.i64ShrU).localSet(BH);
  c.localGet(A).i64Const(MASK32).op(W.i64And).localSet(A);
  c.localGet(B).i64Const(MASK32).op(W.i64And).localSet(B);
  // k = (alo*blo) >> 32
  c.localGet(A).localGet(B).op(W.i64Mul).i64Const(32n).op(W.i64ShrU).localSet(K);
  // t = ahi*blo + k
  c.localGet(AH).localGet(B).op(W.i64Mul).localGet(K).op(W.i64Add).localSet(T);
  // k = (alo*bhi + (t & mask)) >> 32
  c.localGet(A).localGet(BH).op(W.i64Mul).localGet(T).i64Const(MASK32).op(W.i64And)
    .op(W.i64Add).i64Const(32n).op(W.i64ShrU).localSet(K);
  // ahi*bhi + (t >> 32) + k
  c.localGet(AH).localGet(BH).op(W.i64Mul).localGet(T).i64Const(32n).op(W.i64ShrU).op(W.i64Add)
    .localGet(K).op(W.i64Add);
  return c;
}

/** `(x < 0 ? y : 0)` onto the stack. */
function ifNegative(c: WasmCode, x: number, y: number): void {
  c.localGet(y).i64Const(0n).localGet(x).i64Const(0n).op(W.i64LtS).op(W.select);
}

function mulhsBody(signedB: boolean, mulhu: number): WasmCode {
  const c = new WasmCode();
  c.localGet(0).localGet(1).call(mulhu);
  ifNegative(c, 0, 1);
  c.op(W.i64Sub);
  if (signedB) {
    ifNegative(c, 1, 0);
    c.op(W.i64Sub);
  }
  return c;
}

/**
 * Total division. For 32-bit forms the operands are first narrowed (sign- or
 * zero-extended from 32 bits) and the result sign-extended from 32 bits.
 */
function divBody(kind: "div" | "divu" | "rem" | "remu", w32: boolean): WasmCode {
  const c = new WasmCode();
  const A = 0, B = 1, D = 2;
  const signed = kind === "div" || kind === "rem";
  if (w32) {
    for (const x of [A, B]) {
      c.localGet(x);
      if (signed) c.op(W.i64Extend32S);
      else c.i64Const(MASK32).op(W.i64And);
      c.localSet(x);
    }
  }
  const min = w32 ? -(1n << 31n) : -(1n << 63n);
  // safe divisor: 1 when b == 0 or (signed and a == MIN and b == -1)
  c.i64Const(1n).localGet(B);
  c.localGet(B).op(W.i64Eqz);
  if (signed) {
    c.localGet(A).i64Const(min).op(W.i64Eq).localGet(B).i64Const(-1n).op(W.i64Eq).op(W.i32And);
    c.op(W.i32Or);
  }
  c.op(W.select).localSet(D);
  // result when b == 0: div -> -1, rem -> a; otherwise a op d
  if (kind === "div" || kind === "divu") c.i64Const(-1n);
  else c.localGet(A);
  c.localGet(A).localGet(D);
  c.op({ div: W.i64DivS, divu: W.i64DivU, rem: W.i64RemS, remu: W.i64RemU }[kind]);
  c.localGet(B).op(W.i64Eqz).op(W.select);
  if (w32) c.op(W.i64Extend32S);
  return c;
}

/** The IR ops implemented by internal functions, in function order. */
export const HELPER_OPS: Op[] = [
  Op.MULHU,
  Op.MULHS,
  Op.MULHSU,
  Op.DIV,
  Op.DIVU,
  Op.REM,
  Op.REMU,
  Op.DIV32,
  Op.DIVU32,
  Op.REM32,
  Op.REMU32,
];

/**
 * The internal functions, given the wasm function index of the first one.
 * Function `first + HELPER_OPS.indexOf(op)` implements `op`.
 *
 * @example
 * ```ts
 * import { internalFunctions } from "./wasm_helpers.ts";
 * const fns = internalFunctions(3);
 * console.log(fns.length); // 11
 * ```
 */
export function internalFunctions(first: number): WasmFunctionSpec[] {
  const mulhu = first;
  const bin = (name: string, body: WasmCode, locals: number[] = []): WasmFunctionSpec => ({
    name,
    params: [I64, I64],
    result: I64,
    locals,
    body,
  });
  return [
    bin("mulhu", mulhuBody(), [I64, I64, I64, I64]),
    bin("mulhs", mulhsBody(true, mulhu)),
    bin("mulhsu", mulhsBody(false, mulhu)),
    bin("div", divBody("div", false), [I64]),
    bin("divu", divBody("divu", false), [I64]),
    bin("rem", divBody("rem", false), [I64]),
    bin("remu", divBody("remu", false), [I64]),
    bin("div32", divBody("div", true), [I64]),
    bin("divu32", divBody("divu", true), [I64]),
    bin("rem32", divBody("rem", true), [I64]),
    bin("remu32", divBody("remu", true), [I64]),
  ];
}
