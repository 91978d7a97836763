// `-o help` of `emu img create`, `convert` and `amend` beside qemu-img's in the same run: the
// option lists (with and without an image file name, qcow2 and raw) byte for byte, and the exit
// status, also where qemu-img refuses (raw has no amend options, no image named).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { emuImg, imageTest, qemuImg, run } from "./util/qemu_img.ts";

const CASES = [
  ["create", "-f", "qcow2", "-o", "help"],
  ["create", "-f", "qcow2", "-o", "help", "x.qcow2"],
  ["create", "-f", "qcow2", "-o", "cluster_size=4k,help", "x.qcow2", "1M"],
  ["create", "-f", "raw", "-o", "?"],
  ["create", "-o", "help", "x.raw"],
  ["convert", "-o", "help"],
  ["convert", "-O", "qcow2", "-o", "help", "x.raw", "y.qcow2"],
  ["convert", "-O", "qcow2", "-c", "-o", "help", "x.raw"],
  ["amend", "-f", "qcow2", "-o", "help"],
  ["amend", "-f", "qcow2", "-o", "size=2M,help", "x.qcow2"],
  ["amend", "-o", "help", "x.qcow2"], // the format probed from the image
  ["amend", "-p", "-f", "qcow2", "-o", "help"], // the progress line's end is drawn too
  ["amend", "-o", "help", "x.raw"], // raw has no amend options: exit status 1
  ["amend", "-f", "raw", "-o", "help"],
  ["amend", "-o", "help"], // no image and no -f: exit status 1
];

imageTest("img -o help: create, convert and amend list options as qemu-img", async (dir) => {
  await qemuImg(["create", "-q", "-f", "qcow2", "x.qcow2", "1M"], dir);
  await qemuImg(["create", "-q", "-f", "raw", "x.raw", "1M"], dir);
  for (const args of CASES) {
    const [theirs, ours] = [await run("qemu-img", args, dir), await emuImg(args, dir)];
    const what = args.join(" ");
    assert.deepEqual([ours.code, ours.stdout], [theirs.code, theirs.stdout], what);
    assert.equal(ours.code === 0, ours.stderr === "", `${what}: ${ours.stderr}`);
  }
  // nothing was created or changed by asking for help
  const info = await run("qemu-img", ["info", "--output=json", `${dir}/x.qcow2`]);
  assert.equal(JSON.parse(info.stdout)["virtual-size"], 1 << 20);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["x.qcow2", "x.raw"]);
});
