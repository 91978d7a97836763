/**
 * The reference backend: a plain interpreter of IR ops over bigint temps.
 * Slow and readable on purpose; the JIT is checked against it.
 *
 * @module
 */

import { alu, compare } from "./interp_alu.ts";
import { INTEGER_ALU_OPS, isVectorOp, Op, type Temp } from "./ir.ts";
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
  unpackOp,
  W_A,
  W_B,
  W_D,
  W_E,
  W_X,
} from "./ir_pack.ts";
import { runVectorOp } from "./interp_vector.ts";
import type { TranslationBlock } from "./tb.ts";
import { PcRedirect, trapFrom, type TrapKind } from "./trap.ts";
import type { CpuCore } from "./cpu_core.ts";
import { interpretHalves } from "./interp32.ts";

/** Guest loads and stores as the interpreter does them (the CPU's, or a logging wrapper). */
export type GuestAccess = Pick<CpuCore, "load" | "store">;

/**
 * Runs one TB as the interpreter tier does: on the tier without bigints
 * (`interp32.ts`) when it runs every op of the TB and the guest accesses go to the CPU, else
 * on the reference ({@linkcode interpretReference}). The result is the same either way.
 *
 * @example
 * ```ts ignore
 * const done = interpretBlock(cpu, tb);
 * if (cpu.trap) console.log("trap at", cpu.trap.pc);
 * ```
 */
export function interpretBlock(
  cpu: CpuCore,
  tb: TranslationBlock,
  access: GuestAccess = cpu,
): number {
  if (access === cpu) {
    const done = interpretHalves(cpu, tb);
    if (done >= 0) return done;
  }
  return interpretReference(cpu, tb, access);
}

/**
 * Runs one TB on the reference interpreter. Returns the number of guest instructions completed;
 * on a trap the trap is stored in `cpu.trap` (and the faulting instruction is not counted).
 * Guest loads and stores go through `access` (default: the CPU).
 *
 * @example
 * ```ts ignore
 * const done = interpretReference(cpu, tb);
 * if (cpu.trap) console.log("trap at", cpu.trap.pc);
 * ```
 */
export function interpretReference(
  cpu: CpuCore,
  tb: TranslationBlock,
  access: GuestAccess = cpu,
): number {
  const p = tb.code;
  // Temps are written before they are read, so one array serves every TB
  // (a nested run, from inside a callback, gets its own).
  const t = tempsFor(running ? [] : scratch, p.numTemps);
  const outer = running;
  running = true;
  try {
    loadGlobals(cpu, p, t);
    return executeOps(cpu, access, tb, t);
  } finally {
    running = outer;
  }
}

/**
 * `t` grown with 0n to `n` temps at least: every write to a temp is then in bounds and the
 * array stays packed (an out-of-bounds write deoptimises executeOps).
 */
function tempsFor(t: bigint[], n: number): bigint[] {
  while (t.length < n) t.push(0n);
  return t;
}

/** The temps of the running TB (see interpretReference). */
const scratch: bigint[] = [];
let running = false;

/** Loads the globals the TB uses into `t`. */
function loadGlobals(cpu: CpuCore, p: PackedIr, t: bigint[]): void {
  const code = p.code, from = p.used, end = from + p.numUsed;
  for (let k = from; k < end; k++) t[code[k]] = cpu.getGlobal(code[k]);
}

/** Writes the globals the TB writes back from `t`. */
function writeBack(cpu: CpuCore, p: PackedIr, t: bigint[]): void {
  const code = p.code, from = p.used + p.numUsed, end = from + p.numWritten;
  for (let k = from; k < end; k++) cpu.setGlobal(code[k], t[code[k]]);
}

