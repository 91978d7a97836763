// qcow2 cluster allocation stays linear: writing an image reads each cluster's refcount about
// once. The free-cluster hint used to stay before the first data cluster, so every allocation
// rescanned all the clusters allocated before it (32 refcount reads per cluster for 256 MiB).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createImage, openImage } from "../core/block.ts";
import { Refcounts } from "../plugins/block/qcow2/refcount.ts";

Deno.test("qcow2: sequential writes read each refcount about once", async () => {
  const dir = await Deno.makeTempDir();
  const get = Refcounts.prototype.get;
  let reads = 0;
  try {
    const path = `${dir}/a.qcow2`, size = 64 << 20, chunk = 4 << 20;
    await createImage(path, "qcow2", { size, options: {} });
    const img = await openImage(path, { format: "qcow2" });
    Refcounts.prototype.get = function (index: number) {
      reads++;
      return get.call(this, index);
    };
    const data = new Uint8Array(chunk).fill(0x5a);
    for (let at = 0; at < size; at += chunk) img.write(at, data);
    Refcounts.prototype.get = get;
    const clusters = size / 65536;
    assert.ok(reads <= clusters * 1.1, `${reads} refcount reads for ${clusters} clusters`);
    assert.deepEqual(img.read(size - 512, 512), data.subarray(0, 512));
    img.close();
  } finally {
    Refcounts.prototype.get = get;
    await Deno.remove(dir, { recursive: true });
  }
});
