// Rebuilds the RISC-V disassembler fixtures under tests/riscv/: each source
// is compiled to an object file with the cross gcc, and
// `riscv64-linux-gnu-objdump -d -M no-aliases` output is recorded beside it.
// tests/riscv_disasm_test.ts disassembles the objects' code and compares.
//
//   deno run -A scripts/build_riscv_disasm_fixtures.ts
//
// Needs riscv64-linux-gnu-gcc and riscv64-linux-gnu-objdump.
// SPDX-License-Identifier: GPL-3.0-or-later

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIR = join(REPO, "tests/riscv");
const CC = "riscv64-linux-gnu-gcc";
const OBJDUMP = "riscv64-linux-gnu-objdump";

/**
 * One fixture: a source, its target flags, and the object it becomes.
 *
 * @example
 * ```ts
 * import type { DisasmFixture } from "./build_riscv_disasm_fixtures.ts";
 * const f: DisasmFixture = { source: "x.S", object: "x.o", xlen: 64, flags: [] };
 * ```
 */
export interface DisasmFixture {
  source: string;
  object: string;
  xlen: 32 | 64;
  flags: string[];
}

const RV64 = ["-march=rv64gc", "-mabi=lp64d"];
const RV32 = ["-march=rv32gc", "-mabi=ilp32d"];
const C_FLAGS = ["-O2", "-ffreestanding", "-fno-ident"];
/** `flags` with the bit-manipulation extensions added to -march. */
const withExtensions = (flags: string[], extensions: string) =>
  flags.map((f) => f.startsWith("-march=") ? `${f}${extensions}` : f);
const zb = (flags: string[]) => withExtensions(flags, "_zba_zbb_zbc_zbs");
const zbk = (flags: string[]) => withExtensions(flags, "_zbb_zbkb_zbkc_zbkx");
const zfh = (flags: string[]) => withExtensions(flags, "_zfh");
const cmo = (flags: string[]) => withExtensions(flags, "_zihintpause_zicbom_zicboz_zicbop_zawrs");

/**
 * The fixtures, shared with the test.
 *
 * @example
 * ```ts
 * import { DISASM_FIXTURES } from "./build_riscv_disasm_fixtures.ts";
 * console.log(DISASM_FIXTURES.map((f) => f.object));
 * ```
 */
export const DISASM_FIXTURES: DisasmFixture[] = [
  { source: "rv64gc_forms.S", object: "rv64gc_forms.o", xlen: 64, flags: RV64 },
  { source: "rv32gc_forms.S", object: "rv32gc_forms.o", xlen: 32, flags: RV32 },
  { source: "zb_forms.S", object: "zb_forms.rv64.o", xlen: 64, flags: zb(RV64) },
  { source: "zb_forms.S", object: "zb_forms.rv32.o", xlen: 32, flags: zb(RV32) },
  { source: "zbk_forms.S", object: "zbk_forms.rv64.o", xlen: 64, flags: zbk(RV64) },
  { source: "zbk_forms.S", object: "zbk_forms.rv32.o", xlen: 32, flags: zbk(RV32) },
  { source: "zfh_forms.S", object: "zfh_forms.rv64.o", xlen: 64, flags: zfh(RV64) },
  { source: "zfh_forms.S", object: "zfh_forms.rv32.o", xlen: 32, flags: zfh(RV32) },
  { source: "cmo_forms.S", object: "cmo_forms.rv64.o", xlen: 64, flags: cmo(RV64) },
  { source: "rvv_forms.S", object: "rvv_forms.rv64.o", xlen: 64, flags: withExtensions(RV64, "v") },
  {
    source: "disasm_sample.c",
    object: "disasm_sample.rv64.o",
    xlen: 64,
    flags: [...RV64, ...C_FLAGS],
  },
  {
    source: "disasm_sample.c",
    object: "disasm_sample.rv32.o",
    xlen: 32,
    flags: [...RV32, ...C_FLAGS],
  },
];

/**
 * The objdump listing path of a fixture object.
 *
 * @example
 * ```ts
 * import { listingOf } from "./build_riscv_disasm_fixtures.ts";
 * console.log(listingOf("a.o")); // "a.objdump.txt"
 * ```
 */
export function listingOf(object: string): string {
  return object.replace(/\.o$/, ".objdump.txt");
}

async function sh(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd: DIR, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

async function main(): Promise<number> {
  for (const tool of [CC, OBJDUMP]) {
    try {
      await sh(tool, ["--version"]);
    } catch {
      console.error(`${tool} not found: install the riscv64 cross toolchain`);
      return 1;
    }
  }
  for (const f of DISASM_FIXTURES) {
    await sh(CC, [...f.flags, "-c", f.source, "-o", f.object]);
    const listing = await sh(OBJDUMP, ["-d", "-M", "no-aliases", f.object]);
    await Deno.writeTextFile(join(DIR, listingOf(f.object)), listing);
    console.log(`built tests/riscv/${f.object} and ${listingOf(f.object)}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
