/**
 * The AdvSIMD integer operations of the generic lane helper `a64_vint`, by
 * name: each is a lane function and a shape (`kind`) that says where its
 * lanes come from and go. The decode table (`simd.decode.ts`) names them;
 * their number is their index in {@linkcode VINT_NAMES}.
 *
 * Shapes, with `e` the element size of the instruction's `size` field:
 * - `same`: Vd[i] = f(Vn[i], Vm[i]) (or the shift immediate for Vm), all `e` wide;
 * - `long`: Vd (2e) = f(Vn, Vm) from the lower (Q = 0) or upper (the `2` form) halves;
 * - `wide`: Vd (2e) = f(Vn (2e), Vm (e, a half as for `long`));
 * - `narrow`: Vd (e) = f(Vn (2e), Vm (2e)) into the lower half (the upper zeroed), or the
 *   upper half for the `2` form (the lower kept);
 * - `pair`: the pairs of Vn then of Vm; `pairlong`: pairs of Vn, 2e wide;
 * - `across`: one reduction of Vn (2e wide for the `l` forms);
 * - `rev`: the elements of each 2-, 4- or 8-byte unit of Vn in reverse order.
 *
 * Saturating operations set FPSR.QC (bit 27), as Arm and QEMU do.
 *
 * @module
 */

import type { CpuCore, HelperDef } from "../../plugin_target.ts";
import { recipEstimate, recipSqrtEstimate } from "./fp_estimate.ts";
import { lanes, setLanes } from "./simd_helpers.ts";
import { A64 } from "./state.ts";

/** What a lane function may report: saturation. */
interface Sat {
  qc: boolean;
}
/** A lane function: `x`, `y` unsigned lane values, `e` the (narrow) element size in bytes. */
type LaneFn = (x: bigint, y: bigint, e: number, acc: bigint, sat: Sat) => bigint;
type Kind = "same" | "long" | "wide" | "narrow" | "pair" | "pairlong" | "across" | "rev";

interface VintDef {
  kind: Kind;
  fn: LaneFn;
  /** `across`: the result is twice the element size (saddlv, uaddlv) */
  wide?: boolean;
  /** `rev`: the bytes of the unit whose elements are reversed */
  container?: number;
}

const bitsOf = (e: number) => BigInt(8 * e);
const sx = (v: bigint, e: number) => BigInt.asIntN(8 * e, v);
const ones = (e: number) => (1n << bitsOf(e)) - 1n;
const mask = (b: boolean, e: number) => (b ? ones(e) : 0n);

/** `v` saturated to a signed `e`-byte integer. */
function satS(v: bigint, e: number, s: Sat): bigint {
  const max = (1n << (bitsOf(e) - 1n)) - 1n, min = -max - 1n;
  if (v > max || v < min) s.qc = true;
  return v > max ? max : v < min ? min : v;
}
/** `v` saturated to an unsigned `e`-byte integer. */
function satU(v: bigint, e: number, s: Sat): bigint {
  if (v > ones(e) || v < 0n) s.qc = true;
  return v > ones(e) ? ones(e) : v < 0n ? 0n : v;
}

/** sshl/ushl (and the rounding forms): shift by the signed low byte of `y`. */
function shiftBy(x: bigint, y: bigint, e: number, signed: boolean, round: boolean): bigint {
  // Exact (BigInt) arithmetic, as Arm's infinite-precision pseudocode: a right shift past the
  // element width gives the sign (or zero); a left shift's lost bits are masked off, or
  // saturate in the saturating forms.
  const s = Number(BigInt.asIntN(8, y)), v = signed ? sx(x, e) : x;
  if (s >= 0) return v << BigInt(s);
  const r = -s;
  const bias = round ? 1n << BigInt(r - 1) : 0n;
  return (v + bias) >> BigInt(r);
}

