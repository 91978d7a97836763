/**
 * The floating-point operations that dominate numeric loops (fadd, fsub, fmul, fmla, fmls on
 * single or double AdvSIMD lanes; scalar fadd, fsub, fmul, fnmul and the fused multiply-adds) on
 * the host's `number` arithmetic, read and written as floats
 * in the state block. It applies only where the result and flags are provably those of the
 * general paths (`simd_fp.ts`, `fp_helpers.ts`): FPCR in round-to-nearest without flush-to-zero, and every lane's
 * operands and result comfortably normal (`core/softfloat/fast.ts`). Anything else (a NaN, an
 * infinity, a zero product, a result near the ends of the range) makes it decline before it
 * writes anything, and the general path runs.
 *
 * @module
 */

import {
  addF32Number,
  addF64Number,
  type CpuCore,
  type FloatEnv,
  fmaF32Number,
  fmaF64Number,
  mulF32Number,
  mulF64Number,
} from "../../plugin_target.ts";
import { A64 } from "./state.ts";

/** A lane on numbers: `undefined` when the fast path cannot prove its answer. */
type NumberLane = (x: number, y: number, acc: number, env: FloatEnv) => number | undefined;

/** Both formats' lane functions of an operation. */
const both = (
  g: (add: typeof addF64Number, mul: typeof mulF64Number, fma: typeof fmaF64Number) => NumberLane,
): [NumberLane, NumberLane] => [
  g(addF32Number, mulF32Number, fmaF32Number),
  g(addF64Number, mulF64Number, fmaF64Number),
];

/**
 * The lane functions of the operations that have one, for single and for double lanes: the
 * vector ones by their names in `simd_fp.ts`, the scalar ones by their mnemonics (fmadd: `acc`
 * is Va).
 */
const NUMBER_LANES: Record<string, [NumberLane, NumberLane]> = {
  fadd: both((add) => (x, y, _a, env) => add(x, y, env)),
  fsub: both((add) => (x, y, _a, env) => add(x, -y, env)),
  fmul: both((_add, mul) => (x, y, _a, env) => mul(x, y, env)),
  fnmul: both((_add, mul) => (x, y, _a, env) => negate(mul(x, y, env))),
  fmla: both((_add, _mul, fma) => (x, y, a, env) => fma(x, y, a, env)),
  fmls: both((_add, _mul, fma) => (x, y, a, env) => fma(-x, y, a, env)),
  fmadd: both((_add, _mul, fma) => (x, y, a, env) => fma(x, y, a, env)),
  fmsub: both((_add, _mul, fma) => (x, y, a, env) => fma(-x, y, a, env)),
  fnmadd: both((_add, _mul, fma) => (x, y, a, env) => fma(-x, y, -a, env)),
  fnmsub: both((_add, _mul, fma) => (x, y, a, env) => fma(x, y, -a, env)),
};

/** `-x`, or undefined. */
const negate = (x: number | undefined) => x === undefined ? undefined : -x;

/**
 * The fast lane-wise form of each operation by its number in `names`, or undefined where there
 * is none.
 *
 * @example
 * ```ts
 * import { numberLanes } from "./simd_fp_fast.ts";
 * console.log(numberLanes(["fabs", "fmla"]).map((l) => l !== undefined)); // [ false, true ]
 * ```
 */
export function numberLanes(names: readonly string[]): ([NumberLane, NumberLane] | undefined)[] {
  return names.map((name) => NUMBER_LANES[name]);
}

/** Byte offset in host memory of byte `at` (0-15) of Vn. */
function laneOffset(cpu: CpuCore, n: number, at: number): number {
  return cpu.globalHostOffset(at < 8 ? A64.vLow(n) : A64.vHigh(n)) + (at & 7);
}

/** Lane `i` of Vn, `e` bytes (4 or 8), as a number. */
function readLane(cpu: CpuCore, n: number, e: number, i: number): number {
  const at = laneOffset(cpu, n, i * e);
  return e === 8 ? cpu.host.dv.getFloat64(at, true) : cpu.host.dv.getFloat32(at, true);
}

/** Where {@linkcode sameFast} puts results before it writes any. */
const results = new Float64Array(4);

/**
 * Runs a `same`-shaped operation (Vd[i] = lane(Vn[i], Vm[i] or Vm[elem], Va[i])) on `count`
 * lanes of `e` bytes with `lane`, zeroing the rest of Vd and ORing its flags into `env`. Returns
 * false, having written nothing, when a lane declines.
 *
 * @example
 * ```ts ignore
 * if (sameFast(cpu, lane, { d, n, m, a: d, e: 8, count: 2, elem: -1 }, env)) return;
 * ```
 */
export function sameFast(
  cpu: CpuCore,
  lane: NumberLane,
  v: { d: number; n: number; m: number; a: number; e: number; count: number; elem: number },
  env: FloatEnv,
): boolean {
  const local: FloatEnv = { rm: env.rm, flags: 0 };
  const element = v.elem >= 0 ? readLane(cpu, v.m, v.e, v.elem) : 0;
  for (let i = 0; i < v.count; i++) {
    const y = v.elem >= 0 ? element : readLane(cpu, v.m, v.e, i);
    const r = lane(readLane(cpu, v.n, v.e, i), y, readLane(cpu, v.a, v.e, i), local);
    if (r === undefined) return false;
    results[i] = r;
  }
  const dv = cpu.host.dv;
  for (let i = 0; i < v.count; i++) {
    const at = laneOffset(cpu, v.d, i * v.e);
    if (v.e === 8) dv.setFloat64(at, results[i], true);
    else dv.setFloat32(at, results[i], true);
  }
  for (let at = v.count * v.e; at < 16; at += 4) dv.setUint32(laneOffset(cpu, v.d, at), 0);
  env.flags |= local.flags;
  return true;
}
