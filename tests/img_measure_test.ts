// `emu img measure` beside qemu-img measure in the same run: --size and image sources, human
// and JSON output, output options, and the errors.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { emuImg, QEMU_IMG_MISSING, qemuImg, run } from "./util/qemu_img.ts";

Deno.test({
  name: "emu img measure: the same sizes, lines and exit codes as qemu-img measure",
  ignore: !!QEMU_IMG_MISSING,
  async fn() {
    const dir = await Deno.makeTempDir();
    await qemuImg(["create", "-q", "-f", "qcow2", "a.qcow2", "100M"], dir);
    await run("qemu-io", [
      "-c",
      "write -P 1 0 3M",
      "-c",
      "write -c -P 2 50M 64k",
      `${dir}/a.qcow2`,
    ]);
    await run("qemu-io", ["-c", "write -z 60M 1M", "-c", "write -P 3 99M 5k", `${dir}/a.qcow2`]);
    await qemuImg(["create", "-q", "-f", "qcow2", "-o", "compat=0.10", "v2.qcow2", "7M"], dir);
    await qemuImg(["convert", "-O", "raw", "a.qcow2", "a.raw"], dir);
    const cases = [
      ["--size", "1G", "-O", "qcow2"],
      ["--output=json", "--size", "5G", "-O", "qcow2", "-o", "refcount_bits=1,cluster_size=512"],
      ["-O", "qcow2", "-o", "cluster_size=4k,preallocation=full", "--size", "10M"],
      ["--size", "1000", "--output=json"],
      ["-O", "qcow2", "a.qcow2"],
      ["--output=json", "-O", "qcow2", "a.qcow2"],
      ["-O", "qcow2", "-o", "compat=0.10", "a.qcow2"],
      ["-O", "qcow2", "-o", "backing_file=x.qcow2", "a.qcow2"],
      ["-O", "qcow2", "v2.qcow2"],
      ["--output=json", "-O", "qcow2", "a.raw"],
      ["-O", "raw", "a.qcow2"],
      ["a.raw"],
      ["-O", "qcow2"],
      ["-O", "qcow2", "--size", "1G", "a.qcow2"],
      ["--output=xml", "a.qcow2"],
    ];
    for (const c of cases) {
      const q = await qemuImg(["measure", ...c], dir, [0, 1]);
      const e = await emuImg(["measure", ...c], dir);
      assert.deepEqual([e.code, e.stdout], [q.code, q.stdout], c.join(" "));
      const qError = q.stderr.split("\n")[0].replace(/^qemu-img: /, "");
      assert.ok(e.stderr.includes(qError), `${c.join(" ")}: ${e.stderr} vs ${q.stderr}`);
    }
    await Deno.remove(dir, { recursive: true });
  },
});
