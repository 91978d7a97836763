// `emu img rebase` and `emu img commit` beside qemu-img in the same run: on copies of one
// three-level chain, both tools leave images that read the same, map the same, and pass
// qemu-img check; exit codes and error lines match.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import {
  buildChain,
  CHAIN_IMAGES as IMAGES,
  emuImg,
  QEMU_IMG_MISSING,
  qemuImg,
  type Ran,
  run,
} from "./util/qemu_img.ts";

/** qemu-img map of `name` without host offsets (the tools may place clusters apart). */
async function layout(dir: string, name: string): Promise<unknown> {
  const r = await run("qemu-img", ["map", "--output=json", name], dir);
  if (r.code) return r.stderr.replace(/'[^']*\//g, "'");
  // host offsets, and so where qemu-img splits extents, depend on the order its commit job's
  // parallel copies allocated clusters in: compare what each guest range is, merged
  const merged: Record<string, unknown>[] = [];
  for (const e of JSON.parse(r.stdout) as Record<string, unknown>[]) {
    const last = merged.at(-1);
    const same = last && ["data", "zero", "present", "depth"].every((k) => last[k] === e[k]);
    if (same) last.length = (last.length as number) + (e.length as number);
    else merged.push({ ...e, offset: undefined });
  }
  return merged;
}

/** Runs `args` with both tools on fresh copies of the chain and compares the results. */
async function sameAsQemu(chain: string, args: string[]): Promise<void> {
  const ran: Ran[] = [];
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  for (const [i, dir] of dirs.entries()) {
    for (const f of IMAGES) await Deno.copyFile(`${chain}/${f}`, `${dir}/${f}`);
    ran.push(i ? await emuImg(args, dir) : await qemuImg(args, dir, [0, 1]));
  }
  const [q, e] = ran;
  const what = args.join(" ");
  assert.deepEqual([e.code, e.stdout], [q.code, q.stdout], `${what}: ${e.stderr}`);
  const qError = q.stderr.split("\n")[0].replace(/^qemu-img: /, "").replace(/: Could not.*/, "");
  assert.ok(e.stderr.includes(qError), `${what}: ${e.stderr} vs ${q.stderr}`);
  for (const f of IMAGES) {
    assert.deepEqual(await layout(dirs[1], f), await layout(dirs[0], f), `${what}: ${f} map`);
    const cmp = await run("qemu-img", ["compare", `${dirs[0]}/${f}`, `${dirs[1]}/${f}`]);
    assert.ok(cmp.code === 0 || /Could not open/.test(cmp.stderr), `${what}: ${f} ${cmp.stdout}`);
    const info = (dir: string) =>
      run("qemu-img", ["info", "--output=json", "-U", `${dir}/${f}`]).then((r) =>
        r.code ? "" : JSON.parse(r.stdout)["backing-filename"]
      );
    assert.equal(await info(dirs[1]), await info(dirs[0]), `${what}: ${f} backing`);
    const check = await run("qemu-img", ["check", "-q", `${dirs[1]}/${f}`]);
    assert.ok(check.code === 0 || /backing/.test(check.stderr), `${what}: ${f} ${check.stdout}`);
  }
  for (const d of dirs) await Deno.remove(d, { recursive: true });
}

Deno.test({
  name: "emu img commit/rebase: images, outputs and exit codes as qemu-img leaves them",
  ignore: !!QEMU_IMG_MISSING,
  async fn() {
    const chain = await Deno.makeTempDir();
    await buildChain(chain);
    const cases = [
      ["commit", "t.qcow2"],
      ["commit", "-d", "t.qcow2"],
      ["commit", "-q", "m.qcow2"],
      ["commit", "-b", "b.qcow2", "t.qcow2"],
      ["commit", "b.qcow2"],
      ["commit", "-b", "nothere.qcow2", "t.qcow2"],
      ["commit", "-b", "t.qcow2", "t.qcow2"],
      ["rebase", "-b", "n.qcow2", "-F", "qcow2", "t.qcow2"],
      ["rebase", "-b", "b.qcow2", "-F", "qcow2", "t.qcow2"],
      ["rebase", "-b", "", "t.qcow2"],
      ["rebase", "-u", "-b", "n.qcow2", "-F", "qcow2", "t.qcow2"],
      ["rebase", "-u", "-b", "", "m.qcow2"],
      ["rebase", "-b", "n.qcow2", "t.qcow2"],
      ["rebase", "-b", "zz.qcow2", "-F", "qcow2", "t.qcow2"],
      ["rebase", "t.qcow2"],
    ];
    for (const c of cases) await sameAsQemu(chain, c);
    await Deno.remove(chain, { recursive: true });
  },
});
