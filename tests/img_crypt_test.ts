// Encrypted images in `emu img` beside qemu-img 7.2 in the same run: qcow's and qcow2's old AES,
// LUKS in qcow2 and the raw `luks` format. Images qemu-img and qemu-io made read as qemu-img
// reads them (`--object secret` and `--image-opts ...key-secret=`), with its errors for a
// missing, unknown or wrong key; AES images `emu img` creates and converts to are qemu-img's
// byte for byte, its luks volumes qemu-img's but for what is random or timed; writes into any
// of them (whole and partial sectors) leave the same bytes as qemu-io's; hostile LUKS headers
// fail in qemu-img's words, or in one line where it would run PBKDF2 for hours.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { emuImgWithin, imageTest, poke, type Ran, run } from "./util/qemu_img.ts";

/** Every process gets this long: a hang fails the test. */
const LIMIT_MS = 60_000;
const SECRET = ["--object", "secret,id=s0,data=abc"];

/** A run as compared: status, output, and the first error line without the tool's name. */
const seen = (r: Ran) => ({
  code: r.code,
  stdout: r.stdout,
  error: r.stderr.split("\n")[0].replace(/^(qemu-img|emu): /, "").replace(/ \([^()]*\)$/, ""),
});

/** Runs `args` with qemu-img and `emu img` in `dir` and asserts the same result. */
async function same(dir: string, args: string[]): Promise<Ran> {
  const theirs = await run("qemu-img", args, dir, LIMIT_MS);
  const ours = await emuImgWithin(LIMIT_MS, args, dir);
  assert.deepEqual(seen(ours), seen(theirs), args.join(" "));
  return ours;
}

const qemuImg = (dir: string, ...args: string[]) => run("qemu-img", args, dir, LIMIT_MS);
const qemuIo = (dir: string, spec: string, ...cmds: string[]) =>
  run("qemu-io", [...SECRET, "--image-opts", spec, ...cmds.flatMap((c) => ["-c", c])], dir);

/** The images made here: name, qemu-img create's arguments, and the key option of its format. */
const IMAGES: [string, string[], string][] = [
  ["a.qcow", ["-f", "qcow", "-o", "encrypt.format=aes,encrypt.key-secret=s0"], "encrypt."],
  ["a.qcow2", ["-f", "qcow2", "-o", "encrypt.format=aes,encrypt.key-secret=s0"], "encrypt."],
  ["l.qcow2", [
    "-f",
    "qcow2",
    "-o",
    "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10",
  ], "encrypt."],
  ["essiv.qcow2", [
    "-f",
    "qcow2",
    "-o",
    "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=50,encrypt.cipher-alg=aes-128," +
    "encrypt.cipher-mode=cbc,encrypt.ivgen-alg=essiv,encrypt.ivgen-hash-alg=sha256," +
    "encrypt.hash-alg=sha1",
  ], "encrypt."],
  ["l.luks", ["-f", "luks", "-o", "key-secret=s0,iter-time=10"], ""],
];

/** The `--image-opts` name of image `name` with key secret `id`. */
function spec(name: string, id = "s0"): string {
  const [, args, prefix] = IMAGES.find(([n]) => n === name)!;
  return `driver=${args[1]},file.filename=${name},${prefix}key-secret=${id}`;
}

/** Creates the images of `IMAGES` (or those `only` names) with qemu-img, `suffix` after each name. */
async function makeImages(dir: string, suffix = "", only?: string[]): Promise<void> {
  for (const [name, args] of IMAGES) {
    if (only && !only.includes(name)) continue;
    // qemu-img times PBKDF2 for iter-time, and may fail to on a loaded machine: tried again (up to 20 times: each try is quick)
    let r: Ran | undefined;
    for (let tries = 0; tries < 20 && r?.code !== 0; tries++) {
      r = await qemuImg(dir, "create", "-q", ...SECRET, ...args, name + suffix, "1M");
    }
    assert.equal(r!.code, 0, r!.stderr);
  }
}

