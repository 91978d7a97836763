/**
 * AdvSIMD floating point (single and double lanes), by name, through the
 * scalar code of `fp_helpers.ts`: each lane rounds, propagates NaNs and
 * raises FPSR flags exactly as the scalar instruction does (the A64 vector
 * forms use FPCR like the scalar ones, unlike AArch32 Neon). The decode
 * table (`simd.decode.ts`) names the operations; their number is their index
 * in {@linkcode VFP_NAMES}.
 *
 * Shapes: `same` (Vd[i] = f(Vn[i], Vm[i], Vd[i])), `unary`, `pair` (the pairs
 * of Vn then Vm; with the scalar bit, one pair to a scalar), `across` (Arm's
 * pairwise tree), `widen` (fcvtl: the lower or upper half of Vn to the next
 * wider format: half to single, single to double) and `narrow` (fcvtn: into
 * the lower half, or the upper for the `2` form).
 *
 * @module
 */

import { type CpuCore, type FloatEnv, FloatFlag, type HelperDef } from "../../plugin_target.ts";
import {
  arith,
  compare,
  convert,
  convertHalf,
  F16,
  F32,
  F64,
  flushToZero,
  type Fmt,
  fpControl,
  FpOp,
  FpRound,
  frint,
  fromInt,
  infTimesZero,
  raiseFlags,
  toInt,
} from "./fp_helpers.ts";
import { frecpe, frecpx, frsqrte, frsqrts } from "./fp_estimate.ts";
import { lanes, setLanes } from "./simd_helpers.ts";
import { numberLanes, sameFast } from "./simd_fp_fast.ts";

/** What a lane function sees besides its operands. */
interface Lane {
  f: Fmt;
  env: FloatEnv;
  dn: boolean;
  /** the Arm rounding mode in force (FPCR's, or the instruction's own) */
  mode: number;
  /** fixed-point fraction bits (the shift-immediate conversions) */
  fbits: number;
  /** FPCR.AHP (half precision in the alternative format) */
  ahp: boolean;
}
type LaneFn = (x: bigint, y: bigint, acc: bigint, l: Lane) => bigint;
type Kind = "same" | "unary" | "pair" | "across" | "widen" | "narrow";

interface VfpDef {
  kind: Kind;
  fn: LaneFn;
  /** the rounding mode (FpRound) when not FPCR's */
  round?: number;
  /** what FPCR.FZ flushes: inputs and result (the default), inputs only, nothing */
  flush?: "in" | "none";
  /** Vd is an operand (fmla, fmls) */
  acc?: boolean;
}

const all = (f: Fmt) => (1n << BigInt(f.bits)) - 1n;
const sign = (f: Fmt) => 1n << BigInt(f.bits - 1);
/** 2.0 in format `f`. */
const two = (f: Fmt) => 1n << BigInt(f.bits - 2);
const abs = (f: Fmt, v: bigint) => v & (all(f) >> 1n);
const mask = (b: boolean, f: Fmt) => (b ? all(f) : 0n);

/** An `a64_fp` arithmetic operation. */
const op2 = (op: number): VfpDef => ({
  kind: "same",
  fn: (x, y, _a, l) => arith(op, l.f, x, y, 0n, l.env, l.dn),
});
/** A comparison: true when NZCV is one of `accept`; `signal`: any NaN raises invalid. */
const cmp = (accept: number[], signal: boolean, absolute = false, zero = false): VfpDef => ({
  kind: zero ? "unary" : "same",
  flush: "in",
  fn: (x, y, _a, l) => {
    const [a, b] = absolute ? [abs(l.f, x), abs(l.f, y)] : [x, zero ? 0n : y];
    return mask(accept.includes(compare(l.f, a, b, l.env, signal)), l.f);
  },
});
const EQ = 0b0110, GT = 0b0010, LT = 0b1000;
const rint = (round: number, exact = false): VfpDef => ({
  kind: "unary",
  round,
  fn: (x, _y, _a, l) => frint(l.f, x, l.mode, exact, l.env, l.dn),
});
const toInteger = (signed: boolean, round: number): VfpDef => ({
  kind: "unary",
  round,
  flush: "in",
  fn: (x, _y, _a, l) =>
    BigInt.asUintN(l.f.bits, toInt(l.f, x, signed, l.f.bits, l.fbits, l.mode, l.env)),
});
const fromInteger = (signed: boolean): VfpDef => ({
  kind: "unary",
  flush: "none",
  fn: (x, _y, _a, l) => fromInt(l.f, x, l.f.bits as 32 | 64, signed, l.fbits, l.env),
});
const reduce = (kind: Kind, op: number): VfpDef => ({ ...op2(op), kind });

