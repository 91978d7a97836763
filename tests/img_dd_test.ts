// `emu img dd` beside qemu-img dd in the same run, on copies of the same input: exit codes,
// output and error lines match, and the output images have the same size, map and data.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { bothOnCopies, imageTest, qemuImg, run } from "./util/qemu_img.ts";

/** What qemu-img sees of the image `name` in `dir`: virtual size, map without host offsets, data. */
async function output(dir: string, name: string): Promise<unknown> {
  const path = `${dir}/${name}`;
  const info = await run("qemu-img", ["info", "--output=json", path]);
  if (info.code) return "none";
  const { "virtual-size": size, format } = JSON.parse(info.stdout);
  const map = JSON.parse((await run("qemu-img", ["map", "--output=json", path])).stdout)
    .map((e: Record<string, unknown>) => ({ ...e, offset: undefined }));
  await run("qemu-img", ["convert", "-O", "raw", path, `${dir}/data.raw`]);
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(`${dir}/data.raw`));
  return { size, format, map, data: [...new Uint8Array(digest)] };
}

imageTest("img dd: bs, count, skip, -f and -O as qemu-img dd, and its errors", async (dir) => {
  await qemuImg(["create", "-q", "-f", "qcow2", "in.qcow2", "1M"], dir);
  await run("qemu-io", ["-c", "write -P 7 0 300k", "-c", "write -P 9 700k 10k", `${dir}/in.qcow2`]);
  const cases = [
    ["if=in.qcow2", "of=o.raw"],
    ["-O", "qcow2", "bs=64k", "count=3", "skip=1", "if=in.qcow2", "of=o.qcow2"], // count before skip
    ["-O", "qcow2", "bs=4k", "skip=2", "if=in.qcow2", "of=o.qcow2"],
    ["bs=1000", "count=5", "if=in.qcow2", "of=o.raw"], // 5000 bytes: a 5120-byte image
    ["-O", "qcow2", "bs=3000", "if=in.qcow2", "of=o.qcow2"],
    ["bs=700k", "if=in.qcow2", "of=o.raw"],
    ["bs=1k", "if=in.qcow2", "of=o.raw", "bs=2k", "count=100"], // the last bs= counts
    ["-f", "raw", "if=in.qcow2", "of=o.raw"], // the qcow2 file itself
    ["-f", "qcow2", "count=0", "if=in.qcow2", "of=o.raw"],
    ["skip=100", "bs=1M", "if=in.qcow2", "of=o.raw"], // a warning, an empty image, status 0
    ["bs=0", "if=in.qcow2", "of=o.raw"],
    ["bs=1x", "if=in.qcow2", "of=o.raw"],
    ["bs=3G", "if=in.qcow2", "of=o.raw"],
    ["count=-1", "if=in.qcow2", "of=o.raw"],
    ["foo=1", "if=in.qcow2", "of=o.raw"],
    ["foo", "if=in.qcow2", "of=o.raw"],
    ["if=in.qcow2"],
    [],
    ["-O", "foo", "if=in.qcow2", "of=o.raw"],
    ["if=in.qcow2", "of=in.qcow2"], // never truncates its input
    ["if=in.qcow2", "of=nodir/o.raw"],
  ];
  for (const c of cases) {
    const out = c.find((a) => a.startsWith("of="))?.slice(3) ?? "o.raw";
    const { theirs, ours, seen } = await bothOnCopies(
      dir,
      ["dd", ...c],
      (d) => output(d, out),
    );
    const what = c.join(" ");
    assert.deepEqual(
      [ours.code, ours.stdout],
      [theirs.code, theirs.stdout],
      `${what}: ${ours.stderr}`,
    );
    const error = theirs.stderr.split("\n")[0].replace(/^qemu-img: /, "").replace(
      /: Could not.*/,
      "",
    );
    assert.ok(ours.stderr.includes(error), `${what}: ${ours.stderr} vs ${theirs.stderr}`);
    assert.deepEqual(seen[1], seen[0], what);
  }
});
