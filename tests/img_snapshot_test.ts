// `emu img snapshot -c/-a/-d` beside qemu-img snapshot in the same run: the same steps on twin
// images give the same output, qemu-img check accepts it, and -a restores the data
// as qemu-io reads it (cluster placement may differ from qemu-img's).
// Guest writes after a snapshot copy shared clusters without leaks.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { openImage } from "../plugin.ts";
import { emuImg, QEMU_IMG_MISSING, qemuImg, run } from "./util/qemu_img.ts";

const ignore = !!QEMU_IMG_MISSING;

/** The `snapshot -l` table with its DATE column blanked. */
function undated(list: string): string {
  return list.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, "DATE");
}

Deno.test({
  name: "emu img snapshot -c/-a/-d: the same output as qemu-img's steps; checked and listed alike",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    for (const t of ["q", "e"]) {
      await qemuImg(["create", "-q", "-f", "qcow2", `${t}.qcow2`, "8M"], dir);
      await run("qemu-io", ["-c", "write -P 1 0 256k", `${dir}/${t}.qcow2`]);
    }
    const both = async (args: string[], qemuIo?: string[]) => {
      const q = await run("qemu-img", ["snapshot", ...args, "q.qcow2"], dir);
      const e = await emuImg(["snapshot", ...args, "e.qcow2"], dir);
      // the first error line, without the tool's name and Denemu's hint
      const message = (r: { stderr: string }) =>
        r.stderr.split("\n")[0].replace(/^(emu|qemu-img): /, "").replace(/ \(.*\)$/, "");
      assert.deepEqual(
        [e.code, e.stdout, message(e)],
        [q.code, q.stdout, message(q)],
        args.join(" "),
      );
      for (const t of ["q", "e"]) {
        if (qemuIo) {
          await run("qemu-io", [...qemuIo.flatMap((c) => ["-c", c]), `${dir}/${t}.qcow2`]);
        }
      }
    };
    await both(["-c", "s1"], ["write -P 2 64k 4k", "write -P 3 1M 64k"]);
    await both(["-c", "s2"]);
    await both(["-c", "s1"], ["write -P 4 0 64k"]);
    await both(["-a", "nope"]);
    await both(["-d", "2"]); // -d looks up names only
    await both(["-a", "s2"]);
    await both(["-d", "s1"]);
    await both(["-a", "3"]); // -a looks up ids first
    await both(["-l", "-c", "x"]);
    const listed = await emuImg(["snapshot", "-l", "e.qcow2"], dir);
    assert.equal(listed.stdout, (await qemuImg(["snapshot", "-l", "e.qcow2"], dir)).stdout);
    assert.equal(
      undated(listed.stdout),
      undated((await qemuImg(["snapshot", "-l", "q.qcow2"], dir)).stdout),
    );
    assert.match((await qemuImg(["check", "e.qcow2"], dir)).stdout, /No errors were found/);
    // snapshot 3 holds the writes made after s1 (id 1) was taken
    const read = await run("qemu-io", [
      "-c",
      "read -P 1 0 64k",
      "-c",
      "read -P 2 64k 4k",
      "-c",
      "read -P 3 1M 64k",
      `${dir}/e.qcow2`,
    ]);
    assert.equal((await qemuImg(["compare", "e.qcow2", "q.qcow2"], dir)).code, 0);
    assert.doesNotMatch(read.stdout + read.stderr, /Pattern verification failed/);
    await both(["-d", "s2"]);
    await both(["-d", "s1"]);
    assert.equal((await emuImg(["snapshot", "-l", "e.qcow2"], dir)).stdout, "");
    assert.match((await qemuImg(["check", "e.qcow2"], dir)).stdout, /No errors were found/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "emu img snapshot -a: a snapshot of another disk size brings its size and data back",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const img = `${dir}/r.qcow2`;
    await qemuImg(["create", "-q", "-f", "qcow2", img, "8M"]);
    await run("qemu-io", ["-c", "write -P 1 0 128k", img]);
    assert.equal((await emuImg(["snapshot", "-c", "small", img])).code, 0);
    await qemuImg(["resize", "-q", img, "+2G"]);
    await run("qemu-io", ["-c", "write -P 2 1G 64k", "-c", "write -P 5 0 4k", img]);
    assert.equal((await emuImg(["snapshot", "-c", "big", img])).code, 0);
    assert.equal((await emuImg(["snapshot", "-a", "small", img])).code, 0);
    const size = (p: string) => JSON.parse(p)["virtual-size"];
    assert.equal(size((await qemuImg(["info", "--output=json", img])).stdout), 8 << 20);
    assert.match((await qemuImg(["check", img])).stdout, /No errors were found/);
    let read = await run("qemu-io", ["-c", "read -P 1 0 128k", img]);
    assert.doesNotMatch(read.stdout + read.stderr, /verification failed/);
    assert.equal((await emuImg(["snapshot", "-a", "big", img])).code, 0);
    assert.equal(size((await qemuImg(["info", "--output=json", img])).stdout), (8 << 20) + 2 ** 31);
    read = await run("qemu-io", ["-c", "read -P 2 1G 64k", "-c", "read -P 5 0 4k", img]);
    assert.doesNotMatch(read.stdout + read.stderr, /verification failed/);
    assert.match((await qemuImg(["check", img])).stdout, /No errors were found/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "qcow2: writes after a qemu-img snapshot copy shared L2 tables and clusters without leaks",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/s.qcow2`;
    await qemuImg(["create", "-q", "-f", "qcow2", path, "8M"]);
    await run("qemu-io", ["-c", "write -P 1 0 256k", path]);
    await qemuImg(["snapshot", "-c", "before", path]);
    const img = await openImage(path);
    img.write(65536, new Uint8Array(4096).fill(7)); // a shared cluster in a shared L2 table
    img.write(1 << 20, new Uint8Array(4096).fill(8)); // a new cluster in the copied table
    img.close();
    const check = await qemuImg(["check", path], undefined, [0, 2, 3]);
    assert.equal(check.stderr, "", "no leaks or errors");
    let read = await run("qemu-io", ["-c", "read -P 7 64k 4k", "-c", "read -P 8 1M 4k", path]);
    assert.doesNotMatch(read.stdout + read.stderr, /verification failed/);
    await qemuImg(["snapshot", "-a", "before", path]);
    read = await run("qemu-io", ["-c", "read -P 1 0 256k", "-c", "read -P 0 1M 4k", path]);
    assert.doesNotMatch(read.stdout + read.stderr, /verification failed/);
    await Deno.remove(dir, { recursive: true });
  },
});

/** The image's bytes with each snapshot table entry's date blanked (`at` walks the table). */
async function withoutDates(path: string): Promise<Uint8Array> {
  const b = await Deno.readFile(path), v = new DataView(b.buffer);
  let at = Number(v.getBigUint64(64));
  for (let i = v.getUint32(60); i > 0; i--) {
    b.fill(0, at + 16, at + 24);
    at += (40 + v.getUint32(at + 36) + v.getUint16(at + 12) + v.getUint16(at + 14) + 7) & ~7;
  }
  return b;
}

Deno.test({
  name: "emu img snapshot -d: the clusters it frees read as zeros after, as qemu-img discards them",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    for (const t of ["q", "e"]) {
      await qemuImg(["create", "-q", "-f", "qcow2", `${t}.qcow2`, "4M"], dir);
      await run("qemu-io", ["-c", "write -P 1 0 64k", `${dir}/${t}.qcow2`]);
    }
    for (const args of [["-c", "s1"], ["-c", "s2"], ["-d", "s1"]]) {
      await qemuImg(["snapshot", ...args, "q.qcow2"], dir);
      assert.equal((await emuImg(["snapshot", ...args, "e.qcow2"], dir)).code, 0);
    }
    assert.deepEqual(await withoutDates(`${dir}/e.qcow2`), await withoutDates(`${dir}/q.qcow2`));
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "emu img snapshot: a VM state past 4 GiB is read from vm_state_size_large and kept when the table is rewritten, as qemu-img",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    await qemuImg(["create", "-q", "-f", "qcow2", "q.qcow2", "4M"], dir);
    await qemuImg(["snapshot", "-c", "s1", "q.qcow2"], dir);
    const f = await Deno.open(`${dir}/q.qcow2`, { read: true, write: true });
    const header = new Uint8Array(72);
    await f.read(header);
    const table = Number(new DataView(header.buffer).getBigUint64(64));
    const sizes = new Uint8Array(16), v = new DataView(sizes.buffer);
    v.setUint32(0, 2 ** 30); // vm_state_size: the low 32 bits
    v.setUint32(4, 24); // extra_data_size, as qemu-img wrote it
    v.setBigUint64(8, 5n << 30n); // vm_state_size_large, the first extra data
    await f.seek(table + 32, Deno.SeekMode.Start);
    await f.write(sizes);
    f.close();
    await Deno.copyFile(`${dir}/q.qcow2`, `${dir}/e.qcow2`);
    await qemuImg(["snapshot", "-c", "s2", "q.qcow2"], dir);
    assert.equal((await emuImg(["snapshot", "-c", "s2", "e.qcow2"], dir)).code, 0);
    for (const args of [["snapshot", "-l"], ["info", "--output=json"]]) {
      const ours = await emuImg([...args, "e.qcow2"], dir);
      const theirs = await qemuImg([...args, "q.qcow2"], dir);
      const same = (out: string) =>
        undated(out).replace(/"(date-sec|date-nsec|actual-size)": \d+/g, "$1");
      assert.equal(same(ours.stdout.replaceAll("e.qcow2", "q.qcow2")), same(theirs.stdout));
    }
    await Deno.remove(dir, { recursive: true });
  },
});