/** Calls the helper of CALL op `i`, syncing state around it as its flags ask. */
function callHelper(cpu: CpuCore, p: PackedIr, i: number, t: bigint[], pc: bigint): void {
  const code = p.code, at = p.base + i * STRIDE;
  const id = Number(rawWide(code[at], code[at + W_E], p.wide, p.wideBase));
  const h = cpu.helper(id);
  const f = h.flags;
  if (f?.readsState || f?.writesState || f?.mayTrap) {
    writeBack(cpu, p, t);
    cpu.pc = pc;
  }
  const args = argsOf(p, i);
  const r = h.smallArgs
    ? h.fn(cpu, ...args.map((a) => Number(BigInt.asIntN(32, t[a]))))
    : h.fn(cpu, ...args.map((a) => t[a]));
  if (f?.writesState) loadGlobals(cpu, p, t);
  const d = code[at + W_D];
  if (h.hasResult && d >= 0) t[d] = BigInt.asIntN(64, r as bigint);
}

/**
 * Runs instrumentation op `op` (on host memory or the trace buffer) with temps
 * `d`, `a`, word `W_X` `x` and wide value `v`.
 */
function hostOp(
  cpu: CpuCore,
  op: number,
  d: Temp,
  a: Temp,
  x: number,
  v: bigint,
  t: bigint[],
): void {
  const dv = cpu.host.dv;
  switch (op) {
    case Op.LOAD_HOST:
      t[d] = dv.getBigInt64(Number(v), true);
      return;
    case Op.STORE_HOST:
      dv.setBigInt64(Number(v), t[a], true);
      return;
    case Op.TRACE:
      cpu.traceCallback?.(Number(v));
      return;
    case Op.COUNTER_INC8: {
      const u8 = cpu.host.u8, at8 = Number(v) + Number(t[a]);
      const n = u8[at8] + 1;
      u8[at8] = n + (n >> 8);
      return;
    }
    default: // COUNTER_ADD
      dv.setBigInt64(x >>> 0, BigInt.asIntN(64, dv.getBigInt64(x >>> 0, true) + v), true);
  }
}

/** Whether op `i` is an integer ALU op or extension, by op number. */
const IS_INTEGER_ALU = new Uint8Array(256);
for (const op of INTEGER_ALU_OPS) IS_INTEGER_ALU[op] = 1;

/**
 * Runs the ops of `tb` over temps `t` (globals loaded). The common ops are in its switch; the
 * others are in {@linkcode runRareOp}, so that this function stays small to compile and its
 * type feedback stays complete.
 */
function executeOps(cpu: CpuCore, access: GuestAccess, tb: TranslationBlock, t: bigint[]): number {
  const p = tb.code, code = p.code, wide = p.wide, base = p.base, far = p.wideBase;
  // Instruction boundary `k` comes before op code[starts + START_STRIDE * k] (`i`, below).
  const starts = p.starts;
  let k = 0, next = startOf(p, 0);
  let insn = 0;
  let pc = tb.pc;
  let i = 0;
  try {
    for (;;) {
      while (i === next) {
        const s = starts + START_STRIDE * k, w = code[s + 1];
        const start = readWide(w, rawWide(w, code[s + 2], wide, far));
        if (cpu.exitRequest) {
          // a callback asked to leave at the next instruction boundary
          writeBack(cpu, p, t);
          cpu.pc = start;
          return sizeOf(w);
        }
        insn = sizeOf(w);
        cpu.inFlight = insn;
        pc = start;
        next = startOf(p, ++k);
      }
      const at = base + i * STRIDE, w = code[at], op = w & OP_MASK;
      // the op's wide value (imm or pc), as stored
      const v = rawWide(w, code[at + W_E], wide, far);
      const d = code[at + W_D], a = code[at + W_A], b = code[at + W_B];
      i++;
      switch (op) {
        case Op.MOV:
          t[d] = t[a];
          break;
        case Op.MOVI:
          t[d] = readWide(w, v);
          break;
        case Op.SETCOND:
          t[d] = compare(condOf(w), t[a], t[b]) ? 1n : 0n;
          break;
        case Op.MOVCOND:
          t[d] = compare(condOf(w), t[a], t[b]) ? t[code[at + W_X]] : t[code[at + W_E]];
          break;
        case Op.BRCOND:
          if (!compare(condOf(w), t[a], t[b])) break;
          // falls through
        case Op.BR:
          // the boundaries the jump passes over do not run (a LABEL op follows those at its index)
          i = code[p.labels + code[at + W_X]];
          k = boundaryAfter(p, i);
          next = startOf(p, k);
          break;
        case Op.LABEL:
          break;
        case Op.LOAD: {
          // a temp holds a signed 64-bit value: an 8-byte load is signed whatever the op says
          // (no `||`: both halves run every time, so their type feedback is there from the start)
          const size = sizeOf(w), signed = ((w & SIGNED) | (size & 8)) !== 0;
          t[d] = access.load(BigInt.asUintN(64, t[a] + v), size, signed);
          break;
        }
        case Op.STORE:
          access.store(BigInt.asUintN(64, t[a] + v), sizeOf(w), t[b]);
          break;
        case Op.GOTO_TB:
          writeBack(cpu, p, t);
          cpu.pc = readWide(w, v);
          return tb.insnCount;
        case Op.GOTO_PTR: {
          const target = t[a];
          writeBack(cpu, p, t);
          cpu.pc = BigInt.asUintN(64, target);
          return tb.insnCount;
        }
        default:
          if (IS_INTEGER_ALU[op]) t[d] = alu(op as Op, t[a], t[b]);
          else if (!runRareOp(cpu, access, p, i - 1, t, pc)) return insn;
      }
    }
  } catch (e) {
    return stopOnThrow(e, cpu, p, t, pc, insn);
  }
}

