// Random A64 programs for the differential tests (tests/aarch64_random_diff_test.ts) and the
// `insn-a64` self-fuzzer (scripts/selffuzz/insn_a64.ts): integer sequences (add/sub with and
// without flags, logical and bitfield immediates, move wide, extr, shifted and extended
// registers, adc/sbc, conditional compare and select, divides, variable shifts,
// rbit/rev/clz/cls, multiplies, loads and stores of every size, forward conditional branches)
// and, optionally, AdvSIMD and FP instructions (random_simd.ts) under a random FPCR (rounding
// mode, FZ, DN). A program loads x0-x27 and V0-V31 from its data segment, runs the body, stores
// x0-x27, NZCV, FPSR and V0-V31 back and writes the whole segment to stdout.
// SPDX-License-Identifier: GPL-3.0-or-later
import { concatBytes } from "../../core/bytes.ts";
import type { JitBackend } from "../../core/jit/jit_backend.ts";
import { machineDriver } from "../../core/machine/machine.ts";
import { createMachine } from "../../mod.ts";
import { decodeBitMasks } from "../../targets/aarch64/bitmasks.ts";
import { prng } from "../riscv/random_programs.ts";
import { aarch64Elf } from "../util/elf_writer.ts";
import { randomSimdInsn, type Rnd } from "./random_simd.ts";

/** x28 holds the data segment's address; x0-x27 and XZR/SP (31) are the operands. */
const BASE = 28;
/**
 * The data segment: scratch memory (0x000-0x3ff), the dump of x0-x27, NZCV and FPSR (0x400),
 * V0-V31's initial values (0xc00) and their dump (0xe00).
 */
const DUMP = 0x400, V_INIT = 0xc00, V_DUMP = 0xe00;
/** What a program writes to stdout: its whole data segment. */
export const DUMP_SIZE = 0x1000;

/** A destination: x0-x27 or 31 (XZR, or SP for the forms that write SP). */
const dest = (rnd: Rnd) => (rnd(8) === 0 ? 31 : rnd(28));
/** A source: x0-x27 or 31. */
const src = (rnd: Rnd) => (rnd(10) === 0 ? 31 : rnd(28));
const f = (v: number, shift: number) => v * 2 ** shift;

