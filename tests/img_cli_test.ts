// `emu img` commands beside qemu-img in the same run: info JSON, check reports and exit codes,
// repairs, convert, resize, and one-line errors for broken images.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { openImage } from "../plugin.ts";
import type { Qcow2Image } from "../plugins/block/qcow2/image.ts";
import { emuImg, QEMU_IMG_MISSING, qemuImg, qemuOverlay, run } from "./util/qemu_img.ts";

const ignore = !!QEMU_IMG_MISSING;

async function infoJson(cmd: "emu" | "qemu", args: string[], cwd: string): Promise<unknown> {
  const r = cmd === "emu"
    ? await emuImg(["info", "--output=json", ...args], cwd)
    : await qemuImg(["info", "--output=json", ...args], cwd);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test({
  name: "emu img create/info: the JSON equals qemu-img's, for images either tool made",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const variants = ["", "compat=0.10", "cluster_size=4k,lazy_refcounts=on,refcount_bits=8"];
    for (const [i, o] of variants.entries()) {
      const opts = o ? ["-o", o] : [];
      await qemuImg(["create", "-q", "-f", "qcow2", ...opts, `q${i}.qcow2`, "64M"], dir);
      const made = await emuImg(["create", "-f", "qcow2", ...opts, `e${i}.qcow2`, "64M"], dir);
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /^Formatting 'e\d\.qcow2', fmt=qcow2 cluster_size=/);
      for (const name of [`q${i}.qcow2`, `e${i}.qcow2`]) {
        assert.deepEqual(
          await infoJson("emu", [name], dir),
          await infoJson("qemu", [name], dir),
          name,
        );
      }
      assert.match((await qemuImg(["check", `e${i}.qcow2`], dir)).stdout, /No errors were found/);
    }
    await qemuOverlay(dir, "q0.qcow2", "top.qcow2");
    await qemuImg(["snapshot", "-c", "first", "q0.qcow2"], dir);
    const list = await emuImg(["snapshot", "-l", "q0.qcow2"], dir);
    assert.equal(list.stdout, (await qemuImg(["snapshot", "-l", "q0.qcow2"], dir)).stdout);
    const chain = ["--backing-chain", "top.qcow2"];
    assert.deepEqual(await infoJson("emu", chain, dir), await infoJson("qemu", chain, dir));
    const human = await emuImg(["info", "top.qcow2"], dir);
    assert.equal(human.stdout, (await qemuImg(["info", "top.qcow2"], dir)).stdout);
    await Deno.remove(dir, { recursive: true });
  },
});

/** Sets the stored refcount of host cluster `index` of the image at `path`. */
async function setRefcount(path: string, index: number, value: number): Promise<void> {
  const img = await openImage(path) as Qcow2Image;
  img.refcounts.set(index, value);
  img.close();
}

