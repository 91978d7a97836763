// qcow2 through the block layer, compared with qemu-img and qemu-io in the same run: images
// qemu-img writes read back byte for byte; images Denemu writes pass qemu-img check and compare
// equal; a crash after any metadata write leaves an image qemu-img check accepts.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createImage, openImage } from "../plugin.ts";
import { emuImg, QEMU_IMG_MISSING, qemuImg, qemuOverlay, run } from "./util/qemu_img.ts";

const ignore = !!QEMU_IMG_MISSING;

/** Reads the whole image through Denemu. */
async function readAll(path: string): Promise<Uint8Array> {
  const img = await openImage(path, { readOnly: true });
  try {
    return img.read(0, img.size);
  } finally {
    img.close();
  }
}

Deno.test({
  name: "qcow2: images qemu-img and qemu-io write read back byte for byte",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const text = new TextEncoder().encode("compressible line of text\n".repeat(80000));
    await Deno.writeFile(`${dir}/text.raw`, text);
    const cases: [string, string[]][] = [
      ["v3", []],
      ["v2", ["-o", "compat=0.10"]],
      ["small", ["-o", "cluster_size=512,refcount_bits=1"]],
      ["wide", ["-o", "cluster_size=4k,refcount_bits=64"]],
    ];
    for (const [name, opts] of cases) {
      const img = `${dir}/${name}.qcow2`;
      await qemuImg(["create", "-q", "-f", "qcow2", ...opts, img, "8M"]);
      const zero = name === "v2" ? [] : ["-c", "write -z 2M 64k"];
      await run("qemu-io", [
        "-c",
        "write -P 0xab 0 100k",
        "-c",
        "write -P 0x11 1M 4k",
        ...zero,
        "-c",
        "write -P 0x22 7M 1M",
        img,
      ]);
      await qemuImg(["convert", "-O", "raw", img, `${img}.raw`]);
      assert.deepEqual(await readAll(img), await Deno.readFile(`${img}.raw`), name);
    }
    await qemuImg(["convert", "-c", "-O", "qcow2", `${dir}/text.raw`, `${dir}/c.qcow2`]);
    const padded = new Uint8Array(Math.ceil(text.length / 512) * 512); // qemu-img rounds the size up
    padded.set(text);
    assert.deepEqual(await readAll(`${dir}/c.qcow2`), padded, "compressed clusters");
    await qemuOverlay(dir, "v3.qcow2", "top.qcow2");
    await run("qemu-io", ["-c", "write -P 0x33 50k 8k", `${dir}/top.qcow2`]);
    await qemuImg(["convert", "-O", "raw", `${dir}/top.qcow2`, `${dir}/top.raw`]);
    assert.deepEqual(await readAll(`${dir}/top.qcow2`), await Deno.readFile(`${dir}/top.raw`));
    await Deno.remove(dir, { recursive: true });
  },
});

/** Deterministic pseudo-random numbers (a seeded xorshift). */
function rng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

