// ELF parser: real guest binaries parse; every malformed file is a one-line EmuError.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { parseElf, PT_LOAD, readSymbols } from "../core/elf.ts";
import { EmuError } from "../core/errors.ts";
import { createMachine } from "../mod.ts";

const dir = new URL("./", import.meta.url);
const read = (p: string) => Deno.readFileSync(new URL(p, dir));

Deno.test("parses a static riscv64 executable", () => {
  const elf = parseElf(read("guests/bin/hello.static.O2"), "hello");
  assertEquals(elf.elfClass, 2);
  assertEquals(elf.machine, 243);
  assertEquals(elf.interp, null);
  assert(elf.loads.length >= 1 && elf.loads.every((s) => s.type === PT_LOAD));
  assert(readSymbols(elf).some((s) => s.name === "main"));
});

Deno.test("parses a dynamic PIE with its interpreter", () => {
  const elf = parseElf(read("guests/bin/hello.dynamic.O2"), "hello");
  assertEquals(elf.type, 3);
  assertEquals(elf.interp, "/lib/ld-linux-riscv64-lp64d.so.1");
});

const malformed = JSON.parse(new TextDecoder().decode(read("malformed/malformed.json"))) as {
  files: { file: string; problem: string }[];
};

for (const m of malformed.files) {
  Deno.test(`malformed ELF ${m.file}: one-line EmuError`, async () => {
    const path = new URL(`malformed/${m.file}`, dir).pathname;
    let err: unknown;
    try {
      await createMachine({ program: path });
    } catch (e) {
      err = e;
    }
    assert(err instanceof EmuError, `${m.file} (${m.problem}): got ${err}`);
    assert(!err.message.includes("\n"), err.message);
    assert(!/0x-/.test(err.message), `a field printed as negative hex: ${err.message}`);
  });
}

Deno.test("truncation and bad magic messages name the problem", () => {
  throws(() => parseElf(new Uint8Array(0), "x"), /truncated/);
  throws(() => parseElf(new Uint8Array([1, 2, 3, 4, 5]), "x"), /bad magic/);
  const h = read("guests/bin/exit42.static.O2").slice();
  h[4] = 7;
  throws(() => parseElf(h, "x"), /wrong class/);
});
