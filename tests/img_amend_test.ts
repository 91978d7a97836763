// `emu img amend` beside qemu-img amend in the same run, on copies of the same images: exit
// codes, stdout (the -p progress line byte for byte) and error lines match, and the amended
// images have the same info, map and contents, and pass qemu-img check.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { bothOnCopies, imageTest, qemuImg, run } from "./util/qemu_img.ts";

/** Images with data, zero clusters (plain and preallocated), snapshots and a backing file. */
async function buildImages(dir: string): Promise<void> {
  const q = (...args: string[]) => qemuImg(args, dir);
  const io = (name: string, ...cmds: string[]) =>
    run("qemu-io", [...cmds.flatMap((c) => ["-c", c]), `${dir}/${name}`]);
  await q("create", "-q", "-f", "qcow2", "a.qcow2", "10M");
  await io("a.qcow2", "write -P 1 0 64k", "write -P 2 9M 64k", "write -z 1M 64k");
  await io("a.qcow2", "write -P 6 5M 128k", "write -z 5M 128k"); // preallocated zero clusters
  await q("create", "-q", "-f", "qcow2", "-o", "compat=0.10", "v2.qcow2", "10M");
  await io("v2.qcow2", "write -P 3 0 64k");
  await q("snapshot", "-c", "s1", "v2.qcow2");
  await q("create", "-q", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", "o.qcow2");
  await io("o.qcow2", "write -z 0 64k", "write -P 4 2M 64k");
  await q("create", "-q", "-f", "qcow2", "big.qcow2", "2G"); // 4 L1 entries, 8 with the snapshot
  await io("big.qcow2", "write -z 1G 64k", "write -P 5 1536M 64k");
  await q("snapshot", "-c", "s1", "big.qcow2");
  await io("big.qcow2", "write -z 1536M 64k");
  await q("create", "-q", "-f", "raw", "r.raw", "1M");
  await q("create", "-q", "-f", "qcow2", "-o", "refcount_bits=8", "a8.qcow2", "10M");
  await io("a8.qcow2", "write -P 1 0 64k", "write -z 1M 64k");
}

/** What qemu-img sees of image `name` in `dir`: info, map without host offsets, check. */
async function state(dir: string, name: string): Promise<unknown> {
  const qemu = (...args: string[]) => run("qemu-img", [...args, `${dir}/${name}`]);
  const info = JSON.parse((await qemu("info", "--output=json", "-U")).stdout);
  for (const k of ["actual-size", "filename", "dirty-flag", "full-backing-filename"]) {
    delete info[k];
  }
  for (const s of info.snapshots ?? []) delete s["date-sec"], delete s["date-nsec"];
  const map = JSON.parse((await qemu("map", "--output=json")).stdout)
    .map((e: Record<string, unknown>) => ({ ...e, offset: undefined }));
  const check = (await qemu("check", "-q")).code;
  const data = (await run("qemu-img", ["compare", `${dir}/a.qcow2`, `${dir}/${name}`])).stdout;
  return { info, map, check, data };
}

/** Runs `amend args` with both tools and compares what they print and leave. */
async function sameAsQemu(src: string, args: string[]): Promise<void> {
  const name = args.at(-1)!;
  const raw = name.endsWith(".raw");
  const { theirs, ours, seen } = await bothOnCopies(
    src,
    ["amend", ...args],
    (dir) => raw ? Promise.resolve(undefined) : state(dir, name),
  );
  const what = args.join(" ");
  assert.deepEqual(
    [ours.code, ours.stdout],
    [theirs.code, theirs.stdout],
    `${what}: ${ours.stderr}`,
  );
  const error = theirs.stderr.split("\n").filter((l) => l.startsWith("qemu-img: "))[0] ?? "";
  assert.ok(ours.stderr.includes(error.replace(/^qemu-img: /, "")), `${what}: ${ours.stderr}`);
  assert.equal(ours.stderr === "", theirs.stderr === "", `${what}: ${ours.stderr}`);
  if (raw) return;
  // qemu-img 7.2's own downgrade of big.qcow2 leaves the COPIED flag on a cluster its snapshot
  // shares, which its check reports: Denemu's images must pass, whatever qemu-img's do
  const [theirState, ourState] = seen as { check: number }[];
  assert.equal(ourState.check, 0, `${what}: qemu-img check`);
  assert.deepEqual({ ...ourState, check: 0 }, { ...theirState, check: 0 }, what);
}

imageTest("img amend: compat, lazy_refcounts, size and their -p lines as qemu-img", async (dir) => {
  await buildImages(dir);
  const cases = [
    ["-p", "-o", "compat=0.10", "a.qcow2"], // zero clusters: unallocated, and zeroed in place
    ["-p", "-o", "compat=0.10", "o.qcow2"], // over a backing file: a zero cluster is allocated
    ["-p", "-o", "compat=0.10", "big.qcow2"], // one progress step per L1 entry, snapshot's too
    ["-p", "-o", "compat=1.1", "v2.qcow2"],
    ["-p", "-o", "compat=v3,lazy_refcounts=on", "v2.qcow2"],
    ["-p", "-o", "lazy_refcounts=on", "a.qcow2"],
    ["-p", "-o", "size=20M", "a.qcow2"],
    ["-p", "-o", "size=5M", "a.qcow2"],
    ["-o", "size=3G", "big.qcow2"],
    ["-o", "size=0", "a.qcow2"],
    ["-q", "-p", "--force", "-o", "compat=0.10", "a.qcow2"],
    ["-o", "backing_file=a.qcow2,backing_fmt=qcow2", "o.qcow2"], // unchanged: accepted
  ];
  for (const c of cases) await sameAsQemu(dir, c);
});

imageTest("img amend: refcount_bits rewrites the refcounts as qemu-img", async (dir) => {
  await buildImages(dir);
  const cases = [
    ["-p", "-o", "refcount_bits=8", "a.qcow2"], // a progress step per refcount table entry
    ["-p", "-o", "refcount_bits=64", "o.qcow2"],
    ["-o", "refcount_bits=2", "big.qcow2"],
    ["-o", "refcount_bits=1", "big.qcow2"], // the snapshot's clusters have a refcount of 2
    ["-p", "-o", "compat=1.1,refcount_bits=4", "v2.qcow2"], // two operations share the line
    ["-p", "-o", "refcount_bits=16,compat=0.10", "a8.qcow2"],
  ];
  for (const c of cases) await sameAsQemu(dir, c);
});

imageTest("img amend: what qemu-img refuses, in its words", async (dir) => {
  await buildImages(dir);
  const cases = [
    ["a.qcow2"],
    ["-o", "size=5M", "a.qcow2", "o.qcow2"],
    ["-p", "-f", "raw", "-o", "size=2M", "r.raw"],
    ["-p", "-o", "foo=1", "a.qcow2"],
    ["-o", "cluster_size=4k", "a.qcow2"],
    ["-o", "cluster_size=x,foo=1", "a.qcow2"],
    ["-o", "size=abc", "a.qcow2"],
    ["-o", "lazy_refcounts=maybe", "a.qcow2"],
    ["-o", "refcount_bits=x", "a.qcow2"],
    ["-o", "refcount_bits=3", "a.qcow2"],
    ["-o", "compat=2", "a.qcow2"],
    ["-o", "data_file=x", "a.qcow2"],
    ["-o", "data_file_raw=on", "a.qcow2"],
    ["-o", "encrypt.new-secret=x", "a.qcow2"],
    ["-o", "backing_file=b.qcow2", "o.qcow2"],
    ["-o", "backing_fmt=raw", "a.qcow2"],
    ["-o", "refcount_bits=8", "v2.qcow2"],
    ["-p", "-o", "lazy_refcounts=on", "v2.qcow2"],
    ["-p", "-o", "compat=0.10,lazy_refcounts=on", "a.qcow2"],
    ["-o", "size=20M", "v2.qcow2"], // a v2 image with snapshots cannot change size
  ];
  for (const c of cases) await sameAsQemu(dir, c);
});
