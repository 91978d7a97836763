/**
 * The A64 disassembler, driven by the decode table: each pattern's `!asm=`
 * attribute is an operand template, printed as `objdump -d -M no-aliases`
 * prints it (branch targets as bare hex addresses, without objdump's
 * `<symbol>` and `//` comments).
 *
 * Template operands (comma-separated; `[` and `]` / `]!` wrap a memory operand):
 * - `x:F`, `w:F` a 64- or 32-bit register (31 is xzr/wzr); `r:F` either by `sf`;
 *   `rs:F` either by `sf` with 31 as sp/wsp; `xs:F` x with 31 as sp; `tb:F` by the tested bit;
 *   `vN:F` an FP/SIMD register of 2^N bytes (b, h, s, d, q)
 * - `u:F` `#` and decimal, `h:F` `#` and hex, `i:F` signed decimal, `o:F` the same but
 *   omitted when 0, `uN:F` an unsigned offset scaled by 2^N (omitted when 0)
 * - `p:F` pc + F, `pg:F` the 4 KiB page of pc + F pages
 * - `lsl12:F`, `lsl16:F` an optional `lsl #12` / `lsl #(16 F)`; `shift:F` a shifted
 *   register's shift; `xr:F`/`xt:F` an extended register and its extension; `extN:F`
 *   a register offset
 * - `bm:F` a bitmask immediate, `cond:F` a condition, `hint:F`, `barrier:F`,
 *   `sys:F`, `sysreg:F`, `pstate:F`, `prf:F`, `pairN:F` a pair's address, `atomic:F`
 *
 * @module
 */

import { decodeBitMasks } from "./bitmasks.ts";
import { decodeA64 } from "./decode.ts";
import { byElement } from "./trans_simd_lanes.ts";
import { expandImm, LDST_MULTIPLE, shiftImmediate, singleLane, structCount } from "./trans_simd.ts";

type Args = Record<string, number>;
type Printer = (a: Args, pc: bigint) => string | null;

const COND_NAMES = "eq ne cs cc mi pl vs vc hi ls ge lt gt le al nv".split(" ");
const BARRIERS: Record<number, string> = {
  1: "oshld",
  2: "oshst",
  3: "osh",
  5: "nshld",
  6: "nshst",
  7: "nsh",
  9: "ishld",
  10: "ishst",
  11: "ish",
  13: "ld",
  14: "st",
  15: "sy",
}; // deno-fmt-ignore
const SYSREG_NAMES: Record<number, string> = {
  0x5a10: "nzcv", 0x5a20: "fpcr", 0x5a21: "fpsr", 0x5e82: "tpidr_el0", 0x5e83: "tpidrro_el0",
  0x5f00: "cntfrq_el0", 0x5f02: "cntvct_el0", 0x5801: "ctr_el0", 0x5807: "dczid_el0",
  0x4000: "midr_el1",
}; // deno-fmt-ignore
/** By 2 * size + Q; and the 128-bit element of pmull's 1Q form, the wide operand of size 3. */
const ARRANGEMENTS = ["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d", "1q", "1q"];
const EXTENDS = "uxtb uxth uxtw uxtx sxtb sxth sxtw sxtx".split(" ");
const SHIFTS = ["lsl", "lsr", "asr", "ror"];

const hex = (v: number | bigint) => "0x" + v.toString(16);
const gpr = (n: number, x: boolean, sp = false) =>
  n === 31 ? (sp ? (x ? "sp" : "wsp") : (x ? "xzr" : "wzr")) : `${x ? "x" : "w"}${n}`;

/** The `sysreg` field's name, or Arm's generic `s<op0>_<op1>_c<n>_c<m>_<op2>`. */
function sysregName(r: number): string {
  return SYSREG_NAMES[r] ??
    `s${2 + (r >> 14)}_${(r >> 11) & 7}_c${(r >> 7) & 15}_c${(r >> 3) & 15}_${r & 7}`;
}

