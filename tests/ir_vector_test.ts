// The IR's vector ops (VDUP .. VSAR, VLD, VST) on both backends: random programs over 16-byte
// slots must leave the same slots, registers, memory and traps on the interpreter and the JIT,
// and a few lanes are checked against known answers.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  Cond,
  CpuCore,
  GuestMemory,
  type IrEmitter,
  Op,
  Perm,
  STATE_BASE,
  type TargetArch,
} from "../plugin.ts";
import { JitBackend } from "../core/jit/jit_backend.ts";
import { rng, runAlike } from "./util/toy_target.ts";

const NREGS = 8, SLOTS = 6, SLOT0 = 80, DATA = 0x20000n;
const slot = (i: number) => STATE_BASE + SLOT0 + 16 * i;
const VBIN = [
  Op.VADD,
  Op.VSUB,
  Op.VMUL,
  Op.VAND,
  Op.VOR,
  Op.VXOR,
  Op.VMIN,
  Op.VMINU,
  Op.VMAX,
  Op.VMAXU,
];
const VSHIFT = [Op.VSHL, Op.VSHR, Op.VSAR];

/** One random vector instruction drawn from `r`. */
function randomVectorOp(b: IrEmitter, r: () => number): void {
  const reg = () => r() % NREGS, s = () => slot(r() % SLOTS), size = [1, 2, 4, 8][r() % 4];
  const kind = r() % 9;
  if (kind === 8) b.vmask(s(), slot(r() % SLOTS), (r() % 8) * (16 / size), size);
  else if (kind === 0) b.vdup(s(), reg(), size);
  else if (kind === 1) b.vbinop(VSHIFT[r() % 3], s(), s(), reg(), size);
  else if (kind === 2 || kind === 3) {
    const a = b.temp(); // an address in the data page (or across its end), or a wild one
    b.binop(Op.AND, a, reg(), b.constant(r() % 3 ? 0xffcn : -16n));
    if (kind === 2) b.vld(s(), a, DATA, size);
    else b.vst(a, DATA, s(), size);
  } else b.vbinop(VBIN[r() % VBIN.length], s(), s(), s(), size);
}

/** murmur3's 32-bit finalizer: pcs a few bits apart seed unrelated xorshift streams. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Whether the instruction at `pc` (drawn from `r`) ends its block: blocks start every 0x100
 * bytes at 0x1000 with 2 to 9 instructions (drawn from the block's number) before their end;
 * past it, one pc in four is an end, and the last word of each 0x100 always is, so translating
 * from any pc stops in its block.
 */
function endsBlock(pc: bigint, r: () => number): boolean {
  const base = pc & ~0xffn, at = Number(pc - base) / 4;
  const n = 2 + (rng(mix(Number(base >> 8n)))() % 8);
  return at === n || at === 63 || (at > n && r() % 4 === 0);
}

/** A block's end: a conditional jump to one of 30 blocks. */
function randomEnd(b: IrEmitter, r: () => number): void {
  const l = b.label(), next = () => 0x1000n + BigInt(r() % 30) * 0x100n;
  b.brcond(Cond.LTU, r() % NREGS, r() % NREGS, l);
  b.gotoTb(next());
  b.setLabel(l);
  b.gotoTb(next());
}

/**
 * A toy target whose instruction at each pc is drawn from that pc alone, as a real ISA's is
 * decoded from its word: a TB translated from inside a block (the rest after a JIT miss exit,
 * a budget cut, the pc after a trap) is the same code as that part of the block.
 */
function vectorToy(): TargetArch {
  const globals = Array.from({ length: NREGS }, (_, i) => ({ name: `r${i}`, offset: i * 8 }));
  return {
    name: "vtoy",
    xlen: 64,
    elfMachine: 0,
    elfClass: 2,
    state: {
      size: SLOT0 + 16 * SLOTS,
      pcOffset: 64,
      globals,
      registers: globals.map((g) => ({ ...g, bits: 64, kind: "int" as const })),
    },
    helpers: [],
    reset() {},
    tbFlags: () => 0,
    disassemble: () => "vtoy",
    translate(ctx) {
      for (let pc = ctx.pc;; pc += 4n) {
        ctx.beginInsn(pc, 4, 0);
        const r = rng(mix(Number(pc & 0xffffffffn)));
        if (endsBlock(pc, r)) return randomEnd(ctx.ir, r);
        if (r() % 4 === 0) ctx.ir.binop(Op.MUL, r() % NREGS, r() % NREGS, r() % NREGS);
        else randomVectorOp(ctx.ir, r);
      }
    },
  };
}

/** A machine at 0x1000 whose registers and slots come from `seed`. */
function machine(jit: boolean, seed = 99): CpuCore {
  const mem = new GuestMemory();
  mem.map(0x1000n, 0x10000n, Perm.R | Perm.X);
  mem.map(DATA, 0x1000n, Perm.R | Perm.W);
  const cpu = new CpuCore(vectorToy(), mem);
  if (jit) {
    const j = new JitBackend(cpu);
    j.hotThreshold = 2;
    cpu.backend = j;
  }
  const r = rng(seed);
  for (let i = 0; i < NREGS; i++) cpu.setGlobal(i, (BigInt(r()) << 32n) | BigInt(r()));
  for (let at = 0; at < 16 * SLOTS; at++) cpu.host.u8[slot(0) + at] = r() & 0xff;
  cpu.pc = 0x1000n;
  return cpu;
}

