// qemu-img's preallocation modes beside `emu img` in the same run: `create -o preallocation=`,
// `resize --preallocation=` and `convert -o preallocation=` for raw and qcow2 must leave files
// of the same length, bytes (`cmp`), host blocks (`stat -c %b`, so `info`'s disk size) and
// `qemu-img map`.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { emuImg, imageTest, qemuImg, type Ran, run } from "./util/qemu_img.ts";

/** What must be the same: length, allocated blocks, disk size, bytes' digest, map. */
async function layout(path: string, withMap: boolean) {
  const st = await Deno.stat(path);
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  const info = (await qemuImg(["info", "-U", path])).stdout;
  return {
    size: st.size,
    blocks: st.blocks,
    diskSize: /^disk size: .*$/m.exec(info)?.[0],
    bytes: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    // ext4 reports fallocated blocks of a raw file as a hole or as data depending on its page
    // cache, for qemu-img's file as for ours: a raw falloc map is not compared
    map: withMap ? (await qemuImg(["map", "-U", "--output=json", path])).stdout : "",
  };
}

/** Runs `args` (with `@` for the image) with qemu-img on `q` and with emu img on `e`. */
async function both(dir: string, args: string[], withMap = true): Promise<void> {
  const at = (name: string) => args.map((a) => a === "@" ? `${dir}/${name}` : a);
  const theirs = await run("qemu-img", at("q.img"));
  const ours = await emuImg(at("e.img"));
  const what = args.join(" ");
  // our hint, in parentheses on the error's line, is not qemu-img's
  const message = (r: Ran) =>
    r.stderr.split("\n")[0].replace(/^(qemu-img|emu): /, "").replace(/ \(.*\)$/, "");
  assert.equal(ours.code, theirs.code, `${what}: ${ours.stderr}`);
  assert.equal(message(ours), message(theirs).replaceAll(`${dir}/q.img`, `${dir}/e.img`), what);
  if (theirs.code) return;
  const mine = await layout(`${dir}/e.img`, withMap), peer = await layout(`${dir}/q.img`, withMap);
  // st_blocks counts ext4's extent tree too: a fallocated file split in many extents may take
  // one more 4 KiB block for it, for qemu-img's file as for ours, from one run to the next
  const slack = Math.abs(mine.blocks! - peer.blocks!);
  assert(slack <= 8, `${what}: ${mine.blocks} blocks, qemu-img's ${peer.blocks}`);
  if (slack) [mine.blocks, mine.diskSize] = [peer.blocks, peer.diskSize];
  assert.deepEqual(mine, peer, what);
}

for (const format of ["raw", "qcow2"]) {
  for (const mode of ["off", "metadata", "falloc", "full"]) {
    const withMap = !(format === "raw" && mode === "falloc");
    imageTest(
      `emu img create -f ${format} -o preallocation=${mode}: qemu-img's layout`,
      async (dir) => {
        await both(
          dir,
          ["create", "-q", "-f", format, "-o", `preallocation=${mode}`, "@", "3M"],
          withMap,
        );
      },
    );
    imageTest(
      `emu img resize --preallocation=${mode} (${format}): qemu-img's layout`,
      async (dir) => {
        for (const name of ["q.img", "e.img"]) {
          await qemuImg(["create", "-q", "-f", format, `${dir}/${name}`, "1M"]);
          await run("qemu-io", ["-f", format, "-c", "write -P 7 0 4k", `${dir}/${name}`]);
        }
        await both(
          dir,
          ["resize", "-q", "-f", format, `--preallocation=${mode}`, "@", "+3M"],
          withMap,
        );
      },
    );
    imageTest(
      `emu img convert -O ${format} -o preallocation=${mode}: qemu-img's layout`,
      async (dir) => {
        await qemuImg(["create", "-q", "-f", "qcow2", `${dir}/src.qcow2`, "2M"]);
        await run("qemu-io", [
          "-c",
          "write -P 7 0 64k",
          "-c",
          "write -P 9 1M 8k",
          `${dir}/src.qcow2`,
        ]);
        const args = [
          "convert",
          "-O",
          format,
          "-o",
          `preallocation=${mode}`,
          `${dir}/src.qcow2`,
          "@",
        ];
        await both(dir, args, withMap);
      },
    );
  }
}

imageTest(
  "emu img create -o preallocation=falloc: qcow2's refcount area with 4 KiB clusters and 1-bit refcounts",
  async (dir) => {
    // 40 MiB of 4 KiB clusters need several refcount blocks, placed before the new table
    const o = "cluster_size=4096,refcount_bits=1,preallocation=falloc";
    await both(dir, ["create", "-q", "-f", "qcow2", "-o", o, "@", "40M"]);
  },
);

imageTest(
  "emu img create -o preallocation=metadata: a refcount block for a run goes after it, as qemu-img",
  async (dir) => {
    // before: each cluster was allocated on its own, so the block at 8 MiB came right after it
    const o = "cluster_size=4096,preallocation=metadata";
    await both(dir, ["create", "-q", "-f", "qcow2", "-o", o, "@", "20M"]);
  },
);

imageTest(
  "emu img create/convert: a preallocation mode the format lacks, in qemu-img's words",
  async (dir) => {
    await both(dir, ["create", "-q", "-f", "raw", "-o", "preallocation=foo", "@", "1M"]);
    await both(dir, ["create", "-q", "-f", "qcow2", "-o", "preallocation=foo", "@", "1M"]);
    await qemuImg(["create", "-q", "-f", "qcow2", `${dir}/src.qcow2`, "1M"]);
    await both(dir, [
      "convert",
      "-O",
      "raw",
      "-o",
      "preallocation=metadata",
      `${dir}/src.qcow2`,
      "@",
    ]);
  },
);

for (const mode of ["off", "metadata", "falloc", "full"]) {
  imageTest(
    `emu img resize --preallocation=${mode} from part of a cluster, over a backing file or none: qemu-img's bytes`,
    async (dir) => {
      // the cluster holding the old end gets the guest's bytes before it (zeros written, not a
      // hole), and over a longer backing file the growth reads as zeros (it showed the backing
      // file's data); metadata copies what lies past the new end from the backing file too
      await qemuImg(["create", "-q", "-f", "qcow2", `${dir}/b.qcow2`, "2M"]);
      await run("qemu-io", ["-c", "write -P 9 0 2M", `${dir}/b.qcow2`]);
      const over = ["-b", `${dir}/b.qcow2`, "-F", "qcow2"];
      for (const [backing, size] of [[[], "1500k"], [over, "1500k"], [over, "1010k"]]) {
        for (const name of ["q.img", "e.img"]) {
          await qemuImg(["create", "-q", "-f", "qcow2", ...backing, `${dir}/${name}`, "1000k"]);
        }
        await both(dir, ["resize", "-q", `--preallocation=${mode}`, "@", size as string]);
      }
    },
  );
}
