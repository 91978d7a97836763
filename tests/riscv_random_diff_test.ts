// Random-program differential test: generated RV64 instruction sequences
// (integer, M, memory, forward branches, F/D arithmetic in every rounding mode;
// a second mix adds Zba/Zbb/Zbc/Zbs, run with -cpu rv64,zba=true,...)
// run on the interpreter, on the JIT and on qemu-riscv64; the final integer and
// FP registers, fcsr and the scratch memory must be identical.
// RANDOM_DIFF_SEED=N and RANDOM_DIFF_COUNT=N explore other programs.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { concatBytes } from "../core/bytes.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { createMachine } from "../mod.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { A, b, encode, i, r, s, u } from "./riscv/asm.ts";
import { riscvElf } from "./util/elf_writer.ts";

const BASE = 27; // s11 holds the data address and is never written
const SEED = Number(Deno.env.get("RANDOM_DIFF_SEED") ?? 1);
const COUNT = Number(Deno.env.get("RANDOM_DIFF_COUNT") ?? 24);
const LENGTH = 160;

function prng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const ALU = [[0, 0], [0x20, 0], [0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [0x20, 5], [0, 6], [0, 7]];
const ALUW = [[0, 0], [0x20, 0], [0, 1], [0, 5], [0x20, 5], [1, 0], [1, 4], [1, 5], [1, 6], [1, 7]];
const RMS = [0, 1, 2, 3, 4, 7];
const FP_BINARY = [0x01, 0x05, 0x09, 0x0d, 0x00, 0x04, 0x08, 0x0c]; // add/sub/mul/div .d then .s

/** Zba/Zbb/Zbc/Zbs register-register forms: funct7, funct3, opcode. */
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
];
/**
 * Unary forms: funct7, rs2, funct3, opcode (clz, ctz, cpop, clzw, cpopw, sext.b/h, zext.h,
 * orc.b, rev8). Not ctzw: QEMU 7.2 counts the whole register when the low word is zero.
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

/** One random Zba/Zbb/Zbc/Zbs instruction. */
function randomBitmanip(rnd: (n: number) => number, rd: number, rs1: number, rs2: number) {
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

/** One random instruction (or a forward branch over the next `skip` ones). */
function randomInsn(rnd: (n: number) => number, bitmanip: boolean): number {
  const rd = () => {
    const v = 1 + rnd(31);
    return v === BASE ? 5 : v;
  };
  const rs = () => rnd(32);
  const f = () => rnd(32);
  if (bitmanip && rnd(3) === 0) return randomBitmanip(rnd, rd(), rs(), rs());
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
      return i(rnd(0x400 / size) * size, BASE, f3, rd(), 0x03);
    }
    case 8: {
      const f3 = rnd(4), size = 1 << f3;
      return s(rnd(0x400 / size) * size, rs(), BASE, f3, 0x23);
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

const SPECIAL_F64 = [
  0n,
  1n << 63n,
  0x3ff0000000000000n,
  0x7ff0000000000000n,
  0xfff0000000000000n,
  0x7ff8000000000000n,
  0x7ff4000000000000n,
  0x0000000000000001n,
  0x7fefffffffffffffn,
  0x4059000000000000n,
  0xffffffff3f800000n,
  0xffffffff7fc00000n,
  0x3ff0000000000001n,
];

/**
 * A whole program: load registers, run the body, dump registers and fcsr,
 * write scratch memory and the dump, exit. Data layout (offsets from s11):
 * initial x and f registers at 0x000 and 0x100 (then scratch for the body's
 * loads and stores, 0x000-0x3ff), the dump of x, f and fcsr at 0x400, 0x500, 0x600.
 */
function program(seed: number, bitmanip: boolean): Uint8Array {
  const rnd = prng(seed * 2654435761);
  const data = new Uint8Array(0x2000);
  for (let k = 0; k < 0x400; k++) data[k] = rnd(256);
  const dv = new DataView(data.buffer);
  for (let k = 0; k < 32; k++) {
    const small = BigInt(rnd(200)) - 100n;
    const x = rnd(3) === 0 ? small : (BigInt(rnd(1 << 30)) << 34n) ^ BigInt(rnd(1 << 30));
    dv.setBigInt64(8 * k, BigInt.asIntN(64, x), true);
    const fv = rnd(2)
      ? SPECIAL_F64[rnd(SPECIAL_F64.length)]
      : (BigInt(rnd(1 << 30)) << 33n) | BigInt(rnd(1 << 30));
    dv.setBigUint64(0x100 + 8 * k, BigInt.asUintN(64, fv), true);
  }
  const code: number[] = [u(0x20, BASE, 0x37)]; // lui s11, 0x20 -> 0x20000
  for (let k = 1; k < 32; k++) if (k !== BASE) code.push(i(8 * k, BASE, 3, k, 0x03));
  for (let k = 0; k < 32; k++) code.push(A.fld(k, BASE, 0x100 + 8 * k));
  code.push(A.csr(5, 0, 0x002, rnd(5))); // csrrwi x0, frm, rm
  for (let k = 0; k < LENGTH; k++) code.push(randomInsn(rnd, bitmanip));
  for (let k = 0; k < 32; k++) code.push(s(0x400 + 8 * k, k, BASE, 3, 0x23)); // sd
  for (let k = 0; k < 32; k++) code.push(s(0x500 + 8 * k, k, BASE, 3, 0x27)); // fsd
  code.push(A.csr(2, 1, 0x003, 0), s(0x600, 1, BASE, 3, 0x23)); // frcsr ra; sd
  code.push(
    i(64, 0, 0, 17, 0x13), // a7 = write
    i(1, 0, 0, 10, 0x13), // a0 = 1
    i(0, BASE, 0, 11, 0x13), // a1 = s11
    i(0x608, 0, 0, 12, 0x13), // a2 = 0x608
    A.ecall,
    i(93, 0, 0, 17, 0x13),
    i(0, 0, 0, 10, 0x13),
    A.ecall,
  );
  return riscvElf(encode(code), data);
}

/** Runs `path` on the JIT with every block compiled on its first run. */
async function runCompiled(path: string, cpu?: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const m = await createMachine({
    program: path,
    cpu,
    accel: "jit",
    stdout: (b) => parts.push(b.slice()),
  });
  (machineDriver(m).cpu.backend as JitBackend).hotThreshold = 0;
  await m.runToExit();
  return concatBytes(parts);
}

const qemu = await (async () => {
  try {
    return (await new Deno.Command("qemu-riscv64", { args: ["--version"] }).output()).success;
  } catch {
    return false;
  }
})();
if (!qemu) {
  console.warn(
    "riscv_random_diff_test: qemu-riscv64 not installed, comparing the two backends only",
  );
}

/** The instruction mixes: RV64GC, and RV64GC with one in three instructions from Zba/Zbb/Zbc/Zbs. */
const MIXES = [
  { name: "RV64GC", bitmanip: false, cpu: undefined },
  {
    name: "RV64GC + Zba/Zbb/Zbc/Zbs",
    bitmanip: true,
    cpu: "rv64,zba=true,zbb=true,zbc=true,zbs=true",
  },
];

for (const mix of MIXES) {
  Deno.test(`random ${mix.name} programs: interpreter, JIT${qemu ? " and qemu-riscv64" : ""} agree`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "denemu-random-" });
    try {
      for (let k = 0; k < COUNT; k++) {
        const seed = SEED + k;
        const path = `${dir}/prog${seed}`;
        await Deno.writeFile(path, program(seed, mix.bitmanip), { mode: 0o755 });
        const out: Uint8Array[] = [];
        const im = await createMachine({
          program: path,
          cpu: mix.cpu,
          accel: "interp",
          stdout: (b) => out.push(b.slice()),
        });
        const interp = { status: await im.runToExit(), stdout: concatBytes(out) };
        const jit = await runCompiled(path, mix.cpu);
        assertEquals(interp.status, 0, `seed ${seed}: interpreter status`);
        assertEquals(interp.stdout.length, 0x608, `seed ${seed}: dump size`);
        assertEquals(jit, interp.stdout, `seed ${seed}: JIT differs from the interpreter`);
        if (qemu) {
          const args = [...(mix.cpu ? ["-cpu", mix.cpu] : []), path];
          const q = await new Deno.Command("qemu-riscv64", { args, stdout: "piped" }).output();
          assertEquals(interp.stdout, q.stdout, `seed ${seed}: Denemu differs from qemu-riscv64`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
