// The qcow format (version 1) in `emu img` beside qemu-img 7.2 in the same run: images
// qemu-img made (plain, over a backing file, compressed, AES-encrypted) read, described, mapped,
// compared and converted alike; images `emu img` makes byte for byte as qemu-img's; broken
// headers refused in qemu-img's words.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { emuImgWithin, imageTest, poke, type Ran, run } from "./util/qemu_img.ts";

/** Every process gets this long: a hang fails the test. */
const LIMIT_MS = 60_000;

const qemu = (dir: string, cmd: string, args: string[]) => run(cmd, args, dir, LIMIT_MS);

/** A run as compared: status, output, and errors without the tool's name and our hints. */
const seen = (r: Ran) => ({
  code: r.code,
  stdout: r.stdout.replace(/\n$/, ""),
  error: r.stderr.split("\n")[0].replace(/^(qemu-img|emu): /, "").replace(/ \([^()]*\)$/, ""),
});

/** Runs `args` with qemu-img and `emu img` in `dir` and asserts the same result. */
async function same(dir: string, args: string[]): Promise<void> {
  const theirs = await qemu(dir, "qemu-img", args);
  const ours = await emuImgWithin(LIMIT_MS, args, dir);
  assert.deepEqual(seen(ours), seen(theirs), args.join(" "));
}