Deno.test({
  name: "qcow2: images Denemu writes pass qemu-img check and compare equal to their data",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const size = 16 << 20;
    const cases: Record<string, string>[] = [
      {},
      { compat: "0.10" },
      { cluster_size: "512", refcount_bits: "1" },
      { cluster_size: "4096", refcount_bits: "64" },
      { preallocation: "metadata", lazy_refcounts: "on" },
    ];
    for (const [i, options] of cases.entries()) {
      const path = `${dir}/d${i}.qcow2`;
      await createImage(path, "qcow2", { size, options });
      const img = await openImage(path);
      const ref = new Uint8Array(size);
      const rand = rng(i + 1);
      for (let k = 0; k < 120; k++) {
        const off = rand(size), len = Math.min(rand(150000) + 1, size - off);
        const data = new Uint8Array(len).fill(k + 1);
        img.write(off, data);
        ref.set(data, off);
      }
      img.writeZeroes(1 << 20, 3 << 20);
      ref.fill(0, 1 << 20, 4 << 20);
      img.close();
      await Deno.writeFile(`${path}.ref`, ref);
      const check = await qemuImg(["check", path]);
      assert.match(check.stdout, /No errors were found/, JSON.stringify(options));
      await qemuImg(["compare", "-f", "qcow2", "-F", "raw", path, `${path}.ref`]);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

/** The file contents after one logged change (a write, or a truncation when `data` is absent). */
function replay(file: Uint8Array, [offset, data]: [number, Uint8Array | undefined]): Uint8Array {
  const size = data ? Math.max(file.length, offset + data.length) : offset;
  const out = size === file.length ? file : new Uint8Array(size);
  if (out !== file) out.set(file.subarray(0, Math.min(size, file.length)));
  if (data) out.set(data, offset);
  return out;
}

Deno.test({
  name: "qcow2: a crash after any write of a guest write leaves an image qemu-img check accepts",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/crash.qcow2`;
    // 512-byte clusters with 64-bit refcounts: a refcount block covers 32 KiB and the first
    // refcount table 2 MiB, so the logged writes below need new L2 tables, new refcount blocks
    // and a bigger refcount table.
    const options = { cluster_size: "512", refcount_bits: "64" };
    await createImage(path, "qcow2", { size: 8 << 20, options });
    const filling = await openImage(path);
    filling.write(0, new Uint8Array(1980 << 10).fill(0xee));
    filling.close();
    const before = await Deno.readFile(path);
    const img = await openImage(path);
    const log: [number, Uint8Array | undefined][] = [];
    img.file.writeObservers.push((offset, data) => log.push([offset, data?.slice()]));
    for (let k = 0; k < 12; k++) {
      img.write(2_000_000 + k * 500_000, new Uint8Array(600).fill(k + 1));
    }
    img.write(100_000, new Uint8Array(1000).fill(0x55)); // in place
    img.close();
    const tableOffset = (b: Uint8Array) => new DataView(b.buffer).getBigUint64(48);
    assert.notEqual(tableOffset(await Deno.readFile(path)), tableOffset(before), "no table growth");
    assert.ok(log.length > 50, `only ${log.length} writes`);
    let state: Uint8Array = before, applied = 0;
    for (let n = 0; n <= log.length; n++) {
      for (; applied < n; applied++) state = replay(state, log[applied]);
      await Deno.writeFile(`${dir}/cut.qcow2`, state);
      const r = await qemuImg(["check", `${dir}/cut.qcow2`], undefined, [0, 3]);
      assert.ok(r.code === 0 || r.code === 3, `crash after write ${n}: ${r.stdout}${r.stderr}`);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "qcow2: a dirty image (lazy refcounts, crashed) is repaired on opening for writing",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const [emu, qemu] = [`${dir}/e.qcow2`, `${dir}/q.qcow2`];
    await qemuImg(["create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", emu, "8M"]);
    await run("qemu-io", ["-c", "write -P 1 0 1M", "-c", "abort", emu]); // leaves it dirty
    await Deno.copyFile(emu, qemu);
    const checked = await emuImg(["check", "e.qcow2"], dir);
    const qemuChecked = await qemuImg(["check", "e.qcow2"], dir, [2]);
    assert.deepEqual(
      [checked.code, checked.stdout],
      [2, qemuChecked.stdout],
      "check does not repair",
    );
    await run("qemu-io", ["-c", "write -P 2 1M 4k", qemu]);
    const img = await openImage(emu);
    img.write(1 << 20, new Uint8Array(4096).fill(2));
    img.close();
    for (const path of [emu, qemu]) {
      assert.match((await qemuImg(["check", path])).stdout, /No errors were found/, path);
    }
    assert.equal((await qemuImg(["compare", emu, qemu])).code, 0);
    await Deno.remove(dir, { recursive: true });
  },
});
