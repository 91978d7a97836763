// qcow2 table scans: nonZeroEntry finds the first and last non-zero 8-byte entry whichever of its
// bytes is set and however the table is aligned, and tableOffsets decodes every entry up to it;
// isZero, which convert asks of every grain, at any alignment.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { nonZeroEntry, tableOffsets } from "../plugins/block/qcow2/refcount.ts";
import { isZero } from "../core/block.ts";

Deno.test("qcow2 tables: the first and last non-zero entries, aligned or not", () => {
  for (const shift of [0, 1, 4]) {
    const raw = new Uint8Array(shift + 64 * 8).subarray(shift);
    assert.equal(nonZeroEntry(raw, 0, 64), -1);
    assert.equal(nonZeroEntry(raw, 0, 64, true), -1);
    raw[5 * 8] = 0x80; // the COPIED flag alone: reads as -0 as a double
    raw[40 * 8 + 7] = 0x01; // the lowest byte alone
    assert.equal(nonZeroEntry(raw, 0, 64), 5, `shift ${shift}`);
    assert.equal(nonZeroEntry(raw, 6, 64), 40, `shift ${shift}`);
    assert.equal(nonZeroEntry(raw, 6, 40), -1, `shift ${shift}`);
    assert.equal(nonZeroEntry(raw, 0, 64, true), 40, `shift ${shift}`);
    raw.set([0, 0, 0, 0, 0, 1, 0, 0], 3 * 8); // offset 0x10000
    raw.set([0, 0, 0, 0, 0, 2, 0, 0], 40 * 8);
    const offsets = tableOffsets(raw);
    assert.equal(offsets.length, 64);
    assert.deepEqual(
      offsets.flatMap((o, i) => o ? [[i, o]] : []),
      [[3, 0x10000], [40, 0x20000]],
      `shift ${shift}`,
    );
  }
});

Deno.test("isZero: any start and length, a set byte anywhere (convert's grains after a cut-off run)", () => {
  const buf = new Uint8Array(64);
  for (let start = 0; start < 16; start++) {
    for (const len of [0, 1, 7, 8, 9, 40]) {
      assert.equal(isZero(buf.subarray(start, start + len)), true);
    }
  }
  for (let at = 0; at < 64; at++) {
    buf[at] = 0x80; // alone in a word, it reads as -0 as a double
    for (const start of [0, 3, 8]) assert.equal(isZero(buf.subarray(start)), at < start);
    buf[at] = 0;
  }
});