/** The operations, by mnemonic (`_z`: the comparisons with zero). */
const OPS: Record<string, VfpDef> = {
  fadd: op2(FpOp.ADD),
  fsub: op2(FpOp.SUB),
  fmul: op2(FpOp.MUL),
  fdiv: op2(FpOp.DIV),
  fmax: op2(FpOp.MAX),
  fmin: op2(FpOp.MIN),
  fmaxnm: op2(FpOp.MAXNM),
  fminnm: op2(FpOp.MINNM),
  fabd: op2(FpOp.ABD),
  // fmulx: inf * 0 is ±2.0; frecps: 2.0 - n*m, fused, with inf * 0 giving 2.0.
  fmulx: {
    kind: "same",
    fn: (x, y, _a, l) =>
      infTimesZero(l.f, x, y)
        ? ((x ^ y) & sign(l.f)) | two(l.f)
        : arith(FpOp.MUL, l.f, x, y, 0n, l.env, l.dn),
  },
  frecps: {
    kind: "same",
    fn: (x, y, _a, l) =>
      infTimesZero(l.f, x, y)
        ? two(l.f)
        : arith(FpOp.MADD, l.f, x ^ sign(l.f), y, two(l.f), l.env, l.dn),
  },
  frsqrts: { kind: "same", fn: (x, y, _a, l) => frsqrts(l.f, x, y, l.env, l.dn) },
  frecpe: { kind: "unary", fn: (x, _y, _a, l) => frecpe(l.f, x, l.mode, l.env, l.dn) },
  frsqrte: { kind: "unary", fn: (x, _y, _a, l) => frsqrte(l.f, x, l.env, l.dn) },
  frecpx: { kind: "unary", fn: (x, _y, _a, l) => frecpx(l.f, x, l.env, l.dn) },
  fmla: {
    kind: "same",
    acc: true,
    fn: (x, y, a, l) => arith(FpOp.MADD, l.f, x, y, a, l.env, l.dn),
  },
  fmls: {
    kind: "same",
    acc: true,
    fn: (x, y, a, l) => arith(FpOp.MSUB, l.f, x, y, a, l.env, l.dn),
  },
  fcmeq: cmp([EQ], false),
  fcmge: cmp([EQ, GT], true),
  fcmgt: cmp([GT], true),
  facge: cmp([EQ, GT], true, true),
  facgt: cmp([GT], true, true),
  fcmeq_z: cmp([EQ], false, false, true),
  fcmge_z: cmp([EQ, GT], true, false, true),
  fcmgt_z: cmp([GT], true, false, true),
  fcmle_z: cmp([EQ, LT], true, false, true),
  fcmlt_z: cmp([LT], true, false, true),
  fabs: { kind: "unary", flush: "none", fn: (x, _y, _a, l) => abs(l.f, x) },
  fneg: { kind: "unary", flush: "none", fn: (x, _y, _a, l) => x ^ (1n << BigInt(l.f.bits - 1)) },
  fsqrt: { kind: "unary", fn: (x, _y, _a, l) => arith(FpOp.SQRT, l.f, x, 0n, 0n, l.env, l.dn) },
  frintn: rint(FpRound.RN),
  frintp: rint(FpRound.RP),
  frintm: rint(FpRound.RM),
  frintz: rint(FpRound.RZ),
  frinta: rint(FpRound.RA),
  frintx: rint(FpRound.FPCR, true),
  frinti: rint(FpRound.FPCR),
  fcvtns: toInteger(true, FpRound.RN),
  fcvtnu: toInteger(false, FpRound.RN),
  fcvtps: toInteger(true, FpRound.RP),
  fcvtpu: toInteger(false, FpRound.RP),
  fcvtms: toInteger(true, FpRound.RM),
  fcvtmu: toInteger(false, FpRound.RM),
  fcvtzs: toInteger(true, FpRound.RZ),
  fcvtzu: toInteger(false, FpRound.RZ),
  fcvtas: toInteger(true, FpRound.RA),
  fcvtau: toInteger(false, FpRound.RA),
  scvtf: fromInteger(true),
  ucvtf: fromInteger(false),
  faddp: reduce("pair", FpOp.ADD),
  fmaxp: reduce("pair", FpOp.MAX),
  fminp: reduce("pair", FpOp.MIN),
  fmaxnmp: reduce("pair", FpOp.MAXNM),
  fminnmp: reduce("pair", FpOp.MINNM),
  fmaxv: reduce("across", FpOp.MAX),
  fminv: reduce("across", FpOp.MIN),
  fmaxnmv: reduce("across", FpOp.MAXNM),
  fminnmv: reduce("across", FpOp.MINNM),
  fcvtl: {
    kind: "widen",
    fn: (x, _y, _a, l) =>
      l.f === F64
        ? convert(F32, F64, x, l.env, l.dn)
        : convertHalf(F16, F32, x, l.env, l.dn, l.ahp),
  },
  fcvtn: {
    kind: "narrow",
    fn: (x, _y, _a, l) =>
      l.f === F64
        ? convert(F64, F32, x, l.env, l.dn)
        : convertHalf(F32, F16, x, l.env, l.dn, l.ahp),
  },
  // fcvtxn: double to single rounded to odd (toward zero, then an inexact result's lowest bit
  // set), so that a second rounding to a narrower format is exact.
  fcvtxn: {
    kind: "narrow",
    round: FpRound.RZ,
    fn: (x, _y, _a, l) => {
      const before = l.env.flags;
      l.env.flags = 0;
      const r = convert(F64, F32, x, l.env, l.dn), inexact = l.env.flags & FloatFlag.NX;
      l.env.flags |= before;
      return inexact ? r | 1n : r;
    },
  },
};