/** A right shift by the immediate `y`, rounding or not. */
const shr = (
  v: bigint,
  y: bigint,
  round: boolean,
) => ((round && y > 0n ? v + (1n << (y - 1n)) : v) >> y);

const absDiff = (a: bigint, b: bigint) => (a > b ? a - b : b - a);
const rev = (x: bigint, e: number, chunk: number) => {
  // Reverses the `chunk`-byte units inside a lane of `e` bytes.
  let out = 0n;
  const n = e / chunk, m = ones(chunk);
  for (let i = 0; i < n; i++) out |= ((x >> bitsOf(chunk * i)) & m) << bitsOf(chunk * (n - 1 - i));
  return out;
};
const countLeading = (x: bigint, e: number) => {
  let n = 0;
  for (let b = 8 * e - 1; b >= 0 && ((x >> BigInt(b)) & 1n) === 0n; b--) n++;
  return BigInt(n);
};

/** The carry-less (polynomial over GF(2)) product of `x` and `y`. */
function clmul(x: bigint, y: bigint): bigint {
  let out = 0n;
  for (let i = 0n; y >> i; i++) if ((y >> i) & 1n) out ^= x << i;
  return out;
}

/** sqrdmlah (sign 1) and sqrdmlsh (-1): Sat((acc << e) ± 2 * x * y, rounded, >> e). */
function roundingDoublingAccumulate(sign: bigint): LaneFn {
  return (x, y, e, a, q) => {
    const sum = (sx(a, e) << bitsOf(e)) + sign * 2n * sx(x, e) * sx(y, e);
    return satS((sum + (1n << (bitsOf(e) - 1n))) >> bitsOf(e), e, q);
  };
}

/** sqdmull and its accumulating forms: acc ± Sat(2 * x * y), all `2e` wide and saturating. */
function doublingLong(sign: bigint): LaneFn {
  return (x, y, e, a, q) => {
    const product = satS(2n * sx(x, e) * sx(y, e), 2 * e, q);
    return sign === 0n ? product : satS(sx(a, 2 * e) + sign * product, 2 * e, q);
  };
}

