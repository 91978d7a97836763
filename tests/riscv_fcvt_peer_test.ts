// Conversions of binary64 to integers (fcvt.w.d, fcvt.wu.d, fcvt.l.d, fcvt.lu.d) on values built to
// stress the fast path in IR and its fallback to softfloat: fractions at and next to .5 and at
// random, both signs, zeros, subnormals, values next to 2^52 and at the limits of every integer
// range, infinities and NaNs. Every conversion runs in each rounding mode, static and dynamic;
// results and fflags on the interpreter, on the JIT and on qemu-riscv64 (when installed) must be
// identical.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { concatBytes } from "../core/bytes.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { createMachine } from "../mod.ts";
import { A, encode, i, r, s } from "./riscv/asm.ts";
import { prng } from "./riscv/random_programs.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { installed } from "./util/installed.ts";

const RECORDS = 1500;
/** fcvt.<kind>.d's rs2 field: w, wu, l, lu. */
const KINDS = [0, 1, 2, 3];
/** Bytes written per value: 5 modes x 2 (static, dynamic) x 4 kinds x (result, fflags). */
const PER_RECORD = 5 * 2 * KINDS.length * 16;

const f64 = new Float64Array(1), bits = new BigUint64Array(f64.buffer);
const toBits = (x: number) => (f64[0] = x, bits[0]);
const fromBits = (b: bigint) => (bits[0] = b, f64[0]);
/** The neighbour of `x` `steps` units in the last place away (bit pattern arithmetic). */
const nextTo = (x: number, steps: number) =>
  x === 0 ? steps * 5e-324 : fromBits(toBits(x) + BigInt(Math.sign(x) * steps));

/** The integer range limits the four kinds check. */
const LIMITS = [0, 2 ** 31, 2 ** 32, 2 ** 52, 2 ** 53, 2 ** 63, 2 ** 64];

/** One binary64 value per call, drawn from the stress families. */
function value(rnd: (n: number) => number): bigint {
  const sign = () => rnd(2) ? -1 : 1;
  const fractions = [0, 0.5, 0.25, 0.75, nextTo(0.5, 1), nextTo(0.5, -1), rnd(1 << 30) / 2 ** 30];
  const fraction = () => fractions[rnd(fractions.length)];
  switch (rnd(8)) {
    case 0: // random bit patterns (NaNs, infinities, any exponent)
      return (BigInt(rnd(1 << 30)) << 34n) ^ (BigInt(rnd(1 << 30)) << 4n) ^ BigInt(rnd(16));
    case 1: // specials
      return [
        0n,
        1n << 63n,
        1n,
        0x800fffffffffffffn,
        0x0010000000000000n,
        0x7fefffffffffffffn,
        0x7ff0000000000000n,
        0xfff0000000000000n,
        0x7ff8000000000000n,
        0x7ff4000000000000n,
        0xfff8000000000001n,
      ][rnd(11)];
    case 2: // small integers with a fraction (ties, near-ties, random)
      return toBits(sign() * (rnd(8) + fraction()));
    case 3: // larger integers with a fraction
      return toBits(sign() * (rnd(1 << 30) * 2 ** rnd(22) + fraction()));
    case 4: { // next to an integer range limit, on either side, with or without a fraction
      const limit = LIMITS[rnd(LIMITS.length)];
      const near = limit + [0, -1, 1, -0.5, 0.5, -0.25, -1.5][rnd(7)];
      return toBits(sign() * nextTo(near, rnd(5) - 2));
    }
    case 5: // magnitudes below 1, down to subnormals
      return toBits(sign() * (1 + rnd(1 << 30) / 2 ** 30) * 2 ** -(1 + rnd(1080)));
    case 6: // every exponent the fast path takes and a few beyond
      return toBits(sign() * (1 + rnd(1 << 30) / 2 ** 30 + rnd(1 << 22) / 2 ** 52) * 2 ** rnd(70));
    default: // large integers, exact from 2^52 up
      return toBits(sign() * 2 ** (52 + rnd(14)) * (1 + rnd(1 << 30) / 2 ** 30));
  }
}

/** `li rd, v` for 0 <= v < 2^31. */
function li(rd: number, v: number): number[] {
  const hi = (v + 0x800) >> 12;
  return [A.lui(rd, hi & 0xfffff), A.addi(rd, rd, v - (hi << 12))];
}

