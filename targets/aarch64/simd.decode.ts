/**
 * The AdvSIMD encodings of the generic lane helpers (`simd_int.ts`,
 * `simd_fp.ts`), generated from lists in the Arm ARM's groups: three same,
 * three different, two-register miscellaneous, across lanes, shift by
 * immediate, scalar pairwise, and the floating-point forms of each. Every
 * pattern carries the operation's number (`op`) and is translated by
 * `trans_simd_lanes.ts`; its mnemonic is the pattern name up to `_`.
 *
 * @example
 * ```ts
 * import { simdLines } from "./simd.decode.ts";
 * console.log(simdLines().includes("uqadd")); // true
 * ```
 *
 * @module
 */

import { VFP_NAMES } from "./simd_fp.ts";
import { VINT_NAMES } from "./simd_int.ts";

const bin = (v: number, width: number) => v.toString(2).padStart(width, "0");
const vint = (name: string) => VINT_NAMES.indexOf(name);
const vfp = (name: string) => VFP_NAMES.indexOf(name.replace(/_v$/, ""));

/** Element sizes an operation allows: b, h, s, d as bits 0-3 of `ok`. */
const BHS = 7, BHSD = 15, HS = 6;

/** Integer three same: [name, U, opcode, sizes]. */
export const SAME: [string, number, number, number][] = [
  ["cmgt", 0, 0b00110, BHSD],
  ["cmhi", 1, 0b00110, BHSD],
  ["cmge", 0, 0b00111, BHSD],
  ["cmhs", 1, 0b00111, BHSD],
  ["umax", 1, 0b01100, BHS],
  ["umin", 1, 0b01101, BHS],
  ["add", 0, 0b10000, BHSD],
  ["sub", 1, 0b10000, BHSD],
  ["cmtst", 0, 0b10001, BHSD],
  ["cmeq", 1, 0b10001, BHSD],
  ["umaxp", 1, 0b10100, BHS],
  ["uminp", 1, 0b10101, BHS],
  ["addp", 0, 0b10111, BHSD],
  ["shadd", 0, 0b00000, BHS],
  ["uhadd", 1, 0b00000, BHS],
  ["sqadd", 0, 0b00001, BHSD],
  ["uqadd", 1, 0b00001, BHSD],
  ["srhadd", 0, 0b00010, BHS],
  ["urhadd", 1, 0b00010, BHS],
  ["shsub", 0, 0b00100, BHS],
  ["uhsub", 1, 0b00100, BHS],
  ["sqsub", 0, 0b00101, BHSD],
  ["uqsub", 1, 0b00101, BHSD],
  ["sshl", 0, 0b01000, BHSD],
  ["ushl", 1, 0b01000, BHSD],
  ["sqshl", 0, 0b01001, BHSD],
  ["uqshl", 1, 0b01001, BHSD],
  ["srshl", 0, 0b01010, BHSD],
  ["sqrshl", 0, 0b01011, BHSD],
  ["uqrshl", 1, 0b01011, BHSD],
  ["urshl", 1, 0b01010, BHSD],
  ["smax", 0, 0b01100, BHS],
  ["smin", 0, 0b01101, BHS],
  ["sabd", 0, 0b01110, BHS],
  ["uabd", 1, 0b01110, BHS],
  ["saba", 0, 0b01111, BHS],
  ["uaba", 1, 0b01111, BHS],
  ["mla", 0, 0b10010, BHS],
  ["mls", 1, 0b10010, BHS],
  ["mul", 0, 0b10011, BHS],
  ["pmul", 1, 0b10011, 1],
  ["smaxp", 0, 0b10100, BHS],
  ["sminp", 0, 0b10101, BHS],
  ["sqdmulh", 0, 0b10110, HS],
  ["sqrdmulh", 1, 0b10110, HS],
];

/** Three same (extra), ARMv8.1's rounding doubling multiply-accumulates: [name, U, opcode, sizes]. */
export const SAME_EXTRA: [string, number, number, number][] = [
  ["sqrdmlah", 1, 0b0000, HS],
  ["sqrdmlsh", 1, 0b0001, HS],
];

