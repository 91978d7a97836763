// `emu img convert -p` beside qemu-img convert -p in the same run: the same progress line,
// byte for byte (the share of data copied in 2 MiB steps, drawn at 0, 100 and each move of
// more than 1%), on a backing chain, a dense run, an empty image, and with -B and -F; and
// rebase -p (byte for byte) and commit -p (whose frames between 0 and 100 depend on when
// qemu-img's parallel copies finish) beside qemu-img's.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { fixed2 } from "../cli/img/progress.ts";
import { bothOnCopies, buildChain, emuImg, imageTest, qemuImg, run } from "./util/qemu_img.ts";

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

/** The chain of tests/util plus o (7M) over s (3M), and a 5M image p, written with qemu-io. */
async function chainAndShorter(dir: string): Promise<void> {
  await buildChain(dir);
  const q = (...args: string[]) => qemuImg(args, dir);
  await q("create", "-q", "-f", "qcow2", "s.qcow2", "3M");
  await run("qemu-io", ["-c", "write -P 5 0 3M", `${dir}/s.qcow2`]);
  await q("create", "-q", "-f", "qcow2", "-b", "s.qcow2", "-F", "qcow2", "o.qcow2", "7M");
  await run("qemu-io", ["-c", "write -P 6 5M 64k", `${dir}/o.qcow2`]);
  await q("create", "-q", "-f", "qcow2", "p.qcow2", "5M");
  await run("qemu-io", ["-c", "write -P 7 1M 3M", `${dir}/p.qcow2`]);
}

imageTest("img rebase -p: qemu-img's progress line, byte for byte", async (dir) => {
  await chainAndShorter(dir);
  const cases = [
    ["-b", "n.qcow2", "-F", "qcow2", "t.qcow2"], // a chunk of 20% per compared 2 MiB
    ["-b", "b.qcow2", "-F", "qcow2", "t.qcow2"], // into its own chain: only what m changed
    ["-b", "m.qcow2", "-F", "qcow2", "t.qcow2"], // onto its backing file: nothing to compare
    ["-b", "", "m.qcow2"],
    ["-b", "n.qcow2", "t.qcow2"], // fails after the copy, still draws 100%
    ["-b", "zz.qcow2", "-F", "qcow2", "t.qcow2"], // fails at 0%
    ["-u", "-b", "n.qcow2", "-F", "qcow2", "t.qcow2"],
    ["-b", "p.qcow2", "-F", "qcow2", "o.qcow2"], // steps of 33.33%, past both backing ends
    ["-q", "-b", "", "o.qcow2"],
  ];
  for (const c of cases) {
    const { theirs, ours } = await bothOnCopies(dir, ["rebase", "-p", ...c]);
    assertEquals([ours.code, ours.stdout], [theirs.code, theirs.stdout], c.join(" "));
  }
});

/** The frames of a progress line without repeats (qemu's commit job redraws 0 and 100 per poll). */
function frames(stdout: string): string[] {
  return stdout.split("\r").filter((f, i, all) => f !== all[i - 1]);
}

imageTest("img commit -p: qemu-img's progress frames, then 'Image committed.'", async (dir) => {
  await chainAndShorter(dir);
  const frame = /^ {4}\(\d+\.\d\d\/100%\)$/;
  // one copy (what t or o holds fits in one 1 MiB copy): the same frames; several: the same ends
  const cases: [string[], boolean][] = [
    [["t.qcow2"], true],
    [["o.qcow2"], true],
    [["-b", "b.qcow2", "t.qcow2"], false],
    [["-d", "m.qcow2"], false],
  ];
  for (const [c, oneCopy] of cases) {
    const { theirs, ours } = await bothOnCopies(dir, ["commit", "-p", ...c]);
    const what = c.join(" ");
    assertEquals(ours.code, theirs.code, what);
    // between 0 and 100, qemu-img draws what its parallel copies finished by each poll
    const ends = (f: string[]) => oneCopy ? f : [f[0], ...f.slice(-2)];
    assertEquals(ends(frames(ours.stdout)), ends(frames(theirs.stdout)), what);
    const shares = frames(ours.stdout).slice(0, -1).map((f) => {
      assertEquals(frame.test(f), true, `${what}: ${JSON.stringify(f)}`);
      return Number(f.slice(5, f.indexOf("/")));
    });
    assertEquals(shares, [...shares].sort((a, b) => a - b), what);
  }
  for (const c of [["b.qcow2"], ["-b", "nothere.qcow2", "t.qcow2"], ["-q", "t.qcow2"]]) {
    const { theirs, ours } = await bothOnCopies(dir, ["commit", "-p", ...c]);
    assertEquals([ours.code, ours.stdout], [theirs.code, theirs.stdout], c.join(" "));
  }
});

Deno.test("progress: fixed2 rounds as C's printf %3.2f does (ties to even), beside printf(1)", async () => {
  const values = [0.125, 0.375, 2.675, 12.5, 1.5625, 98.765625, Math.fround(100 / 3), 0, 100];
  const theirs = await run("printf", [
    values.map(() => "%3.2f\\n").join(""),
    ...values.map(String),
  ]);
  assertEquals(values.map((v) => `${fixed2(v)}\n`).join(""), theirs.stdout);
});
