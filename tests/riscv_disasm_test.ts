// Differential test of the RISC-V disassembler against binutils: every
// instruction in the executable sections of the committed fixture objects
// (tests/riscv/*.o, rebuilt by scripts/build_riscv_disasm_fixtures.ts) is
// disassembled and compared with the recorded `objdump -d -M no-aliases`
// listing.
//
// Intentional differences, normalised away before comparing: objdump's
// ` <symbol+offset>` annotations after addresses and its trailing `# ...`
// comments (it tracks lui/auipc values across instructions); the
// disassembler sees one instruction and no symbol table.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { DISASM_FIXTURES, listingOf } from "../scripts/build_riscv_disasm_fixtures.ts";
import { disassembleRiscv } from "../targets/riscv/disas.ts";
import { riscvInsnLength } from "../targets/riscv/decode.ts";

const DIR = new URL("./riscv/", import.meta.url);

/** The executable sections of an ELF relocatable object (name -> bytes). */
function executableSections(bytes: Uint8Array): Map<string, Uint8Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const is64 = bytes[4] === 2;
  const word = (
    off: number,
  ) => (is64 ? Number(dv.getBigUint64(off, true)) : dv.getUint32(off, true));
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = dv.getUint16(is64 ? 0x3a : 0x2e, true);
  const shnum = dv.getUint16(is64 ? 0x3c : 0x30, true);
  const shstrndx = dv.getUint16(is64 ? 0x3e : 0x32, true);
  const header = (i: number) => {
    const h = shoff + i * shentsize;
    return {
      name: dv.getUint32(h, true),
      flags: is64 ? Number(dv.getBigUint64(h + 8, true)) : dv.getUint32(h + 8, true),
      offset: word(h + (is64 ? 0x18 : 0x10)),
      size: word(h + (is64 ? 0x20 : 0x14)),
    };
  };
  const strtab = header(shstrndx);
  const nameAt = (off: number) => {
    let end = strtab.offset + off;
    while (bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(strtab.offset + off, end));
  };
  const out = new Map<string, Uint8Array>();
  const SHF_EXECINSTR = 4;
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    if (h.flags & SHF_EXECINSTR && h.size > 0) {
      out.set(nameAt(h.name), bytes.subarray(h.offset, h.offset + h.size));
    }
  }
  return out;
}

/** objdump's instructions per section: address -> normalised text. */
function parseListing(text: string): Map<string, Map<number, string>> {
  const sections = new Map<string, Map<number, string>>();
  let current: Map<number, string> | undefined;
  for (const line of text.split("\n")) {
    const sec = /^Disassembly of section (\S+):$/.exec(line);
    if (sec) sections.set(sec[1], current = new Map());
    const m = /^\s*([0-9a-f]+):\t[0-9a-f]+\s+\t(.*)$/.exec(line);
    if (m && current) current.set(parseInt(m[1], 16), normalise(m[2]));
  }
  return sections;
}

function normalise(s: string): string {
  return s.replace(/\s*#.*$/, "").replace(/ <[^>]*>/g, "").replace(/[ \t]+/g, " ").trim();
}

for (const f of DISASM_FIXTURES) {
  Deno.test(`riscv disassembler matches objdump: ${f.object}`, () => {
    const object = Deno.readFileSync(new URL(f.object, DIR));
    const listing = parseListing(Deno.readTextFileSync(new URL(listingOf(f.object), DIR)));
    const sections = executableSections(object);
    assert.ok(sections.size > 0, "no executable sections");
    let count = 0;
    const mismatches: string[] = [];
    for (const [name, code] of sections) {
      const expected = listing.get(name);
      assert.ok(expected, `objdump listing has no section ${name}`);
      const before = count;
      for (let pc = 0; pc < code.length;) {
        const low = code[pc] | (code[pc + 1] << 8);
        const size = riscvInsnLength(low);
        const bits = size === 2 ? low : (low | (code[pc + 2] << 16) | (code[pc + 3] << 24)) >>> 0;
        const got = normalise(disassembleRiscv(f.xlen, bits, size, BigInt(pc)));
        const want = expected.get(pc);
        if (got !== want) mismatches.push(`${name}+0x${pc.toString(16)}: ${want} / ${got}`);
        count++;
        pc += size;
      }
      assert.equal(
        count - before,
        expected.size,
        `${name}: instruction count differs from objdump`,
      );
    }
    assert.deepEqual(mismatches, []);
    assert.ok(count > 40, `only ${count} instructions`);
  });
}