/** A valid (N, immr, imms) bitmask immediate for a `sf` operation. */
function bitmask(rnd: Rnd, sf: number): number {
  for (;;) {
    const n = sf ? rnd(2) : 0, immr = rnd(64), imms = rnd(64);
    if (decodeBitMasks(n, imms, immr, true, sf ? 64 : 32)) {
      return f(n, 22) + f(immr, 16) + f(imms, 10);
    }
  }
}
/** One random integer instruction (its 32-bit word). */
export function randomIntInsn(rnd: Rnd): number {
  const sf = rnd(2), size = sf ? 64 : 32;
  const rd = dest(rnd), rn = src(rnd), rm = src(rnd);
  const regs = f(rm, 16) + f(rn, 5) + rd;
  const top = f(sf, 31);
  switch (rnd(16)) {
    case 0: // add/adds/sub/subs (immediate)
      return top + f(rnd(4), 29) + 0x11000000 + f(rnd(2), 22) + f(rnd(4096), 10) + f(rn, 5) + rd;
    case 1: // and/orr/eor/ands (immediate)
      return top + f(rnd(4), 29) + 0x12000000 + bitmask(rnd, sf) + f(rn, 5) + rd;
    case 2: // movn/movz/movk
      return top + f([0, 2, 3][rnd(3)], 29) + 0x12800000 + f(rnd(sf ? 4 : 2), 21) +
        f(rnd(65536), 5) + rd;
    case 3: { // sbfm/bfm/ubfm
      const w = top + f(rnd(3), 29) + 0x13000000 + f(sf, 22);
      return w + f(rnd(size), 16) + f(rnd(size), 10) + f(rn, 5) + rd;
    }
    case 4: // extr
      return top + 0x13800000 + f(sf, 22) + f(rm, 16) + f(rnd(size), 10) + f(rn, 5) + rd;
    case 5: // logical (shifted register), with N
      return top + f(rnd(4), 29) + 0x0a000000 + f(rnd(4), 22) + f(rnd(2), 21) + f(rnd(size), 10) +
        regs;
    case 6: // add/sub (shifted register)
      return top + f(rnd(4), 29) + 0x0b000000 + f(rnd(3), 22) + f(rnd(size), 10) + regs;
    case 7: // add/sub (extended register)
      return top + f(rnd(4), 29) + 0x0b200000 + f(rnd(8), 13) + f(rnd(5), 10) + regs;
    case 8: // adc/adcs/sbc/sbcs
      return top + f(rnd(4), 29) + 0x1a000000 + regs;
    case 9: { // ccmn/ccmp, register or immediate
      const w = top + f(rnd(2), 30) + 0x3a400000 + f(rnd(32), 16) + f(rnd(16), 12);
      return w + f(rnd(2), 11) + f(rn, 5) + rnd(16);
    }
    case 10: // csel/csinc/csinv/csneg
      return top + f(rnd(2), 30) + 0x1a800000 + f(rnd(16), 12) + f(rnd(2), 10) + regs;
    case 11: { // udiv/sdiv/lslv/lsrv/asrv/rorv; crc32[c]{b,h,w} (32-bit) and crc32[c]x (64-bit)
      const crc = 16 + 4 * rnd(2) + (sf ? 3 : rnd(3));
      return top + 0x1ac00000 + f(rnd(4) ? [2, 3, 8, 9, 10, 11][rnd(6)] : crc, 10) + regs;
    }
    case 12: // rbit/rev16/rev32|rev/rev/clz/cls
      return top + 0x5ac00000 + f(sf ? rnd(6) : [0, 1, 2, 4, 5][rnd(5)], 10) + f(rn, 5) + rd;
    case 13: { // madd/msub, smaddl/umaddl/smsubl/umsubl, smulh/umulh
      const kind = rnd(3), ra = src(rnd);
      if (kind === 0) return top + 0x1b000000 + f(rnd(2), 15) + f(ra, 10) + regs;
      if (kind === 1) return 0x9b200000 + f(rnd(2), 23) + f(rnd(2), 15) + f(ra, 10) + regs;
      return 0x9b407c00 + f(rnd(2), 23) + regs;
    }
    case 14: { // loads and stores at x28 + a scaled offset in the scratch area
      const sz = rnd(4), opc = sz === 3 ? rnd(2) : sz === 2 ? rnd(3) : rnd(4);
      return f(sz, 30) + 0x39000000 + f(opc, 22) + f(rnd(0x3f8 >> sz), 10) + f(BASE, 5) + rd;
    }
    default: { // b.cond / cbz / tbz over the next instruction
      const kind = rnd(3);
      if (kind === 0) return 0x54000040 + rnd(15);
      if (kind === 1) return top + 0x34000040 + f(rnd(2), 24) + rn;
      return f(rnd(2), 31) + 0x36000040 + f(rnd(2), 24) + f(rnd(32), 19) + rn;
    }
  }
}

/** `ldr`/`str` (unsigned offset) of `bytes` 8 or 16 between register `r` and x28 + `off`. */
function ldst(load: boolean, bytes: 8 | 16, r: number, off: number): number {
  const op = bytes === 8 ? 0xf9000000 : 0x3d800000;
  return op + (load ? f(1, 22) : 0) + f(off / bytes, 10) + f(BASE, 5) + r;
}

/** What a program holds besides its seed. */
export interface ProgramOptions {
  /** body instructions */
  length: number;
  /** AdvSIMD and FP instructions among them, under a random FPCR */
  simd: boolean;
  /** the body's instructions, instead of random ones (`length` is then ignored) */
  body?: readonly number[];
}

/**
 * A whole program for `seed`: load the registers, run the body, dump the registers and the
 * data segment to stdout, exit 0.
 */
