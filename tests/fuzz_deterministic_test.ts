// The inputs of `-D`'s deterministic stage, in afl-fuzz's order and with its names (the names
// of its finds are compared with afl-fuzz's in fuzz_modes_test).
import assert from "node:assert/strict";
import { deterministicInputs } from "../core/fuzz/deterministic.ts";

Deno.test("-D: walking flips, then arithmetic and interesting values, as afl-fuzz names them", () => {
  const all = [...deterministicInputs(new Uint8Array([0x47, 0x00]))];
  const ops = all.map((m) => m.op);
  const stage = (name: string) => ops.filter((o) => o.startsWith(`${name},`)).length;
  // 16 bits: 16 one-bit, 15 two-bit, 13 four-bit walks; 2 byte flips, 1 two-byte flip
  assert.deepEqual([stage("flip1"), stage("flip2"), stage("flip4")], [16, 15, 13]);
  assert.deepEqual([stage("flip8"), stage("flip16"), stage("flip32")], [2, 1, 0]);
  assert.equal(ops[7], "flip1,pos:0");
  assert.deepEqual([...all[7].data], [0x46, 0x00]); // the low bit of byte 0, flipped last
  assert.equal(ops[8], "flip1,pos:1");
  // 0x47 + 2 = 0x49 is no walking flip; 0x47 - 1 = 0x46 and 0x47 + 1 = 0x48 (4 bits) are
  // (skipped, as afl-fuzz skips them)
  assert(ops.includes("arith8,pos:0,val:+2") && !ops.includes("arith8,pos:0,val:-1"));
  assert(!ops.includes("arith8,pos:0,val:+1"));
  const plus = all.find((m) => m.op === "arith8,pos:0,val:+2")!;
  assert.deepEqual([...plus.data], [0x49, 0x00]);
  // 16 bits, big-endian: 0x4700 - 1 = 0x46ff changes both bytes
  const be = all.find((m) => m.op === "arith16,pos:0,val:be:-1")!;
  assert.deepEqual([...be.data], [0x46, 0xff]);
  const int = all.find((m) => m.op === "int16,pos:0,val:be:+1000")!;
  assert.deepEqual([...int.data], [0x03, 0xe8]);
  assert(ops.indexOf("arith8,pos:0,val:+2") < ops.indexOf("int8,pos:0,val:+100"));
  // for each value, little-endian then big-endian, as afl-fuzz
  const order = ops.filter((o) => /^int16,pos:0,val:(be:)?\+1000$/.test(o));
  assert.deepEqual(order, ["int16,pos:0,val:+1000", "int16,pos:0,val:be:+1000"]);
  // the input itself is never changed
  assert.deepEqual([...all[0].data], [0xc7, 0x00]);
});
