// `emu img convert -p` beside qemu-img convert -p in the same run: the same progress line,
// byte for byte (the share of data copied in 2 MiB steps, drawn at 0, 100 and each move of
// more than 1%), on a backing chain, a dense run, an empty image, and with -B and -F.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { emuImg, imageTest, qemuImg, run } from "./util/qemu_img.ts";

imageTest("img convert -p: qemu-img's progress line, byte for byte", async (dir) => {
  const q = (...args: string[]) => qemuImg(args, dir);
  await q("create", "-q", "-f", "qcow2", "b.qcow2", "4M");
  await run("qemu-io", ["-c", "write -P 1 0 64k", `${dir}/b.qcow2`]);
  await q("create", "-q", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", "t.qcow2");
  await run("qemu-io", ["-c", "write -P 2 64k 64k", `${dir}/t.qcow2`]);
  await q("create", "-q", "-f", "raw", "d.raw", "64M");
  await run("qemu-io", ["-f", "raw", "-c", "write -P 3 0 40M", `${dir}/d.raw`]);
  await q("create", "-q", "-f", "raw", "e.raw", "0");
  const cases = [
    ["-O", "qcow2", "t.qcow2"],
    ["-O", "raw", "d.raw"],
    ["-O", "qcow2", "e.raw"],
    ["-B", "b.qcow2", "-F", "qcow2", "-O", "qcow2", "t.qcow2"],
  ];
  for (const c of cases) {
    const theirs = await q("convert", "-p", ...c, "q.out");
    const ours = await emuImg(["convert", "-p", ...c, "e.out"], dir);
    assertEquals([ours.code, ours.stdout], [0, theirs.stdout], c.join(" "));
    assertEquals((await q("compare", "q.out", "e.out")).code, 0);
  }
});
