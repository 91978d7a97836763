// A toy target whose TBs are random IR programs: exercises the backends and
// the hook machinery without any real ISA.
import {
  type Cond,
  CpuCore,
  GuestMemory,
  INTEGER_ALU_OPS,
  type IrEmitter,
  Op,
  Perm,
  type TargetArch,
  TrapKind,
} from "../../plugin.ts";
import { JitBackend } from "../../core/jit/jit_backend.ts";
import { deepStrictEqual as assertEquals } from "node:assert/strict";

export const NREGS = 8;
export const DATA = 0x20000n;

/** xorshift PRNG so every run is the same. */
export function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const BINOPS = INTEGER_ALU_OPS;
const SPECIAL = [
  0n,
  1n,
  -1n,
  2n,
  -2n,
  31n,
  32n,
  63n,
  64n,
  0x7fffffffn,
  -0x80000000n,
  0xffffffffn,
  -(1n << 63n),
  (1n << 63n) - 1n,
];

/** The random draws an instruction of the toy target was made from, and whether it ends a block. */
interface MadeInsn {
  draws: number[];
  end: boolean;
}

/** Translates instructions made before, from `ctx.pc` to the end of their block. */
function replay(
  ctx: Parameters<TargetArch["translate"]>[0],
  made: Map<bigint, MadeInsn>,
  blocks: number,
): void {
  for (let pc = ctx.pc;; pc += 4n) {
    const insn = made.get(pc)!;
    const draws = insn.draws.values(), r = () => draws.next().value as number;
    ctx.beginInsn(pc, 4, 0);
    if (!insn.end) randomInsn(ctx.ir, r);
    else return randomEnd(ctx.ir, r, blocks);
  }
}

/** One random instruction's IR: ALU ops, constants, selects, a store and load, a helper call. */
function randomInsn(b: IrEmitter, r: () => number): void {
  const reg = () => r() % NREGS;
  const val = () => r() % 3 === 0 ? SPECIAL[r() % SPECIAL.length] : BigInt(r()) << BigInt(r() % 40);
  const kind = r() % 10;
  if (kind < 5) b.binop(BINOPS[r() % BINOPS.length], reg(), reg(), reg());
  else if (kind === 5) b.movi(reg(), val());
  else if (kind === 6) {
    const t = b.temp();
    b.movcond(r() % 10 as Cond, t, reg(), reg(), reg(), reg());
    b.mov(reg(), t);
  } else if (kind === 7) {
    const a = b.temp();
    b.binop(Op.AND, a, reg(), b.constant(0xff8n));
    b.store(a, DATA, reg(), [1, 2, 4, 8][r() % 4]);
    b.load(reg(), a, DATA, [1, 2, 4, 8][r() % 4], r() % 2 === 0);
  } else if (kind === 8) {
    if (r() % 2 === 0) b.call(reg(), 0, [reg(), reg()]);
    else b.call(-1, 1, [reg()]);
  } else b.setcond(r() % 10 as Cond, reg(), reg(), reg());
}

/** A block's end: a wild load, a syscall trap, or a conditional jump to one of `blocks` blocks. */
function randomEnd(b: IrEmitter, r: () => number, blocks: number): void {
  const reg = () => r() % NREGS;
  const next = (BigInt(r() % blocks) * 0x100n) + 0x1000n;
  const choice = r() % 8;
  if (choice === 0) {
    // a wild access: faults unless it lands in the data page
    const a = b.temp();
    b.binop(Op.SHL, a, reg(), b.constant(20n));
    b.load(reg(), a, 0n, 8, false);
    b.gotoTb(next);
  } else if (choice === 1) {
    b.raise(TrapKind.SYSCALL, 8);
  } else {
    const l = b.label();
    b.brcond(r() % 10 as Cond, reg(), reg(), l);
    b.gotoTb(next);
    b.setLabel(l);
    b.gotoTb(0x1000n + BigInt(r() % blocks) * 0x100n);
  }
}

/** A toy target whose TB at a new pc N is a random IR program seeded by N. */
export function toyTarget(blocks: number): TargetArch {
  const made = new Map<bigint, MadeInsn>();
  const globals = Array.from({ length: NREGS }, (_, i) => ({ name: `r${i}`, offset: i * 8 }));
  return {
    name: "toy",
    xlen: 64,
    elfMachine: 0,
    elfClass: 2,
    state: {
      size: 80,
      pcOffset: 64,
      globals,
      registers: globals.map((g) => ({
        name: g.name,
        offset: g.offset,
        bits: 64,
        kind: "int" as const,
      })),
    },
    helpers: [{
      name: "mix",
      fn: (_cpu: unknown, a: bigint, b: bigint) => (a * 31n) ^ b,
      hasResult: true,
    }, {
      // writes a register behind the IR's back: the backends must reload it after the call
      name: "bump",
      fn: (cpu: CpuCore, a: number) => cpu.setGlobal(0, cpu.getGlobal(0) + BigInt(a)),
      smallArgs: true,
      hasResult: false,
      flags: { readsState: true, writesState: true },
    }],
    reset() {},
    tbFlags: () => 0,
    disassemble: () => "toy",
    translate(ctx) {
      // A block once made is the program from then on: translating from inside it (a budget
      // cut, the rest after a JIT miss exit) gives the same instructions, as on a real ISA.
      if (made.has(ctx.pc)) return replay(ctx, made, blocks);
      const source = rng(Number(ctx.pc) * 7919 + 1);
      let draws: number[] = [];
      const r = () => {
        const v = source();
        draws.push(v);
        return v;
      };
      const n = 3 + (source() % 6);
      for (let i = 0; i <= n; i++) {
        const pc = ctx.pc + BigInt(4 * i);
        ctx.beginInsn(pc, 4, 0);
        draws = [];
        if (i < n) randomInsn(ctx.ir, r);
        else randomEnd(ctx.ir, r, blocks);
        if (!made.has(pc)) made.set(pc, { draws, end: i === n });
      }
    },
  };
}

export function machine(jit: boolean, blocks: number) {
  const mem = new GuestMemory();
  mem.map(0x1000n, 0x10000n, Perm.R | Perm.X);
  mem.map(DATA, 0x1000n, Perm.R | Perm.W);
  const cpu = new CpuCore(toyTarget(blocks), mem);
  if (jit) {
    const j = new JitBackend(cpu);
    j.hotThreshold = 2;
    cpu.backend = j;
  }
  for (let i = 0; i < NREGS; i++) cpu.setGlobal(i, BigInt(i * 0x1234567) - 3n);
  cpu.pc = 0x1000n;
  return cpu;
}

/**
 * Runs `a` (interpreter) and `b` (JIT) in slices of varying budgets for
 * `steps` slices; after each, both must have exited alike and `state` must
 * agree. A trap resumes both after the trapping instruction. Returns the
 * number of traps.
 */
export function runAlike(
  a: CpuCore,
  b: CpuCore,
  steps: number,
  maxBudget: number,
  state: (cpu: CpuCore) => unknown,
): number {
  let traps = 0;
  for (let step = 0; step < steps; step++) {
    const budget = 1 + (step * 37) % maxBudget;
    const ea = a.run(budget), eb = b.run(budget);
    assertEquals(eb, ea, `exit at step ${step}`);
    assertEquals(state(b), state(a), `state at step ${step}`);
    if (ea.reason === "trap") {
      traps++;
      a.pc = b.pc = a.pc + 4n;
    }
  }
  return traps;
}
