// qcow2 table scans: nonZeroEntry finds the first and last non-zero 8-byte entry whichever of its
// bytes is set and however the table is aligned, and tableOffsets decodes every entry up to it.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { nonZeroEntry, tableOffsets } from "../plugins/block/qcow2/refcount.ts";

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
