// Random-program differential test: generated RV64 instruction sequences
// (integer, M, memory, forward branches, F/D arithmetic in every rounding mode;
// a second mix adds Zba/Zbb/Zbc/Zbs/Zbkb/Zbkx, run with -cpu rv64,zba=true,...; a third Zfh in
// every rounding mode on NaN-boxed halves, run with -cpu rv64,Zfh=true; then random
// vector code, see riscv/random_vector.ts, run with -cpu rv64,v=true,vlen=N for VLEN 128, 256
// and 512)
// run on the interpreter, on the JIT and on qemu-riscv64; the final integer and
// FP registers, fcsr and the scratch memory (and for V the vector registers, vl, vtype,
// vcsr) must be identical.
// RANDOM_DIFF_SEED=N and RANDOM_DIFF_COUNT=N explore other programs.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { concatBytes } from "../core/bytes.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { createMachine } from "../mod.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { A, encode, i, s, u } from "./riscv/asm.ts";
import {
  DATA_BASE_REG as BASE,
  type ExtraInsn,
  prng,
  randomBitmanip,
  randomInsn,
  randomZfh,
} from "./riscv/random_programs.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { vectorDumpSize, vectorProgram } from "./riscv/random_vector.ts";

const SEED = Number(Deno.env.get("RANDOM_DIFF_SEED") ?? 1);
const COUNT = Number(Deno.env.get("RANDOM_DIFF_COUNT") ?? 24);
const LENGTH = 160;

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
/** NaN-boxed halves: 1, infinities, a quiet and a signalling NaN, subnormal, largest, -0, 1/3. */
const BOXED_F16 = [0x3c00, 0x7c00, 0xfc00, 0x7e00, 0x7d00, 0x0001, 0x7bff, 0x8000, 0x0400, 0x3555]
  .map((h) => 0xffffffffffff0000n | BigInt(h));

/**
 * A whole program: load registers, run the body, dump registers and fcsr,
 * write scratch memory and the dump, exit. Data layout (offsets from s11):
 * initial x and f registers at 0x000 and 0x100 (then scratch for the body's
 * loads and stores, 0x000-0x3ff), the dump of x, f and fcsr at 0x400, 0x500, 0x600.
 */
function program(seed: number, extra?: ExtraInsn): Uint8Array {
  const rnd = prng(seed * 2654435761);
  const data = new Uint8Array(0x2000);
  for (let k = 0; k < 0x400; k++) data[k] = rnd(256);
  const dv = new DataView(data.buffer);
  for (let k = 0; k < 32; k++) {
    const small = BigInt(rnd(200)) - 100n;
    const x = rnd(3) === 0 ? small : (BigInt(rnd(1 << 30)) << 34n) ^ BigInt(rnd(1 << 30));
    dv.setBigInt64(8 * k, BigInt.asIntN(64, x), true);
    const special = extra === randomZfh && rnd(2) ? BOXED_F16 : SPECIAL_F64;
    const fv = rnd(2)
      ? special[rnd(special.length)]
      : (BigInt(rnd(1 << 30)) << 33n) | BigInt(rnd(1 << 30));
    dv.setBigUint64(0x100 + 8 * k, BigInt.asUintN(64, fv), true);
  }
  const code: number[] = [u(0x20, BASE, 0x37)]; // lui s11, 0x20 -> 0x20000
  for (let k = 1; k < 32; k++) if (k !== BASE) code.push(i(8 * k, BASE, 3, k, 0x03));
  for (let k = 0; k < 32; k++) code.push(A.fld(k, BASE, 0x100 + 8 * k));
  code.push(A.csr(5, 0, 0x002, rnd(5))); // csrrwi x0, frm, rm
  for (let k = 0; k < LENGTH; k++) code.push(randomInsn(rnd, extra));
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

/**
 * The instruction mixes: RV64GC, RV64GC with one in three instructions from
 * bit manipulation, and vector code; each builds a program per seed and
 * knows how many bytes its program writes.
 */
const MIXES = [
  { name: "RV64GC", build: (seed: number) => program(seed), dump: 0x608, cpu: undefined },
  {
    name: "RV64GC + Zba/Zbb/Zbc/Zbs/Zbkb/Zbkx",
    build: (seed: number) => program(seed, randomBitmanip),
    dump: 0x608,
    cpu: "rv64,zba=true,zbb=true,zbc=true,zbs=true,zbkb=true,zbkx=true",
  },
  {
    name: "RV64GC + Zfh",
    build: (seed: number) => program(seed, randomZfh),
    dump: 0x608,
    cpu: "rv64,Zfh=true",
  },
  ...[128, 256, 512].map((vlen) => ({
    name: `RVV (VLEN ${vlen})`,
    build: (seed: number) => vectorProgram(seed, LENGTH, vlen),
    dump: vectorDumpSize(vlen),
    cpu: `rv64,v=true,vlen=${vlen},elen=64,vext_spec=v1.0`,
  })),
];

for (const mix of MIXES) {
  Deno.test(`random ${mix.name} programs: interpreter, its tier, JIT${qemu ? " and qemu-riscv64" : ""} agree`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "denemu-random-" });
    try {
      for (let k = 0; k < COUNT; k++) {
        const seed = SEED + k;
        const path = `${dir}/prog${seed}`;
        await Deno.writeFile(path, mix.build(seed), { mode: 0o755 });
        const out: Uint8Array[] = [];
        const im = await createMachine({
          program: path,
          cpu: mix.cpu,
          accel: "interp",
          stdout: (b) => out.push(b.slice()),
        });
        const interp = { status: await im.runToExit(), stdout: concatBytes(out) };
        const tier: Uint8Array[] = [];
        const tm = await createMachine({
          program: path,
          cpu: mix.cpu,
          accel: "interp32",
          stdout: (b) => tier.push(b.slice()),
        });
        assertEquals(await tm.runToExit(), 0, `seed ${seed}: interp32 status`);
        assertEquals(concatBytes(tier), interp.stdout, `seed ${seed}: interp32 differs`);
        const jit = await runCompiled(path, mix.cpu);
        assertEquals(interp.status, 0, `seed ${seed}: interpreter status`);
        assertEquals(interp.stdout.length, mix.dump, `seed ${seed}: dump size`);
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