/** AdvSIMD scalar three same (one element): [name, U, opcode, sizes]. */
export const SCALAR_SAME: [string, number, number, number][] = [
  ["sqadd", 0, 0b00001, BHSD],
  ["uqadd", 1, 0b00001, BHSD],
  ["sqsub", 0, 0b00101, BHSD],
  ["uqsub", 1, 0b00101, BHSD],
  ["cmgt", 0, 0b00110, 8],
  ["cmhi", 1, 0b00110, 8],
  ["cmge", 0, 0b00111, 8],
  ["cmhs", 1, 0b00111, 8],
  ["sshl", 0, 0b01000, 8],
  ["ushl", 1, 0b01000, 8],
  ["sqshl", 0, 0b01001, BHSD],
  ["uqshl", 1, 0b01001, BHSD],
  ["srshl", 0, 0b01010, 8],
  ["urshl", 1, 0b01010, 8],
  ["sqrshl", 0, 0b01011, BHSD],
  ["uqrshl", 1, 0b01011, BHSD],
  ["add", 0, 0b10000, 8],
  ["sub", 1, 0b10000, 8],
  ["cmtst", 0, 0b10001, 8],
  ["cmeq", 1, 0b10001, 8],
  ["sqdmulh", 0, 0b10110, HS],
  ["sqrdmulh", 1, 0b10110, HS],
];

/** Integer two-register miscellaneous: [name, U, opcode, sizes]. */
export const MISC: [string, number, number, number][] = [
  ["rev64", 0, 0b00000, BHS],
  ["rev32", 1, 0b00000, 3],
  ["rev16", 0, 0b00001, 1],
  ["saddlp", 0, 0b00010, BHS],
  ["uaddlp", 1, 0b00010, BHS],
  ["cls", 0, 0b00100, BHS],
  ["clz", 1, 0b00100, BHS],
  ["sadalp", 0, 0b00110, BHS],
  ["uadalp", 1, 0b00110, BHS],
  ["cnt", 0, 0b00101, 1],
  ["suqadd", 0, 0b00011, BHSD],
  ["usqadd", 1, 0b00011, BHSD],
  ["sqabs", 0, 0b00111, BHSD],
  ["cmgt_z", 0, 0b01000, BHSD],
  ["cmge_z", 1, 0b01000, BHSD],
  ["cmeq_z", 0, 0b01001, BHSD],
  ["cmle_z", 1, 0b01001, BHSD],
  ["cmlt_z", 0, 0b01010, BHSD],
  ["sqneg", 1, 0b00111, BHSD],
  ["abs", 0, 0b01011, BHSD],
  ["neg", 1, 0b01011, BHSD],
  ["xtn", 0, 0b10010, BHS],
  ["shll", 1, 0b10011, BHS],
  ["sqxtun", 1, 0b10010, BHS],
  ["sqxtn", 0, 0b10100, BHS],
  ["uqxtn", 1, 0b10100, BHS],
  ["urecpe", 0, 0b11100, 4],
  ["ursqrte", 1, 0b11100, 4],
];

/** Three different: [name, U, opcode, sizes] (pmull's size 3 is its 1Q form). */
export const DIFFERENT: [string, number, number, number][] = [
  ["saddl", 0, 0b0000, BHS],
  ["uaddl", 1, 0b0000, BHS],
  ["saddw", 0, 0b0001, BHS],
  ["uaddw", 1, 0b0001, BHS],
  ["ssubl", 0, 0b0010, BHS],
  ["usubl", 1, 0b0010, BHS],
  ["ssubw", 0, 0b0011, BHS],
  ["usubw", 1, 0b0011, BHS],
  ["addhn", 0, 0b0100, BHS],
  ["raddhn", 1, 0b0100, BHS],
  ["sabal", 0, 0b0101, BHS],
  ["uabal", 1, 0b0101, BHS],
  ["subhn", 0, 0b0110, BHS],
  ["rsubhn", 1, 0b0110, BHS],
  ["sabdl", 0, 0b0111, BHS],
  ["uabdl", 1, 0b0111, BHS],
  ["smlal", 0, 0b1000, BHS],
  ["umlal", 1, 0b1000, BHS],
  ["smlsl", 0, 0b1010, BHS],
  ["umlsl", 1, 0b1010, BHS],
  ["smull", 0, 0b1100, BHS],
  ["umull", 1, 0b1100, BHS],
  ["pmull", 0, 0b1110, 9],
  ["sqdmlal", 0, 0b1001, HS],
  ["sqdmlsl", 0, 0b1011, HS],
  ["sqdmull", 0, 0b1101, HS],
];