/** The SHA-256 of a file. */
async function digest(path: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** a.qcow with data, o.qcow over it, c.qcow compressed from src.raw, AES-encrypted ones. */
async function images(dir: string): Promise<void> {
  const img = (...args: string[]) => qemu(dir, "qemu-img", args);
  const io = (...args: string[]) => qemu(dir, "qemu-io", args);
  await img("create", "-q", "-f", "qcow", "a.qcow", "1M");
  await io("-c", "write -P 5 4k 8k", "-c", "write -P 9 700k 1k", "a.qcow");
  await img("create", "-q", "-f", "qcow", "-b", "a.qcow", "-F", "qcow", "o.qcow");
  await io("-c", "write -P 7 6k 3k", "o.qcow");
  await img("create", "-q", "-f", "raw", "src.raw", "300k");
  await io("-f", "raw", "-c", "write -P 3 0 100k", "-c", "write -P 4 150k 7k", "src.raw");
  await img("convert", "-c", "-O", "qcow", "src.raw", "c.qcow");
  const aes = ["-q", "-f", "qcow", "--object", "secret,id=s0,data=abc", "-o"];
  aes.push("encrypt.format=aes,encrypt.key-secret=s0");
  await img("create", ...aes, "e.qcow", "1M");
  await img("create", ...aes, "-b", "a.qcow", "-F", "qcow", "eb.qcow");
}

imageTest("qcow: images qemu-img made read, described and mapped as qemu-img does", async (dir) => {
  await images(dir);
  for (const f of ["a.qcow", "o.qcow", "c.qcow", "e.qcow", "eb.qcow"]) {
    await same(dir, ["info", f]);
    await same(dir, ["info", "--output=json", f]);
    await same(dir, ["info", "--backing-chain", f]);
    await same(dir, ["check", f]);
    await same(dir, ["compare", f, "a.qcow"]);
    if (f.startsWith("e")) continue; // their data needs the key: qemu-img's error (above)
    await same(dir, ["map", "--output=json", f]);
    await same(dir, ["map", f]);
    await same(dir, ["compare", "-f", "qcow", f, "src.raw"]);
  }
  await same(dir, ["convert", "-O", "raw", "e.qcow", "x.raw"]);
  await same(dir, ["info", "-f", "qcow2", "a.qcow"]);
  for (const f of ["a.qcow", "o.qcow", "c.qcow"]) {
    await qemu(dir, "qemu-img", ["convert", "-O", "raw", f, "theirs.raw"]);
    assert.equal(
      (await emuImgWithin(LIMIT_MS, ["convert", "-O", "raw", f, "ours.raw"], dir)).code,
      0,
    );
    assert.equal(await digest(`${dir}/ours.raw`), await digest(`${dir}/theirs.raw`), f);
  }
});

imageTest(
  "qcow: images emu img writes are qemu-img's, byte for byte where no compression",
  async (dir) => {
    await images(dir);
    const both = async (name: string, args: (out: string) => string[]) => {
      await qemu(dir, "qemu-img", args(`q-${name}`));
      const ours = await emuImgWithin(LIMIT_MS, args(`e-${name}`), dir);
      assert.equal(ours.code, 0, ours.stderr);
    };
    await both("new.qcow", (o) => ["create", "-q", "-f", "qcow", o, "3M"]);
    await both("over.qcow", (o) => ["create", "-q", "-f", "qcow", "-b", "a.qcow", "-F", "qcow", o]);
    await both("copy.qcow", (o) => ["convert", "-O", "qcow", "o.qcow", o]);
    for (const name of ["new.qcow", "over.qcow", "copy.qcow"]) {
      assert.equal(await digest(`${dir}/e-${name}`), await digest(`${dir}/q-${name}`), name);
    }
    // one request at a time, so that qemu-img allocates in order: clusters, then tables
    for (const name of ["new.qcow", "over.qcow"]) {
      const bench = ["-w", "-d", "1", "-c", "40", "-s", "3000", "-S", "70000", "--pattern=6"];
      await qemu(dir, "qemu-img", ["bench", ...bench, `q-${name}`]);
      await emuImgWithin(LIMIT_MS, ["bench", ...bench, `e-${name}`], dir);
      assert.equal(await digest(`${dir}/e-${name}`), await digest(`${dir}/q-${name}`), name);
    }
    // compressed: zlib's bytes may differ, what they hold may not; a partial write inflates
    await both("c.qcow", (o) => ["convert", "-c", "-O", "qcow", "src.raw", o]);
    for (const f of ["q-c.qcow", "e-c.qcow"]) {
      await emuImgWithin(LIMIT_MS, ["bench", "-w", "-c", "2", "-s", "1000", "-o", "5000", f], dir);
    }
    await same(dir, ["compare", "q-c.qcow", "e-c.qcow"]);
    const map = (f: string) => qemu(dir, "qemu-img", ["map", "--output=json", f]);
    assert.equal((await map("e-c.qcow")).stdout, (await map("q-c.qcow")).stdout);
  },
);

imageTest("qcow: broken headers are refused in qemu-img's words", async (dir) => {
  await qemu(dir, "qemu-img", ["create", "-q", "-f", "qcow", "good.qcow", "1M"]);
  /** Each image: `good.qcow` with big-endian fields [at, size, value] written over it. */
  const broken: [string, ...[number, number, bigint][]][] = [
    ["v2", [4, 4, 2n]],
    ["v9", [4, 4, 9n]],
    ["tiny", [24, 8, 1n]],
    ["cluster8", [32, 1, 8n]],
    ["cluster17", [32, 1, 17n]],
    ["l2bits5", [33, 1, 5n]],
    ["l2bits14", [33, 1, 14n]],
    ["crypt2", [36, 4, 2n]],
    ["namelen", [8, 8, 48n], [16, 4, 1024n]], // a backing file name of 1024 bytes
    ["huge", [24, 8, 1n << 62n]],
    ["l1past", [40, 8, 1n << 40n]], // the L1 table past the end of the file reads as zeros
    ["l1straddle", [40, 8, 4092n], [4092, 4, 0x12345678n]], // half of it past the end
    // an L1 table of 2 GiB: longer than one read of QEMU's block layer
    ["l1io", [24, 8, (1n << 28n) << 15n], [32, 1, 9n], [33, 1, 6n]],
  ];
  for (const [name, ...fields] of broken) {
    await Deno.copyFile(`${dir}/good.qcow`, `${dir}/${name}.qcow`);
    for (const [at, size, value] of fields) await poke(`${dir}/${name}.qcow`, at, size, value);
    await same(dir, ["info", "-f", "qcow", `${name}.qcow`]);
    await same(dir, ["info", `${name}.qcow`]);
    await same(dir, ["map", "--output=json", `${name}.qcow`]);
  }
});

imageTest("qcow: broken L1/L2 entries fail (or read) as qemu-img's, in one line", async (dir) => {
  await images(dir);
  /** Each image: a.qcow (L1 at 48, its L2 table at 4k) or c.qcow with [at, value] over it. */
  const broken: [string, string, number, bigint][] = [
    ["l2-huge", "a.qcow", 48, 1n << 62n], // reads as zeros past the end of the file
    ["l2-top", "a.qcow", 48, 2n ** 64n - 1n], // past QEMU's block layer: EIO
    ["l2-neg", "a.qcow", 48, (1n << 63n) | 4096n],
    ["l2-odd", "a.qcow", 48, 4097n], // an unaligned L2 table reads
    ["data-odd", "a.qcow", 4104, 0x2001n], // an unaligned data cluster: EIO
    ["data-header", "a.qcow", 48, 48n], // the L2 table over the L1 table: cluster 0 at 48
    ["data-past", "a.qcow", 4104, 1n << 20n],
    ["zip-empty", "a.qcow", 4104, (1n << 63n) | 0x2000n], // no bytes: inflates to nothing
    ["zip-top", "a.qcow", 4104, (1n << 63n) | (1n << 51n) - 1n],
    ["zip-garbage", "c.qcow", 0x2000, 0xdeadbeefdeadbeefn],
  ];
  const commands = (f: string) => [
    ["convert", "-O", "raw", f, "out.raw"],
    ["bench", "-c", "20", "-s", "4096", f],
    ["bench", "-w", "-c", "4", "-s", "4096", "-o", "8192", f],
    ["map", "--output=json", f],
  ];
  for (const [name, base, at, value] of broken) {
    for (const args of commands("t.qcow")) {
      const ran: Ran[] = [];
      for (
        const tool of [() => qemu(dir, "qemu-img", args), () => emuImgWithin(LIMIT_MS, args, dir)]
      ) {
        await Deno.copyFile(`${dir}/${base}`, `${dir}/t.qcow`);
        await poke(`${dir}/t.qcow`, at, 8, value);
        ran.push(await tool());
      }
      const [theirs, ours] = ran;
      const what = `${name}: ${args.join(" ")}: ${ours.stderr}`;
      assert.equal(ours.code, theirs.code, what);
      const timeless = (r: Ran) => r.stdout.replace(/Run completed in .*/, "");
      // (qemu-img map prints "[" and the entries before a failing one: ours prints nothing)
      if (!theirs.code) assert.equal(timeless(ours), timeless(theirs), what);
      assert.match(ours.stderr, theirs.code ? /^emu: [^\n]+\n$/ : /^$/, what); // one line
    }
  }
});

/**
 * Runs `tool` in a fresh directory holding w.qcow, ow.qcow over it and src.raw; returns its run
 * and what it left: ow.qcow's info and data, w.qcow's bytes, n.qcow's size.
 */
async function onFreshImages(tool: (dir: string) => Promise<Ran>): Promise<[Ran, unknown]> {
  const d = await Deno.makeTempDir();
  try {
    await qemu(d, "qemu-img", ["create", "-q", "-f", "qcow", "w.qcow", "1M"]);
    await qemu(d, "qemu-io", ["-c", "write -P 3 8k 4k", "w.qcow"]);
    await qemu(d, "qemu-img", [
      "create",
      "-q",
      "-f",
      "qcow",
      "-b",
      "w.qcow",
      "-F",
      "qcow",
      "ow.qcow",
    ]);
    await qemu(d, "qemu-io", ["-c", "write -P 1 0 4k", "ow.qcow"]);
    await qemu(d, "qemu-img", ["create", "-q", "-f", "raw", "src.raw", "64k"]);
    const ran = await tool(d);
    const info = await qemu(d, "qemu-img", ["info", "ow.qcow"]);
    await qemu(d, "qemu-img", ["convert", "-O", "raw", "ow.qcow", "ow.raw"]);
    const made = await Deno.stat(`${d}/n.qcow`).then((s) => s.size, () => "none");
    return [ran, [info.stdout, await digest(`${d}/ow.raw`), await digest(`${d}/w.qcow`), made]];
  } finally {
    await Deno.remove(d, { recursive: true });
  }
}

imageTest(
  "qcow: what qemu-img refuses on qcow (resize, snapshots, amend, measure), rebase, create's options",
  async () => {
    const cases = [
      "resize w.qcow 2M",
      "snapshot -c s1 w.qcow",
      "snapshot -a s1 w.qcow",
      "snapshot -d s1 w.qcow",
      "snapshot -l w.qcow",
      "amend -o size=2M w.qcow",
      "measure -O qcow src.raw",
      "commit ow.qcow", // the overlay is emptied, as qemu-img's qcow_make_empty
      "rebase -u -b a.qcow ow.qcow",
      "rebase -u -b a.qcow -F qcow ow.qcow",
      "create -f qcow -o preallocation=full n.qcow 1M",
      "create -f qcow -o preallocation=metadata n.qcow 1M",
      "create -f qcow -o preallocation=bogus n.qcow 1M",
      "create -f qcow -o nocow=on,extent_size_hint=1M n.qcow 1M",
      "create -f qcow -o cluster_size=4k n.qcow 1M",
    ].map((c) => c.split(" "));
    cases.push(["rebase", "-b", "", "ow.qcow"]); // the backing data is copied in, then refused
    for (const args of cases) {
      const theirs = await onFreshImages((d) => qemu(d, "qemu-img", args));
      const ours = await onFreshImages((d) => emuImgWithin(LIMIT_MS, args, d));
      assert.deepEqual([seen(ours[0]), ours[1]], [seen(theirs[0]), theirs[1]], args.join(" "));
    }
  },
);
