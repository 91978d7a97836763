// readInputHead: the first bytes of an input file, from the host or from a bundle's embedded
// files, without reading the rest (system mode tells raw kernel images from ELF files by it).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { embedFiles, readInputFile, readInputHead } from "../core/host_files.ts";

Deno.test("readInputHead gives a host file's first bytes, or all of a shorter file", async () => {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, new Uint8Array([0x7f, 0x45, 0x4c]));
    assert.deepEqual([...readInputHead(path, 2)], [0x7f, 0x45]);
    assert.deepEqual([...readInputHead(path, 8)], [0x7f, 0x45, 0x4c]);
    assert.throws(() => readInputHead(`${path}.missing`, 4), Deno.errors.NotFound);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("readInputHead reads an embedded file as readInputFile does", () => {
  const path = "/nonexistent/denemu-host-files-test/kernel.bin";
  embedFiles(new Map([[path, new Uint8Array([1, 2, 3, 4, 5])]]));
  assert.deepEqual([...readInputHead(path, 4)], [...readInputFile(path).subarray(0, 4)]);
  assert.deepEqual([...readInputHead(path, 4)], [1, 2, 3, 4]);
});