/** Shift by immediate: [name, U, opcode, right shift, shape: same, narrow or FP conversion]. */
export const SHIFTS: [string, number, number, number, "same" | "narrow" | "long" | "fp"][] = [
  ["ushr", 1, 0b00000, 1, "same"],
  ["sshr", 0, 0b00000, 1, "same"],
  ["shl", 0, 0b01010, 0, "same"],
  ["ssra", 0, 0b00010, 1, "same"],
  ["usra", 1, 0b00010, 1, "same"],
  ["srshr", 0, 0b00100, 1, "same"],
  ["urshr", 1, 0b00100, 1, "same"],
  ["srsra", 0, 0b00110, 1, "same"],
  ["ursra", 1, 0b00110, 1, "same"],
  ["sri", 1, 0b01000, 1, "same"],
  ["sqshlu", 1, 0b01100, 0, "same"],
  ["sqshl", 0, 0b01110, 0, "same"],
  ["uqshl", 1, 0b01110, 0, "same"],
  ["sli", 1, 0b01010, 0, "same"],
  ["sshll", 0, 0b10100, 0, "long"],
  ["ushll", 1, 0b10100, 0, "long"],
  ["shrn", 0, 0b10000, 1, "narrow"],
  ["sqshrun", 1, 0b10000, 1, "narrow"],
  ["rshrn", 0, 0b10001, 1, "narrow"],
  ["sqrshrun", 1, 0b10001, 1, "narrow"],
  ["sqshrn", 0, 0b10010, 1, "narrow"],
  ["uqshrn", 1, 0b10010, 1, "narrow"],
  ["sqrshrn", 0, 0b10011, 1, "narrow"],
  ["uqrshrn", 1, 0b10011, 1, "narrow"],
  ["scvtf", 0, 0b11100, 1, "fp"],
  ["ucvtf", 1, 0b11100, 1, "fp"],
  ["fcvtzs", 0, 0b11111, 1, "fp"],
  ["fcvtzu", 1, 0b11111, 1, "fp"],
];

/** Vector by element: [name, U, opcode, shape]. */
export const BY_ELEMENT: [string, number, number, "int" | "long" | "fp"][] = [
  ["mla", 1, 0b0000, "int"],
  ["mls", 1, 0b0100, "int"],
  ["mul", 0, 0b1000, "int"],
  ["sqdmulh", 0, 0b1100, "int"],
  ["sqrdmulh", 0, 0b1101, "int"],
  ["smlal", 0, 0b0010, "long"],
  ["umlal", 1, 0b0010, "long"],
  ["smlsl", 0, 0b0110, "long"],
  ["umlsl", 1, 0b0110, "long"],
  ["smull", 0, 0b1010, "long"],
  ["umull", 1, 0b1010, "long"],
  ["sqdmlal", 0, 0b0011, "long"],
  ["sqdmlsl", 0, 0b0111, "long"],
  ["sqdmull", 0, 0b1011, "long"],
  ["sqrdmlah", 1, 0b1101, "int"],
  ["sqrdmlsh", 1, 0b1111, "int"],
  ["fmla", 0, 0b0001, "fp"],
  ["fmls", 0, 0b0101, "fp"],
  ["fmul", 0, 0b1001, "fp"],
  ["fmulx", 1, 0b1001, "fp"],
];

/** FP three same: [name, U, a (bit 23), opcode]. */
export const FP_SAME: [string, number, number, number][] = [
  ["fmaxnm", 0, 0, 0b11000],
  ["fmla", 0, 0, 0b11001],
  ["fadd", 0, 0, 0b11010],
  ["fcmeq", 0, 0, 0b11100],
  ["fmax", 0, 0, 0b11110],
  ["fminnm", 0, 1, 0b11000],
  ["fmls", 0, 1, 0b11001],
  ["fsub", 0, 1, 0b11010],
  ["fmin", 0, 1, 0b11110],
  ["fmaxnmp", 1, 0, 0b11000],
  ["faddp", 1, 0, 0b11010],
  ["fmul", 1, 0, 0b11011],
  ["fmulx", 0, 0, 0b11011],
  ["frecps", 0, 0, 0b11111],
  ["frsqrts", 0, 1, 0b11111],
  ["fcmge", 1, 0, 0b11100],
  ["facge", 1, 0, 0b11101],
  ["fmaxp", 1, 0, 0b11110],
  ["fdiv", 1, 0, 0b11111],
  ["fminnmp", 1, 1, 0b11000],
  ["fabd", 1, 1, 0b11010],
  ["fcmgt", 1, 1, 0b11100],
  ["facgt", 1, 1, 0b11101],
  ["fminp", 1, 1, 0b11110],
];

