// Encrypted qcow2 images (LUKS, the old AES) and qcow2 images with an external data file, in
// `emu img` beside qemu-img 7.2 in the same run: `info` describes them without the key or the
// data file (the `encrypt:` block read from the LUKS header), the data of a data-file image
// reads (map, check, compare, convert) as qemu-img reads it, and where the data needs the key
// both refuse in the same words. Data-file images `emu img create` makes, and the writes it
// makes into them (partial sectors, across clusters), leave qemu-img's and qemu-io's bytes in
// both files; snapshots and compression are refused alike.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { emuImgWithin, imageTest, type Ran, run } from "./util/qemu_img.ts";

/** Every process gets this long: a hang fails the test. */
const LIMIT_MS = 60_000;

/** A run as compared: status, output, and the first error line without the tool's name. */
const seen = (r: Ran) => ({
  code: r.code,
  stdout: r.stdout,
  error: r.stderr.split("\n")[0].replace(/^(qemu-img|emu): /, "").replace(/ \([^()]*\)$/, ""),
});

/** Runs `args` with qemu-img and `emu img` in `dir` and asserts the same result. */
async function same(dir: string, args: string[]): Promise<void> {
  const theirs = await run("qemu-img", args, dir, LIMIT_MS);
  const ours = await emuImgWithin(LIMIT_MS, args, dir);
  assert.deepEqual(seen(ours), seen(theirs), args.join(" "));
}

const SECRET = ["--object", "secret,id=s0,data=abc"];
const LUKS = "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10";

imageTest(
  "qcow2 encrypted: info without the key as qemu-img's; its data refused alike",
  async (dir) => {
    const create = (name: string, options: string) =>
      run(
        "qemu-img",
        ["create", "-q", "-f", "qcow2", ...SECRET, "-o", options, name, "1M"],
        dir,
        LIMIT_MS,
      );
    await create("luks.qcow2", LUKS);
    const essiv = "encrypt.cipher-alg=aes-128,encrypt.cipher-mode=cbc,encrypt.ivgen-alg=essiv," +
      "encrypt.ivgen-hash-alg=sha256,encrypt.hash-alg=sha1";
    await create("essiv.qcow2", `${LUKS},${essiv}`);
    await create("aes.qcow2", "encrypt.format=aes,encrypt.key-secret=s0");
    await create("aes-v2.qcow2", "compat=0.10,encrypt.format=aes,encrypt.key-secret=s0");
    for (const f of ["luks.qcow2", "essiv.qcow2", "aes.qcow2", "aes-v2.qcow2"]) {
      await same(dir, ["info", f]);
      await same(dir, ["info", "--output=json", f]);
      await same(dir, ["map", f]);
      await same(dir, ["check", f]);
      await same(dir, ["convert", "-O", "raw", f, "out.raw"]);
    }
  },
);

imageTest(
  "qcow2 with an external data file: info, map, check, compare, convert as qemu-img's",
  async (dir) => {
    const img = (...args: string[]) => run("qemu-img", args, dir, LIMIT_MS);
    await img("create", "-q", "-f", "qcow2", "-o", "data_file=d.raw", "df.qcow2", "1M");
    await img(
      "create",
      "-q",
      "-f",
      "qcow2",
      "-o",
      "data_file=r.raw,data_file_raw=on",
      "raw.qcow2",
      "1M",
    );
    for (const f of ["df.qcow2", "raw.qcow2"]) {
      await run(
        "qemu-io",
        ["-c", "write -P 8 0 64k", "-c", "write -P 2 128k 70k", f],
        dir,
        LIMIT_MS,
      );
    }
    await img("create", "-q", "-f", "qcow2", "-o", "data_file=gone.raw", "gone.qcow2", "1M");
    await Deno.remove(`${dir}/gone.raw`);
    for (const f of ["df.qcow2", "raw.qcow2", "gone.qcow2"]) {
      await same(dir, ["info", f]);
      await same(dir, ["info", "--output=json", f]);
      await same(dir, ["map", f]);
      await same(dir, ["map", "--output=json", f]);
      await same(dir, ["check", f]);
      await same(dir, ["check", "--output=json", f]);
      await same(dir, ["compare", f, "df.qcow2"]);
    }
    await img("convert", "-O", "raw", "df.qcow2", "theirs.raw");
    assert.equal(
      (await emuImgWithin(LIMIT_MS, ["convert", "-O", "raw", "df.qcow2", "ours.raw"], dir)).code,
      0,
    );
    assert.deepEqual(
      await Deno.readFile(`${dir}/ours.raw`),
      await Deno.readFile(`${dir}/theirs.raw`),
    );
  },
);

/** Runs `emu img args` in `dir`, asserting it succeeds. */
async function emuOk(dir: string, args: string[]): Promise<void> {
  const r = await emuImgWithin(LIMIT_MS, args, dir);
  assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
}

imageTest(
  "qcow2 data-file images emu img creates and writes are qemu-img's, both files",
  async (dir) => {
    const writes = [700, 70700, 140700].map((at) => `write -P 0x44 ${at} 1000`);
    for (const options of ["data_file=d.raw", "data_file=d.raw,data_file_raw=on"]) {
      for (const tool of ["qemu", "emu"]) {
        await Deno.mkdir(`${dir}/${tool}`, { recursive: true });
        const create = ["create", "-q", "-f", "qcow2", "-o", options, "i.qcow2", "1M"];
        if (tool === "emu") {
          await emuOk(`${dir}/emu`, create);
          // bench -w's writes: the same three as qemu-io's
          const bench = ["bench", "-w", "-c", "3", "-s", "1000", "-o", "700", "-S", "70000"];
          await emuOk(`${dir}/emu`, [...bench, "--pattern=0x44", "i.qcow2"]);
          await emuOk(`${dir}/emu`, ["resize", "i.qcow2", "2M"]);
        } else {
          await run("qemu-img", create, `${dir}/qemu`, LIMIT_MS);
          const flags = writes.flatMap((w) => ["-c", w]);
          await run("qemu-io", [...flags, "i.qcow2"], `${dir}/qemu`, LIMIT_MS);
          await run("qemu-img", ["resize", "-q", "i.qcow2", "2M"], `${dir}/qemu`, LIMIT_MS);
        }
      }
      for (const f of ["i.qcow2", "d.raw"]) {
        assert.deepEqual(
          await Deno.readFile(`${dir}/emu/${f}`),
          await Deno.readFile(`${dir}/qemu/${f}`),
          `${options}: ${f}`,
        );
      }
      await same(`${dir}/emu`, ["snapshot", "-c", "s1", "i.qcow2"]);
      await same(`${dir}/emu`, ["check", "i.qcow2"]);
      await Deno.remove(`${dir}/emu`, { recursive: true });
      await Deno.remove(`${dir}/qemu`, { recursive: true });
    }
    await run("qemu-img", ["create", "-q", "-f", "raw", "s.raw", "1M"], dir, LIMIT_MS);
    await run("qemu-io", ["-f", "raw", "-c", "write -P 5 0 100k", "s.raw"], dir, LIMIT_MS);
    for (const o of ["compat=0.10,data_file=x.raw", "data_file_raw=on"]) {
      await same(dir, ["create", "-q", "-f", "qcow2", "-o", o, "bad.qcow2", "1M"]);
    }
    await same(dir, [
      "convert",
      "-c",
      "-f",
      "raw",
      "-O",
      "qcow2",
      "-o",
      "data_file=c.raw",
      "s.raw",
      "c.qcow2",
    ]);
  },
);
