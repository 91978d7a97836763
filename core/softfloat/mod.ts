/**
 * Bit-exact IEEE-754 binary16/binary32/binary64 software floating point with RISC-V
 * (QEMU softfloat) semantics: canonical NaNs, tininess after rounding,
 * RISC-V fflags bit layout and all five frm rounding modes.
 *
 * @example
 * ```ts
 * import { fadd, RoundingMode } from "./mod.ts";
 * const env = { rm: RoundingMode.RNE, flags: 0 };
 * fadd("f32", 0x3f800000n, 0x3f800000n, env); // 0x40000000n
 * ```
 *
 * @module
 */

export {
  CANONICAL_NAN_F16,
  CANONICAL_NAN_F32,
  CANONICAL_NAN_F64,
  type FloatEnv,
  FloatFlag,
  type FloatFormat,
  nanBox16,
  nanBox32,
  RoundingMode,
  unboxF16,
  unboxF32,
} from "./format.ts";
export { fadd, fdiv, fmul, fsqrt, fsub } from "./arith.ts";
export { fmuladd } from "./fma.ts";
export {
  addF32Number,
  addF64Number,
  fmaF32Number,
  fmaF64Number,
  mulF32Number,
  mulF64Number,
} from "./fast.ts";
export { fclass, feq, fle, flt, fmax, fmin } from "./compare.ts";
export { fcvtFF, fcvtFromInt, fcvtToInt } from "./convert.ts";
