// Record programs for the floating-point peer tests: a RISC-V guest that runs the same instruction
// sequence over a table of inputs and writes fixed-size records of results and fflags to stdout, so
// that the interpreter, the JIT and qemu-riscv64 can be compared byte for byte.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { concatBytes } from "../../core/bytes.ts";
import type { JitBackend } from "../../core/jit/jit_backend.ts";
import { machineDriver } from "../../core/machine/machine.ts";
import { createMachine } from "../../mod.ts";
import { A, encode, i, s } from "../riscv/asm.ts";
import { riscvElf } from "./elf_writer.ts";
import { installed } from "./installed.ts";

/** The registers a record program's loop owns; a body may use `T` and `D` as scratch. */
export const REG = { BASE: 27, P: 9, Q: 18, N: 19, T: 5, D: 6 } as const;

/** What a record program is made of. */
export interface RecordLayout {
  /** the input table: `records` entries of `stride` bytes, read through `REG.P` */
  inputs: Uint8Array;
  stride: number;
  records: number;
  /** bytes the body writes through `REG.Q` per record (it advances `REG.Q` itself) */
  perRecord: number;
  /** the instructions run once per record */
  body: number[];
}

/** `li rd, v` for 0 <= v < 2^31. */
function li(rd: number, v: number): number[] {
  const hi = (v + 0x800) >> 12;
  return [A.lui(rd, hi & 0xfffff), A.addi(rd, rd, v - (hi << 12))];
}

/**
 * The body that runs each of `ops` in every rounding mode (0-4, set in frm), with that mode static
 * and dynamic (7) in the instruction: fflags cleared before, then the result (stored by the op's
 * own store through `REG.Q`) and fflags written as one 16-byte slot. `op(rm)` gives the instruction
 * and its store.
 */
export function everyMode(ops: ((rm: number) => number[])[]): number[] {
  const { Q, T } = REG;
  const body: number[] = [];
  for (let rm = 0; rm < 5; rm++) {
    body.push(A.csr(5, 0, 0x002, rm)); // csrwi frm, rm
    for (const op of ops) {
      for (const insnRm of [rm, 7]) {
        body.push(
          A.csr(5, 0, 0x001, 0), // csrwi fflags, 0
          ...op(insnRm),
          A.csr(2, T, 0x001, 0), // frflags t0
          s(8, T, Q, 3, 0x23), // sd t0, 8(Q)
          A.addi(Q, Q, 16),
        );
      }
    }
  }
  return body;
}

/** A static ELF that runs `body` over every input and writes all records, then exits with 0. */
export function recordProgram(layout: RecordLayout): Uint8Array {
  const { inputs, stride, records, perRecord } = layout;
  const { BASE, P, Q, N, T } = REG;
  const out = Math.ceil(inputs.length / 0x1000) * 0x1000;
  const data = new Uint8Array(out + records * perRecord);
  data.set(inputs);
  const body = [...layout.body, A.addi(P, P, stride), A.addi(N, N, -1)];
  body.push(A.bne(N, 0, -4 * body.length));
  const code = [
    A.lui(BASE, 0x20),
    A.addi(P, BASE, 0),
    ...li(T, out),
    A.op(0, 0, Q, BASE, T),
    ...li(N, records),
    ...body,
    ...li(12, records * perRecord), // a2 = size
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

/** Fails with `describe(at)` of the first byte where outputs `a` and `b` differ. */
function assertSameOutput(
  a: Uint8Array,
  b: Uint8Array,
  what: string,
  describe: (at: number, a: Uint8Array, b: Uint8Array) => string,
): void {
  assertEquals(a.length, b.length, `${what}: output size`);
  const at = a.findIndex((x, k) => x !== b[k]);
  if (at >= 0) throw new Error(`${what}: ${describe(at, a, b)}`);
}

/** The two 64-bit words (result, fflags) of the 16-byte slot holding byte `at`, in hex. */
export function slotWords(x: Uint8Array, at: number): string {
  const dv = new DataView(x.buffer, x.byteOffset + at - at % 16, 16);
  return `${dv.getBigUint64(0, true).toString(16)}/${dv.getBigUint64(8, true).toString(16)}`;
}

/**
 * Registers a test that builds `program(seed)` for seeds 1-3 and compares the interpreter's output
 * with the JIT's and, when installed, qemu-riscv64's; `describe` names the first difference.
 */
export function recordPeerTest(
  name: string,
  outputSize: number,
  program: (seed: number) => Uint8Array,
  describe: (at: number, a: Uint8Array, b: Uint8Array) => string,
): void {
  const qemu = installed("qemu-riscv64");
  Deno.test(`${name}: interpreter, JIT${qemu ? " and qemu-riscv64" : ""} agree`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "denemu-fp-records-" });
    try {
      for (const seed of [1, 2, 3]) {
        const path = `${dir}/records${seed}`;
        await Deno.writeFile(path, program(seed), { mode: 0o755 });
        const interp = await run(path, "interp");
        assertEquals(interp.length, outputSize, `seed ${seed}: output size`);
        assertSameOutput(
          await run(path, "jit"),
          interp,
          `seed ${seed}: JIT vs interpreter`,
          describe,
        );
        if (!qemu) continue;
        const q = await new Deno.Command("qemu-riscv64", { args: [path], stdout: "piped" })
          .output();
        assertSameOutput(interp, q.stdout, `seed ${seed}: Denemu vs qemu-riscv64`, describe);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
