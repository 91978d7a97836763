// Disk images found by the `image` self-fuzzer (scripts/selffuzz/image.ts) to break `emu img`,
// each compared with qemu-img in the same run.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { emuImg, emuImgWithin, imageTest, poke, qemuImg, run } from "./util/qemu_img.ts";

imageTest(`img check: an L2 table far past the end of the file (was a hang)`, async (dir) => {
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
});

/** Converts `name` in `dir` to raw with both tools: the two raw images and their maps. */
async function convertBoth(dir: string, name: string) {
  await qemuImg(["convert", "-O", "raw", name, "theirs.raw"], dir);
  const ours = await emuImg(["convert", "-O", "raw", name, "ours.raw"], dir);
  assertEquals([ours.code, ours.stderr], [0, ""]);
  const map = async (cmd: typeof emuImg) =>
    JSON.parse((await cmd(["map", "--output=json", name], dir)).stdout);
  assertEquals(await map(emuImg), await map(qemuImg));
  assertEquals(await Deno.readFile(`${dir}/ours.raw`), await Deno.readFile(`${dir}/theirs.raw`));
}

imageTest(
  `img convert: unknown compatible feature bits above bit 31 are ignored, as qemu-img does`,
  async (dir) => {
    await qemuImg(["create", "-q", "-f", "qcow2", "d.qcow2", "1M"], dir);
    await run("qemu-io", ["-c", "write -P 5 64k 100k", `${dir}/d.qcow2`]);
    await poke(`${dir}/d.qcow2`, 80, 8, 1n << 63n); // compatible_features (imgdiff seed 69)
    await convertBoth(dir, "d.qcow2");
    await poke(`${dir}/d.qcow2`, 72, 8, 1n << 40n); // an unknown incompatible bit: refused
    const refused = await emuImg(["info", "d.qcow2"], dir);
    assertEquals([refused.code, refused.stderr.split("\n").length], [1, 2]);
    const theirs = await qemuImg(["info", "d.qcow2"], dir, [1]);
    assertEquals(refused.stderr.replace(/^emu: /, ""), theirs.stderr.replace(/^qemu-img: /, ""));
  },
);

