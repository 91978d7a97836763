/**
 * The interpreter tier without bigints: the same IR as the reference
 * interpreter (`interp.ts`), with each temp kept as two 32-bit halves in an
 * `Int32Array`, so that the common ops of cold code allocate nothing. It runs
 * a TB only when every op of it is one it knows (moves, integer ALU ops,
 * compares, branches, loads and stores, the ends of a TB: 98 % of the TB runs
 * the Linux boot interprets); any other TB (helper calls, traps, host and
 * vector ops) runs on the reference interpreter, whose semantics stay the
 * only ones written for those ops. Its loads and stores use the pages the
 * guest memory resolved recently and go the reference's way for the others.
 * `interpretBlock` (`interp.ts`) chooses between the two.
 *
 * @module
 */

import { Cond, type HelperDef, INTEGER_ALU_OPS, Op } from "./ir.ts";
import { alu } from "./interp_alu.ts";
import {
  argsOf,
  condOf,
  OP_MASK,
  type PackedIr,
  rawWide,
  readWide,
  SIGNED,
  sizeOf,
  START_STRIDE,
  STRIDE,
  W_A,
  W_B,
  W_D,
  W_E,
  W_X,
} from "./ir_pack.ts";
import { HIGH, LOW, WIDE_FAR, WIDE_INLINE } from "./ir_pack_builder.ts";
import type { CpuCore } from "./cpu_core.ts";
import type { TranslationBlock } from "./tb.ts";
import { PcRedirect, trapFrom } from "./trap.ts";
import { PAGE_SIZE } from "./host_memory.ts";

/**
 * The ops this tier runs (a TB with any other runs on the reference interpreter): the integer ALU
 * ops (the rare ones, high products and division, through the reference's bigint `alu`), moves,
 * compares, branches, loads and stores, the ends of a TB, inline counters' adds and the calls of
 * {@linkcode plainHelper}s (a counted or hooked TB would otherwise run on the reference until hot).
 */
const KNOWN = new Uint8Array(256);
for (const op of INTEGER_ALU_OPS) KNOWN[op] = 1;
for (
  const op of [
    Op.MOV,
    Op.MOVI,
    Op.SETCOND,
    Op.MOVCOND,
    Op.BRCOND,
    Op.BR,
    Op.LABEL,
    Op.LOAD,
    Op.STORE,
    Op.GOTO_TB,
    Op.GOTO_PTR,
    Op.COUNTER_ADD,
  ]
) KNOWN[op] = 1;

/** Whether every op of `p` is one this tier runs. */
function knowsAll(cpu: CpuCore, p: PackedIr): boolean {
  const code = p.code, base = p.base, end = base + p.numOps * STRIDE;
  for (let at = base; at < end; at += STRIDE) {
    const op = code[at] & OP_MASK;
    if (op === Op.CALL ? !plainHelper(cpu, p, at) : KNOWN[op] === 0) return false;
  }
  return true;
}

/**
 * The helper of the CALL at `at` if it is one this tier calls: it neither reads nor writes the
 * registers nor traps, takes small arguments and has no result (the exec callbacks that see no
 * registers), so that the call needs no bigint and no register in the state block.
 */
function plainHelper(cpu: CpuCore, p: PackedIr, at: number): HelperDef | undefined {
  const id = Number(rawWide(p.code[at], p.code[at + W_E], p.wide, p.wideBase));
  const h = cpu.helper(id);
  const f = h.flags;
  const plain = h.smallArgs && !h.hasResult && !f?.readsState && !f?.writesState && !f?.mayTrap;
  return plain ? h : undefined;
}

/** The temps of the running TB: temp `k`'s low half at `2k`, its high half at `2k + 1`. */
let halves = new Int32Array(1024);
let running = false;

/** What {@linkcode interpretHalves} returns for a TB it leaves to the reference interpreter. */
export const NOT_RUN = -1;

/**
 * Runs one TB as the reference interpreter does (same result, same state after, same trap)
 * if this tier knows every op of it; else returns {@linkcode NOT_RUN} having done nothing
 * (also when it is running already, or the CPU is parked).
 */
