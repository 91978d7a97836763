/**
 * The reference backend: a plain interpreter of IR ops over bigint temps.
 * Slow and readable on purpose; the JIT is checked against it.
 *
 * @module
 */

import { GuestFault, InternalError } from "./errors.ts";
import { Cond, type IrBlock, isVectorOp, Op, type Temp, visitOperands } from "./ir.ts";
import { runVectorOp } from "./interp_vector.ts";
import type { TranslationBlock } from "./tb.ts";
import { GuestTrap, PcRedirect, type Trap, TrapKind } from "./trap.ts";
import type { CpuCore } from "./cpu_core.ts";

const MIN64 = -(1n << 63n);
const MIN32 = -(1n << 31n);

/** Per-TB data the interpreter computes once: label positions and used globals. */
interface Plan {
  /** the op index of each label */
  labels: number[];
  /** globals read or written by the TB */
  used: number[];
  /** globals written by the TB */
  written: number[];
}

/** How a TB uses a global, in {@linkcode plan}. */
const READ = 1, WRITTEN = 2;

/**
 * The plan of a TB, in one pass over its ops with plain arrays: most TBs run a few times, and
 * typed arrays and a second pass made planning cost as much as running them (docs/perf.md).
 */
function plan(ir: IrBlock, numGlobals: number): Plan {
  const labels: number[] = [], use: number[] = [];
  const read = (t: Temp) => {
    if (t >= 0 && t < numGlobals) use[t] |= READ;
  };
  const ops = ir.ops;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    if (o.op === Op.LABEL) labels[o.label] = i;
    const w = visitOperands(o, read);
    if (w >= 0 && w < numGlobals) use[w] |= WRITTEN;
  }
  const used: number[] = [], written: number[] = [];
  for (let g = 0; g < use.length; g++) {
    if (use[g]) used.push(g);
    if (use[g] & WRITTEN) written.push(g);
  }
  return { labels, used, written };
}

/** Evaluates a comparison on signed 64-bit values. */
export function compare(cond: Cond, a: bigint, b: bigint): boolean {
  switch (cond) {
    case Cond.EQ:
      return a === b;
    case Cond.NE:
      return a !== b;
    case Cond.LT:
      return a < b;
    case Cond.GE:
      return a >= b;
    case Cond.LE:
      return a <= b;
    case Cond.GT:
      return a > b;
    case Cond.LTU:
      return BigInt.asUintN(64, a) < BigInt.asUintN(64, b);
    case Cond.GEU:
      return BigInt.asUintN(64, a) >= BigInt.asUintN(64, b);
    case Cond.LEU:
      return BigInt.asUintN(64, a) <= BigInt.asUintN(64, b);
    default:
      return BigInt.asUintN(64, a) > BigInt.asUintN(64, b);
  }
}

const f64View = new Float64Array(1);
const i64View = new BigInt64Array(f64View.buffer);

/** Applies `f` to `a` and `b` read as binary64 bit patterns. */
function floatOp(a: bigint, b: bigint, f: (x: number, y: number) => number): bigint {
  i64View[0] = a;
  const x = f64View[0];
  i64View[0] = b;
  f64View[0] = f(x, f64View[0]);
  return i64View[0];
}

const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);
const u32 = (v: bigint) => BigInt.asUintN(32, v);

