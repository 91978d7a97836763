// Disk images found by the `image` self-fuzzer (scripts/selffuzz/image.ts) to break `emu img`,
// each compared with qemu-img in the same run.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { emuImg, QEMU_IMG_MISSING, qemuImg } from "./util/qemu_img.ts";

const ignore = !!QEMU_IMG_MISSING;

/** Writes big-endian `value` at `at` in the file. */
async function poke(path: string, at: number, size: number, value: bigint) {
  const f = await Deno.open(path, { read: true, write: true });
  const b = new Uint8Array(size);
  for (let k = size - 1; k >= 0; k--, value >>= 8n) b[k] = Number(value & 0xffn);
  await f.seek(at, Deno.SeekMode.Start);
  await f.write(b);
  f.close();
}

Deno.test({
  name: `img check: an L2 table far past the end of the file (was a hang)${
    ignore ? ` (skipped: ${QEMU_IMG_MISSING})` : ""
  }`,
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await qemuImg(
        ["create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "d.qcow2", "1M"],
        dir,
      );
      await qemuImg(
        ["convert", "-O", "qcow2", "-o", "cluster_size=4096", "d.qcow2", "x.qcow2"],
        dir,
      );
      const info = JSON.parse((await qemuImg(["info", "--output=json", "x.qcow2"], dir)).stdout);
      assertEquals(info["cluster-size"], 4096);
      // L1 entry 0 (the L1 table is at the offset in header bytes 40..47) -> 0x1aab83687000
      const header = await Deno.readFile(`${dir}/x.qcow2`);
      const l1 = Number(new DataView(header.buffer).getBigUint64(40));
      await poke(`${dir}/x.qcow2`, l1, 8, 0x1aab83687000n | (1n << 63n));
      const theirs = await qemuImg(["check", "--output=json", "x.qcow2"], dir, [2]);
      const ours = await emuImg(["check", "--output=json", "x.qcow2"], dir);
      assertEquals([ours.code, JSON.parse(ours.stdout)], [theirs.code, JSON.parse(theirs.stdout)]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
