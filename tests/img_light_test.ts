// `emu img` loads none of the emulator: the modules `deno task emu img` reads (the CLI entry's
// graph, which `deno run` loads with every literal `import()`, the img commands and the block
// formats) are a short list. And convert writes without flushes, as qemu-img does.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { openImage } from "../plugin_block.ts";
import { emuImg, QEMU_IMG_MISSING, qemuImg } from "./util/qemu_img.ts";
import { staticGraph } from "./util/module_graph.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("emu img: the CLI entry, img commands and block formats load no emulator module", async () => {
  // each subcommand's module is imported when it runs: check each one's graph
  const commands = [...Deno.readDirSync(new URL("cli/img/", ROOT))]
    .filter((f) => f.name.endsWith(".ts")).map((f) => `cli/img/${f.name}`).sort();
  for (
    const entry of ["cli/run.ts", ...commands, "plugins/block/raw.ts", "plugins/block/qcow2.ts"]
  ) {
    const loaded = await staticGraph(entry);
    const heavy = loaded.filter((m) =>
      m === "mod.ts" || m === "plugin.ts" ||
      /^(targets|core\/(machine|softfloat|jit|system|linux))\//.test(m)
    );
    assert.deepEqual(heavy, [], `${entry} loads ${heavy.join(", ")}`);
    // qcow2 with its LUKS encryption is the largest: 41 modules
    assert.ok(loaded.length < 45, `${entry} loads ${loaded.length} modules: ${loaded.join(" ")}`);
  }
});

Deno.test({
  name: "emu img convert: writes as qemu-img's default cache=unsafe (no flush); -t as qemu-img",
  ignore: !!QEMU_IMG_MISSING,
  async fn() {
    const dir = await Deno.makeTempDir();
    await Deno.writeFile(`${dir}/a.raw`, new Uint8Array(1 << 16).fill(7));
    const unsafe = await openImage(`${dir}/a.raw`, { cache: "unsafe" });
    const writeback = await openImage(`${dir}/a.raw`, { cache: "writeback" });
    assert.deepEqual([unsafe.file.ignoreFlushes, writeback.file.ignoreFlushes], [true, false]);
    unsafe.close();
    writeback.close();
    for (const t of ["bad", "writeback", "none"]) {
      const args = ["convert", "-t", t, "-O", "qcow2", "a.raw", `${t}.qcow2`];
      const [emu, qemu] = [await emuImg(args, dir), await qemuImg(args, dir, [0, 1])];
      assert.equal(emu.code, qemu.code, `-t ${t}: ${emu.stderr}`);
      assert.equal(emu.stderr.replace(/^emu: /, ""), qemu.stderr.replace(/^qemu-img: /, ""));
    }
    await Deno.remove(dir, { recursive: true });
  },
});