export function randomProgram(seed: number, o: ProgramOptions): Uint8Array {
  const rnd = prng(seed * 2654435761);
  const data = new Uint8Array(DUMP_SIZE);
  for (let k = 0; k < 0x400; k++) data[k] = rnd(256);
  for (let k = V_INIT; k < V_DUMP; k++) data[k] = rnd(256);
  // movz x28, #0x2, lsl #16 (the data segment); add sp, x28, #0x800 and msr nzcv, xzr: the
  // same SP and flags everywhere (qemu-aarch64 starts with Z set, Linux with NZCV clear)
  const words = [0xd2a0005c, 0x9120039f, 0xd51b421f];
  if (o.simd) {
    // movz x0, #fpcr >> 16, lsl #16 (RMode, FZ, DN: bits 22-25); msr fpcr, x0; msr fpsr, xzr
    words.push(0xd2a00000 + f(rnd(16) << 6, 5), 0xd51b4400, 0xd51b443f);
    for (let k = 0; k < 32; k++) words.push(ldst(true, 16, k, V_INIT + 16 * k));
  }
  for (let k = 0; k < 28; k++) words.push(ldst(true, 8, k, 8 * k));
  if (o.body) words.push(...o.body);
  for (let k = 0; !o.body && k < o.length; k++) {
    words.push(o.simd && rnd(2) ? randomSimdInsn(rnd) : randomIntInsn(rnd) >>> 0);
  }
  for (let k = 0; k < 28; k++) words.push(ldst(false, 8, k, DUMP + 8 * k));
  words.push(0xd53b4200, ldst(false, 8, 0, DUMP + 8 * 28)); // mrs x0, nzcv; str
  words.push(0xd53b4420, ldst(false, 8, 0, DUMP + 8 * 29)); // mrs x0, fpsr; str
  for (let k = 0; k < 32; k++) words.push(ldst(false, 16, k, V_DUMP + 16 * k));
  words.push(
    0xd2800020, // movz x0, #1
    0xaa1c03e1, // mov x1, x28
    0xd2820002, // movz x2, #0x1000 (DUMP_SIZE)
    0xd2800808, // movz x8, #64 (write)
    0xd4000001,
    0xd2800000, // movz x0, #0
    0xd2800ba8, // movz x8, #93 (exit)
    0xd4000001,
  );
  const code = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(code.buffer).setUint32(4 * i, w, true));
  return aarch64Elf(code, data);
}

/** Where byte `off` of a dump is: a register or the scratch memory. */
function dumpPlace(off: number): string {
  if (off < DUMP) return `memory +0x${off.toString(16)}`;
  if (off < DUMP + 8 * 28) return `x${(off - DUMP) >> 3}`;
  if (off < DUMP + 8 * 30) return off < DUMP + 8 * 29 ? "nzcv" : "fpsr";
  if (off >= V_DUMP) return `v${(off - V_DUMP) >> 4}`;
  return `+0x${off.toString(16)}`;
}

/** Runs `path` on `accel` (the JIT compiling every block on its first run): status and stdout. */
async function runOn(path: string, accel: "jit" | "interp" | "interp32") {
  const parts: Uint8Array[] = [];
  const m = await createMachine({ program: path, accel, stdout: (b) => parts.push(b.slice()) });
  try {
    if (accel === "jit") (machineDriver(m).cpu.backend as JitBackend).hotThreshold = 0;
    return { status: await m.runToExit(), stdout: concatBytes(parts) };
  } finally {
    await m.close();
  }
}

/**
 * Runs the program at `path` on qemu-aarch64, the interpreter (the reference and the tier without
 * bigints) and the JIT: null when all four exit 0 with the same dump, else what differs (the
 * first register or memory byte).
 */
export async function compareWithQemu(path: string): Promise<string | null> {
  const q = await new Deno.Command("qemu-aarch64", { args: [path], stdout: "piped" }).output();
  if (q.code !== 0 || q.stdout.length !== DUMP_SIZE) {
    return `qemu-aarch64 exited ${q.code} with ${q.stdout.length} bytes`;
  }
  for (const accel of ["interp", "interp32", "jit"] as const) {
    const ours = await runOn(path, accel);
    if (ours.status !== 0) return `${accel}: exit status ${ours.status}`;
    const k = q.stdout.findIndex((b, i) => ours.stdout[i] !== b);
    if (k >= 0 || ours.stdout.length !== DUMP_SIZE) {
      return `${accel}: ${k >= 0 ? dumpPlace(k) : `${ours.stdout.length} bytes`} differs`;
    }
  }
  return null;
}