/** A register offset `rm` with its extension, for an access of 2^sz bytes. */
function registerOffset(a: Args, sz: number): string {
  const name = gpr(a.rm, (a.opt & 1) === 1);
  const amount = a.s ? ` #${sz}` : "";
  if (a.opt === 3) return a.s ? `${name}, lsl #${sz}` : name;
  return `${name}, ${EXTENDS[a.opt]}${amount}`;
}

/** A pair's address: `[rn, #off]`, `[rn, #off]!` or `[rn], #off`. */
function pairAddress(a: Args, sz: number): string {
  const off = a.imm * (1 << sz), base = gpr(a.rn, true, true);
  if (a.op === 1) return `[${base}], #${off}`;
  if (a.op === 3) return `[${base}, #${off}]!`;
  return off === 0 ? `[${base}]` : `[${base}, #${off}]`;
}

/** The LSE atomic's mnemonic and registers. */
function atomicText(a: Args): string {
  const ops = "ldadd ldclr ldeor ldset ldsmax ldsmin ldumax ldumin".split(" ");
  const base = a.o3 ? "swp" : ops[a.opc];
  const order = (a.a ? "a" : "") + (a.r ? "l" : "");
  const size = ["b", "h", "", ""][a.sz];
  const x = a.sz === 3;
  return `${base}${order}${size}\t${gpr(a.rs, x)}, ${gpr(a.rt, x)}, [${gpr(a.rn, true, true)}]`;
}

/** An FP immediate as objdump prints it: `#-1.500000000000000000e+00`. */
function fpImmediate(x: number): string {
  return `#${x.toExponential(18).replace(/e([+-])(\d)$/, "e$10$2")}`;
}

/** `{v1.16b, v2.16b}`, or objdump's `{v1.16b-v4.16b}` for three or more without wrapping. */
function registerList(first: number, count: number, t: string): string {
  const last = (first + count - 1) % 32;
  if (count > 2 && last > first) return `{v${first}.${t}-v${last}.${t}}`;
  return `{${Array.from({ length: count }, (_, i) => `v${(first + i) % 32}.${t}`).join(", ")}}`;
}

/** Prints one template operand from the decoded fields, its field name `f` and the pc. */
type OperandPrinter = (a: Args, f: string, pc: bigint) => string | null;

