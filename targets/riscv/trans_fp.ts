/**
 * The translation functions Zfh, F and D share, generated per format: loads
 * and stores, arithmetic through helpers, sign injection and moves as pure
 * bit operations in IR (with NaN-boxing rules for half and single precision).
 *
 * @module
 */

import { Cond, type FloatFormat, Op, type Temp } from "../../plugin_target.ts";
import {
  callHelper,
  type DisasContext,
  fpr,
  gpr,
  gprDest,
  guestAddress,
  imm,
  type TransFn,
  type TransTable,
  watchAccess,
} from "./context.ts";
import { WatchKind } from "./triggers.ts";
import { FMA_KINDS, INT_KINDS, type IntKind } from "./fpu_helpers.ts";
import {
  type CompareKind,
  emitCompareF64,
  emitF64ToInt,
  emitFastF64,
  emitIntToF64,
  type FastKind,
} from "./fp_fast.ts";

/**
 * Per-format facts: the mnemonic suffixes, the load and store names, the
 * width, the sign bit, and for the narrow formats the bits that NaN-box a
 * value in a 64-bit register and the boxed canonical NaN.
 */
const FORMAT_INFO = {
  f16: {
    suffix: "h",
    mvSuffix: "h",
    load: "flh",
    store: "fsh",
    size: 2,
    signBit: 1n << 15n,
    box: -1n << 16n,
    boxedNaN: (-1n << 16n) | 0x7e00n,
  },
  f32: {
    suffix: "s",
    mvSuffix: "w",
    load: "flw",
    store: "fsw",
    size: 4,
    signBit: 1n << 31n,
    box: -1n << 32n,
    boxedNaN: (-1n << 32n) | 0x7fc00000n,
  },
  f64: {
    suffix: "d",
    mvSuffix: "d",
    load: "fld",
    store: "fsd",
    size: 8,
    signBit: 1n << 63n,
    box: 0n,
    boxedNaN: 0n,
  },
} as const;

/** The zero-extension of a narrow format's bits. */
const ZERO_EXTEND = { 2: Op.EXT16U, 4: Op.EXT32U } as const;
/** The sign-extension of a narrow format's bits (fmv.x.h, fmv.x.w). */
const SIGN_EXTEND = { 2: Op.EXT16S, 4: Op.EXT32S } as const;

/** Whether the static rounding mode is reserved (5 or 6): an illegal encoding. */
function reservedRm(a: Record<string, number>): boolean {
  return a.rm === 5 || a.rm === 6;
}

/** The instruction bits as a constant: rounding helpers read rm from them. */
function insnBits(ctx: DisasContext): Temp {
  return imm(ctx, ctx.bits >>> 0);
}

/**
 * FP register `r` read as format `fmt`, still as a 64-bit value: a half or
 * single that is not properly NaN-boxed reads as the boxed canonical NaN.
 */
function readBoxed(ctx: DisasContext, fmt: FloatFormat, r: number): Temp {
  if (fmt === "f64") return fpr(r);
  const { ir } = ctx;
  const { size, boxedNaN } = FORMAT_INFO[fmt];
  const high = ir.temp(), v = ir.temp();
  const allOnes = imm(ctx, (1n << BigInt(64 - 8 * size)) - 1n);
  ir.binop(Op.SHR, high, fpr(r), imm(ctx, 8 * size));
  ir.movcond(Cond.EQ, v, high, allOnes, fpr(r), imm(ctx, boxedNaN));
  return v;
}

function load(fmt: FloatFormat): TransFn {
  const { size, box } = FORMAT_INFO[fmt];
  return (ctx, a) => {
    const { base, offset } = guestAddress(ctx, a.rs1, a.imm);
    watchAccess(ctx, base, offset, size, WatchKind.LOAD);
    const d = fpr(a.rd);
    if (size === 8) ctx.ir.load(d, base, offset, 8, false);
    else {
      const t = ctx.ir.temp();
      ctx.ir.load(t, base, offset, size, false);
      ctx.ir.binop(Op.OR, d, t, imm(ctx, box));
    }
    return true;
  };
}

