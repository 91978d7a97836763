/**
 * `elf`: mutated ELF files through the loader and a bounded run. Seeds are
 * small RISC-V and AArch64 guests from tests/guests/bin and the hand-made bad files in
 * tests/malformed; mutations are bit flips, truncation, ELF header and
 * program header fields set to boundary values, and garbage in PT_INTERP and
 * PT_DYNAMIC. The outcome must be an {@linkcode EmuError}, a guest exit or a
 * guest fault (the process ends by a signal), or the instruction budget
 * running out; any other exception is a failure.
 *
 * @module
 */

import { join } from "node:path";
import { EmuError } from "../../mod.ts";
import { LinuxProcess } from "../../core/linux/process.ts";
import { prng, type Rnd } from "../../tests/riscv/random_programs.ts";
import { describeError, type SelfFuzzer } from "./runner.ts";

const REPO = new URL("../../", import.meta.url).pathname;
/** The first SEEDS are valid programs (RISC-V and AArch64); the rest are tests/malformed. */
const VALID_SEEDS = 8;
const SEEDS = [
  "tests/guests/bin/exit42.static.O2",
  "tests/guests/bin/exit42.staticpie.O2",
  "tests/guests/bin/rv64c.static.O2",
  "tests/guests/bin/hello.dynamic.O2",
  "tests/guests/bin/crash.dynamic.O2",
  "tests/guests/bin/aarch64/hello_asm",
  "tests/guests/bin/aarch64/hello.static.O2",
  "tests/guests/bin/aarch64/hello.dynamic.O2",
  ...[...Deno.readDirSync(join(REPO, "tests/malformed"))]
    .filter((e) => e.name.endsWith(".elf")).map((e) => `tests/malformed/${e.name}`).sort(),
].map((path) => Deno.readFileSync(join(REPO, path)));

/** Steps of {@linkcode STEP_BUDGET} instructions before a case counts as running on. */
const STEPS = 40;
const STEP_BUDGET = 50_000;
const PT_INTERP = 3, PT_DYNAMIC = 2;

const BOUNDARY = [
  0n,
  1n,
  0x7fn,
  0xffn,
  0x1000n,
  0xffffn,
  0x7fffffffn,
  0xffffffffn,
  1n << 47n,
  1n << 63n,
  (1n << 64n) - 1n,
  (1n << 64n) - 0x1000n,
];
/** ELF64 header fields: [offset, size]. */
const EHDR_FIELDS = [
  [4, 1],
  [5, 1],
  [6, 1],
  [7, 1],
  [16, 2],
  [18, 2],
  [20, 4],
  [24, 8],
  [32, 8],
  [
    40,
    8,
  ],
  [48, 4],
  [52, 2],
  [54, 2],
  [56, 2],
  [58, 2],
  [60, 2],
  [62, 2],
];
/** ELF64 program header fields: [offset, size]. */
const PHDR_FIELDS = [[0, 4], [4, 4], [8, 8], [16, 8], [24, 8], [32, 8], [40, 8], [48, 8]];

function setField(b: Uint8Array, at: number, size: number, v: bigint) {
  for (let k = 0; k < size && at + k < b.length; k++) {
    b[at + k] = Number((v >> BigInt(8 * k)) & 0xffn);
  }
}

function field(b: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[at + k] ?? 0);
  return v;
}

/** [file offset of the header, p_type, p_offset, p_filesz] of each program header. */
function phdrs(b: Uint8Array): [number, number, number, number][] {
  const phoff = Number(field(b, 32, 8)), num = Number(field(b, 56, 2));
  const out: [number, number, number, number][] = [];
  for (let k = 0; k < Math.min(num, 64); k++) {
    const at = phoff + 56 * k;
    if (at + 56 > b.length) break;
    out.push([
      at,
      Number(field(b, at, 4)),
      Number(field(b, at + 8, 8)),
      Number(field(b, at + 32, 8)),
    ]);
  }
  return out;
}

function boundary(rnd: Rnd): bigint {
  const v = BOUNDARY[rnd(BOUNDARY.length)];
  return rnd(4) === 0 ? v + BigInt(rnd(16)) - 8n : v;
}

/** Applies one random mutation to `b` (in place, or returns a truncated copy). */
function mutate(b: Uint8Array, rnd: Rnd): Uint8Array {
  const kind = rnd(9);
  if (kind === 0) {
    for (let n = 1 + rnd(8); n > 0; n--) b[rnd(b.length)] ^= 1 << rnd(8);
  } else if (kind === 1) {
    return b.slice(0, rnd(b.length));
  } else if (kind < 4) {
    const [at, size] = EHDR_FIELDS[rnd(EHDR_FIELDS.length)];
    setField(b, at, size, boundary(rnd));
  } else if (kind < 7 && phdrs(b).length) {
    const ph = phdrs(b);
    const [at, size] = PHDR_FIELDS[rnd(PHDR_FIELDS.length)];
    setField(b, ph[rnd(ph.length)][0] + at, size, boundary(rnd));
  } else {
    const wanted = kind === 7 ? PT_INTERP : PT_DYNAMIC;
    const seg = phdrs(b).find((p) => p[1] === wanted);
    if (!seg) return mutate(b, rnd);
    const [, , offset, filesz] = seg;
    for (let k = 0; k < Math.min(filesz, 4096) && offset + k < b.length; k++) {
      if (rnd(3) === 0) b[offset + k] = rnd(2) ? rnd(256) : [0, 0x2f, 0x2e, 0xff][rnd(4)];
    }
  }
  return b;
}

/** Loads and runs `elf` under the budget; null when the outcome is a clean one. */
async function check(elf: Uint8Array): Promise<string | null> {
  const dir = await Deno.makeTempDir({ prefix: "denemu-selffuzz-elf-" });
  try {
    const program = join(dir, "prog");
    await Deno.writeFile(program, elf, { mode: 0o755 });
    const discard = () => {};
    const p = await LinuxProcess.create({ program, cwd: dir, stdout: discard, stderr: discard });
    for (let k = 0; k < STEPS && !p.exited; k++) p.step(STEP_BUDGET);
    return null;
  } catch (e) {
    return e instanceof EmuError ? null : describeError(e);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The `elf` self-fuzzer. */
export const elfFuzzer: SelfFuzzer = {
  name: "elf",
  ciCases: 300,
  extension: "elf",
  description: "mutated ELF files through the loader: EmuError, exit or fault only",
  async runCase(seed) {
    const rnd = prng(seed);
    const pick = rnd(4) ? rnd(VALID_SEEDS) : rnd(SEEDS.length); // mostly the valid ones
    let elf: Uint8Array = new Uint8Array(SEEDS[pick]);
    for (let n = 1 + rnd(3); n > 0; n--) elf = mutate(elf, rnd);
    return { input: elf, failure: await check(elf) };
  },
  replay: check,
};
