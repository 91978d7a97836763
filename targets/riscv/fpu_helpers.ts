/**
 * Floating-point helpers: the Zfh, F and D operations that need soft-float, built
 * from tables so every (operation, format) pair is one generated helper.
 *
 * Conventions:
 * - operands arrive as raw 64-bit register values; half- and single-precision
 *   operands are unboxed (an improperly NaN-boxed value reads as the canonical
 *   NaN) and their results are NaN-boxed;
 * - helpers with a rounding mode take the instruction bits as their last
 *   argument and read rm from bits 14:12; rm 7 means frm, and a reserved
 *   rounding mode (5, 6, or dynamic with frm >= 5) raises an illegal
 *   instruction trap carrying the instruction bits;
 * - exception flags are OR-ed into fflags.
 *
 * Helper names follow the instructions, `fcvt_<to>_<from>`: `fadd_f64`,
 * `fmadd_f32`, `fcvt_w_f64`, `fcvt_f32_lu`, `fcvt_f32_f64`, `fclass_f32`...
 *
 * @module
 */

import {
  type CpuCore,
  fadd,
  fclass,
  fcvtFF,
  fcvtFromInt,
  fcvtToInt,
  fdiv,
  feq,
  fle,
  type FloatEnv,
  type FloatFormat,
  flt,
  fmax,
  fmin,
  fmul,
  fmuladd,
  fsqrt,
  fsub,
  GuestTrap,
  type HelperDef,
  nanBox16,
  nanBox32,
  TrapKind,
  unboxF16,
  unboxF32,
} from "../../plugin_target.ts";
import { Cause } from "./causes.ts";
import { RiscvState } from "./state.ts";

/**
 * The FP formats: Zfh's half, F's single and D's double.
 *
 * @example
 * ```ts
 * import { FP_FORMATS } from "./fpu_helpers.ts";
 * console.log(FP_FORMATS.join(",")); // "f16,f32,f64"
 * ```
 */
export const FP_FORMATS: readonly FloatFormat[] = ["f16", "f32", "f64"];

/**
 * An integer operand/result of a conversion: RISC-V's w, wu, l, lu.
 *
 * @example
 * ```ts
 * import { INT_KINDS } from "./fpu_helpers.ts";
 * console.log(INT_KINDS.wu); // { bits: 32, signed: false }
 * ```
 */
export const INT_KINDS = {
  w: { bits: 32, signed: true },
  wu: { bits: 32, signed: false },
  l: { bits: 64, signed: true },
  lu: { bits: 64, signed: false },
} as const;

/**
 * The integer kinds of conversions.
 *
 * @example
 * ```ts
 * import type { IntKind } from "./fpu_helpers.ts";
 * const kind: IntKind = "lu";
 * ```
 */
export type IntKind = keyof typeof INT_KINDS;

/** Reads an FP operand of format `fmt` out of a 64-bit register value (NaN-boxing). */
function operand(fmt: FloatFormat, reg: bigint): bigint {
  if (fmt === "f64") return BigInt.asUintN(64, reg);
  return fmt === "f32" ? unboxF32(reg) : unboxF16(reg);
}

/** Packs an FP result of format `fmt` into a 64-bit register value. */
function result(fmt: FloatFormat, v: bigint): bigint {
  if (fmt === "f64") return v;
  return fmt === "f32" ? nanBox32(v) : nanBox16(v);
}

/**
 * The float environment for the instruction with `insnBits`: its static
 * rounding mode or frm, or an illegal-instruction trap for a reserved mode.
 *
 * @example
 * ```ts ignore
 * const env = roundingEnv(cpu, insnBits);
 * const r = fadd("f64", a, b, env);
 * accrueFlags(cpu, env);
 * ```
 */
export function roundingEnv(cpu: CpuCore, insnBits: bigint): FloatEnv {
  let rm = Number((insnBits >> 12n) & 7n);
  if (rm === 7) rm = Number((cpu.getState(RiscvState.FCSR) >> 5n) & 7n);
  if (rm > 4) {
    throw new GuestTrap(TrapKind.ILLEGAL, Cause.ILLEGAL_INSN, BigInt.asUintN(32, insnBits));
  }
  return { rm, flags: 0 };
}

/**
 * ORs the exception flags of `env` into fflags.
 *
 * @example
 * ```ts ignore
 * accrueFlags(cpu, { rm: 0, flags: FloatFlag.NX });
 * ```
 */
export function accrueFlags(cpu: CpuCore, env: FloatEnv): void {
  if (env.flags) cpu.setState(RiscvState.FCSR, cpu.getState(RiscvState.FCSR) | BigInt(env.flags));
}