imageTest(
  `img convert/map: 64k clusters over a backing file with 4k clusters (imgdiff seed 263)`,
  async (dir) => {
    await qemuImg(
      ["create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "b.qcow2", "1M"],
      dir,
    );
    await run("qemu-io", [
      "-c",
      "write -P 1 28k 4k",
      "-c",
      "write -P 2 56k 6k",
      `${dir}/b.qcow2`,
    ]);
    await qemuImg(
      ["create", "-q", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", "t.qcow2"],
      dir,
    );
    await run("qemu-io", ["-c", "write -P 3 128k 64k", `${dir}/t.qcow2`]);
    await convertBoth(dir, "t.qcow2");
  },
);

imageTest(
  `img check/convert: a truncated file whose last tables end less than a cluster past it (imgdiff seed 6160)`,
  async (dir) => {
    await qemuImg(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "d.qcow2", "1M"], dir);
    await Deno.truncate(`${dir}/d.qcow2`, 11322); // the L1 table at 0x3000 is past the end
    const theirs = await qemuImg(["check", "d.qcow2"], dir);
    const ours = await emuImg(["check", "d.qcow2"], dir);
    assertEquals([ours.code, ours.stdout, ours.stderr], [
      theirs.code,
      theirs.stdout,
      theirs.stderr,
    ]);
    await convertBoth(dir, "d.qcow2");
  },
);

imageTest(
  `img check: an unaligned data cluster offset just below a refcount block's end (imgdiff seed 20471, was a RangeError)`,
  async (dir) => {
    await qemuImg(["create", "-q", "-f", "qcow2", "d.qcow2", "1M"], dir);
    await run("qemu-io", ["-c", "write -P 5 0 64k", `${dir}/d.qcow2`]);
    const file = await Deno.readFile(`${dir}/d.qcow2`);
    const view = new DataView(file.buffer);
    const l2 = Number(view.getBigUint64(Number(view.getBigUint64(40))) & 0xffffffffff00n);
    await poke(`${dir}/d.qcow2`, l2, 8, 0x7ffffe00n | (1n << 63n)); // cluster 32767.99
    const theirs = await qemuImg(["check", "d.qcow2"], dir, [2]);
    const ours = await emuImg(["check", "d.qcow2"], dir);
    assertEquals([ours.code, ours.stderr.includes("Error")], [theirs.code, false]);
    assertEquals(/errors were found on the image/.test(ours.stdout), true);
  },
);

imageTest(
  `img convert: a huge offset of an empty snapshot table, a size not in whole sectors (imgdiff seeds 20130, 20232)`,
  async (dir) => {
    for (const [name, at, value] of [["s.qcow2", 64, 1n << 62n], ["z.qcow2", 24, 0xfffffn]]) {
      await qemuImg(["create", "-q", "-f", "qcow2", name as string, "1M"], dir);
      await run("qemu-io", ["-c", "write -P 5 960k 64k", `${dir}/${name}`]);
      await poke(`${dir}/${name}`, at as number, 8, value as bigint);
      await convertBoth(dir, name as string);
      const size = async (cmd: typeof emuImg) =>
        JSON.parse(
          (await cmd(["info", "--output=json", name as string], dir)).stdout,
        )["virtual-size"];
      assertEquals(await size(emuImg), await size(qemuImg));
    }
  },
);

imageTest(
  `img convert: a backing file name that starts with a NUL is no backing file (imgdiff seed 40387)`,
  async (dir) => {
    await qemuImg(["create", "-q", "-f", "qcow2", "n.qcow2", "1M"], dir);
    await run("qemu-io", ["-c", "write -P 5 0 64k", `${dir}/n.qcow2`]);
    await poke(`${dir}/n.qcow2`, 8, 12, (9n << 32n) | 10n); // the name is header bytes 9..18
    await convertBoth(dir, "n.qcow2");
  },
);

imageTest(
  `img snapshot -c: an L2 entry unaligned or far past the end fails in one line, as in qemu-img (was a RangeError)`,
  async (dir) => {
    for (
      const [entry, why] of [[0x3a3a3a3a3a3a00n, /unaligned/], [
        0x3a3a3a3a3a0000n,
        /File too large/,
      ]] as const
    ) {
      await qemuImg(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "s.qcow2", "1M"], dir);
      await run("qemu-io", ["-c", "write -P 5 0 64k", `${dir}/s.qcow2`]);
      const file = await Deno.readFile(`${dir}/s.qcow2`);
      const view = new DataView(file.buffer);
      const l2 = Number(view.getBigUint64(Number(view.getBigUint64(40))) & 0xffffffffff00n);
      await poke(`${dir}/s.qcow2`, l2, 8, entry | (1n << 63n));
      await Deno.copyFile(`${dir}/s.qcow2`, `${dir}/q.qcow2`);
      const theirs = await qemuImg(["snapshot", "-c", "s1", "q.qcow2"], dir, [1]);
      const ours = await emuImg(["snapshot", "-c", "s1", "s.qcow2"], dir);
      assertEquals([ours.code, ours.stderr.trim().split("\n").length], [theirs.code, 1]);
      assertEquals(why.test(ours.stderr), true, ours.stderr);
    }
  },
);

imageTest(
  `img check: a file made a sparse terabyte takes well under 1 GiB, as in qemu-img (was 2 GiB of counts)`,
  async (dir) => {
    await qemuImg(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "t.qcow2", "1M"], dir);
    await run("qemu-io", ["-c", "write -P 5 0 64k", `${dir}/t.qcow2`]);
    await Deno.truncate(`${dir}/t.qcow2`, 2 ** 40); // 2^28 clusters, as `snapshot -a` can make
    const theirs = await qemuImg(["check", "t.qcow2"], dir);
    const main = new URL("../cli/img/main.ts", import.meta.url).href;
    const script = `const { imgCommand } = await import(${JSON.stringify(main)});
      const code = await imgCommand(["check", "t.qcow2"]);
      const peak = /VmHWM:\\s+(\\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))[1];
      console.error("peak", peak, "code", code);`;
    const ours = await run(Deno.execPath(), ["eval", script], dir);
    const [, peakKiB, code] = /peak (\d+) code (\d+)/.exec(ours.stderr) ?? [];
    assertEquals([Number(code), ours.stdout], [theirs.code, theirs.stdout]);
    assertEquals(Number(peakKiB) < 1 << 20, true, `peak RSS ${peakKiB} KiB`);
  },
);