imageTest("encrypted images qemu-io wrote: read, compared, mapped as by qemu-img", async (dir) => {
  await makeImages(dir);
  for (const [name] of IMAGES) {
    const w = await qemuIo(dir, spec(name), "write -P 0x5a 1000 70000", "write -P 7 300k 64k");
    assert.equal(w.code, 0, w.stderr);
    const key = ["--image-opts", spec(name)];
    await same(dir, ["convert", ...SECRET, ...key, "-O", "raw", "ours.raw"]);
    await Deno.rename(`${dir}/ours.raw`, `${dir}/theirs.raw`);
    await emuImgWithin(LIMIT_MS, ["convert", ...SECRET, ...key, "-O", "raw", "ours.raw"], dir);
    assert.deepEqual(
      await Deno.readFile(`${dir}/ours.raw`),
      await Deno.readFile(`${dir}/theirs.raw`),
    );
    await same(dir, ["compare", ...SECRET, ...key, "driver=raw,file.filename=theirs.raw"]);
    await same(dir, ["map", "--output=json", ...SECRET, ...key]);
    await same(dir, ["info", name]);
    await same(dir, ["info", "--output=json", name]);
    // a missing key, an unknown secret, a wrong passphrase (AES: other bytes, no error)
    await same(dir, ["convert", "-O", "raw", name, "x.raw"]);
    await same(dir, ["convert", ...SECRET, "--image-opts", spec(name, "s1"), "-O", "raw", "x.raw"]);
    const wrong = ["--object", "secret,id=s0,data=abd", "--image-opts", spec(name)];
    await same(dir, ["compare", ...wrong, "driver=raw,file.filename=theirs.raw"]);
  }
});

imageTest(
  "AES images emu img creates and converts to are qemu-img's byte for byte",
  async (dir) => {
    await qemuImg(dir, "create", "-q", "-f", "raw", "src.raw", "1M");
    await run("qemu-io", ["-f", "raw", "-c", "write -P 9 4k 200k", "src.raw"], dir);
    for (const fmt of ["qcow", "qcow2"]) {
      const o = ["-O", fmt, "-o", "encrypt.format=aes,encrypt.key-secret=s0"];
      for (const [tool, out] of [["qemu-img", "theirs"], ["emu", "ours"]]) {
        const create = ["create", "-q", "-f", fmt, ...SECRET, ...o.slice(2), `${out}.${fmt}`, "1M"];
        const convert = ["convert", ...SECRET, ...o, "-f", "raw", "src.raw", `${out}.c.${fmt}`];
        for (const args of [create, convert]) {
          const r = tool === "emu"
            ? await emuImgWithin(LIMIT_MS, args, dir)
            : await qemuImg(dir, ...args);
          assert.equal(r.code, 0, r.stderr);
        }
      }
      for (const f of [fmt, `c.${fmt}`]) {
        assert.deepEqual(
          await Deno.readFile(`${dir}/ours.${f}`),
          await Deno.readFile(`${dir}/theirs.${f}`),
        );
      }
      // qemu-img's refusals of the options
      for (
        const opts of [
          "encrypt.format=aes",
          "encrypt.key-secret=s0",
          "encryption=on,encrypt.format=aes",
        ]
      ) {
        await same(dir, ["create", "-q", "-f", fmt, ...SECRET, "-o", opts, `bad.${fmt}`, "1M"]);
      }
      await same(dir, ["convert", "-c", ...SECRET, ...o, "-f", "raw", "src.raw", `bad.${fmt}`]);
    }
  },
);