const snapshot = (cpu: CpuCore) => ({
  regs: Array.from({ length: NREGS }, (_, i) => cpu.getGlobal(i)),
  pc: cpu.pc,
  slots: [...cpu.host.u8.subarray(slot(0), slot(SLOTS))].join(),
  data: [...cpu.mem.readBytes(DATA, 0x1000)].join(),
});

Deno.test("vector IR ops: interp and jit agree on random programs", () => {
  let traps = 0, regionCalls = 0, missExits = 0;
  for (const seed of [99, 1, 2, 3]) {
    const a = machine(false, seed), b = machine(true, seed);
    traps += runAlike(a, b, 300, 120, snapshot);
    regionCalls += (b.backend as JitBackend).stats.regionCalls;
    missExits += (b.backend as JitBackend).stats.missExits;
  }
  assertEquals(traps > 3, true, `wild vector accesses should fault sometimes (${traps})`);
  assertEquals(regionCalls > 50, true, `the JIT ran few regions (${regionCalls})`);
  // a TLB miss of VLD/VST leaves the region; the interpreter runs the rest of the TB
  assertEquals(missExits > 0, true, "no region took a miss exit");
});

/** Runs one TB of `emit` on the chosen backend (hot at once) and returns slot 2's bytes. */
function runOnce(jit: boolean, emit: (b: IrEmitter) => void): number[] {
  const cpu = machine(jit);
  (cpu.target as { translate: TargetArch["translate"] }).translate = (ctx) => {
    ctx.beginInsn(ctx.pc, 4, 0);
    emit(ctx.ir);
    ctx.ir.gotoTb(ctx.pc);
  };
  for (let i = 0; i < 4; i++) cpu.run(1);
  return [...cpu.host.u8.subarray(slot(2), slot(3))];
}

Deno.test("vector IR ops: known lanes on both backends", () => {
  for (const jit of [false, true]) {
    const bytes = (b: IrEmitter, at: number, v: bigint) => {
      b.movi(7, v);
      b.vdup(slot(at), 7, 8);
    };
    // i8 multiply wraps: 0xff * 0xff = 0x01, 0x10 * 0x10 = 0x00, 0x03 * 0x05 = 0x0f
    assertEquals(
      runOnce(jit, (b) => {
        bytes(b, 0, 0x0000000000_0310ffn);
        bytes(b, 1, 0x0000000000_0510ffn);
        b.vbinop(Op.VMUL, slot(2), slot(0), slot(1), 1);
      }).slice(0, 4),
      [0x01, 0x00, 0x0f, 0x00],
      `jit=${jit}`,
    );
    // 64-bit unsigned minimum: 1 < 2^63; signed maximum picks 1
    for (const [op, want] of [[Op.VMINU, 1n], [Op.VMAX, 1n], [Op.VMIN, 1n << 63n]] as const) {
      const got = runOnce(jit, (b) => {
        bytes(b, 0, 1n);
        bytes(b, 1, 1n << 63n);
        b.vbinop(op, slot(2), slot(0), slot(1), 8);
      });
      const lane = got.slice(0, 8).reduceRight((v, x) => (v << 8n) | BigInt(x), 0n);
      assertEquals(lane, want, `op ${op} jit=${jit}`);
    }
    // arithmetic shift right of 16-bit lanes by 17 (taken mod 16): 0x8000 >> 1 = 0xc000
    const sar = runOnce(jit, (b) => {
      bytes(b, 0, 0x8000n);
      b.movi(6, 17n);
      b.vbinop(Op.VSAR, slot(2), slot(0), 6, 2);
    });
    assertEquals(sar.slice(0, 2), [0x00, 0xc0], `jit=${jit}`);
    // mask lanes: bits 8-15 (0b1010_0101) of slot 0 as 16-bit lanes; bits 12-15 as 32-bit ones
    const maskBits = (size: number, first: number) =>
      runOnce(jit, (b) => {
        bytes(b, 0, 0xa500n);
        b.vmask(slot(2), slot(0), first, size);
      });
    const ones = (n: number, on: number[]) => on.flatMap((x) => new Array(n).fill(x ? 0xff : 0));
    assertEquals(maskBits(2, 8), ones(2, [1, 0, 1, 0, 0, 1, 0, 1]), `jit=${jit}`);
    assertEquals(maskBits(4, 12), ones(4, [0, 1, 0, 1]), `jit=${jit}`);
    assertEquals(maskBits(1, 0), ones(1, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1]));
    assertEquals(maskBits(8, 14), ones(8, [0, 1]), `jit=${jit}`);
  }
});

Deno.test("vector IR ops: VMASK into the slot that holds its mask reads every bit first", () => {
  // Mask bits 8-15 (0b0010_0100) as 16-bit lanes, written over the mask itself: lanes 2 and 5.
  // Lane 0 overwrites the mask byte, so a backend that reads bits as it writes lanes gets zeros.
  for (const jit of [false, true]) {
    const got = runOnce(jit, (b) => {
      b.movi(7, 0x2400n);
      b.vdup(slot(2), 7, 8);
      b.vmask(slot(2), slot(2), 8, 2);
    });
    const want = [0, 0, 1, 0, 0, 1, 0, 0].flatMap((x) => [x * 0xff, x * 0xff]);
    assertEquals(got, want, `jit=${jit}`);
  }
});