/** FP two-register miscellaneous: [name, U, a (bit 23), opcode]. */
export const FP_MISC: [string, number, number, number][] = [
  ["fcmgt_z", 0, 1, 0b01100],
  ["fcmeq_z", 0, 1, 0b01101],
  ["fcmlt_z", 0, 1, 0b01110],
  ["fabs", 0, 1, 0b01111],
  ["frintn", 0, 0, 0b11000],
  ["frintm", 0, 0, 0b11001],
  ["fcvtns", 0, 0, 0b11010],
  ["fcvtms", 0, 0, 0b11011],
  ["fcvtas", 0, 0, 0b11100],
  ["scvtf", 0, 0, 0b11101],
  ["frintp", 0, 1, 0b11000],
  ["frintz", 0, 1, 0b11001],
  ["fcvtps", 0, 1, 0b11010],
  ["fcvtzs", 0, 1, 0b11011],
  ["fcmge_z", 1, 1, 0b01100],
  ["fcmle_z", 1, 1, 0b01101],
  ["fneg", 1, 1, 0b01111],
  ["frinta", 1, 0, 0b11000],
  ["frintx", 1, 0, 0b11001],
  ["fcvtnu", 1, 0, 0b11010],
  ["fcvtmu", 1, 0, 0b11011],
  ["fcvtau", 1, 0, 0b11100],
  ["ucvtf", 1, 0, 0b11101],
  ["frinti", 1, 1, 0b11001],
  ["fcvtpu", 1, 1, 0b11010],
  ["fcvtzu", 1, 1, 0b11011],
  ["fsqrt", 1, 1, 0b11111],
  ["frecpe", 0, 1, 0b11101],
  ["frsqrte", 1, 1, 0b11101],
];

/** The FP three same with an AdvSIMD scalar form (fabd's is a64.decode.ts's fabd_s). */
export const FP_SCALAR_SAME = FP_SAME.filter(([n]) => /^(fc|fac|fmulx|frecps|frsqrts)/.test(n));
/** The FP two-register misc with a scalar form, and frecpx, which has no vector one. */
export const FP_SCALAR_MISC: [string, number, number, number][] = [
  ...FP_MISC.filter(([n]) => n.endsWith("_z") || /^fr(ecp|sqrt)e$/.test(n)),
  ["frecpx", 0, 1, 0b11111],
];

/** The by-element operations with a scalar form: the saturating doubling multiplies, FP. */
export const SCALAR_BY_ELEMENT = BY_ELEMENT.filter(([n, , , shape]) =>
  n.startsWith("sq") || shape === "fp"
);
/** The three different operations with a scalar form. */
export const SCALAR_DIFFERENT = DIFFERENT.filter(([n]) => n.startsWith("sq"));

const TAIL = "rn:5 rd:5";

/** The three same (extra) lines: sqrdmlah and sqrdmlsh, vector and scalar. */
function extraLines(): string[] {
  const out: string[] = [];
  for (const [name, u, opc, ok] of SAME_EXTRA) {
    const fields = `size:2 0 rm:5 1 ${bin(opc, 4)} 1 ${TAIL}`, op = `op=${vint(name)} ok=${ok}`;
    out.push(
      `${name} 0 q:1 ${u} 01110 ${fields} ${op} !trans=vint !asm=vt:rd,vt:rn,vt:rm A64`,
      `${name}_ss 01 ${u} 11110 ${fields} q=0 scalar=1 ${op} !trans=vint !asm=vss:rd,vss:rn,vss:rm A64`,
    );
  }
  return out;
}