imageTest("writes into encrypted images leave qemu-io's bytes", async (dir) => {
  await makeImages(dir);
  await makeImages(dir, ".q");
  await qemuImg(dir, "create", "-q", "-f", "raw", "src.raw", "1M");
  await run("qemu-io", ["-f", "raw", "-c", "write -P 3 64k 300k", "src.raw"], dir);
  for (const [name] of IMAGES) {
    if (name === "essiv.qcow2") continue; // random LUKS keys: the bytes differ, not compared
    const theirs = spec(name).replace(name, `${name}.q`);
    await run("qemu-img", [
      "convert",
      "-n",
      ...SECRET,
      "--target-image-opts",
      "-f",
      "raw",
      "src.raw",
      theirs,
    ], dir);
    const ours = await emuImgWithin(
      LIMIT_MS,
      ["convert", "-n", ...SECRET, "--target-image-opts", "-f", "raw", "src.raw", spec(name)],
      dir,
    );
    assert.equal(ours.code, 0, ours.stderr);
    // partial sectors: emu img bench's writes at 700, 70700, 140700, qemu-io's alike
    const bench = ["bench", "-w", "-c", "3", "-s", "1000", "-o", "700", "-S", "70000"];
    await emuImgWithin(LIMIT_MS, [
      ...bench,
      "--pattern=0x44",
      ...SECRET,
      "--image-opts",
      spec(name),
    ], dir);
    const writes = [700, 70700, 140700].map((at) => `write -P 0x44 ${at} 1000`);
    await qemuIo(dir, theirs, ...writes);
    const cmp = await qemuImg(dir, "compare", ...SECRET, "--image-opts", spec(name), theirs);
    assert.equal(cmp.code, 0, `${name}: ${cmp.stdout}`);
  }
  for (const [name] of IMAGES) {
    if (name.startsWith("a.")) {
      assert.deepEqual(
        await Deno.readFile(`${dir}/${name}`),
        await Deno.readFile(`${dir}/${name}.q`),
      );
    }
  }
});

/** LUKS header fields poked: name, offset, width, value (the header of l.luks, slot 0 at 208). */
const HOSTILE: [string, number, number, bigint][] = [
  ["version", 6, 2, 2n],
  ["cipher", 8, 4, 0x666f6f00n],
  ["hash", 72, 4, 0x6d643500n],
  ["payload", 104, 4, 0xffffffffn],
  ["key-bytes", 108, 4, 0n],
  ["key-bytes-big", 108, 4, 1000n],
  ["stripes", 252, 4, 1n],
  ["key-offset-0", 248, 4, 0n],
  ["key-offset-past", 248, 4, 0x7fffffffn],
  ["overlap", 296, 4, 8n],
];

/** Iteration counts qemu-img spends hours on: one line here, in time. */
const ENDLESS: [string, number][] = [["slot-iterations", 212], ["digest-iterations", 164]];

imageTest(
  "hostile LUKS headers: qemu-img's errors, or one line where it would hang",
  async (dir) => {
    await makeImages(dir, "", ["l.luks"]);
    const luks = await Deno.readFile(`${dir}/l.luks`);
    const read = (
      name: string,
    ) => [...SECRET, "--image-opts", spec("l.luks").replace("l.luks", name)];
    for (const [name, at, size, value] of HOSTILE) {
      await Deno.writeFile(`${dir}/${name}.luks`, luks);
      await poke(`${dir}/${name}.luks`, at, size, value);
      await same(dir, ["info", `${name}.luks`]);
      await same(dir, ["convert", ...read(`${name}.luks`), "-O", "raw", "x.raw"]);
    }
    for (const [name, at] of ENDLESS) {
      await Deno.writeFile(`${dir}/${name}.luks`, luks);
      await poke(`${dir}/${name}.luks`, at, 4, 0xffffffffn);
      const r = await emuImgWithin(LIMIT_MS, [
        "convert",
        ...read(`${name}.luks`),
        "-O",
        "raw",
        "x.raw",
      ], dir);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^emu: Could not open .*: LUKS header asks for \d+ PBKDF2 iterations/);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  },
);

imageTest("--object secret options checked as qemu-img's", async (dir) => {
  await makeImages(dir, "", ["a.qcow", "l.qcow2", "l.luks"]);
  await Deno.writeTextFile(`${dir}/pass`, "abc");
  const objects = [
    "secret,id=s0",
    "secret,data=x",
    "secret,id=s0,data=x,file=pass",
    "secret,id=s0,file=gone",
    "secret,id=s0,data=@@,format=base64",
    "secret,id=s0,data=x,format=hex",
    "secret,id=s0,data=x,bogus=1",
    "nosuch,id=s0",
  ];
  for (const o of objects) await same(dir, ["info", "--object", o, "a.qcow"]);
  await same(dir, ["info", ...SECRET, ...SECRET, "a.qcow"]);
  for (const o of ["secret,id=s0,file=pass", "secret,id=s0,data=YWJj,format=base64"]) {
    await same(dir, ["compare", "--object", o, "--image-opts", spec("l.qcow2"), spec("l.luks")]);
  }
});

