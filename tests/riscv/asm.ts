/**
 * A tiny RISC-V encoder and runner for unit tests: encodes instructions by
 * format (independently of the decode tables under test) and runs them on a
 * CpuCore with the reference interpreter.
 *
 * @module
 */

import { CpuCore, GuestMemory, Perm, type RunExit } from "../../plugin.ts";
import { JitBackend } from "../../core/jit/jit_backend.ts";
import { createRiscvTarget } from "../../targets/riscv/mod.ts";

/** Integer register numbers by ABI name. */
export const X = {
  zero: 0,
  ra: 1,
  sp: 2,
  gp: 3,
  tp: 4,
  t0: 5,
  t1: 6,
  t2: 7,
  s0: 8,
  s1: 9,
  a0: 10,
  a1: 11,
  a2: 12,
  a3: 13,
  a4: 14,
  a5: 15,
  a6: 16,
  a7: 17,
} as const; // deno-fmt-ignore

/** R-type. */
export function r(f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number) {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
}
/** I-type. */
export function i(imm: number, rs1: number, f3: number, rd: number, op: number) {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
}
/** S-type. */
export function s(imm: number, rs2: number, rs1: number, f3: number, op: number) {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    ((imm & 0x1f) << 7) | op) >>> 0;
}
/** B-type (offset in bytes). */
export function b(imm: number, rs2: number, rs1: number, f3: number) {
  const bit = (n: number) => (imm >> n) & 1;
  return ((bit(12) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) |
    (f3 << 12) | (((imm >> 1) & 0xf) << 8) | (bit(11) << 7) | 0x63) >>> 0;
}
/** U-type (the 20-bit upper immediate). */
export function u(imm20: number, rd: number, op: number) {
  return (((imm20 & 0xfffff) << 12) | (rd << 7) | op) >>> 0;
}
/** J-type (offset in bytes). */
export function j(imm: number, rd: number) {
  const bit = (n: number) => (imm >> n) & 1;
  return ((bit(20) << 31) | (((imm >> 1) & 0x3ff) << 21) | (bit(11) << 20) |
    (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;
}

/** Common instructions. */
export const A = {
  addi: (rd: number, rs1: number, imm: number) => i(imm, rs1, 0, rd, 0x13),
  addiw: (rd: number, rs1: number, imm: number) => i(imm, rs1, 0, rd, 0x1b),
  slli: (rd: number, rs1: number, sh: number) => i(sh, rs1, 1, rd, 0x13),
  srai: (rd: number, rs1: number, sh: number) => i(0x400 | sh, rs1, 5, rd, 0x13),
  lui: (rd: number, imm20: number) => u(imm20, rd, 0x37),
  auipc: (rd: number, imm20: number) => u(imm20, rd, 0x17),
  /** R-type ALU op (opcode 0x33 or 0x3b for W) */
  op: (f7: number, f3: number, rd: number, rs1: number, rs2: number, w = false) =>
    r(f7, rs2, rs1, f3, rd, w ? 0x3b : 0x33),
  load: (f3: number, rd: number, rs1: number, imm: number) => i(imm, rs1, f3, rd, 0x03),
  store: (f3: number, rs2: number, rs1: number, imm: number) => s(imm, rs2, rs1, f3, 0x23),
  jal: (rd: number, off: number) => j(off, rd),
  jalr: (rd: number, rs1: number, imm: number) => i(imm, rs1, 0, rd, 0x67),
  beq: (rs1: number, rs2: number, off: number) => b(off, rs2, rs1, 0),
  bne: (rs1: number, rs2: number, off: number) => b(off, rs2, rs1, 1),
  blt: (rs1: number, rs2: number, off: number) => b(off, rs2, rs1, 4),
  bltu: (rs1: number, rs2: number, off: number) => b(off, rs2, rs1, 6),
  /** AMO / LR / SC: funct5, width f3 (2 = .w, 3 = .d) */
  amo: (f5: number, f3: number, rd: number, rs1: number, rs2: number) =>
    r(f5 << 2, rs2, rs1, f3, rd, 0x2f),
  csr: (f3: number, rd: number, csr: number, rs1: number) => i(csr, rs1, f3, rd, 0x73),
  ecall: 0x00000073,
  ebreak: 0x00100073,
  fenceI: 0x0000100f,
  /** OP-FP: funct7, rm/funct3 */
  fp: (f7: number, rm: number, rd: number, rs1: number, rs2: number) =>
    r(f7, rs2, rs1, rm, rd, 0x53),
  flw: (rd: number, rs1: number, imm: number) => i(imm, rs1, 2, rd, 0x07),
  fld: (rd: number, rs1: number, imm: number) => i(imm, rs1, 3, rd, 0x07),
  fsw: (rs2: number, rs1: number, imm: number) => s(imm, rs2, rs1, 2, 0x27),
  fmadd: (fmt: number, rm: number, rd: number, rs1: number, rs2: number, rs3: number) =>
    ((rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | 0x43) >>>
    0,
};

/**
 * Set RISCV_TEST_BACKEND=jit to run the RISC-V unit tests on the wasm JIT
 * (compiling every block on its first run).
 */
const USE_JIT = Deno.env.get("RISCV_TEST_BACKEND") === "jit";

/** Where test code and data live. */
export const CODE = 0x10000n;
export const DATA = 0x20000n;

/** A CPU with code at CODE and a read-write data page at DATA. */
export interface TestMachine {
  cpu: CpuCore;
  mem: GuestMemory;
}

/** Encodes instruction words/halfwords (a value with low bits 11 is 32-bit) as bytes. */
export function encode(insns: number[]): Uint8Array {
  const out: number[] = [];
  for (const v of insns) {
    const n = (v & 3) === 3 ? 4 : 2;
    for (let k = 0; k < n; k++) out.push((v >>> (8 * k)) & 0xff);
  }
  return new Uint8Array(out);
}

/**
 * Loads `insns` at CODE on a fresh `cpu` ("rv64" or "rv32") machine.
 */
export function machine(insns: number[], cpuModel = "rv64", jit = USE_JIT): TestMachine {
  const mem = new GuestMemory();
  mem.map(CODE, 0x2000n, Perm.R | Perm.W | Perm.X);
  mem.map(DATA, 0x1000n, Perm.R | Perm.W);
  mem.writeBytes(CODE, encode(insns));
  const cpu = new CpuCore(createRiscvTarget(cpuModel), mem);
  if (jit) {
    const backend = new JitBackend(cpu);
    backend.hotThreshold = 0;
    cpu.backend = backend;
  }
  cpu.pc = CODE;
  return { cpu, mem };
}

/**
 * Runs `insns` (with optional register presets) until the first trap, which
 * a test program normally ends with `ecall`.
 */
export function run(
  insns: number[],
  regs: Record<number, bigint> = {},
  cpuModel = "rv64",
): TestMachine & { exit: RunExit } {
  const m = machine(insns, cpuModel);
  for (const [k, v] of Object.entries(regs)) m.cpu.setGlobal(Number(k), v);
  const exit = m.cpu.run(10_000);
  return { ...m, exit };
}

/** Register `n` as a signed 64-bit value. */
export function reg(m: TestMachine, n: number): bigint {
  return m.cpu.getGlobal(n);
}