/** A helper that rounds (takes the instruction bits last and may trap on rm). */
function rounding(
  name: string,
  compute: (env: FloatEnv, ...args: bigint[]) => bigint,
): HelperDef {
  return {
    name,
    hasResult: true,
    flags: { mayTrap: true },
    fn: (cpu: CpuCore, ...args: bigint[]) => {
      const env = roundingEnv(cpu, args[args.length - 1]);
      const r = compute(env, ...args.slice(0, -1));
      accrueFlags(cpu, env);
      return r;
    },
  };
}

/** A helper that does not round but may set flags (min/max, comparisons). */
function flagging(name: string, compute: (env: FloatEnv, ...args: bigint[]) => bigint): HelperDef {
  return {
    name,
    hasResult: true,
    fn: (cpu: CpuCore, ...args: bigint[]) => {
      const env = { rm: 0, flags: 0 };
      const r = compute(env, ...args);
      accrueFlags(cpu, env);
      return r;
    },
  };
}

type Binary = (fmt: FloatFormat, a: bigint, b: bigint, env: FloatEnv) => bigint;

const ROUNDED_BINARY: Record<string, Binary> = { fadd, fsub, fmul, fdiv };
const UNROUNDED_BINARY: Record<string, Binary> = { fmin, fmax };
const COMPARISONS: Record<string, Binary> = { feq, flt, fle };

/**
 * The four fused multiply-adds: which of product and addend are negated.
 *
 * @example
 * ```ts
 * import { FMA_KINDS } from "./fpu_helpers.ts";
 * console.log(FMA_KINDS.fnmadd); // { negateProduct: true, negateAddend: true }
 * ```
 */
export const FMA_KINDS: Record<string, { negateProduct: boolean; negateAddend: boolean }> = {
  fmadd: { negateProduct: false, negateAddend: false },
  fmsub: { negateProduct: false, negateAddend: true },
  fnmsub: { negateProduct: true, negateAddend: false },
  fnmadd: { negateProduct: true, negateAddend: true },
};

function formatHelpers(fmt: FloatFormat): HelperDef[] {
  const out: HelperDef[] = [];
  const x = (v: bigint) => operand(fmt, v);
  for (const [name, op] of Object.entries(ROUNDED_BINARY)) {
    out.push(rounding(`${name}_${fmt}`, (env, a, b) => result(fmt, op(fmt, x(a), x(b), env))));
  }
  for (const [name, op] of Object.entries(UNROUNDED_BINARY)) {
    out.push(flagging(`${name}_${fmt}`, (env, a, b) => result(fmt, op(fmt, x(a), x(b), env))));
  }
  for (const [name, op] of Object.entries(COMPARISONS)) {
    out.push(flagging(`${name}_${fmt}`, (env, a, b) => op(fmt, x(a), x(b), env)));
  }
  for (const [name, k] of Object.entries(FMA_KINDS)) {
    out.push(
      rounding(
        `${name}_${fmt}`,
        (env, a, b, c) =>
          result(fmt, fmuladd(fmt, x(a), x(b), x(c), env, k.negateProduct, k.negateAddend)),
      ),
    );
  }
  out.push(rounding(`fsqrt_${fmt}`, (env, a) => result(fmt, fsqrt(fmt, x(a), env))));
  out.push({ name: `fclass_${fmt}`, hasResult: true, fn: (_cpu, a) => fclass(fmt, x(a)) });
  for (const [kind, { bits, signed }] of Object.entries(INT_KINDS)) {
    out.push(rounding(`fcvt_${kind}_${fmt}`, (env, a) => fcvtToInt(fmt, x(a), bits, signed, env)));
    out.push(
      rounding(
        `fcvt_${fmt}_${kind}`,
        (env, v) => result(fmt, fcvtFromInt(fmt, BigInt.asUintN(64, v), bits, signed, env)),
      ),
    );
  }
  return out;
}

/**
 * Every FP helper.
 *
 * @example
 * ```ts
 * import { fpuHelpers } from "./fpu_helpers.ts";
 * console.log(fpuHelpers().some((h) => h.name === "fmadd_f64")); // true
 * ```
 */
export function fpuHelpers(): HelperDef[] {
  return [
    ...FP_FORMATS.flatMap(formatHelpers),
    ...FP_FORMATS.flatMap((to) =>
      FP_FORMATS.filter((from) => from !== to).map((from) =>
        rounding(
          `fcvt_${to}_${from}`,
          (env, a) => result(to, fcvtFF(from, to, operand(from, a), env)),
        )
      )
    ),
  ];
}
