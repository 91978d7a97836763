// The compiled decoders (core/decodetree/compile.ts) against a plain scan of
// their patterns: the first pattern whose fixed bits match, in table order,
// and its arguments as the pattern's own `extract` computes them. Words are
// drawn per pattern (its fixed bits, the others random), over the RISC-V
// tables with every extension (vector included) and the A64 table.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { type Decoder, DecodeTable, type DecodeTableData } from "../core/decodetree/decodetree.ts";
import { A64_FIELD_FUNCTIONS } from "../targets/aarch64/decode.ts";
import A64_TABLE from "../targets/aarch64/decode_tables.json" with { type: "json" };
import { riscvDecoders } from "../targets/riscv/decode.ts";
import { extensionTags } from "../targets/riscv/isa.ts";

/** A generator of 32-bit words (xorshift, fixed seed: the test is the same every run). */
function words(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Checks `decoder` on `perPattern` words drawn for each of its patterns. */
function agreesWithScan(decoder: Decoder, width: number, perPattern: number): void {
  const next = words(0x9e3779b9), all = width === 32 ? 0xffffffff : (1 << width) - 1;
  for (const p of decoder.patterns) {
    for (let k = 0; k < perPattern; k++) {
      const w = ((p.match & p.mask) | (next() & ~p.mask & all)) >>> 0;
      const index = decoder.patterns.findIndex((q) => ((w | 0) & q.mask) === q.match);
      const first = decoder.patterns[index];
      const d = decoder.decode(w | 0);
      assert.equal(d?.pattern, first, `${w.toString(16)}: ${d?.pattern.name} for ${first.name}`);
      assert.equal(d.index, index);
      assert.deepEqual(d.args, first.extract(w | 0), `${first.name} ${w.toString(16)}`);
      assert.equal(decoder.match(w | 0), index);
      assert.deepEqual(decoder.scratchArgs(index, w | 0), d.args);
    }
  }
}

Deno.test("decodetree: the compiled RISC-V decoders decode as a scan of their patterns", () => {
  for (const xlen of [32, 64] as const) {
    const { insn16, insn32 } = riscvDecoders(xlen, extensionTags(xlen));
    agreesWithScan(insn16, 16, 20);
    agreesWithScan(insn32, 32, 20);
  }
});

Deno.test("decodetree: the compiled A64 decoder decodes as a scan of its patterns", () => {
  const table = DecodeTable.fromData(A64_TABLE as unknown as DecodeTableData, A64_FIELD_FUNCTIONS);
  agreesWithScan(table.decoder(), 32, 20);
});

Deno.test("decodetree: a pattern's arguments object is reused, its values are the word's", () => {
  const { insn32 } = riscvDecoders(64);
  const add = 0x00b50533, addSame = 0x00c58633; // add a0,a0,a1; add a2,a1,a2
  const i = insn32.match(add);
  const first = insn32.scratchArgs(i, add);
  assert.deepEqual({ ...first }, { rd: 10, rs1: 10, rs2: 11 });
  assert.equal(insn32.match(addSame), i);
  assert.equal(insn32.scratchArgs(i, addSame), first);
  assert.deepEqual({ ...first }, { rd: 12, rs1: 11, rs2: 12 });
  assert.notEqual(insn32.decode(add)?.args, insn32.decode(add)?.args); // decode: a fresh object
});