/** The vector-register operands of the templates (`vt:rd`, `vlist:rt`, ...). */
const VECTOR_OPERANDS: Record<string, OperandPrinter> = {
  vt: (a, f) => `v${a[f]}.${ARRANGEMENTS[2 * a.size + a.q]}`,
  vb: (a, f) => `v${a[f]}.${ARRANGEMENTS[a.q]}`,
  vsz: (a, f) => `${"bhsd"[a.size]}${a[f]}`,
  vszw: (a, f) => `${"bhsd"[a.size + 1]}${a[f]}`,
  vw: (a, f) => `v${a[f]}.${ARRANGEMENTS[2 * a.size + 3]}`,
  vp: (a, f) => `v${a[f]}.${ARRANGEMENTS[2 * a.size + 2 + a.q]}`,
  vel: (a) => {
    const e = byElement(a, a.size);
    return e ? `v${e.reg}.${"bhsd"[a.size]}[${e.index}]` : "?";
  },
  velf: (a) => {
    const e = byElement(a, 2 + a.type);
    return e ? `v${e.reg}.${a.type ? "d" : "s"}[${e.index}]` : "?";
  },
  vft: (a, f) => `v${a[f]}.${a.type ? "2d" : a.q ? "4s" : "2s"}`,
  // fcvtl/fcvtn: the wider format's whole register, the narrower's half
  vfw: (a, f) => `v${a[f]}.${a.type ? "2d" : "4s"}`,
  vfn: (a, f) => `v${a[f]}.${a.type ? (a.q ? "4s" : "2s") : a.q ? "8h" : "4h"}`,
  vfp2: (a, f) => `v${a[f]}.${a.type ? "2d" : "2s"}`,
  vsT: (a, f) => `v${a[f]}.${ARRANGEMENTS[2 * shiftImmediate(a)!.size + a.q]}`,
  vsW: (a, f) => `v${a[f]}.${ARRANGEMENTS[2 * shiftImmediate(a)!.size + 3]}`,
  vss: (a, f) => `${"bhsd"[a.size]}${a[f]}`,
  vssw: (a, f) => `${"bhsd"[a.size + 1]}${a[f]}`,
  vsS: (a, f) => `${"bhsd"[shiftImmediate(a)!.size]}${a[f]}`,
  vsSW: (a, f) => `${"bhsd"[shiftImmediate(a)!.size + 1]}${a[f]}`,
  vsh: (a) => `#${shiftImmediate(a)!.amount}`,
  vd1: (a, f) => `v${a[f]}.d[1]`,
  vq: (a, f) => `q${a[f]}`,
  vdup: (a, f) => {
    const size = 31 - Math.clz32(a.imm5 & -a.imm5);
    return `v${a[f]}.${ARRANGEMENTS[2 * size + a.q]}`;
  },
  rdup: (a, f) => gpr(a[f], (a.imm5 & 15) === 8),
  velt: (a, f) => `${"bhsd"[31 - Math.clz32(a.imm5 & -a.imm5)]}${a[f]}`,
  vlist: (a, f) =>
    registerList(a[f], LDST_MULTIPLE[a.opc]?.count ?? 1, ARRANGEMENTS[2 * a.size + a.q]),
  vlistn: (a, f) => registerList(a[f], structCount(a), ARRANGEMENTS[2 * a.size + a.q]),
  vlane: (a, f) => {
    const lane = singleLane(a);
    return lane ? `${registerList(a[f], structCount(a), "bhsd"[lane.size])}[${lane.index}]` : "?";
  },
  vpost1: (a, f) => {
    const size = a.opc === undefined ? a.size : singleLane(a)?.size ?? 0;
    return a[f] === 31 ? `#${structCount(a) << size}` : gpr(a[f], true);
  },
  vtbl: (a, f) => registerList(a[f], a.len + 1, "16b"),
  velem4: (a, f) => {
    const size = 31 - Math.clz32(a.imm5 & -a.imm5);
    return `v${a[f]}.${"bhsd"[size]}[${a.imm4 >> size}]`;
  },
  vpost: (a, f) => {
    const count = LDST_MULTIPLE[a.opc]?.count ?? 1;
    return a[f] === 31 ? `#${count * (a.q ? 16 : 8)}` : gpr(a[f], true);
  },
};