const s = (kind: Kind, fn: LaneFn, wide = false): VintDef => ({ kind, fn, wide });
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/** The operations, by name (a `u`/`s` prefix as in the mnemonic). */
const OPS: Record<string, VintDef> = {
  add: s("same", (x, y) => x + y),
  sub: s("same", (x, y) => x - y),
  umax: s("same", max),
  umin: s("same", min),
  cmeq: s("same", (x, y, e) => mask(x === y, e)),
  cmhs: s("same", (x, y, e) => mask(x >= y, e)),
  cmhi: s("same", (x, y, e) => mask(x > y, e)),
  cmgt: s("same", (x, y, e) => mask(sx(x, e) > sx(y, e), e)),
  cmge: s("same", (x, y, e) => mask(sx(x, e) >= sx(y, e), e)),
  cmtst: s("same", (x, y, e) => mask((x & y) !== 0n, e)),
  cmeq_z: s("same", (x, _y, e) => mask(x === 0n, e)),
  cmgt_z: s("same", (x, _y, e) => mask(sx(x, e) > 0n, e)),
  cmge_z: s("same", (x, _y, e) => mask(sx(x, e) >= 0n, e)),
  cmle_z: s("same", (x, _y, e) => mask(sx(x, e) <= 0n, e)),
  cmlt_z: s("same", (x, _y, e) => mask(sx(x, e) < 0n, e)),
  cnt: s("same", (x) => BigInt([...x.toString(2)].filter((c) => c === "1").length)),
  addp: s("pair", (x, y) => x + y),
  umaxp: s("pair", max),
  uminp: s("pair", min),
  shadd: s("same", (x, y, e) => (sx(x, e) + sx(y, e)) >> 1n),
  uhadd: s("same", (x, y) => (x + y) >> 1n),
  srhadd: s("same", (x, y, e) => (sx(x, e) + sx(y, e) + 1n) >> 1n),
  urhadd: s("same", (x, y) => (x + y + 1n) >> 1n),
  shsub: s("same", (x, y, e) => (sx(x, e) - sx(y, e)) >> 1n),
  uhsub: s("same", (x, y) => (x - y) >> 1n),
  sqadd: s("same", (x, y, e, _a, q) => satS(sx(x, e) + sx(y, e), e, q)),
  uqadd: s("same", (x, y, e, _a, q) => satU(x + y, e, q)),
  sqsub: s("same", (x, y, e, _a, q) => satS(sx(x, e) - sx(y, e), e, q)),
  uqsub: s("same", (x, y, e, _a, q) => satU(x - y, e, q)),
  sshl: s("same", (x, y, e) => shiftBy(x, y, e, true, false)),
  ushl: s("same", (x, y, e) => shiftBy(x, y, e, false, false)),
  srshl: s("same", (x, y, e) => shiftBy(x, y, e, true, true)),
  urshl: s("same", (x, y, e) => shiftBy(x, y, e, false, true)),
  sqshl: s("same", (x, y, e, _a, q) => satS(shiftBy(x, y, e, true, false), e, q)),
  uqshl: s("same", (x, y, e, _a, q) => satU(shiftBy(x, y, e, false, false), e, q)),
  sqrshl: s("same", (x, y, e, _a, q) => satS(shiftBy(x, y, e, true, true), e, q)),
  uqrshl: s("same", (x, y, e, _a, q) => satU(shiftBy(x, y, e, false, true), e, q)),
  sqshlu: s("same", (x, y, e, _a, q) => satU(sx(x, e) << y, e, q)),
  shll: s("long", (x, _y, e) => x << bitsOf(e)),
  smax: s("same", (x, y, e) => max(sx(x, e), sx(y, e))),
  smin: s("same", (x, y, e) => min(sx(x, e), sx(y, e))),
  sabd: s("same", (x, y, e) => absDiff(sx(x, e), sx(y, e))),
  uabd: s("same", absDiff),
  saba: s("same", (x, y, e, a) => a + absDiff(sx(x, e), sx(y, e))),
  uaba: s("same", (x, y, _e, a) => a + absDiff(x, y)),
  mul: s("same", (x, y) => x * y),
  pmul: s("same", clmul),
  mla: s("same", (x, y, _e, a) => a + x * y),
  mls: s("same", (x, y, _e, a) => a - x * y),
  smaxp: s("pair", (x, y, e) => max(sx(x, e), sx(y, e))),
  sminp: s("pair", (x, y, e) => min(sx(x, e), sx(y, e))),
  sqdmulh: s("same", (x, y, e, _a, q) => satS((2n * sx(x, e) * sx(y, e)) >> bitsOf(e), e, q)),
  sqrdmulh: s(
    "same",
    (x, y, e, _a, q) =>
      satS((2n * sx(x, e) * sx(y, e) + (1n << (bitsOf(e) - 1n))) >> bitsOf(e), e, q),
  ),
  sqrdmlah: s("same", roundingDoublingAccumulate(1n)),
  sqrdmlsh: s("same", roundingDoublingAccumulate(-1n)),
  // two registers
  urecpe: s("same", (x) => (x >> 31n ? BigInt(recipEstimate(Number(x >> 23n))) << 23n : ones(4))),
  ursqrte: s(
    "same",
    (x) => (x >> 30n ? BigInt(recipSqrtEstimate(Number(x >> 23n))) << 23n : ones(4)),
  ),
  abs: s("same", (x, _y, e) => (sx(x, e) < 0n ? -sx(x, e) : x)),
  neg: s("same", (x) => -x),
  sqabs: s("same", (x, _y, e, _a, q) => satS(sx(x, e) < 0n ? -sx(x, e) : sx(x, e), e, q)),
  sqneg: s("same", (x, _y, e, _a, q) => satS(-sx(x, e), e, q)),
  // Vd accumulates Vn of the other signedness, saturated to Vd's.
  suqadd: s("same", (x, _y, e, a, q) => satS(sx(a, e) + x, e, q)),
  usqadd: s("same", (x, _y, e, a, q) => satU(a + sx(x, e), e, q)),
  cls: s("same", (x, _y, e) => countLeading(x ^ (sx(x, e) < 0n ? ones(e) : 0n), e) - 1n),
  clz: s("same", (x, _y, e) => countLeading(x, e)),
  rbit: s("same", (x) => {
    let out = 0n;
    for (let i = 0; i < 8; i++) out |= ((x >> BigInt(i)) & 1n) << BigInt(7 - i);
    return out;
  }),
  rev16: { kind: "rev", fn: (x, _y, e) => rev(x, 2, e), container: 2 },
  rev32: { kind: "rev", fn: (x, _y, e) => rev(x, 4, e), container: 4 },
  rev64: { kind: "rev", fn: (x, _y, e) => rev(x, 8, e), container: 8 },
  saddlp: s("pairlong", (x, y, e) => sx(x, e) + sx(y, e)),
  uaddlp: s("pairlong", (x, y) => x + y),
  sadalp: s("pairlong", (x, y, e, a) => a + sx(x, e) + sx(y, e)),
  uadalp: s("pairlong", (x, y, _e, a) => a + x + y),
  xtn: s("narrow", (x) => x),
  sqxtn: s("narrow", (x, _y, e, _a, q) => satS(sx(x, 2 * e), e, q)),
  uqxtn: s("narrow", (x, _y, e, _a, q) => satU(x, e, q)),
  sqxtun: s("narrow", (x, _y, e, _a, q) => satU(sx(x, 2 * e), e, q)),
  // three different
  saddl: s("long", (x, y, e) => sx(x, e) + sx(y, e)),
  uaddl: s("long", (x, y) => x + y),
  ssubl: s("long", (x, y, e) => sx(x, e) - sx(y, e)),
  usubl: s("long", (x, y) => x - y),
  saddw: s("wide", (x, y, e) => x + sx(y, e)),
  uaddw: s("wide", (x, y) => x + y),
  ssubw: s("wide", (x, y, e) => x - sx(y, e)),
  usubw: s("wide", (x, y) => x - y),
  addhn: s("narrow", (x, y, e) => (x + y) >> bitsOf(e)),
  raddhn: s("narrow", (x, y, e) => (x + y + (1n << (bitsOf(e) - 1n))) >> bitsOf(e)),
  subhn: s("narrow", (x, y, e) => (x - y) >> bitsOf(e)),
  rsubhn: s("narrow", (x, y, e) => (x - y + (1n << (bitsOf(e) - 1n))) >> bitsOf(e)),
  smull: s("long", (x, y, e) => sx(x, e) * sx(y, e)),
  umull: s("long", (x, y) => x * y),
  sabal: s("long", (x, y, e, a) => a + absDiff(sx(x, e), sx(y, e))),
  uabal: s("long", (x, y, _e, a) => a + absDiff(x, y)),
  sabdl: s("long", (x, y, e) => absDiff(sx(x, e), sx(y, e))),
  uabdl: s("long", absDiff),
  smlal: s("long", (x, y, e, a) => a + sx(x, e) * sx(y, e)),
  umlal: s("long", (x, y, _e, a) => a + x * y),
  smlsl: s("long", (x, y, e, a) => a - sx(x, e) * sx(y, e)),
  umlsl: s("long", (x, y, _e, a) => a - x * y),
  pmull: s("long", clmul),
  sqdmull: s("long", doublingLong(0n)),
  sqdmlal: s("long", doublingLong(1n)),
  sqdmlsl: s("long", doublingLong(-1n)),
  // across lanes
  saddlv: s("across", (x, y, e) => x + sx(y, e), true),
  uaddlv: s("across", (x, y) => x + y, true),
  smaxv: s("across", (x, y, e) => max(sx(x, e), sx(y, e))),
  sminv: s("across", (x, y, e) => min(sx(x, e), sx(y, e))),
  umaxv: s("across", max),
  uminv: s("across", min),
  addv: s("across", (x, y) => x + y),
  // shifts by immediate (y: the amount)
  ushr: s("same", (x, y) => x >> y),
  sshr: s("same", (x, y, e) => sx(x, e) >> y),
  sshll: s("long", (x, y, e) => sx(x, e) << y),
  ushll: s("long", (x, y) => x << y),
  shl: s("same", (x, y) => x << y),
  ssra: s("same", (x, y, e, a) => a + shr(sx(x, e), y, false)),
  usra: s("same", (x, y, _e, a) => a + shr(x, y, false)),
  srshr: s("same", (x, y, e) => shr(sx(x, e), y, true)),
  urshr: s("same", (x, y) => shr(x, y, true)),
  srsra: s("same", (x, y, e, a) => a + shr(sx(x, e), y, true)),
  ursra: s("same", (x, y, _e, a) => a + shr(x, y, true)),
  sri: s("same", (x, y, e, a) => (a & ~(ones(e) >> y)) | (x >> y)),
  sli: s("same", (x, y, e, a) => (a & ((1n << y) - 1n)) | ((x << y) & ones(e))),
  shrn: s("narrow", (x, y) => x >> y),
  rshrn: s("narrow", (x, y) => shr(x, y, true)),
  sqshrn: s("narrow", (x, y, e, _a, q) => satS(shr(sx(x, 2 * e), y, false), e, q)),
  uqshrn: s("narrow", (x, y, e, _a, q) => satU(shr(x, y, false), e, q)),
  sqrshrn: s("narrow", (x, y, e, _a, q) => satS(shr(sx(x, 2 * e), y, true), e, q)),
  uqrshrn: s("narrow", (x, y, e, _a, q) => satU(shr(x, y, true), e, q)),
  sqshrun: s("narrow", (x, y, e, _a, q) => satU(shr(sx(x, 2 * e), y, false), e, q)),
  sqrshrun: s("narrow", (x, y, e, _a, q) => satU(shr(sx(x, 2 * e), y, true), e, q)),
};