/** Evaluates a binary ALU op or extension on signed 64-bit values. */
export function alu(op: Op, a: bigint, b: bigint): bigint {
  switch (op) {
    case Op.ADD:
      return s64(a + b);
    case Op.SUB:
      return s64(a - b);
    case Op.MUL:
      return s64(a * b);
    case Op.AND:
      return a & b;
    case Op.OR:
      return a | b;
    case Op.XOR:
      return a ^ b;
    case Op.SHL:
      return s64(a << (b & 63n));
    case Op.SHR:
      return s64(u64(a) >> (b & 63n));
    case Op.SAR:
      return a >> (b & 63n);
    case Op.MULHS:
      return s64((a * b) >> 64n);
    case Op.MULHU:
      return s64((u64(a) * u64(b)) >> 64n);
    case Op.MULHSU:
      return s64((a * u64(b)) >> 64n);
    case Op.DIV:
      if (b === 0n) return -1n;
      if (a === MIN64 && b === -1n) return MIN64;
      return s64(a / b);
    case Op.DIVU:
      return b === 0n ? -1n : s64(u64(a) / u64(b));
    case Op.REM:
      if (b === 0n) return a;
      if (a === MIN64 && b === -1n) return 0n;
      return a % b;
    case Op.REMU:
      return b === 0n ? a : s64(u64(a) % u64(b));
    case Op.ADD32:
      return s32(a + b);
    case Op.SUB32:
      return s32(a - b);
    case Op.MUL32:
      return s32(a * b);
    case Op.SHL32:
      return s32(a << (b & 31n));
    case Op.SHR32:
      return s32(u32(a) >> (b & 31n));
    case Op.SAR32:
      return s32(a) >> (b & 31n);
    case Op.DIV32: {
      const x = s32(a), y = s32(b);
      if (y === 0n) return -1n;
      if (x === MIN32 && y === -1n) return MIN32;
      return s32(x / y);
    }
    case Op.DIVU32: {
      const y = u32(b);
      return y === 0n ? -1n : s32(u32(a) / y);
    }
    case Op.REM32: {
      const x = s32(a), y = s32(b);
      if (y === 0n) return x;
      if (x === MIN32 && y === -1n) return 0n;
      return x % y;
    }
    case Op.REMU32: {
      const y = u32(b);
      return y === 0n ? s32(a) : s32(u32(a) % y);
    }
    case Op.EXT8S:
      return BigInt.asIntN(8, a);
    case Op.EXT8U:
      return BigInt.asUintN(8, a);
    case Op.EXT16S:
      return BigInt.asIntN(16, a);
    case Op.EXT16U:
      return BigInt.asUintN(16, a);
    case Op.EXT32S:
      return s32(a);
    case Op.EXT32U:
      return u32(a);
    case Op.FADD64:
      return floatOp(a, b, (x, y) => x + y);
    case Op.FSUB64:
      return floatOp(a, b, (x, y) => x - y);
    case Op.FMUL64:
      return floatOp(a, b, (x, y) => x * y);
    case Op.FDIV64:
      return floatOp(a, b, (x, y) => x / y);
    case Op.I64_TO_F64:
      f64View[0] = Number(a);
      return i64View[0];
    default:
      throw new InternalError(`not an ALU op: ${op}`);
  }
}

/** The interpreter's plan of each TB, made at its first run. */
const plans = new WeakMap<TranslationBlock, Plan>();

/** Guest loads and stores as the interpreter does them (the CPU's, or a logging wrapper). */
export type GuestAccess = Pick<CpuCore, "load" | "store">;

/**
 * Runs one TB. Returns the number of guest instructions completed; on a trap
 * the trap is stored in `cpu.trap` (and the faulting instruction is not counted).
 * Guest loads and stores go through `access` (default: the CPU).
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
  const numGlobals = cpu.target.state.globals.length;
  let p = plans.get(tb);
  if (!p) plans.set(tb, p = plan(tb.ir, numGlobals));
  // Temps are written before they are read, so one array serves every TB
  // (a nested run, from inside a callback, gets its own).
  const t = running ? new Array<bigint>(tb.ir.numTemps) : scratch;
  const outer = running;
  running = true;
  try {
    for (const g of p.used) t[g] = cpu.getGlobal(g);
    return executeOps(cpu, access, tb, p, t);
  } finally {
    running = outer;
  }
}

/** The temps of the running TB (see interpretBlock). */
const scratch: bigint[] = [];
let running = false;

function writeBack(cpu: CpuCore, p: Plan, t: bigint[]): void {
  for (const g of p.written) cpu.setGlobal(g, t[g]);
}