/** The general-register, immediate and system operands of the templates. */
const SCALAR_OPERANDS: Record<string, OperandPrinter> = {
  zero: () => "#0",
  shll: (a) => `#${8 << a.size}`,
  vf: (a, f) => `${"sd?h"[a.type]}${a[f]}`,
  vsf: (a, f) => `${a.type ? "d" : "s"}${a[f]}`,
  vcvt: (a, f) => `${"sd?h"[a.opc]}${a[f]}`,
  fzero: () => "#0.0",
  fbits: (a, f) => `#${64 - a[f]}`,
  fimm: (a, f) => {
    const v = expandImm(a.type, 15, a[f]);
    const x = a.type
      ? new DataView(new BigUint64Array([v]).buffer).getFloat64(0, true)
      : new DataView(new Uint32Array([Number(v & 0xffffffffn)]).buffer).getFloat32(0, true);
    return fpImmediate(x);
  },
  rq: (a, f) => gpr(a[f], a.q === 1),
  velem: (a, f) => {
    const size = 31 - Math.clz32(a.imm5 & -a.imm5);
    return `v${a[f]}.${"bhsd"[size]}[${a.imm5 >> (size + 1)}]`;
  },
  x: (a, f) => gpr(a[f], true),
  w: (a, f) => gpr(a[f], false),
  r: (a, f) => gpr(a[f], a.sf === 1),
  rs1: (a, f) => gpr(a[f] + 1, a.sf === 1),
  rs: (a, f) => gpr(a[f], a.sf === 1, true),
  xs: (a, f) => gpr(a[f], true, true),
  tb: (a, f) => gpr(a[f], a.bit >= 32),
  u: (a, f) => `#${a[f]}`,
  h: (a, f) => `#${hex(a[f])}`,
  i: (a, f) => `#${a[f]}`,
  o: (a, f) => (a[f] === 0 ? null : `#${a[f]}`),
  p: (a, f, pc) => BigInt.asUintN(64, pc + BigInt(a[f])).toString(16),
  pg: (a, f, pc) => BigInt.asUintN(64, (pc & ~0xfffn) + (BigInt(a[f]) << 12n)).toString(16),
  lsl12: (a, f) => (a[f] ? "lsl #12" : null),
  lsl16: (a, f) => (a[f] ? `lsl #${16 * a[f]}` : null),
  shift: (a, f) => (a[f] || a.shift ? `${SHIFTS[a.shift]} #${a[f]}` : null),
  xr: (a, f) => gpr(a[f], (a.opt & 3) === 3),
  xt: (a) => {
    const lsl = (a.rd === 31 || a.rn === 31) && a.opt === (a.sf ? 3 : 2);
    if (lsl) return a.sa ? `lsl #${a.sa}` : null;
    return a.sa ? `${EXTENDS[a.opt]} #${a.sa}` : EXTENDS[a.opt];
  },
  bm: (a) => `#${hex(decodeBitMasks(a.n, a.imms, a.immr, true, a.sf ? 64 : 32)?.wmask ?? 0n)}`,
  cond: (a, f) => COND_NAMES[a[f]],
  hint: (a) => `#${hex((a.crm << 3) | a.op2)}`,
  barrier: (a, f) => BARRIERS[a[f]] ?? `#${hex(a[f])}`,
  sys: (a) => `#${a.op1}, C${a.crn}, C${a.crm}, #${a.op2}`,
  sysreg: (a, f) => sysregName(a[f]),
  pstate: (a) => `${sysregName((a.op1 << 11) | (4 << 7) | (a.crm << 3) | a.op2)}`,
  prf: (a, f) => {
    const t = a[f];
    return `${["pld", "pli", "pst"][t >> 3] ?? "#"}l${((t >> 1) & 3) + 1}${
      t & 1 ? "strm" : "keep"
    }`;
  },
};

/** The printer of one template operand `kind:field`. */
function printer(kind: string, f: string): Printer {
  const scaled = /^(u|v|ext|pair)(\d)$/.exec(kind);
  if (scaled) {
    const n = Number(scaled[2]);
    if (scaled[1] === "u") return (a) => (a[f] === 0 ? null : `#${a[f] * (1 << n)}`);
    if (scaled[1] === "v") return (a) => `${"bhsdq"[n]}${a[f]}`;
    if (scaled[1] === "ext") return (a) => registerOffset(a, n);
    return (a) => pairAddress(a, n);
  }
  const print = VECTOR_OPERANDS[kind] ?? SCALAR_OPERANDS[kind];
  return print ? (a, pc) => print(a, f, pc) : () => `?${kind}`;
}

/** Renders an `!asm=` template for `a` at `pc`. */
function render(template: string, a: Args, pc: bigint): string {
  const parts: string[] = [];
  for (const raw of template.split(",").filter((t) => t !== "")) {
    const starts = raw.startsWith("[");
    const close = /\]!?$/.exec(raw)?.[0] ?? "";
    const spec = raw.slice(starts ? 1 : 0, raw.length - close.length);
    const [kind, field] = spec.split(":");
    const text = printer(kind, field)(a, pc);
    if (starts) {
      parts.push("[" + (text ?? ""));
    } else if (text !== null) parts.push(text);
    if (close) {
      parts[parts.length - 1] += close;
    }
  }
  return parts.join(", ");
}