/**
 * The operation names, in the order of their numbers.
 *
 * @example
 * ```ts
 * import { VINT_NAMES } from "./simd_int.ts";
 * console.log(VINT_NAMES.includes("uqadd")); // true
 * ```
 */
export const VINT_NAMES: readonly string[] = Object.keys(OPS);
const DEFS = VINT_NAMES.map((n) => OPS[n]);

/**
 * The shape of an operation (the translation checks sizes by it).
 *
 * @example
 * ```ts
 * import { vintKind, VINT_NAMES } from "./simd_int.ts";
 * console.log(vintKind(VINT_NAMES.indexOf("saddl"))); // "long"
 * ```
 */
export function vintKind(op: number): Kind {
  return DEFS[op].kind;
}

/** The lanes of Vn (of `e` bytes) of the half `q` selects. */
function half(cpu: CpuCore, n: number, e: number, q: number): bigint[] {
  const count = 8 / e;
  return lanes(cpu, n, e).slice(q * count, q * count + count);
}

/**
 * Packs `a64_vint`'s info argument: the element size (log2 bytes), Q, whether the operation is
 * the AdvSIMD scalar form (one element), and an immediate: the shift amount when the helper's
 * `m` is 32, else the by-element index plus one (0: not by element).
 *
 * @example
 * ```ts
 * import { vintInfo } from "./simd_int.ts";
 * console.log(vintInfo({ size: 2, q: 1, imm: 3 })); // 54
 * ```
 */
