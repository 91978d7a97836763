// Decoder tests of the RISC-V target: the generic decodetree builder, table
// completeness, compressed expansions, reserved encodings, and exhaustive /
// random inputs that must never raise a host exception.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { DecodeTable, DecodeTreeError, parseDecodeTree } from "../core/decodetree/decodetree.ts";
import { decodeRiscv, riscvDecoders, transName } from "../targets/riscv/decode.ts";
import { extensionTags } from "../targets/riscv/isa.ts";
import { disassembleRiscv } from "../targets/riscv/disas.ts";
import { decodeTablesJson } from "../targets/riscv/gen_decode_tables.ts";
import { RISCV_TRANS, riscvTrans } from "../targets/riscv/translate.ts";
import { rvvTrans } from "../targets/riscv/trans_rvv.ts";
import { A, b, CODE, i, j, machine, s, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, ra, sp, zero } = X;
const XLENS = [32, 64] as const;

Deno.test("decode_tables.json is the parse of the current .decode.ts tables", () => {
  const committed = Deno.readTextFileSync(
    new URL("../targets/riscv/decode_tables.json", import.meta.url),
  );
  assert.equal(committed, decodeTablesJson(), "run `deno task decoders` to regenerate it");
});

Deno.test("decodetree: a table rebuilt from its data decodes like the parsed one", () => {
  const parsed = parseDecodeTree(
    `
    %imm 4:s4 !function=neg
    add  0000 .... %imm BASE
    sub  0001 ....      BASE
    `,
    { width: 8, functions: { neg: (v) => -v } },
  );
  const rebuilt = DecodeTable.fromData(
    JSON.parse(JSON.stringify(parsed.toData())),
    { neg: (v) => -v },
  );
  const [fromData, fromText] = [rebuilt.decoder(), parsed.decoder()];
  for (let bits = 0; bits < 256; bits++) {
    const [x, y] = [fromData.decode(bits), fromText.decode(bits)];
    assert.equal(x?.pattern.name, y?.pattern.name);
    assert.deepEqual(x?.args, y?.args);
  }
  assert.throws(() => DecodeTable.fromData(parsed.toData()), DecodeTreeError);
});

Deno.test("decodetree: fields, formats, argument sets and groups", () => {
  const t = parseDecodeTree(
    `
    %lo    0:2
    %split 7:s1 2:2          !function=twice
    &ri    r imm
    @ri    .... .... &ri r=%lo imm=%split
    {
      zero   0000 0000           &ri r=0 imm=0 A
      small  0000 ....  @ri      A
    }
    big    1... ....  @ri !asm=x  B
    `,
    { width: 8, functions: { twice: (v) => v * 2 } },
  );
  const all = t.decoder();
  assert.equal(all.decode(0x00)?.pattern.name, "zero");
  const d = all.decode(0b1000_1101)!;
  assert.equal(d.pattern.name, "big");
  assert.deepEqual(d.args, { r: 1, imm: -2 }); // split = sign(bit7)=1, bits 3:2 = 11 -> -1 * 2
  assert.equal(d.pattern.attrs.asm, "x");
  assert.equal(all.decode(0b0100_0000), null);
  assert.equal(t.decoder((p) => p.tag === "A").decode(0x80), null);
});

Deno.test("decodetree: malformed tables are rejected with the line", () => {
  const bad = [
    "a 0000 .... X\nb 00.. .... X", // overlap outside a group
    "&s x y\nfoo 0000 .... &s x=1 X", // argument set not filled
    "foo 000 .... X", // wrong width
    "foo 0000 .... @nope X", // unknown format
    "{\nfoo 0000 0000 X", // unclosed group
  ];
  for (const text of bad) {
    assert.throws(() => parseDecodeTree(text, { width: 8 }).decoder(), DecodeTreeError, text);
  }
});

Deno.test("riscv decode tables: every pattern has a translation and every translation a pattern", () => {
  const used = new Set<string>();
  for (const xlen of XLENS) {
    const d = riscvDecoders(xlen, extensionTags(xlen)); // with every optional extension
    for (const p of [...d.insn32.patterns, ...d.insn16.patterns]) {
      if (p.name === "illegal") continue;
      const name = p.attrs.trans ?? p.name;
      used.add(name);
      assert.ok(riscvTrans(name), `no translation for ${p.name} (${name})`);
      assert.ok(p.attrs.asm !== undefined, `no disassembly template for ${p.name}`);
    }
  }
  const all = [...Object.keys(RISCV_TRANS), ...Object.keys(rvvTrans())];
  assert.deepEqual(all.filter((n) => !used.has(n)), []);
});