export function interpretHalves(cpu: CpuCore, tb: TranslationBlock): number {
  const p = tb.code;
  const known = tb.halves || (tb.halves = knowsAll(cpu, p) ? 1 : 2);
  if (known !== 1 || running || cpu.parked) return NOT_RUN;
  // one spare temp after the TB's (see GOTO_TB)
  if (halves.length < 2 * p.numTemps + 2) halves = new Int32Array(4 * p.numTemps + 2);
  running = true;
  try {
    moveGlobals(cpu, p, halves, false);
    return executeHalves(cpu, tb, halves);
  } finally {
    running = false;
  }
}

/** Loads the globals `p` uses into `h` (`out` false), or writes back those it writes (`out`). */
function moveGlobals(cpu: CpuCore, p: PackedIr, h: Int32Array, out: boolean): void {
  const code = p.code, dv = cpu.host.dv, used = p.used, numUsed = p.numUsed;
  const from = out ? used + numUsed : used, end = out ? from + p.numWritten : from + numUsed;
  for (let k = from; k < end; k++) {
    const g = code[k], at = cpu.globalHostOffset(g);
    if (out) {
      dv.setInt32(at, h[2 * g], true);
      dv.setInt32(at + 4, h[2 * g + 1], true);
    } else {
      h[2 * g] = dv.getInt32(at, true);
      h[2 * g + 1] = dv.getInt32(at + 4, true);
    }
  }
}

/** Writes back the globals and sets the pc to `lo`, `hi`. */
function leave(cpu: CpuCore, p: PackedIr, h: Int32Array, lo: number, hi: number): void {
  moveGlobals(cpu, p, h, true);
  const at = cpu.globalHostOffset(-1), dv = cpu.host.dv;
  dv.setInt32(at, lo, true);
  dv.setInt32(at + 4, hi, true);
}

/** Temp `d` of `h` = the wide value of the op at `at` (word 0 `w`) of `p`. */
function setWide(p: PackedIr, at: number, w: number, h: Int32Array, d: number): void {
  const code = p.code, v = code[at + W_E];
  if (w & WIDE_INLINE) {
    h[2 * d] = v;
    h[2 * d + 1] = v >> 31;
  } else if (w & WIDE_FAR) {
    const x = 2 * (p.wideBase + v);
    h[2 * d] = code[x + LOW];
    h[2 * d + 1] = code[x + HIGH];
  } else h[2 * d] = h[2 * d + 1] = 0;
}

/**
 * The index of the first of the `n` instruction boundaries at `starts` in `code` after op `i`
 * (`n` if none).
 */
function boundaryAfter(code: Int32Array, starts: number, n: number, i: number): number {
  let k = 0;
  while (k < n && code[starts + START_STRIDE * k] <= i) k++;
  return k;
}

/** The pc of instruction boundary `k` of `tb` (before the first: its start), as the reference's. */
function pcOf(tb: TranslationBlock, k: number): bigint {
  if (k < 0) return tb.pc;
  const p = tb.code, code = p.code, s = p.starts + START_STRIDE * k, w = code[s + 1];
  return readWide(w, rawWide(w, code[s + 2], p.wide, p.wideBase));
}

