// Random-program differential test of the aarch64 target: generated A64 integer sequences
// (add/sub with and without flags, logical and bitfield immediates, move wide, extr, shifted and
// extended registers, adc/sbc, conditional compare and select, divides, variable shifts,
// rbit/rev/clz/cls, multiplies, loads and stores of every size, forward conditional branches)
// run on the interpreter, on the JIT and on qemu-aarch64; x0-x27, NZCV and the scratch memory
// must be identical. RANDOM_DIFF_SEED=N and RANDOM_DIFF_COUNT=N explore other programs.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { concatBytes } from "../core/bytes.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { createMachine } from "../mod.ts";
import { decodeBitMasks } from "../targets/aarch64/bitmasks.ts";
import { prng } from "./riscv/random_programs.ts";
import { aarch64Elf } from "./util/elf_writer.ts";
import { installed } from "./util/installed.ts";

const SEED = Number(Deno.env.get("RANDOM_DIFF_SEED") ?? 1);
const COUNT = Number(Deno.env.get("RANDOM_DIFF_COUNT") ?? 16);
const LENGTH = 120;
/** x28 holds the data segment's address; x0-x27 and XZR/SP (31) are the operands. */
const BASE = 28;
/** The dump: x0-x27 and NZCV at BASE + 0x400, then the scratch memory (0x000-0x3ff). */
const DUMP = 0x400, DUMP_SIZE = 0x400 + 29 * 8;

type Rnd = (n: number) => number;

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

/** One random instruction (its 32-bit word). */
function randomInsn(rnd: Rnd): number {
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
    case 11: // udiv/sdiv/lslv/lsrv/asrv/rorv
      return top + 0x1ac00000 + f([2, 3, 8, 9, 10, 11][rnd(6)], 10) + regs;
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

/** A whole program: load x0-x27, run the body, dump x0-x27 and NZCV, write it out, exit. */
function program(seed: number): Uint8Array {
  const rnd = prng(seed * 2654435761);
  const data = new Uint8Array(0x1000);
  for (let k = 0; k < 0x400; k++) data[k] = rnd(256);
  // movz x28, #0x2, lsl #16 (the data segment); add sp, x28, #0x800 and msr nzcv, xzr: the
  // same SP and flags everywhere (qemu-aarch64 starts with Z set, Linux with NZCV clear)
  const words = [0xd2a0005c, 0x9120039f, 0xd51b421f];
  for (let k = 0; k < 28; k++) words.push(0xf9400000 + f(k, 10) + f(BASE, 5) + k); // ldr xk
  for (let k = 0; k < LENGTH; k++) words.push(randomInsn(rnd) >>> 0);
  for (let k = 0; k < 28; k++) words.push(0xf9000000 + f((DUMP >> 3) + k, 10) + f(BASE, 5) + k);
  words.push(0xd53b4200, 0xf9000000 + f((DUMP >> 3) + 28, 10) + f(BASE, 5)); // mrs x0, nzcv; str
  words.push(
    0xd2800020, // movz x0, #1
    0xaa1c03e1, // mov x1, x28
    0xd2800002 + f(DUMP_SIZE, 5), // movz x2, #DUMP_SIZE
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

/** Runs `path` on `accel` (the JIT compiling every block on its first run): its stdout. */
async function runOn(path: string, accel: "jit" | "interp"): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const m = await createMachine({ program: path, accel, stdout: (b) => parts.push(b.slice()) });
  if (accel === "jit") (machineDriver(m).cpu.backend as JitBackend).hotThreshold = 0;
  assertEquals(await m.runToExit(), 0, `${path} on ${accel}: exit status`);
  await m.close();
  return concatBytes(parts);
}

const QEMU = installed("qemu-aarch64");
Deno.test({
  name: "random A64 programs: interpreter, JIT and qemu-aarch64 agree",
  ignore: !QEMU,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "denemu-a64-random-" });
    try {
      for (let k = 0; k < COUNT; k++) {
        const seed = SEED + k, path = `${dir}/prog${seed}`;
        await Deno.writeFile(path, program(seed), { mode: 0o755 });
        const q = await new Deno.Command("qemu-aarch64", { args: [path], stdout: "piped" })
          .output();
        assertEquals(q.stdout.length, DUMP_SIZE, `seed ${seed}: qemu-aarch64's dump`);
        assertEquals(await runOn(path, "interp"), q.stdout, `seed ${seed}: interpreter`);
        assertEquals(await runOn(path, "jit"), q.stdout, `seed ${seed}: JIT`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
Deno.test("random A64 programs: qemu-aarch64 is installed", { ignore: QEMU }, () => {
  console.warn("skipped: qemu-aarch64 is not installed (apt-get install qemu-user)");
});