function store(fmt: FloatFormat): TransFn {
  const { size } = FORMAT_INFO[fmt];
  return (ctx, a) => {
    const { base, offset } = guestAddress(ctx, a.rs1, a.imm);
    watchAccess(ctx, base, offset, size, WatchKind.STORE);
    ctx.ir.store(base, offset, fpr(a.rs2), size);
    return true;
  };
}

/**
 * An FP instruction computed by helper `helper` from the FP registers named by
 * fields `srcs`; `rounds` adds the instruction bits (and rejects rm 5/6),
 * `intResult` writes an integer register.
 *
 * @example
 * ```ts
 * import { fpViaHelper } from "./trans_fp.ts";
 * const fcvtSD = fpViaHelper("fcvt_f32_f64", ["rs1"], true);
 * ```
 */
export function fpViaHelper(
  helper: string,
  srcs: string[],
  rounds: boolean,
  intResult = false,
): TransFn {
  return (ctx, a) => {
    if (rounds && reservedRm(a)) return false;
    const args = srcs.map((s) => fpr(a[s]));
    if (rounds) args.push(insnBits(ctx));
    const r = callHelper(ctx, helper, args);
    ctx.ir.mov(intResult ? gprDest(ctx, a.rd) : fpr(a.rd), r);
    return true;
  };
}

/** A binary64 op with an IR fast path (see fp_fast.ts) in front of its helper. */
function fpFast(kind: FastKind, helper: string, srcs: string[]): TransFn {
  return (ctx, a) => {
    if (reservedRm(a)) return false;
    const operands = srcs.map((s) => fpr(a[s]));
    emitFastF64(ctx, kind, operands, a.rm, helper, [...operands, insnBits(ctx)], fpr(a.rd));
    return true;
  };
}

/** A binary64 comparison with an IR fast path (see fp_fast.ts) in front of its helper. */
function compareFast(kind: CompareKind): TransFn {
  return (ctx, a) => {
    const args = [fpr(a.rs1), fpr(a.rs2)];
    emitCompareF64(ctx, kind, args[0], args[1], `${kind}_f64`, args, gprDest(ctx, a.rd));
    return true;
  };
}

/** fcvt from an integer register (to binary64 in IR when exact, see `emitIntToF64`). */
function fromInt(helper: string, fastKind?: IntKind): TransFn {
  return (ctx, a) => {
    if (reservedRm(a)) return false;
    const args = [gpr(ctx, a.rs1), insnBits(ctx)];
    if (fastKind) emitIntToF64(ctx, args[0], fastKind, a.rm, helper, args, fpr(a.rd));
    else ctx.ir.mov(fpr(a.rd), callHelper(ctx, helper, args));
    return true;
  };
}

/** fcvt.<kind>.d to an integer register (in IR when exact to decide, see `emitF64ToInt`). */
function toInt(kind: IntKind): TransFn {
  return (ctx, a) => {
    if (reservedRm(a)) return false;
    const args = [fpr(a.rs1), insnBits(ctx)];
    emitF64ToInt(ctx, args[0], kind, a.rm, `fcvt_${kind}_f64`, args, gprDest(ctx, a.rd));
    return true;
  };
}

/** fsgnj / fsgnjn / fsgnjx: the sign of rs2 (or its inverse, or xor) on rs1's magnitude. */
function signInject(fmt: FloatFormat, mode: "copy" | "negate" | "xor"): TransFn {
  const { signBit } = FORMAT_INFO[fmt];
  return (ctx, a) => {
    const { ir } = ctx;
    const x = readBoxed(ctx, fmt, a.rs1), y = readBoxed(ctx, fmt, a.rs2);
    const sign = imm(ctx, signBit), magnitude = imm(ctx, ~signBit);
    const s = ir.temp(), out = ir.temp();
    if (mode === "negate") ir.binop(Op.XOR, s, y, sign);
    ir.binop(Op.AND, s, mode === "negate" ? s : y, sign);
    if (mode === "xor") ir.binop(Op.XOR, out, x, s);
    else {
      ir.binop(Op.AND, out, x, magnitude);
      ir.binop(Op.OR, out, out, s);
    }
    ir.mov(fpr(a.rd), out);
    return true;
  };
}