/** Runs the ops of `tb` over halves `h` (globals loaded). */
function executeHalves(cpu: CpuCore, tb: TranslationBlock, h: Int32Array): number {
  const p = tb.code, code = p.code, base = p.base, starts = p.starts, numStarts = p.numStarts;
  // boundary `k` is the next to come (at op `next`, -1 past the last), `cur` the one whose
  // instruction runs (-1: none yet)
  let k = 0, cur = -1, next = numStarts > 0 ? code[starts] : -1, insn = 0, i = 0;
  try {
    for (;;) {
      while (i === next) {
        const w = code[starts + START_STRIDE * k + 1];
        if (cpu.exitRequest) {
          // a callback asked to leave at the next instruction boundary
          moveGlobals(cpu, p, h, true);
          cpu.pc = pcOf(tb, k);
          return sizeOf(w);
        }
        insn = sizeOf(w);
        cpu.inFlight = insn;
        cur = k;
        next = ++k < numStarts ? code[starts + START_STRIDE * k] : -1;
      }
      const at = base + i * STRIDE, w = code[at], op = w & OP_MASK;
      const d = 2 * code[at + W_D], a = 2 * code[at + W_A], b = 2 * code[at + W_B];
      i++;
      switch (op) {
        case Op.MOV:
          h[d] = h[a];
          h[d + 1] = h[a + 1];
          break;
        case Op.MOVI:
          setWide(p, at, w, h, d >> 1);
          break;
        case Op.SETCOND:
          h[d] = compareHalves(condOf(w), h, a, b) ? 1 : 0;
          h[d + 1] = 0;
          break;
        case Op.MOVCOND: {
          const from = 2 * (compareHalves(condOf(w), h, a, b) ? code[at + W_X] : code[at + W_E]);
          h[d] = h[from];
          h[d + 1] = h[from + 1];
          break;
        }
        case Op.BRCOND:
          if (!compareHalves(condOf(w), h, a, b)) break;
          // falls through
        case Op.BR:
          // the boundaries the jump passes over do not run (a LABEL op follows those at its index)
          i = code[p.labels + code[at + W_X]];
          k = boundaryAfter(code, starts, numStarts, i);
          next = k < numStarts ? code[starts + START_STRIDE * k] : -1;
          break;
        case Op.LABEL:
          break;
        case Op.LOAD:
          loadHalves(cpu, p, at, w, h, d, a);
          break;
        case Op.STORE:
          storeHalves(cpu, p, at, w, h, a, b);
          break;
        case Op.GOTO_TB: {
          // the pc goes through the spare temp after the TB's
          const spare = p.numTemps;
          setWide(p, at, w, h, spare);
          leave(cpu, p, h, h[2 * spare], h[2 * spare + 1]);
          return tb.insnCount;
        }
        case Op.GOTO_PTR:
          leave(cpu, p, h, h[a], h[a + 1]);
          return tb.insnCount;
        case Op.COUNTER_ADD:
          counterAdd(cpu, p, at, w, h);
          break;
        case Op.CALL:
          plainHelper(cpu, p, at)!.fn(cpu, ...argsOf(p, i - 1).map((t) => h[2 * t]));
          break;
        default:
          aluHalves(op, h, d, a, b);
      }
    }
  } catch (e) {
    return stopOnThrow(e, cpu, tb, h, cur, insn);
  }
}

/** COUNTER_ADD at `at`: the host i64 at its address += its delta (through the spare temp). */
function counterAdd(cpu: CpuCore, p: PackedIr, at: number, w: number, h: Int32Array): void {
  const dv = cpu.host.dv, x = p.code[at + W_X] >>> 0, spare = 2 * p.numTemps;
  setWide(p, at, w, h, p.numTemps);
  const lo = dv.getUint32(x, true), sum = lo + (h[spare] >>> 0);
  dv.setUint32(x, sum >>> 0, true);
  dv.setInt32(x + 4, dv.getInt32(x + 4, true) + h[spare + 1] + (sum > 0xffffffff ? 1 : 0), true);
}

/**
 * Ends `tb` on `e`, thrown by the instruction of boundary `cur` (`insn` instructions done before
 * it), as the reference does: a guest fault or helper trap becomes `cpu.trap`; anything else is
 * thrown on.
 */
function stopOnThrow(
  e: unknown,
  cpu: CpuCore,
  tb: TranslationBlock,
  h: Int32Array,
  cur: number,
  insn: number,
): number {
  // A callback moved the pc: its instruction did not run; registers are in state.
  if (e instanceof PcRedirect) return insn;
  const pc = pcOf(tb, cur), trap = trapFrom(e, pc, cpu);
  if (!trap) throw e;
  moveGlobals(cpu, tb.code, h, true);
  cpu.pc = pc;
  cpu.trap = trap;
  return insn;
}

/** Evaluates `cond` on the temps whose low halves are `h[a]` and `h[b]`. */
function compareHalves(cond: Cond, h: Int32Array, a: number, b: number): boolean {
  const ah = h[a + 1], bh = h[b + 1], al = h[a] >>> 0, bl = h[b] >>> 0;
  switch (cond) {
    case Cond.EQ:
      return al === bl && ah === bh;
    case Cond.NE:
      return al !== bl || ah !== bh;
    case Cond.LT:
      return ah < bh || (ah === bh && al < bl);
    case Cond.GE:
      return ah > bh || (ah === bh && al >= bl);
    case Cond.LE:
      return ah < bh || (ah === bh && al <= bl);
    case Cond.GT:
      return ah > bh || (ah === bh && al > bl);
    case Cond.LTU:
      return ah >>> 0 < bh >>> 0 || (ah === bh && al < bl);
    case Cond.GEU:
      return ah >>> 0 > bh >>> 0 || (ah === bh && al >= bl);
    case Cond.LEU:
      return ah >>> 0 < bh >>> 0 || (ah === bh && al <= bl);
    default:
      return ah >>> 0 > bh >>> 0 || (ah === bh && al > bl);
  }
}