/** The integer lines: three same, two-register misc, three different, across lanes. */
function integerLines(): string[] {
  const out: string[] = [];
  for (const [name, u, opc, ok] of SAME) {
    out.push(
      `${name} 0 q:1 ${u} 01110 size:2 1 rm:5 ${bin(opc, 5)} 1 ${TAIL} op=${
        vint(name)
      } ok=${ok} !trans=vint !asm=vt:rd,vt:rn,vt:rm A64`,
    );
  }
  for (const [name, u, opc, ok] of MISC) {
    const kind = /xtu?n$/.test(name)
      ? "q2,vt:rd,vw:rn"
      : name === "shll"
      ? "q2,vw:rd,vt:rn,shll:rn"
      : name.endsWith("_z")
      ? "vt:rd,vt:rn,zero:rn"
      : name === "cnt"
      ? "vb:rd,vb:rn"
      : /lp$/.test(name)
      ? "vp:rd,vt:rn"
      : "vt:rd,vt:rn";
    // urecpe and ursqrte (S only) share their opcode with the FP ones (size 0x).
    const size = ok === 4 ? "10" : "size:2", fixed = ok === 4 ? " size=2" : "";
    out.push(
      `${name} 0 q:1 ${u} 01110 ${size} 10000 ${bin(opc, 5)} 10 ${TAIL} rm=0${fixed} op=${
        vint(name)
      } ok=${ok} !trans=vint !asm=${kind} A64`,
    );
  }
  out.push(
    `rbit 0 q:1 1 01110 01 10000 00101 10 ${TAIL} size=0 rm=0 op=${
      vint("rbit")
    } ok=1 !trans=vint !asm=vb:rd,vb:rn A64`,
  );
  for (const [name, u, opc, ok] of DIFFERENT) {
    const asm = /hn$/.test(name)
      ? "q2,vt:rd,vw:rn,vw:rm"
      : /w$/.test(name)
      ? "q2,vw:rd,vw:rn,vt:rm"
      : "q2,vw:rd,vt:rn,vt:rm";
    out.push(
      `${name} 0 q:1 ${u} 01110 size:2 1 rm:5 ${bin(opc, 4)} 00 ${TAIL} op=${
        vint(name)
      } ok=${ok} !trans=vint !asm=${asm} A64`,
    );
  }
  for (
    const [name, u, opc, asm] of [
      ["saddlv", 0, 0b00011, "vszw"],
      ["uaddlv", 1, 0b00011, "vszw"],
      ["smaxv", 0, 0b01010, "vsz"],
      ["umaxv", 1, 0b01010, "vsz"],
      ["sminv", 0, 0b11010, "vsz"],
      ["uminv", 1, 0b11010, "vsz"],
      ["addv", 0, 0b11011, "vsz"],
    ] as const
  ) {
    out.push(
      `${name} 0 q:1 ${u} 01110 size:2 11000 ${bin(opc, 5)} 10 ${TAIL} rm=0 op=${
        vint(name)
      } ok=${BHS} !trans=vint !asm=${asm}:rd,vt:rn A64`,
    );
  }
  out.push(
    `abs_s 01 0 11110 11 10000 01011 10 ${TAIL} q=0 size=3 rm=0 op=${
      vint("abs")
    } ok=8 scalar=1 !trans=vint !asm=v3:rd,v3:rn A64`,
    `neg_s 01 1 11110 11 10000 01011 10 ${TAIL} q=0 size=3 rm=0 op=${
      vint("neg")
    } ok=8 scalar=1 !trans=vint !asm=v3:rd,v3:rn A64`,
  );
  return out;
}

/** The floating-point lines: three same, two-register misc, fcvtl/fcvtn, across lanes. */
function fpLines(): string[] {
  const out: string[] = [];
  for (const [name, u, a, opc] of FP_SAME) {
    out.push(
      `${name}_v 0 q:1 ${u} 01110 ${a} type:1 1 rm:5 ${bin(opc, 5)} 1 ${TAIL} op=${
        vfp(name)
      } !trans=vfp !asm=vft:rd,vft:rn,vft:rm A64`,
    );
  }
  for (const [name, u, a, opc] of FP_MISC) {
    const asm = name.endsWith("_z") ? "vft:rd,vft:rn,fzero:rn" : "vft:rd,vft:rn";
    out.push(
      `${name}_v 0 q:1 ${u} 01110 ${a} type:1 10000 ${bin(opc, 5)} 10 ${TAIL} rm=0 op=${
        vfp(name)
      } !trans=vfp !asm=${asm} A64`,
    );
  }
  out.push(
    `fcvtl 0 q:1 0 01110 0 type:1 10000 10111 10 ${TAIL} rm=0 op=${
      vfp("fcvtl")
    } !trans=vfp_convert !asm=q2,vfw:rd,vfn:rn A64`,
    `fcvtn 0 q:1 0 01110 0 type:1 10000 10110 10 ${TAIL} rm=0 op=${
      vfp("fcvtn")
    } !trans=vfp_convert !asm=q2,vfn:rd,vfw:rn A64`,
    `fcvtxn 0 q:1 1 01110 0 1 10000 10110 10 ${TAIL} rm=0 type=1 op=${
      vfp("fcvtxn")
    } !trans=vfp_convert !asm=q2,vfn:rd,vfw:rn A64`,
    `fcvtxn_s 01 1 11110 0 1 10000 10110 10 ${TAIL} q=0 rm=0 type=1 size=2 scalar=1 op=${
      vfp("fcvtxn")
    } !trans=vfp_convert !asm=vss:rd,vssw:rn A64`,
  );
  for (
    const [name, a, opc] of [
      ["fmaxnmv", 0, 0b01100],
      ["fminnmv", 1, 0b01100],
      ["fmaxv", 0, 0b01111],
      ["fminv", 1, 0b01111],
    ] as const
  ) {
    out.push(
      `${name} 0 1 1 01110 ${a} 0 11000 ${bin(opc, 5)} 10 ${TAIL} q=1 type=0 rm=0 op=${
        vfp(name)
      } !trans=vfp !asm=v2:rd,vft:rn A64`,
    );
  }
  return out;
}