/** fmv.x.h / fmv.x.w / fmv.x.d: the raw bits to an integer register (narrow ones sign-extended). */
function moveToInt(fmt: FloatFormat): TransFn {
  const { size } = FORMAT_INFO[fmt];
  return (ctx, a) => {
    const d = gprDest(ctx, a.rd);
    if (size === 8) ctx.ir.mov(d, fpr(a.rs1));
    else ctx.ir.binop(SIGN_EXTEND[size], d, fpr(a.rs1));
    return true;
  };
}

/** fmv.h.x / fmv.w.x / fmv.d.x: the raw bits from an integer register (narrow ones NaN-boxed). */
function moveFromInt(fmt: FloatFormat): TransFn {
  const { size, box } = FORMAT_INFO[fmt];
  return (ctx, a) => {
    const { ir } = ctx;
    if (size === 8) ir.mov(fpr(a.rd), gpr(ctx, a.rs1));
    else {
      const t = ir.temp();
      ir.binop(ZERO_EXTEND[size], t, gpr(ctx, a.rs1));
      ir.binop(Op.OR, fpr(a.rd), t, imm(ctx, box));
    }
    return true;
  };
}

/**
 * The translation functions of one FP format (`f16` for Zfh, `f32` for F,
 * `f64` for D), keyed by mnemonic (`fadd.s`, `fcvt.w.d`, `fmv.x.h`...).
 *
 * @example
 * ```ts
 * import { fpTrans } from "./trans_fp.ts";
 * console.log("fmadd.d" in fpTrans("f64")); // true
 * ```
 */
export function fpTrans(fmt: FloatFormat): TransTable {
  const { suffix: s, mvSuffix, load: loadName, store: storeName } = FORMAT_INFO[fmt];
  const out: TransTable = {
    [loadName]: load(fmt),
    [storeName]: store(fmt),
    [`fsqrt.${s}`]: fmt === "f64"
      ? fpFast("fsqrt", "fsqrt_f64", ["rs1"])
      : fpViaHelper(`fsqrt_${fmt}`, ["rs1"], true),
    [`fclass.${s}`]: fpViaHelper(`fclass_${fmt}`, ["rs1"], false, true),
    [`fsgnj.${s}`]: signInject(fmt, "copy"),
    [`fsgnjn.${s}`]: signInject(fmt, "negate"),
    [`fsgnjx.${s}`]: signInject(fmt, "xor"),
    [`fmv.x.${mvSuffix}`]: moveToInt(fmt),
    [`fmv.${mvSuffix}.x`]: moveFromInt(fmt),
  };
  for (const op of ["fadd", "fsub", "fmul", "fdiv"] as const) {
    out[`${op}.${s}`] = fmt === "f64"
      ? fpFast(op, `${op}_${fmt}`, ["rs1", "rs2"])
      : fpViaHelper(`${op}_${fmt}`, ["rs1", "rs2"], true);
  }
  for (const op of ["fmin", "fmax"]) {
    out[`${op}.${s}`] = fpViaHelper(`${op}_${fmt}`, ["rs1", "rs2"], false);
  }
  for (const op of ["feq", "flt", "fle"] as const) {
    out[`${op}.${s}`] = fmt === "f64"
      ? compareFast(op)
      : fpViaHelper(`${op}_${fmt}`, ["rs1", "rs2"], false, true);
  }
  for (const op of Object.keys(FMA_KINDS) as FastKind[]) {
    out[`${op}.${s}`] = fmt === "f64"
      ? fpFast(op, `${op}_${fmt}`, ["rs1", "rs2", "rs3"])
      : fpViaHelper(`${op}_${fmt}`, ["rs1", "rs2", "rs3"], true);
  }
  for (const kind of Object.keys(INT_KINDS) as IntKind[]) {
    out[`fcvt.${kind}.${s}`] = fmt === "f64"
      ? toInt(kind)
      : fpViaHelper(`fcvt_${kind}_${fmt}`, ["rs1"], true, true);
    out[`fcvt.${s}.${kind}`] = fromInt(`fcvt_${fmt}_${kind}`, fmt === "f64" ? kind : undefined);
  }
  return out;
}
