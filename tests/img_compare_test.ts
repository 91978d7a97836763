// `emu img compare` and `compare -s` beside qemu-img compare in the same run, on pairs that
// differ by one byte, by block status only, by size, or that cannot be opened: the same
// output and exit code (0 identical, 1 different, 2 error).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { emuImg, imageTest, qemuImg, run } from "./util/qemu_img.ts";

/** qemu-io commands on `file` in `dir`. */
async function io(dir: string, file: string, format: string, ...cmds: string[]) {
  await run("qemu-io", ["-f", format, ...cmds.flatMap((c) => ["-c", c]), `${dir}/${file}`]);
}

imageTest("img compare [-s]: output and exit codes as qemu-img's", async (dir) => {
  const q = (...args: string[]) => qemuImg(args, dir);
  await q("create", "-q", "-f", "qcow2", "a.qcow2", "8M");
  await io(dir, "a.qcow2", "qcow2", "write -P 1 0 64k", "write -z 1M 64k");
  await q("convert", "-O", "raw", "a.qcow2", "a.raw");
  await Deno.copyFile(`${dir}/a.qcow2`, `${dir}/byte.qcow2`);
  await io(dir, "byte.qcow2", "qcow2", "write -P 2 2097752 1"); // reported by its sector
  await Deno.copyFile(`${dir}/a.qcow2`, `${dir}/zero.qcow2`);
  await io(dir, "zero.qcow2", "qcow2", "write -z 3M 64k"); // same bytes, other status
  await q("convert", "-c", "-O", "qcow2", "a.qcow2", "comp.qcow2");
  await q("create", "-q", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", "over.qcow2");
  await q("create", "-q", "-f", "raw", "big.raw", "16M");
  await q("convert", "-O", "raw", "a.qcow2", "long.raw");
  await q("resize", "-q", "-f", "raw", "long.raw", "16M");
  await io(dir, "long.raw", "raw", "write -P 5 15M 4k"); // differs past the shorter image
  const pairs = [
    ["a.qcow2", "byte.qcow2"],
    ["a.qcow2", "a.raw"],
    ["a.qcow2", "zero.qcow2"],
    ["a.qcow2", "comp.qcow2"],
    ["over.qcow2", "a.qcow2"],
    ["a.raw", "big.raw"],
    ["a.raw", "long.raw"],
    ["a.qcow2", "missing.qcow2"],
  ];
  for (const pair of pairs) {
    for (const mode of [[], ["-s"]]) {
      const args = ["compare", ...mode, ...pair];
      const ours = await emuImg(args, dir);
      const theirs = await run("qemu-img", args, dir);
      assertEquals([ours.code, ours.stdout], [theirs.code, theirs.stdout], args.join(" "));
    }
  }
});
