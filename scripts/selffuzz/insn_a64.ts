/**
 * `insn-a64`: random A64 programs (integer, AdvSIMD and FP instructions under
 * a random FPCR: tests/aarch64/random_programs.ts) run on qemu-aarch64, on the
 * interpreter and on the JIT compiling every block on its first run. x0-x27,
 * NZCV, FPSR, V0-V31 and the scratch memory must be the same on all three,
 * and no host exception may escape. The riscv `insn` fuzzer compares Denemu's
 * engines with each other; this one has the peer as the reference.
 *
 * @module
 */

import { compareWithQemu, randomProgram } from "../../tests/aarch64/random_programs.ts";
import { installed } from "../../tests/util/installed.ts";
import { describeError, type SelfFuzzer } from "./runner.ts";

/** Instructions per program. */
const LENGTH = 100;

/** Writes `elf` to a fresh file, compares the three runs, removes it: the failure, or null. */
async function check(elf: Uint8Array): Promise<string | null> {
  const dir = await Deno.makeTempDir({ prefix: "denemu-selffuzz-a64-" });
  try {
    await Deno.writeFile(`${dir}/prog`, elf, { mode: 0o755 });
    return await compareWithQemu(`${dir}/prog`);
  } catch (e) {
    return `host exception: ${describeError(e)}`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The `insn-a64` self-fuzzer; its reproducer is the program's ELF file. */
export const insnA64Fuzzer: SelfFuzzer = {
  name: "insn-a64",
  ciCases: 8,
  extension: "elf",
  description: "random A64 integer, AdvSIMD and FP programs: qemu-aarch64 vs interpreter and JIT",
  notInCi: installed("qemu-aarch64") ? undefined : "qemu-aarch64 is not installed",
  async runCase(seed) {
    const elf = randomProgram(seed, { length: LENGTH, simd: seed % 4 !== 0 });
    return { input: elf, failure: await check(elf) };
  },
  replay: check,
};
