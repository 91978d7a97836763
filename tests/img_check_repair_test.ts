// `emu img check` and `check -r leaks|all` on broken qcow2 images, beside qemu-img in the same
// run: the same report lines (stdout and stderr, in order), exit codes, and repaired bytes.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { emuImg, imageTest, poke, qemuImg, run } from "./util/qemu_img.ts";

/** The big-endian value of `size` bytes at `at` of `bytes`. */
function peek(bytes: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let k = 0; k < size; k++) v = v * 256 + bytes[at + k];
  return v;
}

/** A qemu-img-made 8 MiB qcow2 with 256 KiB of data: its path and header numbers. */
async function makeImage(dir: string) {
  const path = `${dir}/d.qcow2`;
  await qemuImg(["create", "-q", "-f", "qcow2", path, "8M"]);
  await run("qemu-io", ["-c", "write -P 1 0 256k", path]);
  const bytes = await Deno.readFile(path);
  const l1 = peek(bytes, 40, 8), reftable = peek(bytes, 48, 8);
  return {
    path,
    l2: peek(bytes, l1, 8) % 2 ** 56, // without the COPIED flag
    refblock: peek(bytes, reftable, 8),
  };
}

/**
 * Runs `check MODE` with both tools on copies of `path`: the exit codes,
 * outputs and resulting files must be equal.
 */
async function sameCheck(path: string, mode: string[]) {
  const dir = path.slice(0, path.lastIndexOf("/"));
  await Deno.copyFile(path, `${dir}/q.qcow2`);
  await Deno.copyFile(path, `${dir}/e.qcow2`);
  const theirs = await run("qemu-img", ["check", ...mode, "x.qcow2"].map(name("q")), dir);
  const ours = await emuImg(["check", ...mode, "x.qcow2"].map(name("e")), dir);
  const what = `check ${mode.join(" ")}`;
  assertEquals([ours.code, ours.stdout, ours.stderr], [
    theirs.code,
    theirs.stdout,
    theirs.stderr,
  ], what);
  assertEquals(
    await Deno.readFile(`${dir}/e.qcow2`),
    await Deno.readFile(`${dir}/q.qcow2`),
    `${what}: the repaired files differ`,
  );
  return theirs;
}

/** Names `x.qcow2` after the tool (the outputs name the file, so both use the same length). */
const name = (tool: string) => (a: string) => a === "x.qcow2" ? `${tool}.qcow2` : a;

const MODES = [[], ["-r", "leaks"], ["-r", "all"]];

imageTest(
  "img check -r: an unaligned preallocated zero cluster with reserved bits (image seed 20471)",
  async (dir) => {
    const img = await makeImage(dir);
    await poke(img.path, img.l2, 8, 0x7fffffffn); // zero flag, reserved bits, offset 0x7ffffe00
    for (const mode of MODES) {
      const r = await sameCheck(img.path, mode);
      if (mode[1] === "all") assertEquals(r.stderr.includes("Repairing offset=7ffffe00"), true);
    }
  },
);

imageTest(
  "img check -r: a cluster in use with refcount 0 needs a rebuild of the refcount structure",
  async (dir) => {
    const img = await makeImage(dir);
    await poke(img.path, img.refblock + 2 * 5, 2, 0n); // cluster 5: data
    for (const mode of MODES) await sameCheck(img.path, mode);
    const rebuilt = await sameCheck(img.path, ["-r", "all"]);
    assertEquals(/Rebuilding refcount structure\n/.test(rebuilt.stderr), true);
  },
);

imageTest(
  "img check -r: leaks are reported, then repaired; a wrong COPIED flag; a refcount of 2",
  async (dir) => {
    const img = await makeImage(dir);
    await poke(img.path, img.refblock + 2 * 40, 2, 1n); // a leak past the used clusters
    await Deno.truncate(img.path, 41 * 65536);
    await poke(img.path, img.l2 + 8, 8, BigInt(6 * 65536)); // COPIED flag cleared
    await poke(img.path, img.refblock + 2 * 7, 2, 2n); // refcount 2 on a data cluster
    for (const mode of MODES) {
      const r = await sameCheck(img.path, mode);
      if (mode[1] === "leaks") {
        assertEquals(/Leaked cluster 40[^]*Repairing cluster 40/.test(r.stderr), true);
      }
    }
  },
);

imageTest(
  "img check -r: refcount blocks outside the image, unaligned, or with reserved bits",
  async (dir) => {
    const img = await makeImage(dir);
    const reftable = peek(await Deno.readFile(img.path), 48, 8);
    await poke(img.path, reftable + 8, 8, 0x40000n); // block 1 points at an L2-ish cluster
    await poke(img.path, reftable + 16, 8, 100n << 16n); // block 2 past the end of the file
    await poke(img.path, reftable + 24, 8, 0x51000n); // block 3 unaligned
    await poke(img.path, reftable + 32, 8, 0x60001n); // block 4 with reserved bits
    for (const mode of MODES) await sameCheck(img.path, mode);
  },
);

imageTest(
  "img check/snapshot: a snapshot L1 table of 2^32 entries is an error, not 32 GiB of memory (image seed 1530)",
  async (dir) => {
    const img = await makeImage(dir);
    await qemuImg(["snapshot", "-c", "s1", img.path]);
    const snapshots = peek(await Deno.readFile(img.path), 64, 8);
    await poke(img.path, snapshots + 8, 4, 0xffffffffn); // the snapshot's l1_size
    for (const mode of MODES) await sameCheck(img.path, mode);
    const apply = await emuImg(["snapshot", "-a", "s1", img.path]);
    assertEquals([apply.code, apply.stderr.trim().split("\n").length], [1, 1]);
    assertEquals(/L1 table is too large/.test(apply.stderr), true);
  },
);

imageTest(
  "img check -r all: a snapshot entry with more than 1 KiB of extra data is cut, the next entry completed and the table rewritten, as qemu-img; info refuses it with qemu-img's hint",
  async (dir) => {
    const img = await makeImage(dir);
    await qemuImg(["snapshot", "-c", "s1", img.path]);
    await qemuImg(["snapshot", "-c", "s2", img.path]);
    const snapshots = peek(await Deno.readFile(img.path), 64, 8);
    await poke(img.path, snapshots + 36, 4, 2000n); // entry 0's extra_data_size
    const theirs = await qemuImg(["info", img.path], dir, [1]);
    const ours = await emuImg(["info", img.path]);
    assertEquals(ours.code, 1);
    for (const line of theirs.stderr.trim().split("\n")) {
      assertEquals(ours.stderr.includes(line.replace(/^.*': /, "")), true, ours.stderr);
    }
    for (const mode of MODES) await sameCheck(img.path, mode);
    const listed = await emuImg(["snapshot", "-l", "e.qcow2"], dir);
    assertEquals(listed.stdout, (await qemuImg(["snapshot", "-l", "q.qcow2"], dir)).stdout);
  },
);

imageTest(
  "img check -r all: version 3 snapshot entries with less than 16 bytes of extra data are completed, as qemu-img",
  async (dir) => {
    const img = await makeImage(dir);
    await qemuImg(["snapshot", "-c", "s1", img.path]);
    const snapshots = peek(await Deno.readFile(img.path), 64, 8);
    await poke(img.path, snapshots + 36, 4, 0n); // extra_data_size; id and name follow at once
    await poke(img.path, snapshots + 40, 4, 0x3173_3100n); // "1s1"
    for (const mode of MODES) await sameCheck(img.path, mode);
  },
);
