/**
 * The element functions of the vector integer and fixed-point instructions,
 * as a table: each takes `a` (the vs2 element), `b` (the vs1 element, the
 * scalar or the immediate, already truncated to SEW) and the element
 * context, and returns the destination element (truncated by the caller).
 * Operands arrive zero-extended; signed operations read them with `sx`.
 *
 * The shapes (`dst`/`src2`: SEW, 2*SEW or a mask bit) and which forms each
 * instruction has (`vv`, `vx`, `vi`) are in `vector_int.ts`.
 *
 * @module
 */

/** What an element function may read besides its operands. */
export interface ElemContext {
  /** SEW in bits */
  readonly sew: number;
  /** the old destination element (multiply-add) */
  readonly d: bigint;
  /** the v0 bit of the element (carry in, merge select) */
  readonly m: boolean;
  /** vxrm: the fixed-point rounding mode */
  readonly vxrm: number;
  /** sets vxsat */
  saturated(): void;
}

/** An element function. */
export type ElemFn = (a: bigint, b: bigint, c: ElemContext) => bigint;

/** `v` of `bits` bits read as signed. */
export const sx = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
const ux = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);
const b2n = (on: boolean): bigint => (on ? 1n : 0n);

/** The rounding increment of shifting `v` right by `shift` under vxrm (spec: roundoff). */
function roundBit(v: bigint, shift: number, vxrm: number): bigint {
  if (shift === 0) return 0n;
  const d = BigInt(shift), bit = (n: bigint) => (v >> n) & 1n;
  const rest = v & ((1n << (d - 1n)) - 1n);
  switch (vxrm) {
    case 0: // rnu
      return bit(d - 1n);
    case 1: // rne
      return bit(d - 1n) & b2n(rest !== 0n || bit(d) === 1n);
    case 2: // rdn
      return 0n;
    default: // rod
      return b2n(bit(d) === 0n && (v & ((1n << d) - 1n)) !== 0n);
  }
}

/** `v >> shift` rounded per vxrm (v may be negative: an arithmetic shift). */
function roundShift(v: bigint, shift: number, vxrm: number): bigint {
  return (v >> BigInt(shift)) + roundBit(v, shift, vxrm);
}

/** Saturates `v` to `bits` bits, signed or not, noting saturation. */
function clamp(v: bigint, bits: number, signed: boolean, c: ElemContext): bigint {
  const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (v < lo || v > hi) {
    c.saturated();
    return v < lo ? lo : hi;
  }
  return v;
}

const shamt = (b: bigint, bits: number) => Number(b & BigInt(bits - 1));

function divu(a: bigint, b: bigint, sew: number): bigint {
  return b === 0n ? ux(-1n, sew) : a / b;
}

function div(a: bigint, b: bigint, sew: number): bigint {
  const x = sx(a, sew), y = sx(b, sew);
  if (y === 0n) return -1n;
  if (x === -(1n << BigInt(sew - 1)) && y === -1n) return x;
  return x / y;
}

function rem(a: bigint, b: bigint, sew: number): bigint {
  const x = sx(a, sew), y = sx(b, sew);
  if (y === 0n) return x;
  if (x === -(1n << BigInt(sew - 1)) && y === -1n) return 0n;
  return x % y;
}