Deno.test("riscv decode: compressed instructions expand to their 32-bit equivalents", () => {
  const pairs: [number, number][] = [
    [0x1141, A.addi(sp, sp, -16)], // c.addi
    [0x0808, A.addi(a0, sp, 16)], // c.addi4spn
    [0x5ef0, A.load(2, a2, a3, 124)], // c.lw
    [0x70fe, A.load(3, ra, sp, 504)], // c.ldsp
    [0xff86, A.store(3, ra, sp, 504)], // c.sdsp
    [0x7505, A.lui(a0, 0xfffe1)], // c.lui
    [0x5575, A.addi(a0, zero, -3)], // c.li
    [0x7139, A.addi(sp, sp, -64)], // c.addi16sp
    [0x852e, A.op(0, 0, a0, zero, a1)], // c.mv
    [0x952e, A.op(0, 0, a0, a0, a1)], // c.add
    [0x8d0d, A.op(0x20, 0, a0, a0, a1)], // c.sub
    [0x9d0d, A.op(0x20, 0, a0, a0, a1, true)], // c.subw
    [0x95fd, A.srai(a1, a1, 63)], // c.srai
    [0x12fe, A.slli(5, 5, 63)], // c.slli t0
    [0x8082, A.jalr(zero, ra, 0)], // c.jr
    [0x9502, A.jalr(ra, a0, 0)], // c.jalr
    [0x9002, A.ebreak], // c.ebreak
    [0xbb21, j(-744, zero)], // c.j
    [0xd941, b(-112, zero, a0, 0)], // c.beqz
    [0x2588, i(8, a1, 3, a0, 0x07)], // c.fld fa0,8(a1)
    [0xa42a, s(8, a0, sp, 3, 0x27)], // c.fsdsp fa0,8(sp)
  ];
  for (const [c, full] of pairs) {
    const dc = decodeRiscv(64, c, 2), df = decodeRiscv(64, full, 4);
    assert.ok(dc && df, `0x${c.toString(16)}`);
    assert.equal(transName(dc), transName(df), dc.pattern.name);
    assert.deepEqual(dc.args, df.args, dc.pattern.name);
  }
  // RV32 maps the RV64 c.ld/c.sd/c.ldsp/c.sdsp/c.addiw slots to c.flw/c.fsw/c.flwsp/c.fswsp/c.jal.
  const rv32: [number, string, string][] = [
    [0x61c8, "c.flw", "flw"],
    [0xe1c8, "c.fsw", "fsw"],
    [0x6512, "c.flwsp", "flw"],
    [0xe22a, "c.fswsp", "fsw"],
    [0x2001, "c.jal", "jal"],
  ];
  for (const [bits, name, trans] of rv32) {
    const d = decodeRiscv(32, bits, 2)!;
    assert.equal(d.pattern.name, name);
    assert.equal(transName(d), trans);
    assert.notEqual(decodeRiscv(64, bits, 2)?.pattern.name, name);
  }
  assert.equal(decodeRiscv(32, 0x2001, 2)?.args.rd, 1);
});

Deno.test("riscv decode: reserved compressed encodings are illegal", () => {
  const reserved: [number, (32 | 64)[], string][] = [
    [0x0000, [32, 64], "all-zero halfword"],
    [0x0004, [32, 64], "c.addi4spn with nzuimm 0"],
    [0x6501, [32, 64], "c.lui with nzimm 0"],
    [0x6101, [32, 64], "c.addi16sp with nzimm 0"],
    [0x4002, [32, 64], "c.lwsp rd=0"],
    [0x6002, [64], "c.ldsp rd=0"],
    [0x8002, [32, 64], "c.jr x0"],
    [0x2001, [64], "c.addiw rd=0"],
    [0x9d41, [32, 64], "reserved arithmetic (bit 12 set, funct2 10)"],
    [0x8000, [32, 64], "quadrant 0 funct3 100"],
    [0x9105, [32], "c.srli with shamt[5] on RV32"],
    [0x1502, [32], "c.slli with shamt[5] on RV32"],
    [0x9d0d, [32], "c.subw on RV32"],
  ];
  for (const [bits, xlens, what] of reserved) {
    for (const xlen of xlens) assert.equal(decodeRiscv(xlen, bits, 2), null, `${what} (RV${xlen})`);
  }
  assert.equal(disassembleRiscv(64, 0, 2, 0n), "c.unimp");
  assert.equal(disassembleRiscv(64, 0x8000, 2, 0n), ".2byte\t0x8000");
});

Deno.test("riscv decode: every 16-bit value decodes or is illegal, never a host exception", () => {
  for (const xlen of XLENS) {
    let legal = 0;
    for (let v = 0; v < 0x10000; v++) {
      if ((v & 3) === 3) continue;
      const d = decodeRiscv(xlen, v, 2);
      if (d) {
        legal++;
        assert.ok(riscvTrans(transName(d)));
      }
      assert.equal(typeof disassembleRiscv(xlen, v, 2, 0x1000n), "string");
    }
    // Three quadrants of 16384 halfwords, minus the reserved ones.
    assert.ok(legal > 40000 && legal < 49152, `RV${xlen}: ${legal} legal`);
  }
});

Deno.test("riscv decode/translate: random 32-bit words never raise host exceptions", () => {
  let seed = 0x12345678;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  for (let k = 0; k < 100_000; k++) {
    const w = (next() | 3) >>> 0;
    for (const xlen of XLENS) {
      decodeRiscv(xlen, w, 4);
      disassembleRiscv(xlen, w, 4, 0n);
    }
  }
  // Translate (and run one step of) a few thousand random words on both XLENs.
  for (const cpu of ["rv64", "rv32"]) {
    const m = machine([], cpu);
    for (let k = 0; k < 3000; k++) {
      const w = next();
      m.mem.store(CODE, 4, BigInt(w));
      m.cpu.tbs.flush();
      m.cpu.pc = CODE;
      const exit = m.cpu.run(1);
      assert.ok(exit.reason === "budget" || exit.reason === "trap");
    }
  }
});
