/**
 * The RISC-V disassembler, driven by the decode tables: each pattern's
 * `!asm=` attribute is an operand template, printed in the style of
 * `objdump -d -M no-aliases` (ABI register names, compressed instructions
 * under their `c.` names, branch targets as bare hex addresses).
 *
 * Template operands (comma-separated):
 * - `x:F` / `f:F` integer / FP register named by field F
 * - `i:F` signed decimal, `u:F` unsigned decimal, `h:F` hex (`0x3f`)
 * - `hi:F` the upper 20 bits of F in hex (lui, auipc)
 * - `p:F` the pc-relative target pc + F, bare hex
 * - `m:F:R` a memory operand `F(R)`, `a:R` an address `(R)`
 * - `csr:F` a CSR name, `rm:F` a rounding mode (omitted when dynamic)
 * - `fence:F` fence predecessor/successor bits (`iorw`)
 * - `.aqrl` (first) appends `.aq`, `.rl` or `.aqrl` to the mnemonic
 * - `v:F` a vector register, `vm:F` ` v0.t` when F is 0 (masked), `v0` the
 *   literal v0 (carry and merge operands), `vtype:F` a vtype (`e32,m1,ta,mu`)
 *
 * @module
 */

import { decodeRiscv } from "./decode.ts";
import { extensionTags } from "./isa.ts";
import type { Decoded } from "../../plugin_target.ts";
import { csrName, FPR_ABI_NAMES, GPR_ABI_NAMES, ROUNDING_MODE_NAMES } from "./names.ts";

type OperandPrinter = (args: Record<string, number>, pc: bigint, xlen: 32 | 64) => string | null;

const templateCache = new Map<string, { suffix: boolean; operands: OperandPrinter[] }>();

function hex(v: number | bigint): string {
  return "0x" + v.toString(16);
}

function fenceBits(v: number): string {
  const s = ["i", "o", "r", "w"].filter((_, i) => v & (8 >> i)).join("");
  return s === "" ? "0" : s;
}

const LMUL_NAMES = ["m1", "m2", "m4", "m8", "", "mf8", "mf4", "mf2"];

/** A vtype immediate as objdump prints it: `e32,m1,ta,mu`, or a number when reserved bits are set. */
function vtypeName(v: number): string {
  const sew = (v >> 3) & 7, lmul = v & 7;
  if (v >> 8 || sew > 3 || lmul === 4) return String(v);
  return `e${8 << sew},${LMUL_NAMES[lmul]},${v & 64 ? "ta" : "tu"},${v & 128 ? "ma" : "mu"}`;
}

function operandPrinter(spec: string): OperandPrinter {
  const [kind, field, field2] = spec.split(":");
  switch (kind) {
    case "x":
      return (a) => GPR_ABI_NAMES[a[field]];
    case "f":
      return (a) => FPR_ABI_NAMES[a[field]];
    case "i":
      return (a) => String(a[field]);
    case "u":
      return (a) => String(a[field] >>> 0);
    case "h":
      return (a) => hex(a[field] >>> 0);
    case "hi":
      return (a) => hex((a[field] >>> 12) & 0xfffff);
    case "p":
      return (a, pc, xlen) => BigInt.asUintN(xlen, pc + BigInt(a[field])).toString(16);
    case "m":
      return (a) => `${a[field]}(${GPR_ABI_NAMES[a[field2]]})`;
    case "a":
      return (a) => `(${GPR_ABI_NAMES[a[field]]})`;
    case "csr":
      return (a) => csrName(a[field]);
    case "rm":
      return (a) => (a[field] === 7 ? null : ROUNDING_MODE_NAMES[a[field]]);
    case "fence":
      return (a) => fenceBits(a[field]);
    case "v":
      return (a) => `v${a[field]}`;
    case "vm":
      return (a) => (a[field] === 0 ? "v0.t" : null);
    case "v0":
      return () => "v0";
    case "vtype":
      return (a) => vtypeName(a[field]);
    default:
      throw new Error(`disassembler: unknown operand kind in template "${spec}"`);
  }
}

function compileTemplate(template: string) {
  let t = templateCache.get(template);
  if (!t) {
    const specs = template === "" ? [] : template.split(",");
    const suffix = specs[0] === ".aqrl";
    t = { suffix, operands: specs.slice(suffix ? 1 : 0).map(operandPrinter) };
    templateCache.set(template, t);
  }
  return t;
}

/**
 * Formats a decoded instruction at `pc`.
 *
 * @example
 * ```ts
 * import { decodeRiscv } from "./decode.ts";
 * import { formatDecoded } from "./disas.ts";
 * const d = decodeRiscv(64, 0x00813083, 4)!;
 * console.log(formatDecoded(d, 0n, 64)); // "ld\tra,8(sp)"
 * ```
 */
export function formatDecoded(d: Decoded, pc: bigint, xlen: 32 | 64): string {
  const t = compileTemplate(d.pattern.attrs.asm ?? "");
  let mnemonic = d.pattern.name;
  if (t.suffix) {
    const { aq, rl } = d.args;
    mnemonic += aq && rl ? ".aqrl" : aq ? ".aq" : rl ? ".rl" : "";
  }
  const ops: string[] = [];
  for (const p of t.operands) {
    const s = p(d.args, pc, xlen);
    if (s !== null) ops.push(s);
  }
  return ops.length ? `${mnemonic}\t${ops.join(",")}` : mnemonic;
}

/** The disassembler knows every extension, as objdump does. */
const ALL_TAGS = { 32: extensionTags(32), 64: extensionTags(64) };

/**
 * Disassembles one instruction like `objdump -d -M no-aliases` (without the
 * `<symbol>` annotations objdump adds to addresses).
 *
 * @example
 * ```ts
 * import { disassembleRiscv } from "./disas.ts";
 * console.log(disassembleRiscv(64, 0xff010113, 4, 0x1000n)); // "addi\tsp,sp,-16"
 * console.log(disassembleRiscv(64, 0x1141, 2, 0x1000n)); // "c.addi\tsp,-16"
 * ```
 */
export function disassembleRiscv(xlen: 32 | 64, bits: number, size: number, pc: bigint): string {
  const d = decodeRiscv(xlen, bits, size, ALL_TAGS[xlen]);
  if (d) return formatDecoded(d, pc, xlen);
  if (size === 2) return (bits & 0xffff) === 0 ? "c.unimp" : `.2byte\t${hex(bits & 0xffff)}`;
  return `.4byte\t${hex(bits >>> 0)}`;
}