/** SEW-wide operations (destination and vs2 of width SEW). */
export const SINGLE_WIDTH: Record<string, ElemFn> = {
  vadd: (a, b) => a + b,
  vsub: (a, b) => a - b,
  vrsub: (a, b) => b - a,
  vminu: (a, b) => (a < b ? a : b),
  vmaxu: (a, b) => (a > b ? a : b),
  vmin: (a, b, c) => (sx(a, c.sew) < sx(b, c.sew) ? a : b),
  vmax: (a, b, c) => (sx(a, c.sew) > sx(b, c.sew) ? a : b),
  vand: (a, b) => a & b,
  vor: (a, b) => a | b,
  vxor: (a, b) => a ^ b,
  vsll: (a, b, c) => a << BigInt(shamt(b, c.sew)),
  vsrl: (a, b, c) => a >> BigInt(shamt(b, c.sew)),
  vsra: (a, b, c) => sx(a, c.sew) >> BigInt(shamt(b, c.sew)),
  vadc: (a, b, c) => a + b + b2n(c.m),
  vsbc: (a, b, c) => a - b - b2n(c.m),
  vmerge: (a, b, c) => (c.m ? b : a),
  vmul: (a, b) => a * b,
  vmulh: (a, b, c) => (sx(a, c.sew) * sx(b, c.sew)) >> BigInt(c.sew),
  vmulhu: (a, b, c) => (a * b) >> BigInt(c.sew),
  vmulhsu: (a, b, c) => (sx(a, c.sew) * b) >> BigInt(c.sew),
  vdivu: (a, b, c) => divu(a, b, c.sew),
  vdiv: (a, b, c) => div(a, b, c.sew),
  vremu: (a, b) => (b === 0n ? a : a % b),
  vrem: (a, b, c) => rem(a, b, c.sew),
  vmacc: (a, b, c) => b * a + c.d,
  vnmsac: (a, b, c) => c.d - b * a,
  vmadd: (a, b, c) => b * c.d + a,
  vnmsub: (a, b, c) => a - b * c.d,
  vsaddu: (a, b, c) => clamp(a + b, c.sew, false, c),
  vsadd: (a, b, c) => clamp(sx(a, c.sew) + sx(b, c.sew), c.sew, true, c),
  vssubu: (a, b, c) => clamp(a - b, c.sew, false, c),
  vssub: (a, b, c) => clamp(sx(a, c.sew) - sx(b, c.sew), c.sew, true, c),
  vaaddu: (a, b, c) => roundShift(a + b, 1, c.vxrm),
  vaadd: (a, b, c) => roundShift(sx(a, c.sew) + sx(b, c.sew), 1, c.vxrm),
  vasubu: (a, b, c) => roundShift(a - b, 1, c.vxrm),
  vasub: (a, b, c) => roundShift(sx(a, c.sew) - sx(b, c.sew), 1, c.vxrm),
  vsmul: (a, b, c) =>
    clamp(roundShift(sx(a, c.sew) * sx(b, c.sew), c.sew - 1, c.vxrm), c.sew, true, c),
  vssrl: (a, b, c) => roundShift(a, shamt(b, c.sew), c.vxrm),
  vssra: (a, b, c) => roundShift(sx(a, c.sew), shamt(b, c.sew), c.vxrm),
};

/** Comparisons and carry-outs: the destination is a mask bit. */
export const TO_MASK: Record<string, ElemFn> = {
  vmseq: (a, b) => b2n(a === b),
  vmsne: (a, b) => b2n(a !== b),
  vmsltu: (a, b) => b2n(a < b),
  vmslt: (a, b, c) => b2n(sx(a, c.sew) < sx(b, c.sew)),
  vmsleu: (a, b) => b2n(a <= b),
  vmsle: (a, b, c) => b2n(sx(a, c.sew) <= sx(b, c.sew)),
  vmsgtu: (a, b) => b2n(a > b),
  vmsgt: (a, b, c) => b2n(sx(a, c.sew) > sx(b, c.sew)),
  vmadc: (a, b, c) => (a + b + b2n(c.m)) >> BigInt(c.sew),
  vmsbc: (a, b, c) => b2n(a - b - b2n(c.m) < 0n),
};

/** Widening: the destination is 2*SEW; `.w` forms read vs2 at 2*SEW too. */
export const WIDENING: Record<string, ElemFn> = {
  vwaddu: (a, b) => a + b,
  vwadd: (a, b, c) => sx(a, c.sew) + sx(b, c.sew),
  vwsubu: (a, b) => a - b,
  vwsub: (a, b, c) => sx(a, c.sew) - sx(b, c.sew),
  "vwaddu.w": (a, b) => a + b,
  "vwadd.w": (a, b, c) => sx(a, 2 * c.sew) + sx(b, c.sew),
  "vwsubu.w": (a, b) => a - b,
  "vwsub.w": (a, b, c) => sx(a, 2 * c.sew) - sx(b, c.sew),
  vwmulu: (a, b) => a * b,
  vwmul: (a, b, c) => sx(a, c.sew) * sx(b, c.sew),
  vwmulsu: (a, b, c) => sx(a, c.sew) * b,
  vwmaccu: (a, b, c) => b * a + c.d,
  vwmacc: (a, b, c) => sx(b, c.sew) * sx(a, c.sew) + c.d,
  vwmaccsu: (a, b, c) => sx(b, c.sew) * a + c.d,
  vwmaccus: (a, b, c) => b * sx(a, c.sew) + c.d,
};

/** Narrowing: vs2 is 2*SEW, the destination SEW; the shift amount has log2(2*SEW) bits. */
export const NARROWING: Record<string, ElemFn> = {
  vnsrl: (a, b, c) => a >> BigInt(shamt(b, 2 * c.sew)),
  vnsra: (a, b, c) => sx(a, 2 * c.sew) >> BigInt(shamt(b, 2 * c.sew)),
  vnclipu: (a, b, c) => clamp(roundShift(a, shamt(b, 2 * c.sew), c.vxrm), c.sew, false, c),
  vnclip: (a, b, c) =>
    clamp(roundShift(sx(a, 2 * c.sew), shamt(b, 2 * c.sew), c.vxrm), c.sew, true, c),
};