/** Runs the ops of `tb` over temps `t` (globals loaded). */
function executeOps(
  cpu: CpuCore,
  access: GuestAccess,
  tb: TranslationBlock,
  p: Plan,
  t: bigint[],
): number {
  const ops = tb.ir.ops;
  let insn = 0;
  let pc = tb.pc;
  let i = 0;
  try {
    for (;;) {
      const o = ops[i++];
      switch (o.op) {
        case Op.MOV:
          t[o.d] = t[o.a];
          break;
        case Op.MOVI:
          t[o.d] = o.imm;
          break;
        case Op.SETCOND:
          t[o.d] = compare(o.cond, t[o.a], t[o.b]) ? 1n : 0n;
          break;
        case Op.MOVCOND:
          t[o.d] = compare(o.cond, t[o.a], t[o.b]) ? t[o.c] : t[o.e];
          break;
        case Op.BRCOND:
          if (compare(o.cond, t[o.a], t[o.b])) i = p.labels[o.label];
          break;
        case Op.BR:
          i = p.labels[o.label];
          break;
        case Op.LABEL:
          break;
        case Op.LOAD:
          t[o.d] = access.load(BigInt.asUintN(64, t[o.a] + o.imm), o.size, o.signed);
          break;
        case Op.STORE:
          access.store(BigInt.asUintN(64, t[o.a] + o.imm), o.size, t[o.b]);
          break;
        case Op.LOAD_HOST:
          t[o.d] = cpu.host.dv.getBigInt64(Number(o.imm), true);
          break;
        case Op.STORE_HOST:
          cpu.host.dv.setBigInt64(Number(o.imm), t[o.a], true);
          break;
        case Op.TRACE:
          cpu.traceCallback?.(Number(o.imm));
          break;
        case Op.COUNTER_INC8: {
          const u8 = cpu.host.u8, at = Number(o.imm) + Number(t[o.a]);
          const v = u8[at] + 1;
          u8[at] = v + (v >> 8);
          break;
        }
        case Op.COUNTER_ADD: {
          const at = Number(o.imm);
          cpu.host.dv.setBigInt64(
            at,
            BigInt.asIntN(64, cpu.host.dv.getBigInt64(at, true) + o.pc),
            true,
          );
          break;
        }
        case Op.CALL: {
          const h = cpu.target.helpers[Number(o.imm)] ??
            cpu.extraHelpers[Number(o.imm) - cpu.target.helpers.length];
          const f = h.flags;
          if (f?.readsState || f?.writesState || f?.mayTrap) {
            writeBack(cpu, p, t);
            cpu.pc = pc;
          }
          const r = h.smallArgs
            ? h.fn(cpu, ...o.args.map((a) => Number(BigInt.asIntN(32, t[a]))))
            : h.fn(cpu, ...o.args.map((a) => t[a]));
          if (f?.writesState) { for (const g of p.used) t[g] = cpu.getGlobal(g); }
          if (h.hasResult && o.d >= 0) t[o.d] = BigInt.asIntN(64, r as bigint);
          break;
        }
        case Op.INSN_START:
          if (cpu.exitRequest) {
            // a callback asked to leave at the next instruction boundary
            writeBack(cpu, p, t);
            cpu.pc = o.pc;
            return o.size;
          }
          insn = o.size;
          cpu.inFlight = insn;
          pc = o.pc;
          break;
        case Op.GOTO_TB:
          writeBack(cpu, p, t);
          cpu.pc = o.pc;
          return tb.insns.length;
        case Op.GOTO_PTR: {
          const target = t[o.a];
          writeBack(cpu, p, t);
          cpu.pc = BigInt.asUintN(64, target);
          return tb.insns.length;
        }
        case Op.RAISE:
          writeBack(cpu, p, t);
          cpu.pc = pc;
          cpu.trap = {
            kind: Number(o.imm) as TrapKind,
            cause: o.c,
            pc,
            data: o.a >= 0 ? BigInt.asUintN(64, t[o.a]) : 0n,
          };
          return insn;
        default:
          if (isVectorOp(o.op)) runVectorOp(cpu, access, o, t);
          else t[o.d] = alu(o.op, t[o.a], t[o.b]);
      }
    }
  } catch (e) {
    // A callback moved the pc: its instruction did not run; registers are in state.
    if (e instanceof PcRedirect) return insn;
    const trap = trapFrom(e, pc, cpu);
    if (!trap) throw e;
    writeBack(cpu, p, t);
    cpu.pc = pc;
    cpu.trap = trap;
    return insn;
  }
}

/** Converts a thrown guest fault or helper trap into a {@linkcode Trap} at `pc`, or null. */
export function trapFrom(e: unknown, pc: bigint, cpu: CpuCore): Trap | null {
  if (e instanceof GuestFault) {
    return {
      kind: TrapKind.MEMORY,
      cause: cpu.target.memoryFaultCause?.(e.access, e.reason) ?? 0,
      pc,
      data: e.address,
      access: e.access,
    };
  }
  if (e instanceof GuestTrap) return { kind: e.kind, cause: e.trapCause, pc, data: e.data };
  return null;
}
