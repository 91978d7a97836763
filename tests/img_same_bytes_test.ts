// `emu img` commands beside qemu-img on copies of the same inputs: the same exit code, output and
// error line (after the program's name), and files equal byte for byte (`cmp`'s rule).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { emuImg, imageTest, qemuImg, run } from "./util/qemu_img.ts";

/** Copies the files of directory `from` into a new directory `to`. */
async function copyDir(from: string, to: string): Promise<void> {
  await Deno.remove(to, { recursive: true }).catch(() => {});
  await Deno.mkdir(to);
  for await (const f of Deno.readDir(from)) {
    await Deno.copyFile(`${from}/${f.name}`, `${to}/${f.name}`);
  }
}

/** The files of `dir`, by name. */
async function files(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const f of Deno.readDir(dir)) out.set(f.name, await Deno.readFile(`${dir}/${f.name}`));
  return out;
}

/**
 * Runs `args` with qemu-img in a copy of `${dir}/src` and with emu img in another: the exit codes,
 * stdout, stderr (`whole`, else its first line; without "qemu-img: "/"emu: ") and every file must
 * be the same.
 */
async function same(dir: string, args: string[], whole = false): Promise<void> {
  const [q, e] = [`${dir}/q`, `${dir}/e`];
  await copyDir(`${dir}/src`, q);
  await copyDir(`${dir}/src`, e);
  const theirs = await run("qemu-img", args, q);
  const ours = await emuImg(args, e);
  // the whole of stderr, or its first line (where qemu-img adds a hint on a line of its own)
  const line = (text: string) =>
    (whole ? text : text.split("\n")[0]).replace(/^(qemu-img|emu): /gm, "");
  const what = args.join(" ");
  assert.deepEqual(
    // our hint, on the error's line in parentheses, is qemu-img's next line
    [ours.code, ours.stdout, whole ? line(ours.stderr) : line(ours.stderr).replace(/ \(.*\)$/, "")],
    [theirs.code, theirs.stdout, line(theirs.stderr)],
    what,
  );
  const [qf, ef] = [await files(q), await files(e)];
  assert.deepEqual([...ef.keys()].sort(), [...qf.keys()].sort(), `${what}: the files`);
  for (const [name, bytes] of qf) {
    const mine = ef.get(name)!;
    assert.equal(mine.length, bytes.length, `${what}: ${name}'s length`);
    const at = mine.findIndex((b, i) => b !== bytes[i]);
    assert.equal(at, -1, `${what}: ${name} differs first at byte ${at}`);
  }
}

/** `${dir}/src` with a.qcow2 (data, a zero cluster, snapshot "snap", then other data), t.qcow2
 * over it, and r.raw. */