/** The parts of `info` that a new LUKS header draws at random or times here. */
const unstable = (info: string) =>
  info.replace(/^(image|disk size|\s+uuid|\s+iters|\s+master key iters): .*$/gm, "$1: -");

/** LUKS options, QEMU's names without `encrypt.`, for a luks volume and a LUKS qcow2 image. */
const LUKS_CASES = [
  "key-secret=s0,iter-time=50",
  "key-secret=s0,iter-time=50,cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=essiv,hash-alg=sha512",
  "key-secret=s0,iter-time=50,cipher-alg=aes-192,cipher-mode=xts,ivgen-alg=plain",
];

imageTest(
  "LUKS images emu img creates: qemu-img's layout, qemu-io reads and writes them",
  async (dir) => {
    for (const [i, luks] of LUKS_CASES.entries()) {
      for (const fmt of ["luks", "qcow2"]) {
        const options = fmt === "luks"
          ? luks
          : `encrypt.format=luks,encrypt.${luks.replaceAll(",", ",encrypt.")}`;
        const create = (
          n: string,
        ) => ["create", "-f", fmt, ...SECRET, "-o", options, `${n}${i}.${fmt}`, "1M"];
        // the same Formatting line, then the same header but for what is random or timed
        const ours = await emuImgWithin(LIMIT_MS, create("o"), dir);
        let theirs: Ran | undefined;
        for (let tries = 0; tries < 20 && theirs?.code !== 0; tries++) {
          theirs = await qemuImg(dir, ...create("t"));
        }
        assert.equal(ours.stdout.replace(`'o${i}`, "'"), theirs!.stdout.replace(`'t${i}`, "'"));
        const [o, t] = [`o${i}.${fmt}`, `t${i}.${fmt}`];
        const info = await Promise.all([o, t].map((n) => qemuImg(dir, "info", n)));
        assert.equal(unstable(info[0].stdout), unstable(info[1].stdout));
        assert.equal((await Deno.stat(`${dir}/${o}`)).size, (await Deno.stat(`${dir}/${t}`)).size);
        const key = fmt === "luks" ? "key-secret" : "encrypt.key-secret";
        const spec = `driver=${fmt},file.filename=${o},${key}=s0`;
        const io = await qemuIo(dir, spec, "write -P 0x21 700 90000", "read -P 0x21 700 90000");
        assert.equal(io.code, 0, io.stderr);
        assert.doesNotMatch(io.stdout, /failed/, io.stdout);
        await same(dir, ["map", "--output=json", ...SECRET, "--image-opts", spec]);
        await same(dir, ["check", ...SECRET, "--image-opts", spec]);
      }
    }
    await same(dir, ["create", "-q", "-f", "luks", "-o", "iter-time=50", "bad.luks", "1M"]);
    await same(dir, [
      "create",
      "-q",
      "-f",
      "luks",
      ...SECRET,
      "-o",
      "key-secret=s1",
      "bad.luks",
      "1M",
    ]);
  },
);

imageTest(
  "create's Formatting line with encryption and data-file options, as qemu-img's",
  async (dir) => {
    const cases: [string, string][] = [
      ["qcow", "encrypt.format=aes,encrypt.key-secret=s0"],
      ["qcow", "encryption=on,encrypt.key-secret=s0"],
      ["qcow2", "encryption=on,encrypt.key-secret=s0"],
      ["qcow2", "encrypt.format=aes,encrypt.key-secret=s0"],
      ["qcow2", "data_file=x.raw"],
      ["qcow2", "data_file=x.raw,data_file_raw=on"],
    ];
    for (const [fmt, options] of cases) {
      await same(dir, ["create", "-f", fmt, ...SECRET, "-o", options, `f.${fmt}`, "1M"]);
    }
  },
);