/** The op index at which instruction boundary `k` of `p` comes, or -1 past the last. */
function startOf(p: PackedIr, k: number): number {
  return k < p.numStarts ? p.code[p.starts + START_STRIDE * k] : -1;
}

/** The index of the first instruction boundary after op `i` of `p` (`p.numStarts` if none). */
function boundaryAfter(p: PackedIr, i: number): number {
  const code = p.code, starts = p.starts, numStarts = p.numStarts;
  let k = 0;
  while (k < numStarts && code[starts + START_STRIDE * k] <= i) k++;
  return k;
}

/**
 * Runs op `i` of `p`, one that executeOps leaves out of its switch: instrumentation, helper
 * calls, vector and binary64 ops, RAISE (at `pc`). Returns false when the op ended the TB.
 */
function runRareOp(
  cpu: CpuCore,
  access: GuestAccess,
  p: PackedIr,
  i: number,
  t: bigint[],
  pc: bigint,
): boolean {
  const code = p.code, at = p.base + i * STRIDE, w = code[at], op = w & OP_MASK;
  const v = rawWide(w, code[at + W_E], p.wide, p.wideBase);
  const d = code[at + W_D], a = code[at + W_A];
  switch (op) {
    case Op.LOAD_HOST:
    case Op.STORE_HOST:
    case Op.TRACE:
    case Op.COUNTER_INC8:
    case Op.COUNTER_ADD:
      hostOp(cpu, op, d, a, code[at + W_X], v, t);
      return true;
    case Op.CALL:
      callHelper(cpu, p, i, t, pc);
      return true;
    case Op.RAISE:
      writeBack(cpu, p, t);
      cpu.pc = pc;
      cpu.trap = {
        kind: Number(v) as TrapKind,
        cause: code[at + W_X],
        pc,
        data: a >= 0 ? BigInt.asUintN(64, t[a]) : 0n,
      };
      return false;
    default:
      if (isVectorOp(op as Op)) runVectorOp(cpu, access, unpackOp(p, i), t);
      else t[d] = alu(op as Op, t[a], t[code[at + W_B]]);
      return true;
  }
}

/**
 * Ends the TB on `e`, thrown by the instruction at `pc` (of size `insn`): a guest fault or
 * helper trap becomes `cpu.trap`; anything else is thrown on.
 */
function stopOnThrow(
  e: unknown,
  cpu: CpuCore,
  p: PackedIr,
  t: bigint[],
  pc: bigint,
  insn: number,
): number {
  // A callback moved the pc: its instruction did not run; registers are in state.
  if (e instanceof PcRedirect) return insn;
  const trap = trapFrom(e, pc, cpu);
  if (!trap) throw e;
  writeBack(cpu, p, t);
  cpu.pc = pc;
  cpu.trap = trap;
  return insn;
}
