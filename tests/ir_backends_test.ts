// Differential test of the two backends on random IR: the reference
// interpreter and the wasm JIT must leave identical state and traps.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  Cond,
  CpuCore,
  GuestMemory,
  type IrBuilder,
  JitBackend,
  Op,
  Perm,
  type TargetArch,
  TrapKind,
} from "../mod.ts";

const NREGS = 8;
const DATA = 0x20000n;

/** xorshift PRNG so every run is the same. */
function rng(seed: number) {
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

const BINOPS = [
  Op.ADD,
  Op.SUB,
  Op.MUL,
  Op.AND,
  Op.OR,
  Op.XOR,
  Op.SHL,
  Op.SHR,
  Op.SAR,
  Op.MULHS,
  Op.MULHU,
  Op.MULHSU,
  Op.DIV,
  Op.DIVU,
  Op.REM,
  Op.REMU,
  Op.ADD32,
  Op.SUB32,
  Op.MUL32,
  Op.SHL32,
  Op.SHR32,
  Op.SAR32,
  Op.DIV32,
  Op.DIVU32,
  Op.REM32,
  Op.REMU32,
  Op.EXT8S,
  Op.EXT8U,
  Op.EXT16S,
  Op.EXT16U,
  Op.EXT32S,
  Op.EXT32U,
];
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

/** A toy target whose TB at pc N is a random IR program seeded by N. */
function toyTarget(blocks: number): TargetArch {
  const globals = Array.from({ length: NREGS }, (_, i) => ({ name: `r${i}`, offset: i * 8 }));
  return {
    name: "toy",
    xlen: 64,
    elfMachine: 0,
    elfClass: 2,
    state: { size: 80, pcOffset: 64, globals, registers: [] },
    helpers: [{
      name: "mix",
      fn: (_cpu: unknown, a: bigint, b: bigint) => (a * 31n) ^ b,
      hasResult: true,
    }],
    reset() {},
    tbFlags: () => 0,
    insnLength: () => 4,
    disassemble: () => "toy",
    translate(ctx) {
      const r = rng(Number(ctx.pc) * 7919 + 1);
      const b: IrBuilder = ctx.ir;
      const n = 3 + (r() % 6);
      const reg = () => r() % NREGS;
      const val = () =>
        r() % 3 === 0 ? SPECIAL[r() % SPECIAL.length] : BigInt(r()) << BigInt(r() % 40);
      for (let i = 0; i < n; i++) {
        const pc = ctx.pc + BigInt(4 * i);
        ctx.beginInsn(pc, 4, 0);
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
        } else if (kind === 8) b.call(reg(), 0, [reg(), reg()]);
        else b.setcond(r() % 10 as Cond, reg(), reg(), reg());
      }
      const end = ctx.pc + BigInt(4 * n);
      ctx.beginInsn(end, 4, 0);
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
    },
  };
}

function machine(jit: boolean, blocks: number) {
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

function snapshot(cpu: CpuCore) {
  const regs = Array.from({ length: NREGS }, (_, i) => cpu.getGlobal(i));
  return {
    regs,
    pc: cpu.pc,
    icount: cpu.icount,
    data: [...cpu.mem.readBytes(DATA, 0x1000)].join(),
  };
}

Deno.test("interp and jit agree on random IR", async (t) => {
  let traps = 0, regionCalls = 0;
  for (const blocks of [1, 3, 17, 40, 90]) {
    await t.step(`${blocks} blocks`, () => {
      const a = machine(false, blocks), b = machine(true, blocks);
      for (let step = 0; step < 400; step++) {
        const budget = 1 + (step * 37) % 200;
        const ea = a.run(budget), eb = b.run(budget);
        assertEquals(eb, ea, `exit at step ${step}`);
        assertEquals(snapshot(b), snapshot(a), `state at step ${step}`);
        if (ea.reason === "trap") {
          traps++;
          // resume after the trapping instruction
          a.pc = b.pc = a.pc + 4n;
        }
      }
      regionCalls += (b.backend as JitBackend).stats.regionCalls;
    });
  }
  assert(traps > 10, `the random programs should trap sometimes (${traps})`);
  assert(regionCalls > 100, `the JIT ran few regions (${regionCalls})`);
});