/** Op `op`, an integer ALU op or extension, on the temps at `a` and `b` of `h`, into `d`. */
function aluHalves(op: number, h: Int32Array, d: number, a: number, b: number): void {
  const al = h[a], ah = h[a + 1];
  let lo = 0, hi = 0;
  switch (op) {
    case Op.ADD:
      lo = (al + h[b]) | 0;
      hi = (ah + h[b + 1] + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
      break;
    case Op.SUB:
      lo = (al - h[b]) | 0;
      hi = (ah - h[b + 1] - (al >>> 0 < h[b] >>> 0 ? 1 : 0)) | 0;
      break;
    case Op.MUL:
      lo = Math.imul(al, h[b]);
      hi = (mulHighU32(al, h[b]) + Math.imul(al, h[b + 1]) + Math.imul(ah, h[b])) | 0;
      break;
    case Op.AND:
      lo = al & h[b];
      hi = ah & h[b + 1];
      break;
    case Op.OR:
      lo = al | h[b];
      hi = ah | h[b + 1];
      break;
    case Op.XOR:
      lo = al ^ h[b];
      hi = ah ^ h[b + 1];
      break;
    case Op.SHL:
    case Op.SHR:
    case Op.SAR:
      shiftHalves(op, h, d, al, ah, h[b] & 63);
      return;
    case Op.MULHS:
    case Op.MULHU:
    case Op.MULHSU:
    case Op.DIV:
    case Op.DIVU:
    case Op.REM:
    case Op.REMU:
    case Op.DIV32:
    case Op.DIVU32:
    case Op.REM32:
    case Op.REMU32:
      rareHalves(op, h, d, a, b);
      return;
    case Op.EXT8U:
      lo = al & 0xff;
      break;
    case Op.EXT16U:
      lo = al & 0xffff;
      break;
    case Op.EXT32U:
      lo = al;
      break;
    default:
      lo = alu32(op, h, al, b);
      hi = lo >> 31;
  }
  h[d] = lo;
  h[d + 1] = hi;
}

/** Rare op `op` (high products, division) through the reference's bigint ALU. */
function rareHalves(op: number, h: Int32Array, d: number, a: number, b: number): void {
  const big = (x: number) => (BigInt(h[x + 1]) << 32n) | BigInt(h[x] >>> 0);
  const v = alu(op as Op, big(a), big(b));
  h[d] = Number(BigInt.asIntN(32, v));
  h[d + 1] = Number(BigInt.asIntN(32, v >> 32n));
}

/** The high 32 bits of the product of `a` and `b` read as unsigned 32-bit numbers. */
function mulHighU32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const m1 = a1 * b0 + ((a0 * b0) >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return a1 * b1 + (m1 >>> 16) + (m2 >>> 16);
}

/** A 64-bit shift (SHL, SHR, SAR) of `al`, `ah` by `s` (0 to 63), into temp `d` of `h`. */
function shiftHalves(op: number, h: Int32Array, d: number, al: number, ah: number, s: number) {
  let lo = al, hi = ah;
  if (s >= 32) {
    lo = op === Op.SHL ? 0 : op === Op.SHR ? ah >>> (s - 32) : ah >> (s - 32);
    hi = op === Op.SHL ? al << (s - 32) : op === Op.SHR ? 0 : ah >> 31;
  } else if (s > 0) {
    lo = op === Op.SHL ? al << s : (al >>> s) | (ah << (32 - s));
    hi = op === Op.SHL ? (ah << s) | (al >>> (32 - s)) : op === Op.SHR ? ah >>> s : ah >> s;
  }
  h[d] = lo;
  h[d + 1] = hi;
}

/**
 * The low half of op `op` (a 32-bit op or an extension) on `al` and the temp at `b` of `h`;
 * its high half is the sign of the low one.
 */
function alu32(op: number, h: Int32Array, al: number, b: number): number {
  switch (op) {
    case Op.ADD32:
      return (al + h[b]) | 0;
    case Op.SUB32:
      return (al - h[b]) | 0;
    case Op.MUL32:
      return Math.imul(al, h[b]);
    case Op.SHL32:
      return al << (h[b] & 31);
    case Op.SHR32:
      return (al >>> (h[b] & 31)) | 0;
    case Op.SAR32:
      return al >> (h[b] & 31);
    case Op.EXT8S:
      return (al << 24) >> 24;
    case Op.EXT16S:
      return (al << 16) >> 16;
    default: // EXT32S
      return al;
  }
}

/** Puts in `addr` the guest address of LOAD or STORE op `at` (word 0 `w`) of `p`, from `a`. */
function addressOf(p: PackedIr, at: number, w: number, h: Int32Array, a: number): void {
  const code = p.code, v = code[at + W_E], al = h[a];
  let il = 0, ih = 0;
  if (w & WIDE_INLINE) {
    il = v;
    ih = v >> 31;
  } else if (w & WIDE_FAR) {
    const x = 2 * (p.wideBase + v);
    il = code[x + LOW];
    ih = code[x + HIGH];
  }
  const lo = (al + il) | 0;
  addr[0] = lo;
  addr[1] = (h[a + 1] + ih + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
}

/** The last guest address {@linkcode addressOf} made: low half, high half. */
const addr = new Int32Array(2);

/** The address in `addr` as a bigint (unsigned), for the reference's memory access. */
function bigAddress(): bigint {
  return BigInt.asUintN(64, (BigInt(addr[1]) << 32n) | BigInt(addr[0] >>> 0));
}

/** The page recently resolved for an access of `size` bytes at `addr`, if it holds them all. */
function recentFrame(cpu: CpuCore, size: number, write: boolean): number {
  const lo = addr[0], off = lo & (PAGE_SIZE - 1);
  if (off + size > PAGE_SIZE || cpu.helperAccessWatch !== null) return -1;
  const page = cpu.mem.recentPage((addr[1] >>> 0) * 0x100000 + (lo >>> 12), write);
  // recent pages are never MMIO; a store to a page with code goes the reference's way
  if (page === undefined || (write && page.hasCode)) return -1;
  if (write) cpu.host.dirty.mark(page.frame);
  return page.frame + off;
}

/** Runs LOAD op `at` (word 0 `w`) of `p` into temp `d` of `h`. */
function loadHalves(
  cpu: CpuCore,
  p: PackedIr,
  at: number,
  w: number,
  h: Int32Array,
  d: number,
  a: number,
): void {
  addressOf(p, at, w, h, a);
  // a temp holds a signed 64-bit value: an 8-byte load is signed whatever the op says
  const size = sizeOf(w), signed = ((w & SIGNED) | (size & 8)) !== 0;
  const x = recentFrame(cpu, size, false);
  if (x < 0) {
    const v = cpu.load(bigAddress(), size, signed);
    h[d] = Number(BigInt.asIntN(32, v));
    h[d + 1] = Number(BigInt.asIntN(32, v >> 32n));
    return;
  }
  const dv = cpu.host.dv;
  let lo: number;
  switch (size) {
    case 1:
      lo = signed ? dv.getInt8(x) : dv.getUint8(x);
      break;
    case 2:
      lo = signed ? dv.getInt16(x, true) : dv.getUint16(x, true);
      break;
    case 4:
      lo = dv.getInt32(x, true);
      h[d] = lo;
      h[d + 1] = signed ? lo >> 31 : 0;
      return;
    default:
      h[d] = dv.getInt32(x, true);
      h[d + 1] = dv.getInt32(x + 4, true);
      return;
  }
  h[d] = lo;
  h[d + 1] = lo >> 31;
}

/** Runs STORE op `at` (word 0 `w`) of `p`: the temp at `b` of `h` to the address from `a`. */
function storeHalves(
  cpu: CpuCore,
  p: PackedIr,
  at: number,
  w: number,
  h: Int32Array,
  a: number,
  b: number,
): void {
  addressOf(p, at, w, h, a);
  const size = sizeOf(w), x = recentFrame(cpu, size, true), lo = h[b];
  if (x < 0) {
    cpu.store(bigAddress(), size, (BigInt(h[b + 1]) << 32n) | BigInt(lo >>> 0));
    return;
  }
  const dv = cpu.host.dv;
  if (size === 1) dv.setInt8(x, lo);
  else if (size === 2) dv.setInt16(x, lo, true);
  else {
    dv.setInt32(x, lo, true);
    if (size === 8) dv.setInt32(x + 4, h[b + 1], true);
  }
}
