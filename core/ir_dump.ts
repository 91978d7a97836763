/**
 * The IR of a block as text, in the layout of QEMU's `-d op` and `-d op_opt`
 * logs: one op a line (`name dest,sources,$immediate`), each guest
 * instruction opened by a ` ---- pc` line. Globals print by name, other
 * temps as `tmpN`, labels as `$LN`, helpers by name.
 *
 * @module
 */

import { COND_NAMES, type IrBlock, type IrOp, isVectorOp, Op, OPERANDS, READS_A } from "./ir.ts";
import { READS_ARGS, READS_B, READS_C, READS_E, WRITES_D } from "./ir.ts";

/** What names an IR dump prints: the target's globals and helpers. */
export interface IrNames {
  /** the globals, temps `0 .. globals.length-1` */
  readonly globals: readonly { name: string }[];
  /** the helpers, by CALL's index */
  readonly helpers: readonly { name: string }[];
}

const OP_NAMES: string[] = [];
for (const [name, value] of Object.entries(Op)) OP_NAMES[value] = name.toLowerCase();

const hex = (v: bigint) => `$0x${BigInt.asUintN(64, v).toString(16)}`;

const slot = (addr: number) => `slot@${hex(BigInt(addr))}`;

/** The slots a vector op names before its temps: `d`, then `a` (and `b`) where they are slots. */
function vectorSlotsBefore(o: IrOp, m: number): string[] {
  if (o.op === Op.VST) return [];
  if (o.op === Op.VMASK) return [slot(o.d), hex(BigInt(o.a))];
  if (m & READS_A) return [slot(o.d)]; // VDUP, VLD: `a` is a temp
  return m & READS_B ? [slot(o.d), slot(o.a)] : [slot(o.d), slot(o.a), slot(o.b)];
}

/** The operands of `o` after its name, comma-separated. */
function operandText(o: IrOp, names: IrNames): string {
  const temp = (t: number) => names.globals[t]?.name ?? `tmp${t}`;
  const m = OPERANDS[o.op], parts: string[] = [];
  switch (o.op) {
    case Op.INSN_START:
    case Op.LABEL:
      break;
    case Op.GOTO_TB:
      return hex(o.pc);
    case Op.COUNTER_ADD:
      return `${hex(o.imm)},${hex(o.pc)}`;
    case Op.CALL:
      parts.push(names.helpers[Number(o.imm)]?.name ?? `helper${o.imm}`);
      break;
  }
  if (isVectorOp(o.op)) parts.push(...vectorSlotsBefore(o, m));
  if (m & WRITES_D && o.d >= 0) parts.push(temp(o.d));
  if (m & READS_A && o.a >= 0) parts.push(temp(o.a));
  if (m & READS_B) parts.push(temp(o.b));
  if (m & READS_C) parts.push(temp(o.c));
  if (m & READS_E) parts.push(temp(o.e));
  if (m & READS_ARGS) parts.push(...o.args.map(temp));
  if (o.op === Op.VST) parts.push(slot(o.b));
  if (o.op === Op.SETCOND || o.op === Op.MOVCOND || o.op === Op.BRCOND) {
    parts.push(COND_NAMES[o.cond]);
  }
  if (o.op === Op.BRCOND || o.op === Op.BR || o.op === Op.LABEL) parts.push(`$L${o.label}`);
  return [...parts, ...immediateText(o)].join(",");
}

/** What `o` carries besides temps: an immediate, an access size and sign, a trap kind. */
function immediateText(o: IrOp): string[] {
  switch (o.op) {
    case Op.MOVI:
    case Op.LOAD_HOST:
    case Op.STORE_HOST:
    case Op.TRACE:
    case Op.COUNTER_INC8:
    case Op.RAISE:
      return [hex(o.imm)];
    case Op.LOAD:
    case Op.STORE:
    case Op.VLD:
    case Op.VST:
      return [hex(o.imm), `${o.signed ? "s" : "u"}${o.size * 8}`];
    case Op.VMASK:
      return [hex(o.imm), `lane${o.size * 8}`];
    default:
      return isVectorOp(o.op) ? [`lane${o.size * 8}`] : [];
  }
}

/**
 * `block` as lines of QEMU's `-d op` layout, under `title` (`OP:`, or `OP after
 * optimization and liveness analysis:`), ending in a newline.
 *
 * @example
 * ```ts
 * import { formatIr } from "./ir_dump.ts";
 * import { IrBuilder } from "./ir_builder.ts";
 * import { Op } from "./ir.ts";
 * const b = new IrBuilder(2);
 * b.binop(Op.ADD, 1, 1, 0);
 * const names = { globals: [{ name: "x0" }, { name: "x1" }], helpers: [] };
 * console.log(formatIr("OP:", b.finish(), names)); // "OP:\n add x1,x1,x0\n"
 * ```
 */
export function formatIr(title: string, block: IrBlock, names: IrNames): string {
  const lines = [title];
  for (const o of block.ops) {
    if (o.op === Op.INSN_START) {
      lines.push("", ` ---- ${BigInt.asUintN(64, o.pc).toString(16).padStart(16, "0")}`);
    } else {
      const args = operandText(o, names);
      lines.push(` ${OP_NAMES[o.op]}${args ? ` ${args}` : ""}`);
    }
  }
  return lines.join("\n") + "\n";
}