/**
 * The operation names, in the order of their numbers.
 *
 * @example
 * ```ts
 * import { VFP_NAMES } from "./simd_fp.ts";
 * console.log(VFP_NAMES.includes("fmla")); // true
 * ```
 */
export const VFP_NAMES: readonly string[] = Object.keys(OPS);
const DEFS = VFP_NAMES.map((n) => OPS[n]);
const NUMBER_LANES = numberLanes(VFP_NAMES);

/**
 * Packs `a64_vfp`'s info argument.
 *
 * @example
 * ```ts
 * import { vfpInfo } from "./simd_fp.ts";
 * console.log(vfpInfo({ double: 1, q: 1 })); // 3
 * ```
 */
export function vfpInfo(
  i: { double: number; q: number; scalar?: number; fbits?: number; elem?: number },
): number {
  const elem = i.elem === undefined ? 0 : i.elem + 1;
  return i.double | (i.q << 1) | ((i.scalar ?? 0) << 2) | ((i.fbits ?? 0) << 3) | (elem << 10);
}

/** Arm's Reduce: the operation over the halves, recursively. */
function tree(v: bigint[], g: (a: bigint, b: bigint) => bigint): bigint {
  if (v.length === 1) return v[0];
  const h = v.length / 2;
  return g(tree(v.slice(0, h), g), tree(v.slice(h), g));
}