imageTest(
  `img resize --shrink cuts the file after its last cluster in use, as qemu-img does (a sparse terabyte stayed)`,
  async (dir) => {
    for (const name of ["t.qcow2", "q.qcow2"]) { // not copied: a copy would not be sparse
      await qemuImg(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", name, "1M"], dir);
      await run("qemu-io", [
        "-c",
        "write -P 5 0 64k",
        "-c",
        "write -P 6 960k 64k",
        `${dir}/${name}`,
      ]);
      await Deno.truncate(`${dir}/${name}`, 2 ** 40);
    }
    await qemuImg(["resize", "-q", "--shrink", "q.qcow2", "512K"], dir);
    const ours = await emuImg(["resize", "-q", "--shrink", "t.qcow2", "512K"], dir);
    assertEquals(ours.code, 0, ours.stderr);
    const size = (name: string) => Deno.statSync(`${dir}/${name}`).size;
    assertEquals(size("t.qcow2"), size("q.qcow2"));
    const check = async (cmd: typeof emuImg, name: string) =>
      JSON.parse((await cmd(["check", "--output=json", name], dir)).stdout)["image-end-offset"];
    assertEquals(await check(emuImg, "t.qcow2"), await check(qemuImg, "q.qcow2"));
  },
);

imageTest(
  `img info/snapshot -l: a count of 2^32-1 snapshots is refused unread, as qemu-img does (was a hang)`,
  async (dir) => {
    await qemuImg(["create", "-q", "-f", "qcow2", "d.qcow2", "1M"], dir);
    await poke(`${dir}/d.qcow2`, 60, 4, 0xffffffffn); // nb_snapshots; the table at offset 0
    for (const args of [["info"], ["snapshot", "-l"]]) {
      const theirs = await qemuImg([...args, "d.qcow2"], dir, [1]);
      const ours = await emuImgWithin(60_000, [...args, "d.qcow2"], dir);
      assertEquals(theirs.stderr, "qemu-img: Could not open 'd.qcow2': Snapshot table too large\n");
      assertEquals([ours.code, ours.stderr], [
        1,
        "emu: Could not open 'd.qcow2': Snapshot table too large\n",
      ]);
    }
  },
);

imageTest(
  `img measure -l: a snapshot applied in memory over an active L1 table at 2^55 (was EINVAL from a seek)`,
  async (dir) => {
    await qemuImg(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "d.qcow2", "1M"], dir);
    await poke(`${dir}/d.qcow2`, 40, 8, 1n << 55n); // l1_table_offset: past the end, reads as 0
    await qemuImg(["snapshot", "-c", "s1", "d.qcow2"], dir);
    const args = ["measure", "-O", "qcow2", "-l", "s1", "d.qcow2"];
    const theirs = await qemuImg(args, dir);
    const ours = await emuImgWithin(60_000, args, dir);
    assertEquals([ours.code, ours.stdout, ours.stderr], [0, theirs.stdout, ""]);
  },
);

imageTest(
  `img check -r all: a rebuild refused where the snapshot table lies, as in qemu-img (the header was zeroed)`,
  async (dir) => {
    await qemuImg(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "q.qcow2", "1M"], dir);
    // 65537 snapshots at offset 0: -r all keeps 65536, over the header and the tables
    await poke(`${dir}/q.qcow2`, 60, 4, 65537n);
    await Deno.copyFile(`${dir}/q.qcow2`, `${dir}/e.qcow2`);
    const theirs = await qemuImg(["check", "-r", "all", "q.qcow2"], dir, [1]);
    const ours = await emuImgWithin(120_000, ["check", "-r", "all", "e.qcow2"], dir);
    const end = (r: { stderr: string }) => r.stderr.trim().split("\n").slice(-3);
    assertEquals([ours.code, end(ours)], [theirs.code, end(theirs)]);
    assertEquals(end(ours)[0].includes("(overlaps with snapshot table)"), true);
    assertEquals(await Deno.readFile(`${dir}/e.qcow2`), await Deno.readFile(`${dir}/q.qcow2`));
  },
);

Deno.test("qcow2 snapshot table: offsets past 2^31 are aligned without 32-bit overflow (check -r all seek)", async () => {
  const { HostFile } = await import("../core/host_file.ts");
  const { readSnapshotTable, snapshotTableEnd } = await import(
    "../plugins/block/qcow2/snapshot.ts"
  );
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, new Uint8Array(1024));
    const file = HostFile.open(path, { readOnly: true });
    // bytes past the end of the file read as zero: two empty 40-byte entries, each at a multiple
    // of 8 (the first entry at 2^31 + 8 when read, at 2^31 + 4 when only measured)
    const at = 2 ** 31 + 4;
    assertEquals(readSnapshotTable(file, at, 2).end, 2 ** 31 + 88);
    assertEquals(snapshotTableEnd(file, at, 2), 2 ** 31 + 88);
    file.close();
  } finally {
    await Deno.remove(path);
  }
});