/** The mnemonic of a pattern: its name up to the table's `_` suffix (`add_i`, `fmov_xd`). */
function mnemonic(name: string, trans: string | undefined, a: Args): string {
  if (name === "b_cond") return `b.${COND_NAMES[a.cond]}`;
  if ((name === "stp" || name === "ldp") && a.op === 0) return name.replace("p", "np");
  const form = LDST_MULTIPLE[a.opc];
  if (trans === "ldst_vec" && form?.interleaved) {
    return `${name.slice(0, 2)}${form.count}`;
  }
  if (trans === "ldst_lane") return `${name.slice(0, 2)}${structCount(a)}`;
  if (name === "ld1r") return `ld${structCount(a)}r`;
  return name.split("_")[0];
}

/** The modified-immediate moves: movi, mvni, orr, bic and fmov, by op and cmode. */
function modifiedImmediate(a: Args): string {
  const imm8 = (a.abc << 5) | a.defgh, c = a.cmode;
  const d = `v${a.rd}`;
  if (c === 15) {
    const v = expandImm(a.op, c, imm8);
    const value = a.op
      ? new DataView(new BigUint64Array([v]).buffer).getFloat64(0, true)
      : new DataView(new Uint32Array([Number(v & 0xffffffffn)]).buffer).getFloat32(0, true);
    return `fmov\t${d}.${a.op ? "2d" : a.q ? "4s" : "2s"}, ${fpImmediate(value)}`;
  }
  if (c === 14) {
    if (a.op) return `movi\t${a.q ? `${d}.2d` : `d${a.rd}`}, #${hex(expandImm(1, 14, imm8))}`;
    return `movi\t${d}.${a.q ? "16b" : "8b"}, #${hex(imm8)}`;
  }
  const halves = c >= 8 && c < 12;
  const t = halves ? (a.q ? "8h" : "4h") : (a.q ? "4s" : "2s");
  const orrBic = c < 12 && (c & 1) === 1;
  const name = orrBic ? (a.op ? "bic" : "orr") : (a.op ? "mvni" : "movi");
  const shift = c >= 12
    ? `, msl #${c & 1 ? 16 : 8}`
    : ((c >> 1) & (halves ? 1 : 3))
    ? `, lsl #${8 * ((c >> 1) & (halves ? 1 : 3))}`
    : "";
  return `${name}\t${d}.${t}, #${hex(imm8)}${shift}`;
}

/**
 * Disassembles one instruction (`.inst 0x...` for one Denemu does not implement).
 *
 * @example
 * ```ts
 * import { disassembleA64 } from "./disas.ts";
 * console.log(disassembleA64(0xa9bf7bfd)); // "stp\tx29, x30, [sp, #-16]!"
 * ```
 */
export function disassembleA64(bits: number, pc = 0n): string {
  const d = decodeA64(bits);
  if (!d) return `.inst\t${hex(bits >>> 0)}`;
  const a = d.args;
  if (d.pattern.name === "atomic") return atomicText(a);
  if (d.pattern.name === "ret" && a.rn === 30) return "ret";
  if (d.pattern.name === "movi") return modifiedImmediate(a);
  // `q2,`: the mnemonic takes a `2` when Q is set (the upper-half forms: xtn2, saddl2).
  const asm = d.pattern.attrs.asm ?? "", upper = asm.startsWith("q2,");
  const operands = render(upper ? asm.slice(3) : asm, a, pc);
  const name = mnemonic(d.pattern.name, d.pattern.attrs.trans, a) + (upper && a.q ? "2" : "");
  return operands ? `${name}\t${operands}` : name;
}
