// `emu img bench` beside qemu-img bench in the same run, on copies of the same images: exit
// codes, output lines (the run's time aside), error lines, and what -w leaves in the image.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { emuImgWithin, imageTest, type Ran, run } from "./util/qemu_img.ts";

/** Every process gets this long: a hang fails the test. */
const LIMIT_MS = 60_000;

/** The guest data of image `name` in `dir`, as qemu-img reads it (its SHA-256). */
async function data(dir: string, name: string): Promise<string> {
  const out = await run("qemu-img", ["convert", "-O", "raw", name, "data.raw"], dir, LIMIT_MS);
  if (out.code) return `unreadable: ${out.stderr}`;
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(`${dir}/data.raw`));
  await Deno.remove(`${dir}/data.raw`);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Runs `bench args` with `tool` on a copy of `src`, and the data of `image` afterwards. */
async function onCopy(
  src: string,
  image: string,
  tool: (dir: string) => Promise<Ran>,
): Promise<[Ran, string]> {
  const dir = await Deno.makeTempDir();
  try {
    for await (const f of Deno.readDir(src)) {
      await Deno.copyFile(`${src}/${f.name}`, `${dir}/${f.name}`);
    }
    const ran = await tool(dir);
    return [ran, await data(dir, image)];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A run's output with its timing taken out, and its first error line without the tool's name. */
const shape = (r: Ran) => ({
  code: r.code,
  stdout: r.stdout.replace(/in \d+\.\d{3} seconds/, "in T seconds"),
  error:
    r.stderr.split("\n").find((l) => !/^(WARNING|\s)/.test(l))?.replace(/^(qemu-img|emu): /, "")
      .replace(/ \(.*\)$/, "") ?? "",
  warned: r.stderr.includes("probing guessed raw"),
});

imageTest(
  "img bench: flags, output lines, errors and the data -w writes, as qemu-img bench's",
  async (dir) => {
    const qemuImg = (args: string[]) => run("qemu-img", args, dir, LIMIT_MS);
    await qemuImg(["create", "-q", "-f", "qcow2", "b.qcow2", "1M"]);
    await qemuImg(["create", "-q", "-f", "raw", "r.img", "64k"]);
    const cases = [
      "-c 10 b.qcow2",
      "-c 10 -w --pattern=0xab -s 1000 -S 3000 -o 512 -d 4 b.qcow2",
      "-c 300 -w --pattern=7 -s 4k -S 12k b.qcow2", // wraps at the end, from 8k on
      "-c 20 -w -d 4 --flush-interval=8 r.img",
      "-c 9 -w -d 2 --flush-interval 2 --no-drain --pattern=017 -f raw r.img",
      "-c 20 -w -d 4 --flush-interval=2 r.img",
      "-c 20 --flush-interval=8 r.img",
      "-c 5 -n r.img",
      "-c 5 -n -t none r.img",
      "-c 5 -i native -t directsync r.img",
      "-c 5 -t bogus r.img",
      "-c 3 -i bogus r.img",
      "-c 3 -i io_uring -t unsafe -q -U r.img",
      "-c x r.img",
      "-c -1 r.img",
      "-c 2147483648 r.img",
      "-c 0x10 -d 010 r.img",
      "-c 0 r.img",
      "-d x r.img",
      "-c 100 -s 0 r.img",
      "-s x r.img",
      "-S 4G r.img",
      "-o -1 r.img",
      "-o 1M -c 3 r.img",
      "-o 60k -c 3 r.img",
      "-c 3 -w -o 62k r.img",
      "-c 3 -s 128k r.img",
      "--pattern=256 r.img",
      "--pattern=x r.img",
      "-c 3 --flush-interval=x -w r.img",
      "-c 3 -f qcow2 r.img",
      "-c 3 nonexist",
      "",
      "r.img b.qcow2",
      "-c 3 -x r.img",
    ];
    for (const c of cases) {
      const args = ["bench", ...c.split(" ").filter((a) => a)];
      const image = c.includes("b.qcow2") ? "b.qcow2" : "r.img";
      const [theirs, theirData] = await onCopy(
        dir,
        image,
        (d) => run("qemu-img", args, d, LIMIT_MS),
      );
      const [ours, ourData] = await onCopy(dir, image, (d) => emuImgWithin(LIMIT_MS, args, d));
      assert.deepEqual(shape(ours), shape(theirs), `bench ${c}: ${ours.stderr}`);
      assert.equal(ourData, theirData, `bench ${c}: the image's data`);
    }
  },
);

imageTest("img bench: -d 0 is refused where qemu-img bench loops for ever", async (dir) => {
  await run("qemu-img", ["create", "-q", "-f", "raw", "r.img", "64k"], dir, LIMIT_MS);
  const theirs = await run("qemu-img", ["bench", "-d", "0", "r.img"], dir, 3000);
  const ours = await emuImgWithin(LIMIT_MS, ["bench", "-d", "0", "r.img"], dir);
  assert.equal(theirs.code, 143, "qemu-img bench -d 0 did not hang: match it");
  assert.deepEqual([ours.code, shape(ours).error], [1, "Invalid queue depth specified"]);
});