Deno.test({
  name: "emu img check: leaks and errors in qemu-img's words and exit codes; -r repairs",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    await qemuImg(["create", "-q", "-f", "qcow2", "d.qcow2", "8M"], dir);
    await run("qemu-io", ["-c", "write -P 1 0 256k", `${dir}/d.qcow2`]);
    await setRefcount(`${dir}/d.qcow2`, 40, 1); // a leak past the end of the used clusters
    await Deno.truncate(`${dir}/d.qcow2`, 41 * 65536);
    const emu = await emuImg(["check", "d.qcow2"], dir);
    const qemu = await qemuImg(["check", "d.qcow2"], dir, [3]);
    assert.deepEqual([emu.code, emu.stdout, emu.stderr], [3, qemu.stdout, qemu.stderr]);
    const fixed = await emuImg(["check", "-r", "leaks", "d.qcow2"], dir);
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.match(fixed.stdout, /1 leaked clusters\n/);
    assert.match((await qemuImg(["check", "d.qcow2"], dir)).stdout, /No errors were found/);

    await setRefcount(`${dir}/d.qcow2`, 5, 0); // a data cluster in use with refcount 0
    const bad = await emuImg(["check", "d.qcow2"], dir);
    const qbad = await qemuImg(["check", "d.qcow2"], dir, [2]);
    assert.deepEqual([bad.code, bad.stdout, bad.stderr], [2, qbad.stdout, qbad.stderr]);
    const emuJson = await emuImg(["check", "--output=json", "d.qcow2"], dir);
    const qemuJson = await qemuImg(["check", "--output=json", "d.qcow2"], dir, [2]);
    assert.deepEqual(JSON.parse(emuJson.stdout), JSON.parse(qemuJson.stdout));
    assert.equal((await emuImg(["check", "-r", "all", "d.qcow2"], dir)).code, 0);
    assert.match((await qemuImg(["check", "d.qcow2"], dir)).stdout, /No errors were found/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "emu img convert: qemu-img compare finds the output equal; sparse stays sparse; -c, -B, -n, -p",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    await qemuImg(["create", "-q", "-f", "raw", "sparse.raw", "4G"], dir);
    await run("qemu-io", [
      "-f",
      "raw",
      "-c",
      "write -P 7 1G 1M",
      "-c",
      "write -P 9 3G 64k",
      `${dir}/sparse.raw`,
    ]);
    const text = new TextEncoder().encode("a line of text that compresses\n".repeat(40000));
    await Deno.writeFile(`${dir}/text.raw`, text);
    const steps: [string[], string, string][] = [
      [["-O", "qcow2"], "sparse.raw", "s.qcow2"],
      [["-f", "qcow2", "-O", "raw"], "s.qcow2", "s.raw"],
      [["-c", "-O", "qcow2"], "text.raw", "c.qcow2"],
      [["-O", "qcow2", "-o", "compat=0.10,cluster_size=512"], "c.qcow2", "v2.qcow2"],
    ];
    for (const [flags, src, out] of steps) {
      const r = await emuImg(["convert", ...flags, src, out], dir);
      assert.equal(r.code, 0, r.stderr);
      await qemuImg(["compare", src, out], dir);
      if (out.endsWith(".qcow2")) await qemuImg(["check", out], dir);
    }
    assert.ok((await Deno.stat(`${dir}/s.qcow2`)).size < 4 << 20, "the qcow2 copy is sparse");
    assert.ok((await Deno.stat(`${dir}/s.raw`)).blocks! * 512 < 16 << 20, "the raw copy is sparse");
    const cInfo = await qemuImg(["check", "--output=json", "c.qcow2"], dir);
    assert.ok(JSON.parse(cInfo.stdout)["compressed-clusters"] > 0, "compressed clusters");

    // -B: the output keeps only what differs from its backing file.
    await qemuOverlay(dir, "s.qcow2", "top.qcow2");
    await run("qemu-io", ["-c", "write -P 3 2G 64k", `${dir}/top.qcow2`]);
    const b = await emuImg([
      "convert",
      "-p",
      "-O",
      "qcow2",
      "-B",
      "s.qcow2",
      "-o",
      "backing_fmt=qcow2",
      "top.qcow2",
      "b.qcow2",
    ], dir);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /\(100\.00\/100%\)\r\n$/);
    await qemuImg(["compare", "top.qcow2", "b.qcow2"], dir);
    const map = JSON.parse((await qemuImg(["map", "--output=json", "b.qcow2"], dir)).stdout);
    assert.equal(
      map.filter((e: { depth: number; data: boolean }) => e.depth === 0 && e.data).length,
      1,
    );

    // -n: into an existing image.
    await qemuImg(["create", "-q", "-f", "qcow2", "n.qcow2", "4G"], dir);
    await run("qemu-io", ["-c", "write -P 5 0 1M", `${dir}/n.qcow2`]);
    assert.equal(
      (await emuImg(["convert", "-n", "-O", "qcow2", "s.qcow2", "n.qcow2"], dir)).code,
      0,
    );
    await qemuImg(["compare", "s.qcow2", "n.qcow2"], dir);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "emu img resize: grow, and shrink only with --shrink (by a size or by -N)",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    await qemuImg(["create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "r.qcow2", "1M"], dir);
    await run("qemu-io", ["-c", "write -P 1 0 1M", `${dir}/r.qcow2`]);
    assert.equal((await emuImg(["resize", "r.qcow2", "+1G"], dir)).code, 0);
    assert.equal(
      ((await infoJson("qemu", ["r.qcow2"], dir)) as Record<string, number>)["virtual-size"],
      (1 << 30) + (1 << 20),
    );
    await run("qemu-io", ["-c", "write -P 2 1000M 1M", `${dir}/r.qcow2`]);
    const refused = await emuImg(["resize", "r.qcow2", "512k"], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--shrink/);
    assert.equal((await emuImg(["resize", "--shrink", "r.qcow2", "-1024M"], dir)).code, 0);
    assert.equal((await emuImg(["resize", "--shrink", "r.qcow2", "512k"], dir)).code, 0);
    for (const size of ["0", "-512k"]) { // to nothing: refused, as qemu-img does
      const zero = await emuImg(["resize", "--shrink", "r.qcow2", size], dir);
      assert.deepEqual([zero.code, zero.stderr], [1, "emu: New image size must be positive\n"]);
    }
    assert.match((await qemuImg(["check", "r.qcow2"], dir, [0, 3])).stderr, /^$/);
    await qemuImg(["create", "-q", "-f", "raw", "ref.raw", "512k"], dir);
    await run("qemu-io", ["-f", "raw", "-c", "write -P 1 0 512k", `${dir}/ref.raw`]);
    await qemuImg(["compare", "r.qcow2", "ref.raw"], dir);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "emu img resize: a size the host file system refuses is qemu-img's one line, not a crash",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    for (const name of ["q.raw", "e.raw"]) {
      await qemuImg(["create", "-q", "-f", "raw", name, "1M"], dir);
    }
    const qemu = await qemuImg(["resize", "-f", "raw", "q.raw", "1P"], dir, [0, 1]);
    const emu = await emuImg(["resize", "-f", "raw", "e.raw", "1P"], dir);
    assert.equal(emu.code, qemu.code, emu.stderr);
    const refusal = qemu.stderr.match(/Could not resize file: .*/)?.[0];
    assert.equal(emu.stderr, refusal ? `emu: ${refusal}\n` : "");
    // a device that cannot grow: a host error in one line and status 1, as qemu-img
    const device = await emuImg(["create", "-f", "raw", "/dev/full", "1M"], dir);
    assert.equal(device.code, 1, device.stderr);
    assert.match(device.stderr, /^emu: (?!internal error)[^\n]+\n$/);
    await Deno.remove(dir, { recursive: true });
  },
});

/** Overwrites bytes of `path` at `offset`. */
async function poke(path: string, offset: number, bytes: number[]): Promise<void> {
  const f = await Deno.open(path, { write: true });
  await f.seek(offset, Deno.SeekMode.Start);
  await f.write(new Uint8Array(bytes));
  f.close();
}

Deno.test({
  name: "emu img: broken images get a one-line error naming the problem, never a stack trace",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const make = async (name: string) => {
      await qemuImg(["create", "-q", "-f", "qcow2", name, "8M"], dir);
      await run("qemu-io", ["-c", "write -P 1 0 128k", `${dir}/${name}`]);
      return `${dir}/${name}`;
    };
    await poke(await make("magic.qcow2"), 0, [0x58]);
    await poke(await make("l1.qcow2"), 40, [0, 0, 0, 0, 0, 0, 0x02, 0]); // unaligned
    await poke(await make("crypt.qcow2"), 35, [1]);
    await poke(await make("datafile.qcow2"), 79, [4]);
    await qemuImg(["create", "-q", "-f", "qcow2", "loop1.qcow2", "1M"], dir);
    await qemuOverlay(dir, "loop1.qcow2", "loop2.qcow2");
    await qemuImg(["rebase", "-u", "-b", "loop2.qcow2", "-F", "qcow2", "loop1.qcow2"], dir);
    const cases: [string, string[], RegExp][] = [
      ["magic.qcow2", ["-f", "qcow2"], /Image is not in qcow2 format/],
      ["l1.qcow2", [], /L1 table offset invalid/],
      ["crypt.qcow2", [], /'encrypt.key-secret' is required/],
      ["datafile.qcow2", [], /'data-file' is required/],
      ["loop1.qcow2", [], /backing chain loop/],
    ];
    for (const [name, flags, message] of cases) {
      const before = await Deno.readFile(`${dir}/${name}`);
      const r = await emuImg(["convert", ...flags, "-O", "raw", name, "out.raw"], dir);
      assert.equal(r.code, 1, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message, name);
      assert.equal(r.stderr.trim().split("\n").length, 1, `${name}: ${r.stderr}`);
      assert.deepEqual(await Deno.readFile(`${dir}/${name}`), before, `${name} was changed`);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "emu img: tables past the end of the file open as in qemu-img; check reports them alike",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const make = async (name: string, field: number, offset: number[]) => {
      await qemuImg(["create", "-q", "-f", "qcow2", name, "8M"], dir);
      await run("qemu-io", ["-c", "write -P 1 0 128k", `${dir}/${name}`]);
      if (field) await poke(`${dir}/${name}`, field, offset);
      return name;
    };
    const names = [
      await make("l1.qcow2", 40, [0, 0, 0, 0x10, 0, 0, 0, 0]),
      await make("l1far.qcow2", 40, [0x02, 0, 0, 0, 0, 0, 0, 0]), // 2^57: past 2^53 too
      await make("refcounts.qcow2", 48, [0, 0, 0, 0x10, 0, 0, 0, 0]),
      await make("truncated.qcow2", 0, []),
      await make("l2far.qcow2", 0x30000, [0x80, 0, 0, 0x10, 0, 0, 0, 0]), // an L2 table at 64 GiB
    ];
    await Deno.truncate(`${dir}/truncated.qcow2`, 0x18000); // the L1 table (0x30000) is cut off
    for (const name of names) {
      for (const args of [["check", name], ["info", "--output=json", name], ["map", name]]) {
        const [e, q] = [await emuImg(args, dir), await qemuImg(args, dir, [0, 2])];
        assert.deepEqual([e.code, e.stdout, e.stderr], [q.code, q.stdout, q.stderr], `${args}`);
      }
      await emuImg(["convert", "-O", "raw", name, "emu.raw"], dir);
      await qemuImg(["convert", "-O", "raw", name, "qemu.raw"], dir);
      assert.deepEqual(
        await Deno.readFile(`${dir}/emu.raw`),
        await Deno.readFile(`${dir}/qemu.raw`),
      );
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "emu img map (human, json, a range) and compare print what qemu-img prints",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    await qemuImg(["create", "-q", "-f", "qcow2", "base.qcow2", "8M"], dir);
    await run("qemu-io", ["-c", "write -P 1 0 100k", "-c", "write -z 2M 64k", `${dir}/base.qcow2`]);
    await qemuOverlay(dir, "base.qcow2", "top.qcow2");
    await run("qemu-io", ["-c", "write -P 2 50k 8k", "-c", "write -P 3 6M 1M", `${dir}/top.qcow2`]);
    await qemuImg(["convert", "-c", "-O", "qcow2", "base.qcow2", "packed.qcow2"], dir);
    const variants = [["--output=json"], [], ["--start-offset", "40k", "--max-length", "6M"]];
    for (const name of ["base.qcow2", "top.qcow2", `${dir}/top.qcow2`, "packed.qcow2"]) {
      for (const flags of [...variants, [...variants[2], "--output=json"]]) {
        const args = ["map", ...flags, name];
        const [emu, qemu] = [await emuImg(args, dir), await qemuImg(args, dir, [0, 1])];
        assert.deepEqual([emu.code, emu.stdout], [qemu.code, qemu.stdout], args.join(" "));
        assert.equal(emu.stderr.replace(/^emu: /, ""), qemu.stderr.replace(/^qemu-img: /, ""));
      }
    }
    for (const pair of [["base.qcow2", "base.qcow2"], ["base.qcow2", "top.qcow2"]]) {
      const emu = await emuImg(["compare", ...pair], dir);
      const qemu = await qemuImg(["compare", ...pair], dir, [0, 1]);
      assert.deepEqual([emu.code, emu.stdout], [qemu.code, qemu.stdout], pair.join(" "));
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "emu img info/map: a raw file's partial last sector, holes, preallocated and zeroed clusters",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    // QEMU counts a raw file in whole sectors; it maps a raw hole, and an allocated zero
    // cluster, with their host offsets; a cluster preallocated over a hole of the file is zero
    await Deno.writeFile(`${dir}/odd.raw`, new Uint8Array(24578).fill(7));
    await Deno.writeFile(`${dir}/holes.raw`, new Uint8Array(0));
    await Deno.truncate(`${dir}/holes.raw`, 1 << 20);
    await run("qemu-io", ["-f", "raw", "-c", "write -P 9 300000 3", `${dir}/holes.raw`]);
    await qemuImg([
      "create",
      "-q",
      "-f",
      "qcow2",
      "-o",
      "preallocation=metadata",
      "pre.qcow2",
      "1M",
    ], dir);
    await qemuImg(["create", "-q", "-f", "qcow2", "zeroed.qcow2", "1M"], dir);
    await run("qemu-io", ["-c", "write 0 128k", "-c", "write -z 0 64k", `${dir}/zeroed.qcow2`]);
    // a data cluster cut by the end of the file maps whole, as data
    await qemuImg(["create", "-q", "-f", "qcow2", "cut.qcow2", "1M"], dir);
    await run("qemu-io", ["-c", "write -P 5 0 128k", `${dir}/cut.qcow2`]);
    await Deno.truncate(`${dir}/cut.qcow2`, (await Deno.stat(`${dir}/cut.qcow2`)).size - 1000);
    for (const name of ["odd.raw", "holes.raw", "pre.qcow2", "zeroed.qcow2", "cut.qcow2"]) {
      for (
        const args of [["info", "--output=json", name], ["map", "--output=json", name], [
          "map",
          name,
        ]]
      ) {
        const [emu, qemu] = [await emuImg(args, dir), await qemuImg(args, dir)];
        assert.deepEqual([emu.code, emu.stdout], [qemu.code, qemu.stdout], args.join(" "));
      }
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "emu img convert -c: 1-bit refcounts start a new cluster instead of overflowing",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const text = new TextEncoder().encode("compressible line of text\n".repeat(40000));
    await Deno.writeFile(`${dir}/t.raw`, text);
    const opts = ["-c", "-O", "qcow2", "-o", "refcount_bits=1", "t.raw"];
    const r = await emuImg(["convert", ...opts, "e.qcow2"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match((await qemuImg(["check", "e.qcow2"], dir)).stdout, /No errors were found/);
    assert.equal((await qemuImg(["compare", "t.raw", "e.qcow2"], dir)).code, 0);
    const img = await openImage(`${dir}/e.qcow2`) as Qcow2Image;
    try {
      assert.throws(
        () => img.refcounts.set(0, 2),
        /^EmuError: .*refcount overflow at cluster 0[^\n]*$/,
      );
    } finally {
      img.close();
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "qcow2: a data write onto metadata is refused in one line and marks the image corrupt",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    await qemuImg(["create", "-q", "-f", "qcow2", "q.qcow2", "8M"], dir);
    await run("qemu-io", ["-c", "write -P 1 0 64k", `${dir}/q.qcow2`]);
    // the L2 entry of guest cluster 0 (L2 table at 0x40000) now points at the L1 table (0x30000)
    await poke(`${dir}/q.qcow2`, 0x40000, [0x80, 0, 0, 0, 0, 0x03, 0, 0]);
    await Deno.copyFile(`${dir}/q.qcow2`, `${dir}/e.qcow2`);
    const qemu = await run("qemu-io", ["-c", "write -P 2 0 4k", `${dir}/q.qcow2`]);
    assert.match(qemu.stderr + qemu.stdout, /Marking image as corrupt/);
    const img = await openImage(`${dir}/e.qcow2`);
    try {
      assert.throws(
        () => img.write(0, new Uint8Array(4096).fill(2)),
        /^EmuError: .*overlaps metadata; the image is now marked corrupt[^\n]*$/,
      );
    } finally {
      img.close();
    }
    for (const name of ["q.qcow2", "e.qcow2"]) {
      const info = JSON.parse((await qemuImg(["info", "--output=json", name], dir)).stdout);
      assert.equal(info["format-specific"].data.corrupt, true, name);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("emu img --version and -V print the version, as qemu-img's do", async () => {
  const { VERSION } = await import("../core/version.ts");
  for (const flag of ["--version", "-V"]) {
    const r = await emuImg([flag], Deno.cwd());
    assert.deepEqual([r.code, r.stdout], [0, `emu img version ${VERSION} (Denemu)\n`]);
  }
});

Deno.test({
  name: "emu img create: the size from -o size=, as qemu-img takes it (not twice)",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const opts = ["-o", "size=1M,cluster_size=4k"];
    const emu = await emuImg(["create", "-f", "qcow2", ...opts, "e.qcow2"], dir);
    const qemu = await qemuImg(["create", "-f", "qcow2", ...opts, "q.qcow2"], dir);
    assert.deepEqual([emu.code, emu.stdout], [0, qemu.stdout.replace("q.qcow2", "e.qcow2")]);
    const info = async (name: string) =>
      JSON.parse((await qemuImg(["info", "--output=json", name], dir)).stdout)["virtual-size"];
    assert.equal(await info("e.qcow2"), await info("q.qcow2"));
    const twice = await emuImg(["create", "-f", "qcow2", ...opts, "t.qcow2", "2M"], dir);
    assert.deepEqual([twice.code, twice.stdout], [1, ""]);
    assert.match(twice.stderr, /t\.qcow2: The image size must be specified only once/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "emu img without a command says so in one line, exit 1, as qemu-img does",
  ignore,
  async fn() {
    const [emu, qemu] = [await emuImg([], Deno.cwd()), await qemuImg([], Deno.cwd(), [1])];
    assert.deepEqual([emu.code, emu.stdout], [qemu.code, ""]);
    assert.equal(emu.stderr, "emu: Not enough arguments (run emu img --help for the list)\n");
    assert.match(qemu.stderr, /^qemu-img: Not enough arguments\n/);
  },
});

Deno.test({
  name: "emu img create in a missing directory: qemu-img's line (the path was there twice)",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    for (const format of ["raw", "qcow2"]) {
      const args = ["create", "-f", format, `${dir}/missing/x.img`, "1M"];
      const [emu, qemu] = [await emuImg(args, dir), await qemuImg(args, dir, [1])];
      assert.deepEqual([emu.code, emu.stdout], [1, qemu.stdout]);
      assert.equal(emu.stderr.replace(/^emu: /, ""), qemu.stderr.replace(/^qemu-img: /, ""));
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("emu img create: an unknown format fails before the Formatting line", async () => {
  const dir = await Deno.makeTempDir();
  const r = await emuImg(["create", "-f", "nosuchformat", "x.img", "1M"], dir);
  assert.deepEqual([r.code, r.stdout], [1, ""]);
  assert.match(r.stderr, /nosuchformat/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "emu img check: an image whose backing file is missing fails (exit 1), as in qemu-img",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    await qemuImg(["create", "-q", "-f", "qcow2", "base.qcow2", "4M"], dir);
    await qemuOverlay(dir, "base.qcow2", "top.qcow2");
    await Deno.remove(`${dir}/base.qcow2`);
    const emu = await emuImg(["check", "top.qcow2"], dir);
    const qemu = await qemuImg(["check", "top.qcow2"], dir, [1]);
    assert.deepEqual([emu.code, emu.stdout], [qemu.code, qemu.stdout]);
    assert.match(emu.stderr, /base\.qcow2/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("emu img: a directory given as an image is refused in one line, exit 1 (was exit 70)", async () => {
  const dir = await Deno.makeTempDir();
  for (const args of [["info", "."], ["check", "."], ["convert", "-O", "raw", ".", "o.raw"]]) {
    const r = await emuImg(args, dir);
    assert.equal(r.code, 1, args.join(" "));
    assert.equal(
      r.stderr,
      "emu: Could not open '.': 'file' driver requires '.' to be a regular file\n",
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name:
    "emu img convert: an output that is an image read (or its backing file) is refused, untouched",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    await qemuImg(["create", "-q", "-f", "qcow2", "base.qcow2", "1M"], dir);
    await run("qemu-io", ["-c", "write -P 7 0 64k", `${dir}/base.qcow2`]);
    await qemuOverlay(dir, "base.qcow2", "top.qcow2");
    const before = await Deno.readFile(`${dir}/base.qcow2`);
    for (const [src, out] of [["base.qcow2", "base.qcow2"], ["top.qcow2", "base.qcow2"]]) {
      const emu = await emuImg(["convert", "-O", "qcow2", src, out], dir);
      const qemu = await qemuImg(["convert", "-O", "qcow2", src, out], dir, [1]);
      assert.equal(emu.code, qemu.code, `${src} -> ${out}`);
      assert.match(emu.stderr, /Failed to get "write" lock/);
      assert.deepEqual(await Deno.readFile(`${dir}/base.qcow2`), before);
    }
    await Deno.remove(dir, { recursive: true });
  },
});