/**
 * The AdvSIMD scalar floating point: compares (with zero too), fmulx, the estimates and steps,
 * pairwise.
 */
function fpScalarLines(): string[] {
  const out: string[] = [];
  for (const [name, u, a, opc] of FP_SCALAR_SAME) {
    out.push(
      `${name}_ss 01 ${u} 11110 ${a} type:1 1 rm:5 ${bin(opc, 5)} 1 ${TAIL} q=0 scalar=1 op=${
        vfp(name)
      } !trans=vfp !asm=vf:rd,vf:rn,vf:rm A64`,
    );
  }
  for (const [name, u, a, opc] of FP_SCALAR_MISC) {
    const asm = name.endsWith("_z") ? "vf:rd,vf:rn,fzero:rn" : "vf:rd,vf:rn";
    out.push(
      `${name}_ss 01 ${u} 11110 ${a} type:1 10000 ${bin(opc, 5)} 10 ${TAIL} q=0 rm=0 scalar=1 op=${
        vfp(name)
      } !trans=vfp !asm=${asm} A64`,
    );
  }
  for (
    const [name, a, opc] of [
      ["fmaxnmp", 0, 0b01100],
      ["fminnmp", 1, 0b01100],
      ["faddp", 0, 0b01101],
      ["fmaxp", 0, 0b01111],
      ["fminp", 1, 0b01111],
    ] as const
  ) {
    out.push(
      `${name}_s 01 1 11110 ${a} type:1 11000 ${bin(opc, 5)} 10 ${TAIL} q=0 rm=0 scalar=1 op=${
        vfp(name)
      } !trans=vfp !asm=vf:rd,vfp2:rn A64`,
    );
  }
  return out;
}

/**
 * The vector-by-element lines (the element: H:L:M and Rm, as `byElement` reads them), and the
 * scalar ones.
 */
function elementLines(): string[] {
  const fields = (opc: number) => `l:1 m:1 rm:4 ${bin(opc, 4)} h:1 0 ${TAIL}`;
  const scalar = SCALAR_BY_ELEMENT.map(([name, u, opc, shape]) =>
    shape === "fp"
      ? `${name}_sfe 01 ${u} 11111 1 type:1 ${fields(opc)} q=0 scalar=1 op=${
        vfp(name)
      } !trans=vfp_elem !asm=vf:rd,vf:rn,velf:rm A64`
      : `${name}_se 01 ${u} 11111 size:2 ${fields(opc)} q=0 scalar=1 op=${
        vint(name)
      } !trans=vint_elem !asm=${shape === "long" ? "vssw" : "vss"}:rd,vss:rn,vel:rm A64`
  );
  return [
    ...scalar,
    ...BY_ELEMENT.map(([name, u, opc, shape]) => {
      if (shape === "fp") {
        return `${name}_e 0 q:1 ${u} 01111 1 type:1 ${fields(opc)} op=${
          vfp(name)
        } !trans=vfp_elem !asm=vft:rd,vft:rn,velf:rm A64`;
      }
      const asm = shape === "long" ? "q2,vw:rd,vt:rn,vel:rm" : "vt:rd,vt:rn,vel:rm";
      return `${name}_e 0 q:1 ${u} 01111 size:2 ${fields(opc)} op=${
        vint(name)
      } !trans=vint_elem !asm=${asm} A64`;
    }),
  ];
}

