// The README's `emu img` walk-through, run as written: each command prints what the README shows,
// and what qemu-img prints for the same command in a twin directory in the same run.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { QEMU_IMG_MISSING, run } from "./util/qemu_img.ts";

const MARK = "<!-- emu img walk-through: tests/img_readme_test.ts runs it -->";
const MOD = new URL("../mod.ts", import.meta.url).pathname;

/** The walk-through's steps: a shell command and the output the README shows for it. */
function steps(readme: string): { command: string; shown: string }[] {
  const block = readme.slice(readme.indexOf(MARK)).split("```console\n")[1].split("\n```")[0];
  return block.split(/^\$ /m).filter((s) => s).map((s) => {
    const [command, ...shown] = s.split("\n");
    return { command, shown: shown.filter((l) => l).map((l) => `${l}\n`).join("") };
  });
}

/** Runs `command` in `dir` with `emu img` standing for `img`: exit code, stdout, stderr. */
async function sh(command: string, dir: string, img: string) {
  const r = await run("sh", ["-c", command.replace(/^emu img /, `${img} `)], dir);
  return { ...r, stdout: r.stdout.replace(/^disk size: .*$/m, "disk size: (host)") };
}

Deno.test({
  name: `README: the emu img walk-through prints what it shows, as qemu-img does${
    QEMU_IMG_MISSING ? ` (skipped: ${QEMU_IMG_MISSING})` : ""
  }`,
  ignore: !!QEMU_IMG_MISSING,
  async fn() {
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const [ours, theirs] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    try {
      const all = steps(readme);
      assertEquals(all.length > 10, true, "the walk-through block was not found");
      for (const { command, shown } of all) {
        const emu = await sh(command, ours, `"${Deno.execPath()}" run -A ${MOD} img`);
        const qemu = await sh(command, theirs, "qemu-img");
        assertEquals([emu.code, emu.stdout, emu.stderr], [qemu.code, qemu.stdout, qemu.stderr]);
        assertEquals(emu.stdout, shown.replace(/^disk size: .*$/m, "disk size: (host)"), command);
      }
    } finally {
      await Deno.remove(ours, { recursive: true });
      await Deno.remove(theirs, { recursive: true });
    }
  },
});