export function vintInfo(i: { size: number; q: number; scalar?: number; imm?: number }): number {
  return i.size | (i.q << 2) | ((i.scalar ?? 0) << 3) | ((i.imm ?? 0) << 4);
}

/** Runs an operation (see {@linkcode vintInfo}). */
function vint(cpu: CpuCore, op: number, d: number, n: number, m: number, info: number): void {
  const sz = info & 3, q = (info >> 2) & 1, scalar = (info >> 3) & 1, imm = BigInt(info >> 4);
  const e = 1 << sz, count = (q ? 16 : 8) / e;
  const def = DEFS[op], f = def.fn, sat: Sat = { qc: false };
  const y = (ys: bigint[], i: number) => (m === 32 ? imm : ys[i]);
  // By element (mul v0.4s, v1.4s, v2.s[1]): Vm's element imm - 1 for every lane.
  const elem = m < 32 ? Number(imm) - 1 : -1;
  const element = elem >= 0 ? lanes(cpu, m, e)[elem] : 0n;
  let out: bigint[], oe = e;
  switch (def.kind) {
    case "same": {
      const xs = lanes(cpu, n, e), acc = lanes(cpu, d, e);
      const ys = elem >= 0 ? xs.map(() => element) : lanes(cpu, m % 32, e);
      out = xs.slice(0, scalar ? 1 : count).map((x, i) => f(x, y(ys, i), e, acc[i], sat));
      break;
    }
    case "long":
    case "wide": {
      oe = 2 * e;
      const all = def.kind === "long" ? half(cpu, n, e, q) : lanes(cpu, n, oe);
      const xs = scalar ? all.slice(0, 1) : all;
      const ys = m === 32 ? [] : elem >= 0 ? xs.map(() => element) : half(cpu, m, e, q);
      const acc = lanes(cpu, d, oe);
      out = xs.map((x, i) => f(x, y(ys, i), e, acc[i], sat));
      break;
    }
    case "narrow": {
      const xs = lanes(cpu, n, 2 * e), ys = lanes(cpu, m % 32, 2 * e);
      const low = q ? lanes(cpu, d, e).slice(0, 8 / e) : [];
      out = [
        ...low,
        ...xs.slice(0, scalar ? 1 : xs.length).map((x, i) => f(x, y(ys, i), e, 0n, sat)),
      ];
      break;
    }
    case "pair":
    case "pairlong": {
      const xs = lanes(cpu, n, e).slice(0, count), ys = lanes(cpu, m, e).slice(0, count);
      oe = def.kind === "pair" ? e : 2 * e;
      const acc = lanes(cpu, d, oe);
      const pairs = (v: bigint[]) =>
        Array.from({ length: count / 2 }, (_, i) => f(v[2 * i], v[2 * i + 1], e, acc[i], sat));
      out = def.kind === "pair" ? [...pairs(xs), ...pairs(ys)] : pairs(xs);
      break;
    }
    case "rev": {
      oe = def.container!;
      out = lanes(cpu, n, oe).slice(0, (q ? 16 : 8) / oe).map((x) => f(x, 0n, e, 0n, sat));
      break;
    }
    default: {
      const xs = lanes(cpu, n, e).slice(0, count);
      oe = def.wide ? 2 * e : e;
      const init = def.wide ? (f(0n, xs[0], e, 0n, sat)) : xs[0];
      out = [xs.slice(1).reduce((a, v) => f(a, v, e, 0n, sat), init)];
    }
  }
  setLanes(cpu, d, oe, out);
  if (sat.qc) cpu.setState(A64.FPSR, cpu.getState(A64.FPSR) | (1n << 27n));
}

/**
 * The generic integer lane helper.
 *
 * @example
 * ```ts
 * import { VINT_HELPER } from "./simd_int.ts";
 * console.log(VINT_HELPER.name); // "a64_vint"
 * ```
 */
export const VINT_HELPER: HelperDef = {
  name: "a64_vint",
  fn: vint,
  smallArgs: true,
  hasResult: false,
  flags: { readsState: true, writesState: true },
};