/** The shifts by immediate (vector; they overlap movi at immh = 0, so they go in its group). */
export function shiftLines(): string {
  return SHIFTS.map(([name, u, opc, right, shape]) => {
    const asm = shape === "narrow"
      ? "q2,vsT:rd,vsW:rn,vsh:rd"
      : shape === "long"
      ? "q2,vsW:rd,vsT:rn,vsh:rd"
      : "vsT:rd,vsT:rn,vsh:rd";
    const trans = shape === "fp" ? "vfp_fixed" : "vint_shift";
    const op = shape === "fp" ? vfp(name) : vint(name);
    return `  ${name} 0 q:1 ${u} 011110 immh:4 immb:3 ${
      bin(opc, 5)
    } 1 ${TAIL} right=${right} op=${op} !trans=${trans} !asm=${asm} A64`;
  }).join("\n");
}

/**
 * The AdvSIMD scalar forms (one element in a B, H, S or D register): three same, the
 * saturating two-register misc, and the shifts by immediate (the vector ones' list: D only but
 * for the saturating ones).
 */
function scalarLines(): string[] {
  const out = SCALAR_SAME.map(([name, u, opc, ok]) =>
    `${name}_ss 01 ${u} 11110 size:2 1 rm:5 ${bin(opc, 5)} 1 ${TAIL} q=0 scalar=1 op=${
      vint(name)
    } ok=${ok} !trans=vint !asm=vss:rd,vss:rn,vss:rm A64`
  );
  for (const [name, u, opc, ok] of SCALAR_DIFFERENT) {
    out.push(
      `${name}_sd 01 ${u} 11110 size:2 1 rm:5 ${bin(opc, 4)} 00 ${TAIL} q=0 scalar=1 op=${
        vint(name)
      } ok=${ok} !trans=vint !asm=vssw:rd,vss:rn,vss:rm A64`,
    );
  }
  for (const [name, u, opc, ok] of MISC.filter(([n]) => /^sq|^uq|^suq|^usq/.test(n))) {
    const asm = /xtu?n$/.test(name) ? "vss:rd,vssw:rn" : "vss:rd,vss:rn";
    out.push(
      `${name}_ss 01 ${u} 11110 size:2 10000 ${bin(opc, 5)} 10 ${TAIL} q=0 rm=0 scalar=1 op=${
        vint(name)
      } ok=${/xtu?n$/.test(name) ? ok : BHSD} !trans=vint !asm=${asm} A64`,
    );
  }
  for (const [name, u, opc, right, shape] of SHIFTS) {
    if (shape === "fp") { // the fixed-point conversions of an S or D register (ucvtf d0, d1, #3)
      out.push(
        `${name}_sf 01 ${u} 111110 immh:4 immb:3 ${
          bin(opc, 5)
        } 1 ${TAIL} q=0 right=${right} scalar=1 op=${
          vfp(name)
        } !trans=vfp_fixed !asm=vsS:rd,vsS:rn,vsh:rd A64`,
      );
      continue;
    }
    // No scalar form: the long shifts, the non-saturating narrow ones.
    if (shape === "long" || (shape === "narrow" && !/^(sq|uq)/.test(name))) continue;
    const ok = /^(sq|uq)/.test(name) ? BHSD : 8;
    const asm = shape === "narrow" ? "vsS:rd,vsSW:rn,vsh:rd" : "vsS:rd,vsS:rn,vsh:rd";
    out.push(
      `${name}_si 01 ${u} 111110 immh:4 immb:3 ${
        bin(opc, 5)
      } 1 ${TAIL} q=0 right=${right} scalar=1 ok=${ok} op=${
        vint(name)
      } !trans=vint_shift !asm=${asm} A64`,
    );
  }
  return out;
}

/**
 * Every generated line but the shifts (see {@linkcode shiftLines}), and the
 * scalar shifts and pairwise additions gcc emits.
 */
export function simdLines(): string {
  return [
    ...integerLines(),
    ...extraLines(),
    ...fpLines(),
    ...fpScalarLines(),
    ...elementLines(),
    ...scalarLines(),
    `addp_s 01 0 11110 11 11000 11011 10 ${TAIL} q=1 size=3 rm=0 scalar=1 op=${
      vint("addv")
    } ok=8 !trans=vint !asm=v3:rd,vt:rn A64`,
  ].join("\n");
}