async function inputs(dir: string): Promise<void> {
  const src = `${dir}/src`;
  await Deno.mkdir(src);
  await qemuImg(["create", "-q", "-f", "qcow2", "a.qcow2", "4M"], src);
  await run("qemu-io", ["-c", "write -P 0xab 0 64k", "-c", "write -z 1M 64k", `${src}/a.qcow2`]);
  await qemuImg(["snapshot", "-c", "snap", "a.qcow2"], src);
  await run("qemu-io", ["-c", "write -P 0x11 0 128k", `${src}/a.qcow2`]);
  await qemuImg(["create", "-q", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", "t.qcow2"], src);
  await qemuImg(["create", "-q", "-f", "raw", "r.raw", "4M"], src);
  await run("qemu-io", ["-f", "raw", "-c", "write -P 0xcd 64k 64k", `${src}/r.raw`]);
}

imageTest("emu img create -f qcow2: the file is qemu-img's, byte for byte", async (dir) => {
  await inputs(dir);
  const cases = [
    ["1M"], // the L1 table's 8 bytes end the file: no padding to a whole cluster
    ["1.5G"],
    ["-o", "cluster_size=512", "1G"],
    ["-o", "cluster_size=4k,refcount_bits=1", "1M"], // no feature name table in 4 KiB clusters
    ["-o", "cluster_size=8k", "1M"], // but in 8 KiB ones
    ["-o", "cluster_size=2k", "-b", "a.qcow2", "-F", "qcow2"],
    ["-o", "preallocation=metadata", "1M"], // the L2 table before the data clusters
    ["-o", "compat=0.10", "3M"],
  ];
  for (const c of cases) {
    const size = c.length % 2 ? [c.at(-1)!] : [];
    const opts = c.length % 2 ? c.slice(0, -1) : c;
    await same(dir, ["create", "-f", "qcow2", ...opts, "n.qcow2", ...size]);
  }
});

imageTest("emu img convert: -S, --target-is-zero, -B and -l as qemu-img", async (dir) => {
  await inputs(dir);
  for (
    const c of [
      ["-S", "0", "a.qcow2"], // no sparse detection: every cluster allocated
      ["-S", "1000", "r.raw"], // refused: not a multiple of 512
      ["-S", "32M", "r.raw"], // refused: past 16 MiB
      ["--target-is-zero", "r.raw"], // refused without -n
      ["-B", "a.qcow2", "t.qcow2"], // refused without a backing format
      ["-B", "a.qcow2", "-F", "qcow2", "t.qcow2"],
      ["-l", "snap", "a.qcow2"], // the snapshot's data, the source untouched
      ["-l", "1", "a.qcow2"],
      ["-l", "snapshot.name=snap", "a.qcow2"],
      ["-l", "nosnap", "a.qcow2"],
      ["-l", "snap", "a.qcow2", "a.qcow2"],
      ["-l", "snap", "r.raw"],
    ]
  ) await same(dir, ["convert", "-O", "qcow2", ...c, "o.qcow2"]);
  // -c: QEMU's deflate parameters, the L2 table before the data, the file ended on a sector, a
  // cluster only partly data (a raw file's first 4 KiB) compressed whole
  await Deno.writeFile(`${dir}/src/hello.raw`, new TextEncoder().encode("hello, disk"));
  await Deno.truncate(`${dir}/src/hello.raw`, 1 << 20);
  for (const c of [["a.qcow2"], ["-f", "raw", "hello.raw"], ["-o", "compat=0.10", "t.qcow2"]]) {
    await same(dir, ["convert", "-c", "-O", "qcow2", ...c, "o.qcow2"]);
  }
  // -c -p: a step of the line per cluster (300000 bytes of data: five clusters, 20% each)
  await qemuImg(["create", "-q", "-f", "raw", "pat.raw", "1M"], `${dir}/src`);
  await run("qemu-io", ["-f", "raw", "-c", "write -P 0x61 0 300000", `${dir}/src/pat.raw`]);
  await same(dir, ["convert", "-c", "-p", "-f", "raw", "-O", "qcow2", "pat.raw", "o.qcow2"]);
  // the target is trusted to read as zero: its old data stays where the source has zeros
  await same(dir, ["convert", "-n", "--target-is-zero", "-O", "qcow2", "r.raw", "a.qcow2"]);
});

imageTest(
  "emu img resize: --preallocation, sizes qcow2 refuses, the shrink refusal",
  async (dir) => {
    await inputs(dir);
    for (
      const c of [
        ["a.qcow2", "12345"], // a shrink, refused with qemu-img's error and warning
        ["a.qcow2", "+1b"], // refused: qcow2 sizes are whole sectors
        ["--shrink", "a.qcow2", "1000000"],
        ["--preallocation=metadata", "a.qcow2", "8M"], // the new clusters allocated, L2 first
        ["--preallocation=metadata", "t.qcow2", "+1M"],
        ["--preallocation=bad", "a.qcow2", "8M"],
        ["--preallocation=full", "-f", "raw", "r.raw", "5M"],
        ["--preallocation=full", "--shrink", "-f", "raw", "r.raw", "1M"], // only to grow
        ["--preallocation=falloc", "-f", "raw", "r.raw", "4M"], // nor to keep the size
        ["--preallocation=metadata", "-f", "raw", "r.raw", "8M"], // raw has no metadata
        ["r.raw", "8M"], // the format guessed as raw and written: QEMU's warning
        ["r.raw", "1M"],
      ]
    ) await same(dir, ["resize", ...c], true);
  },
);

imageTest(
  "emu img create: options checked before the Formatting line, errors after the name",
  async (dir) => {
    await inputs(dir);
    for (
      const c of [
        ["-f", "qcow2", "-b", "a.qcow2", "n.qcow2"], // refused: a backing file needs -F
        ["-f", "qcow2", "-u", "-b", "a.qcow2", "n.qcow2", "1M"], // even unopened
        ["-f", "raw", "-b", "a.qcow2", "n.raw"],
        ["-f", "qcow2", "-o", "lazy_refcounts=maybe", "n.qcow2", "1M"],
        ["-f", "qcow2", "-o", "refcount_bits=x", "n.qcow2", "1M"],
        ["-f", "qcow2", "n.qcow2"], // no size
        ["-f", "qcow2", "-o", "nocow=on,extent_size_hint=1M", "n.qcow2", "1M"], // the host file's
        ["-f", "raw", "-o", "extent_size_hint=1M,nocow=on", "n.raw", "1M"],
      ]
    ) await same(dir, ["create", ...c]);
  },
);

imageTest(
  "emu img measure -l and compare -f: the snapshot's size; -f for the first only",
  async (dir) => {
    await inputs(dir);
    await same(dir, ["measure", "--output=json", "-O", "qcow2", "-l", "snap", "a.qcow2"]);
    await same(dir, ["measure", "-O", "qcow2", "-l", "nosnap", "a.qcow2"]);
    await same(dir, ["compare", "-f", "raw", "a.qcow2", "a.qcow2"]); // the second one is probed
  },
);

imageTest(
  "emu img commit and resize --shrink: emptied and freed clusters as qemu-img",
  async (dir) => {
    const src = `${dir}/src`;
    await Deno.mkdir(src);
    for (const [i, compat] of ["1.1", "0.10"].entries()) {
      const [base, top] = [`b${i}.qcow2`, `t${i}.qcow2`];
      await qemuImg(["create", "-q", "-f", "qcow2", "-o", `compat=${compat}`, base, "4M"], src);
      const over = ["-o", `compat=${compat}`, "-b", base, "-F", "qcow2", top];
      await qemuImg(["create", "-q", "-f", "qcow2", ...over], src);
      await run("qemu-io", ["-c", "write -P 0x22 64k 192k", `${src}/${top}`]);
    }
    // version 3: the top is reset to a new image's four clusters; version 2: its clusters discarded
    await same(dir, ["commit", "t0.qcow2"]);
    await same(dir, ["commit", "t1.qcow2"]);
    await qemuImg(["create", "-q", "-f", "qcow2", "s.qcow2", "4M"], src);
    await run("qemu-io", [
      "-c",
      "write -P 0x33 3M 64k",
      "-c",
      "write -P 0x44 0 64k",
      `${src}/s.qcow2`,
    ]);
    await same(dir, ["resize", "--shrink", "s.qcow2", "1M"]); // the freed cluster reads as zeros
  },
);

imageTest(
  "emu img: a format no driver has, in qemu-img's words for where it was given",
  async (dir) => {
    await inputs(dir);
    await same(dir, ["create", "-f", "nosuch", "n.img", "1M"]);
    await same(dir, ["info", "-f", "nosuch", "a.qcow2"]);
    await same(dir, ["convert", "-O", "nosuch", "a.qcow2", "o.img"]);
    await same(dir, ["measure", "-O", "nosuch", "--size", "1M"]);
    await same(dir, ["check", "-f", "nosuch", "a.qcow2"]);
  },
);
