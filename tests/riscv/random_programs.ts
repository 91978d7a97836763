/**
 * Random RISC-V programs shared by the differential tests
 * (tests/riscv_random_diff_test.ts, tests/jit_flush_test.ts) and the `insn`
 * self-fuzzer (scripts/selffuzz/insn.ts): typed random instructions, loops
 * with fence.i, any encoding the decode tables accept, raw words and
 * 16/32-bit mixes.
 *
 * @module
 */

import { storedTable } from "../../targets/riscv/decode.ts";
import { A, b, i, r, s, type TestMachine, u, X } from "./asm.ts";

export { prng } from "../../scripts/selffuzz/runner.ts";

/** A random integer in `[0, n)`. */
export type Rnd = (n: number) => number;

/** The register randomInsn's loads and stores address from (s11); it is never written. */
export const DATA_BASE_REG = 27;

const ALU = [[0, 0], [0x20, 0], [0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [0x20, 5], [0, 6], [0, 7]];
const ALUW = [[0, 0], [0x20, 0], [0, 1], [0, 5], [0x20, 5], [1, 0], [1, 4], [1, 5], [1, 6], [1, 7]];
const RMS = [0, 1, 2, 3, 4, 7];
const FP_BINARY = [0x01, 0x05, 0x09, 0x0d, 0x00, 0x04, 0x08, 0x0c]; // add/sub/mul/div .d then .s

/** Zba/Zbb/Zbc/Zbs/Zbkb/Zbkx register-register forms: funct7, funct3, opcode. */
const BITMANIP_RR = [
  [0x10, 2, 0x33],
  [0x10, 4, 0x33],
  [0x10, 6, 0x33],
  [4, 0, 0x3b],
  [0x10, 2, 0x3b],
  [0x10, 4, 0x3b],
  [0x10, 6, 0x3b],
  [0x20, 7, 0x33],
  [0x20, 6, 0x33],
  [0x20, 4, 0x33],
  [5, 6, 0x33],
  [5, 7, 0x33],
  [5, 4, 0x33],
  [5, 5, 0x33],
  [0x30, 1, 0x33],
  [0x30, 5, 0x33],
  [0x30, 1, 0x3b],
  [0x30, 5, 0x3b],
  [5, 1, 0x33],
  [5, 2, 0x33],
  [5, 3, 0x33],
  [0x24, 1, 0x33],
  [0x24, 5, 0x33],
  [0x34, 1, 0x33],
  [0x14, 1, 0x33],
  [4, 4, 0x33], // pack
  [4, 7, 0x33], // packh
  [4, 4, 0x3b], // packw
  [0x14, 2, 0x33], // xperm4
  [0x14, 4, 0x33], // xperm8
];
/**
 * Unary forms: funct7, rs2, funct3, opcode (clz, ctz, cpop, clzw, cpopw, sext.b/h, zext.h,
 * orc.b, rev8, brev8). Not ctzw: QEMU 7.2 counts the whole register when the low word is zero.
 */
const BITMANIP_UNARY = [
  [0x30, 0, 1, 0x13],
  [0x30, 1, 1, 0x13],
  [0x30, 2, 1, 0x13],
  [0x30, 0, 1, 0x1b],
  [0x30, 2, 1, 0x1b],
  [0x30, 4, 1, 0x13],
  [0x30, 5, 1, 0x13],
  [4, 0, 4, 0x3b],
  [0x14, 7, 5, 0x13],
  [0x35, 0x18, 5, 0x13],
  [0x34, 7, 5, 0x13], // brev8
];
/** Shift-amount forms: imm[11:6] (or [11:5] with `word`), funct3, opcode. */
const BITMANIP_IMM: [number, number, number, boolean][] = [
  [0x600, 5, 0x13, false],
  [0x600, 5, 0x1b, true],
  [0x080, 1, 0x1b, false],
  [0x480, 1, 0x13, false],
  [0x480, 5, 0x13, false],
  [0x680, 1, 0x13, false],
  [0x280, 1, 0x13, false],
];

/** One random Zba/Zbb/Zbc/Zbs/Zbkb/Zbkx instruction. */
export function randomBitmanip(rnd: Rnd, rd: number, rs1: number, rs2: number) {
  const k = rnd(3);
  if (k === 0) {
    const [f7, f3, op] = BITMANIP_RR[rnd(BITMANIP_RR.length)];
    return r(f7, rs2, rs1, f3, rd, op);
  }
  if (k === 1) {
    const [f7, fixed, f3, op] = BITMANIP_UNARY[rnd(BITMANIP_UNARY.length)];
    return r(f7, fixed, rs1, f3, rd, op);
  }
  const [high, f3, op, word] = BITMANIP_IMM[rnd(BITMANIP_IMM.length)];
  return i(high | rnd(word ? 32 : 64), rs1, f3, rd, op);
}

const HALF_BINARY = [0x02, 0x06, 0x0a, 0x0e]; // fadd/fsub/fmul/fdiv.h

/**
 * One random Zfh instruction: arithmetic and fused multiply-add in every rounding mode, sqrt,
 * min/max, sign injection, conversions to and from single, double and integers, compares,
 * class, moves, and flh/fsh at {@linkcode DATA_BASE_REG}. `rs1` and `rs2` name x or f registers
 * as the form needs; `rd` is the x destination.
 */
export function randomZfh(rnd: Rnd, rd: number, rs1: number, rs2: number): number {
  const f = () => rnd(32), rm = () => RMS[rnd(RMS.length)];
  switch (rnd(8)) {
    case 0:
      return A.fp(HALF_BINARY[rnd(HALF_BINARY.length)], rm(), f(), rs1, rs2);
    case 1:
      return A.fmadd(2, rm(), f(), rs1, rs2, f()) | (rnd(4) << 2);
    case 2: {
      const k = rnd(3);
      if (k === 0) return A.fp(0x2e, rm(), f(), rs1, 0); // fsqrt.h
      return k === 1 ? A.fp(0x16, rnd(2), f(), rs1, rs2) : A.fp(0x12, rnd(3), f(), rs1, rs2);
    }
    case 3: // fcvt.h.s, fcvt.h.d; fcvt.s.h, fcvt.d.h
      return rnd(2) ? A.fp(0x22, rm(), f(), rs1, rnd(2)) : A.fp(0x20 + rnd(2), rm(), f(), rs1, 2);
    case 4: { // fcvt.{w,wu,l,lu}.h, feq/flt/fle.h, fclass.h, fmv.x.h
      const k = rnd(4);
      if (k === 0) return A.fp(0x62, rm(), rd, rs1, rnd(4));
      return k === 1 ? A.fp(0x52, rnd(3), rd, rs1, rs2) : A.fp(0x72, k - 2, rd, rs1, 0);
    }
    case 5: // fcvt.h.{w,wu,l,lu}, fmv.h.x
      return rnd(2) ? A.fp(0x6a, rm(), f(), rs1, rnd(4)) : A.fp(0x7a, 0, f(), rs1, 0);
    case 6:
      return i(rnd(0x200) * 2, DATA_BASE_REG, 1, f(), 0x07); // flh
    default:
      return s(rnd(0x200) * 2, rs2, DATA_BASE_REG, 1, 0x27); // fsh
  }
}

/** A generator of the instructions a mix adds to RV64GC: `rd` an x destination, `rs1`, `rs2` sources. */
export type ExtraInsn = (rnd: Rnd, rd: number, rs1: number, rs2: number) => number;

/**
 * One random RV64GC instruction (integer, M, F/D in every rounding mode,
 * loads and stores at offsets 0-0x3ff from {@linkcode DATA_BASE_REG}, or a
 * short forward branch); it never writes {@linkcode DATA_BASE_REG}. With
 * `extra` ({@linkcode randomBitmanip}, {@linkcode randomZfh}), one instruction in three is
 * from it.
 */
export function randomInsn(rnd: Rnd, extra?: ExtraInsn): number {
  const rd = () => {
    const v = 1 + rnd(31);
    return v === DATA_BASE_REG ? 5 : v;
  };
  const rs = () => rnd(32);
  const f = () => rnd(32);
  if (extra && rnd(3) === 0) return extra(rnd, rd(), rs(), rs());
  switch (rnd(16)) {
    case 0:
    case 1: {
      const [f7, f3] = ALU[rnd(ALU.length)];
      return r(f7, rs(), rs(), f3, rd(), 0x33);
    }
    case 2:
      return r(1, rs(), rs(), rnd(8), rd(), 0x33); // M
    case 3: {
      const [f7, f3] = ALUW[rnd(ALUW.length)];
      return r(f7, rs(), rs(), f3, rd(), 0x3b);
    }
    case 4:
      return i(rnd(4096) - 2048, rs(), [0, 2, 3, 4, 6, 7][rnd(6)], rd(), 0x13);
    case 5: {
      const f3 = [1, 5, 5][rnd(3)];
      const sh = rnd(64) | (f3 === 5 && rnd(2) ? 0x400 : 0);
      return i(sh, rs(), f3, rd(), 0x13);
    }
    case 6:
      return rnd(2) ? i(rnd(4096) - 2048, rs(), 0, rd(), 0x1b) : u(rnd(1 << 20), rd(), 0x37);
    case 7: {
      const f3 = rnd(7), size = [1, 2, 4, 8, 1, 2, 4][f3];
      return i(rnd(0x400 / size) * size, DATA_BASE_REG, f3, rd(), 0x03);
    }
    case 8: {
      const f3 = rnd(4), size = 1 << f3;
      return s(rnd(0x400 / size) * size, rs(), DATA_BASE_REG, f3, 0x23);
    }
    case 9:
      return b(4 * (2 + rnd(3)), rs(), rs(), [0, 1, 4, 5, 6, 7][rnd(6)]);
    case 10:
    case 11:
      return A.fp(FP_BINARY[rnd(FP_BINARY.length)], RMS[rnd(RMS.length)], f(), f(), f());
    case 12:
      return A.fmadd(rnd(2), RMS[rnd(RMS.length)], f(), f(), f(), f()) | (rnd(4) << 2);
    case 13: {
      // fsqrt, fmin/fmax, fsgnj, conversions between formats
      const k = rnd(5);
      if (k === 0) return A.fp(0x2d, RMS[rnd(RMS.length)], f(), f(), 0);
      if (k === 1) return A.fp(0x15, rnd(2), f(), f(), f());
      if (k === 2) return A.fp(0x11, rnd(3), f(), f(), f());
      if (k === 3) return A.fp(0x20, RMS[rnd(RMS.length)], f(), f(), 1); // fcvt.s.d
      return A.fp(0x21, 0, f(), f(), 0); // fcvt.d.s
    }
    case 14: {
      // comparisons, class and conversions to integers
      const k = rnd(4);
      if (k === 0) return A.fp(0x51, rnd(3), rd(), f(), f());
      if (k === 1) return A.fp(0x71, 1, rd(), f(), 0);
      return A.fp(0x61, RMS[rnd(RMS.length)], rd(), f(), rnd(4));
    }
    default:
      // conversions from integers, moves
      return rnd(2)
        ? A.fp(0x69, RMS[rnd(RMS.length)], f(), rs(), rnd(4))
        : A.fp(0x71, 0, rd(), f(), 0);
  }
}

/** The registers {@linkcode flushProgram} computes in. */
export const FLUSH_REGS = [X.a0, X.a1, X.a2, X.a3, X.a4, X.a5];

/**
 * A random straight-line program with short loops (counted by t0) and fence.i,
 * ending with ecall (what tests/jit_flush_test.ts runs).
 */
export function flushProgram(rnd: Rnd): number[] {
  const code: number[] = [];
  const reg = () => FLUSH_REGS[rnd(FLUSH_REGS.length)];
  for (let k = 4 + rnd(40); k > 0; k--) {
    const kind = rnd(10);
    if (kind < 5) code.push(A.addi(reg(), reg(), rnd(200) - 100));
    else if (kind < 7) code.push(A.op(0, [0, 4, 6][rnd(3)], reg(), reg(), reg()));
    else if (kind === 7) code.push(A.fenceI);
    else if (kind === 8 && code.length > 0) {
      const back = 1 + rnd(Math.min(6, code.length));
      code.push(A.addi(X.t0, X.t0, -1), A.blt(0, X.t0, -4 * (back + 1)));
    } else code.push(A.addi(X.t0, 0, rnd(20)));
  }
  code.push(A.ecall);
  return code;
}

/**
 * Runs `m` from `pc` in slices of the given budgets until it traps (ecall);
 * says where it stopped and why.
 */
export function runSliced(m: TestMachine, pc: bigint, budgets: number[]): string {
  m.cpu.pc = pc;
  for (let k = 0; k < 200; k++) {
    const exit = m.cpu.run(budgets[k % budgets.length]);
    if (exit.reason === "trap") {
      const { cause, data } = exit.trap;
      return `trap ${cause} (0x${data.toString(16)}) at 0x${m.cpu.pc.toString(16)}`;
    }
  }
  return `still running at 0x${m.cpu.pc.toString(16)}`;
}

const PATTERNS = {
  insn32: storedTable("insn32").patterns.map((p) => [p.mask, p.match]),
  insn16: storedTable("insn16").patterns.map((p) => [p.mask, p.match]),
};

/** A word matching a random pattern of the decode tables, its free bits random. */
export function tableEncoding(rnd: Rnd, width: 16 | 32): number {
  const table = width === 32 ? PATTERNS.insn32 : PATTERNS.insn16;
  const [mask, match] = table[rnd(table.length)];
  const bits = width === 32 ? ((rnd(1 << 16) << 16) | rnd(1 << 16)) >>> 0 : rnd(1 << 16);
  return ((bits & ~mask) | match) >>> 0;
}

/**
 * A program of `length` units, each a typed random instruction, a decode-table
 * encoding (32- or 16-bit) or a raw random word, ending with ecall.
 */
export function mixedProgram(rnd: Rnd, length: number): number[] {
  const code: number[] = [];
  for (let k = 0; k < length; k++) {
    const kind = rnd(8);
    if (kind < 3) code.push(randomInsn(rnd));
    else if (kind < 5) code.push(tableEncoding(rnd, 32));
    else if (kind < 7) code.push(tableEncoding(rnd, 16));
    else code.push(((rnd(1 << 16) << 16) | rnd(1 << 16)) >>> 0);
  }
  code.push(A.ecall);
  return code;
}