/** Runs operation `op` on Vd from Vn, Vm (see {@linkcode vfpInfo}). */
function vfp(cpu: CpuCore, op: number, d: number, n: number, m: number, info: number): void {
  const def = DEFS[op];
  const f = info & 1 ? F64 : F32, q = (info >> 1) & 1, scalar = (info >> 2) & 1;
  const { env, mode, dn, fz, ahp } = fpControl(cpu, def.round ?? FpRound.FPCR);
  const l: Lane = { f, env, dn, mode, fbits: (info >> 3) & 127, ahp };
  // By element (fmla v0.4s, v1.4s, v2.s[1]): Vm's element `elem` for every lane.
  const elem = (info >> 10) - 1;
  // The scalar forms: one element, or the two of the scalar pairwise ones (faddp s0, v1.2s).
  const e = f.bits / 8, count = (q ? 16 : 8) / e;
  const fast = fz ? undefined : NUMBER_LANES[op]?.[f === F64 ? 1 : 0];
  const shape = { d, n, m, a: d, e, count: scalar ? 1 : count, elem };
  if (fast && sameFast(cpu, fast, shape, env)) return raiseFlags(cpu, env);
  const xs = lanes(cpu, n, e).slice(0, scalar ? (def.kind === "pair" ? 2 : 1) : count);
  // fcvtl and fcvtn: f is the wider format. With half precision, FZ flushes neither a half
  // input nor a half result (Arm's FPUnpackCV and FPRoundCV).
  const narrower = f === F64 ? F32 : F16;
  const half = narrower === F16 && (def.kind === "widen" || def.kind === "narrow");
  const from = def.kind === "widen" ? narrower : f;
  const outFmt = def.flush === "in" || half ? null : def.kind === "narrow" ? narrower : f;
  /** The lane function, under FPCR.FZ. */
  const g: LaneFn = !fz || def.flush === "none" || (half && def.kind === "widen")
    ? def.fn
    : (x, y, acc) =>
      flushToZero(from, outFmt, [x, y, acc], env, ([a, b, c], local) =>
        def.fn(a, b, c, { ...l, env: local }));
  const pair = (a: bigint, b: bigint) => g(a, b, 0n, l);
  let out: bigint[], oe = e;
  switch (def.kind) {
    case "same": {
      const ys = elem >= 0 ? xs.map(() => lanes(cpu, m, e)[elem]) : lanes(cpu, m, e);
      const acc = lanes(cpu, d, e);
      out = xs.map((x, i) => g(x, ys[i], def.acc ? acc[i] : 0n, l));
      break;
    }
    case "unary":
      out = xs.map((x) => g(x, 0n, 0n, l));
      break;
    case "pair": {
      const ys = lanes(cpu, m, e).slice(0, count);
      const pairs = (v: bigint[]) =>
        Array.from({ length: v.length / 2 }, (_, i) => pair(v[2 * i], v[2 * i + 1]));
      out = scalar ? [pair(xs[0], xs[1])] : [...pairs(xs), ...pairs(ys)];
      break;
    }
    case "across":
      out = [tree(xs, pair)];
      break;
    case "widen": {
      const per = 8 / (narrower.bits / 8); // lanes in each half of Vn
      out = lanes(cpu, n, narrower.bits / 8).slice(q * per, q * per + per).map((x) =>
        g(x, 0n, 0n, l)
      );
      break;
    }
    default: // narrow
      oe = narrower.bits / 8;
      out = [
        ...(q ? lanes(cpu, d, oe).slice(0, 8 / oe) : []),
        ...lanes(cpu, n, e).slice(0, scalar ? 1 : undefined).map((x) => pair(x, 0n)),
      ];
  }
  setLanes(cpu, d, oe, out);
  raiseFlags(cpu, env);
}

/**
 * The AdvSIMD floating-point helper.
 *
 * @example
 * ```ts
 * import { VFP_HELPER } from "./simd_fp.ts";
 * console.log(VFP_HELPER.name); // "a64_vfp"
 * ```
 */
export const VFP_HELPER: HelperDef = {
  name: "a64_vfp",
  fn: vfp,
  smallArgs: true,
  hasResult: false,
  flags: { readsState: true, writesState: true },
};