/** A program that converts `RECORDS` values in every kind and mode and writes the results. */
function program(seed: number): Uint8Array {
  const rnd = prng(seed * 2654435761);
  const table = RECORDS * 8, out = Math.ceil(table / 0x1000) * 0x1000;
  const data = new Uint8Array(out + RECORDS * PER_RECORD);
  const dv = new DataView(data.buffer);
  for (let k = 0; k < RECORDS; k++) dv.setBigUint64(8 * k, BigInt.asUintN(64, value(rnd)), true);
  const [BASE, P, Q, N, T, D] = [27, 9, 18, 19, 5, 6];
  const body: number[] = [A.fld(1, P, 0)];
  for (let rm = 0; rm < 5; rm++) {
    body.push(A.csr(5, 0, 0x002, rm)); // csrwi frm, rm
    for (const kind of KINDS) {
      for (const insnRm of [rm, 7]) {
        body.push(
          A.csr(5, 0, 0x001, 0), // csrwi fflags, 0
          r(0x61, kind, 1, insnRm, D, 0x53), // fcvt.<kind>.d t1, f1, rm
          s(0, D, Q, 3, 0x23), // sd t1, 0(Q)
          A.csr(2, T, 0x001, 0), // frflags t0
          s(8, T, Q, 3, 0x23), // sd t0, 8(Q)
          A.addi(Q, Q, 16),
        );
      }
    }
  }
  body.push(A.addi(P, P, 8), A.addi(N, N, -1));
  body.push(A.bne(N, 0, -4 * body.length));
  const code = [
    A.lui(BASE, 0x20),
    A.addi(P, BASE, 0),
    ...li(T, out),
    A.op(0, 0, Q, BASE, T),
    ...li(N, RECORDS),
    ...body,
    ...li(12, RECORDS * PER_RECORD), // a2 = size
    A.op(0, 0, 11, BASE, T), // a1 = output
    i(1, 0, 0, 10, 0x13), // a0 = 1
    i(64, 0, 0, 17, 0x13), // a7 = write
    A.ecall,
    i(0, 0, 0, 10, 0x13),
    i(93, 0, 0, 17, 0x13), // exit(0)
    A.ecall,
  ];
  return riscvElf(encode(code), data);
}

/** Runs `path` on `accel`, on the JIT with every block compiled on its first run. */
async function run(path: string, accel: "interp" | "jit"): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const m = await createMachine({ program: path, accel, stdout: (b) => parts.push(b.slice()) });
  if (accel === "jit") (machineDriver(m).cpu.backend as JitBackend).hotThreshold = 0;
  assertEquals(await m.runToExit(), 0);
  return concatBytes(parts);
}

/** Fails with the first differing record (value, mode, kind) of outputs `a` and `b`. */
function assertSameRecords(a: Uint8Array, b: Uint8Array, what: string): void {
  assertEquals(a.length, b.length, `${what}: output size`);
  const at = a.findIndex((x, k) => x !== b[k]);
  if (at < 0) return;
  const record = Math.floor(at / PER_RECORD), slot = Math.floor(at % PER_RECORD / 16);
  const [mode, kind, dynamic] = [Math.floor(slot / 8), (slot >> 1) % 4, slot % 2];
  const words = (x: Uint8Array) => {
    const dv = new DataView(x.buffer, x.byteOffset + at - at % 16, 16);
    return [dv.getBigUint64(0, true).toString(16), dv.getBigUint64(8, true)];
  };
  throw new Error(
    `${what}: value ${record}, rm ${mode}${dynamic ? " (dynamic)" : ""}, kind ${kind}: ` +
      `${words(a)} vs ${words(b)}`,
  );
}

const qemu = installed("qemu-riscv64");

Deno.test(`binary64 to integer conversions: interpreter, JIT${qemu ? " and qemu-riscv64" : ""} agree`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "denemu-fcvt-" });
  try {
    for (const seed of [1, 2, 3]) {
      const path = `${dir}/fcvt${seed}`;
      await Deno.writeFile(path, program(seed), { mode: 0o755 });
      const interp = await run(path, "interp");
      assertEquals(interp.length, RECORDS * PER_RECORD, `seed ${seed}: output size`);
      assertSameRecords(await run(path, "jit"), interp, `seed ${seed}: JIT vs interpreter`);
      if (!qemu) continue;
      const q = await new Deno.Command("qemu-riscv64", { args: [path], stdout: "piped" }).output();
      assertSameRecords(interp, q.stdout, `seed ${seed}: Denemu vs qemu-riscv64`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
