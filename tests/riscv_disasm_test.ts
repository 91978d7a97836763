// Differential test of the RISC-V disassembler against binutils: every
// instruction in the executable sections of the committed fixture objects
// (tests/riscv/*.o, rebuilt by scripts/build_riscv_disasm_fixtures.ts) is
// disassembled and compared with the recorded `objdump -d -M no-aliases`
// listing.
//
// More tests (when the cross toolchain is installed) assemble with `.insn` and
// compare every 16-bit encoding, random 32-bit words, and random encodings of
// every 32-bit pattern of the decode tables (every base and extension instruction).
//
// Intentional differences, normalised away before comparing: objdump's
// ` <symbol+offset>` annotations after addresses and its trailing `# ...`
// comments (it tracks lui/auipc values across instructions); the
// disassembler sees one instruction and no symbol table. Reserved compressed
// encodings that binutils still prints (c.addi16sp with immediate 0, RV32
// shifts by 32..63, also 32-bit ones) are illegal here, as in QEMU, and
// print as `.2byte` / `.4byte`.
// Conversely, like QEMU we execute (and print) fence/fence.i with non-zero
// reserved fields and fcvt.d.s/fcvt.d.w/fcvt.d.wu/fcvt.s.h/fcvt.d.h with any rounding mode,
// which binutils 2.40 shows as `.4byte`.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { DISASM_FIXTURES, listingOf } from "../scripts/build_riscv_disasm_fixtures.ts";
import { disassembleRiscv } from "../targets/riscv/disas.ts";
import { riscvInsnLength, rvvPatterns, storedTable } from "../targets/riscv/decode.ts";

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
    assert.ok(count > 10, `only ${count} instructions`);
  });
}

async function toolAvailable(tool: string): Promise<boolean> {
  try {
    return (await new Deno.Command(tool, { args: ["--version"], stdout: "null" }).output()).success;
  } catch {
    return false;
  }
}

const HAVE_TOOLCHAIN = await toolAvailable("riscv64-linux-gnu-gcc") &&
  await toolAvailable("riscv64-linux-gnu-objdump");

/** Encodings binutils prints but the spec (and QEMU) reserve. */
function reservedButPrinted(bits: number, xlen: 32 | 64, want: string): boolean {
  if (bits === 0x6101) return true; // c.addi16sp sp,0
  // RV32 shifts, rotations and single-bit operations by 32..63
  return xlen === 32 && /^((c\.)?s(ll|rl|ra)i|rori|b(set|clr|inv|ext)i) /.test(want) &&
    /,0x[23][0-9a-f]$/.test(want);
}

/** Assembles `.insn` lines for an XLEN and returns objdump's .text listing. */
async function assembleInsns(dir: string, xlen: 32 | 64, insns: string[]) {
  const src = `${dir}/insns${xlen}.S`, obj = `${dir}/insns${xlen}.o`;
  await Deno.writeTextFile(src, [".text", ...insns.map((i) => ` .insn ${i}`)].join("\n") + "\n");
  // The disassembler knows every optional extension, as objdump does when the object says so.
  const zb = "_zihintpause_zicbom_zicboz_zicbop_zawrs_zfh_zba_zbb_zbc_zbs_zbkb_zbkc_zbkx";
  const flags = xlen === 64 ? [`-march=rv64gcv${zb}`] : [`-march=rv32gcv${zb}`, "-mabi=ilp32d"];
  const cc = await new Deno.Command("riscv64-linux-gnu-gcc", {
    args: [...flags, "-c", src, "-o", obj],
  })
    .output();
  assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
  const dump = await new Deno.Command("riscv64-linux-gnu-objdump", {
    args: ["-d", "-M", "no-aliases", obj],
    stdout: "piped",
  }).output();
  return parseListing(new TextDecoder().decode(dump.stdout)).get(".text")!;
}

/**
 * 32-bit encodings we accept (as QEMU does) but binutils 2.40 prints as
 * `.4byte`; it also predates Zicond, and gcc 12 cannot mark an object as
 * using Svinval.
 */
function acceptedButUnprinted(want: string, got: string): boolean {
  return want.startsWith(".4byte") &&
    /^(fence|fcvt\.(d\.(s|w|wu|h)|s\.h) |czero\.|sinval\.vma|sfence\.(w\.inval|inval\.ir))/
      .test(got);
}

/** xorshift32 words from `seed`. */
function xorshift(seed: number): () => number {
  return () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
}

/** Compares the disassembly of `words` with objdump's at both XLENs; returns the mismatches. */
async function objdumpMismatches(dir: string, words: number[]): Promise<string[]> {
  const mismatches: string[] = [];
  for (const xlen of [64, 32] as const) {
    const listing = await assembleInsns(dir, xlen, words.map((w) => `4, 0x${w.toString(16)}`));
    words.forEach((w, k) => {
      const want = listing.get(k * 4)!;
      const got = normalise(disassembleRiscv(xlen, w, 4, BigInt(k * 4)));
      if (
        got !== want && !acceptedButUnprinted(want, got) && !reservedButPrinted(w, xlen, want)
      ) {
        mismatches.push(`RV${xlen} 0x${w.toString(16)}: ${want} / ${got}`);
      }
    });
  }
  return mismatches;
}

Deno.test({
  name: "riscv disassembler matches objdump on random 32-bit encodings",
  ignore: !HAVE_TOOLCHAIN,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "denemu-rv32-" });
    try {
      const next = xorshift(0x2545f491), words: number[] = [];
      for (let k = 0; k < 20000; k++) {
        const w = next();
        // Low bits 11111 announce longer encodings, which gas refuses as 4-byte `.insn`.
        if ((w & 0x1c) !== 0x1c) words.push((w | 3) >>> 0);
      }
      assert.deepEqual((await objdumpMismatches(dir, words)).slice(0, 20), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "riscv disassembler matches objdump on every 32-bit pattern of the decode tables",
  ignore: !HAVE_TOOLCHAIN,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "denemu-rvpat-" });
    try {
      const patterns = [
        ...storedTable("insn32").patterns,
        ...rvvPatterns(),
      ];
      // 24 encodings of each pattern, its free bits random: every instruction of every extension
      const next = xorshift(0x1234567), words: number[] = [];
      for (const p of patterns) {
        for (let k = 0; k < 24; k++) words.push(((next() & ~p.mask) | p.match) >>> 0);
      }
      assert.ok(patterns.length > 850, `only ${patterns.length} patterns`);
      assert.deepEqual((await objdumpMismatches(dir, words)).slice(0, 20), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "riscv disassembler matches objdump on every 16-bit encoding",
  ignore: !HAVE_TOOLCHAIN,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "denemu-rvc-" });
    try {
      const insns: string[] = [];
      for (let v = 0; v < 0x10000; v++) if ((v & 3) !== 3) insns.push(`2, 0x${v.toString(16)}`);
      for (const xlen of [64, 32] as const) {
        const listing = await assembleInsns(dir, xlen, insns);
        assert.equal(listing.size, 49152);
        const mismatches: string[] = [];
        let addr = 0;
        for (let v = 0; v < 0x10000; v++) {
          if ((v & 3) === 3) continue;
          const want = listing.get(addr)!;
          const got = normalise(disassembleRiscv(xlen, v, 2, BigInt(addr)));
          if (got !== want && !reservedButPrinted(v, xlen, want)) {
            mismatches.push(`RV${xlen} 0x${v.toString(16)}: ${want} / ${got}`);
          }
          addr += 2;
        }
        assert.deepEqual(mismatches.slice(0, 20), []);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
