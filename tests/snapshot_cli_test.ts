// `emu system`: the monitor (Ctrl-A C) saves the machine at U-Boot's prompt
// with `savevm FILE`; a fresh `emu system -loadvm FILE` answers `version` as a
// live qemu-system-riscv64 does in the same run.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { FW_JUMP, qemuUbootVersion, UBOOT } from "../scripts/record_uboot_qemu.ts";
import { which } from "../scripts/build_guests.ts";

const MOD = new URL("../mod.ts", import.meta.url).pathname;
const present = await Promise.all(
  [FW_JUMP, UBOOT].map((f) => Deno.stat(f).then(() => true, () => false)),
);
const missing = present.includes(false) || !(await which("qemu-system-riscv64"));
if (missing) {
  console.log("opensbi, u-boot-qemu or qemu-system-riscv64 not installed: monitor tests skipped");
}
const QEMU_VERSION = missing ? "" : await qemuUbootVersion();

/** A running `emu system` whose stdout and stderr are read as one text. */
class Emu {
  text = "";
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(extra: string[]) {
    const args = ["run", "-A", MOD, "system", "-M", "virt", "-m", "128M", "-nographic"];
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [...args, "-bios", FW_JUMP, "-kernel", UBOOT, ...extra],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    for (const s of [this.#child.stdout, this.#child.stderr]) {
      (async () => {
        for await (const chunk of s.pipeThrough(new TextDecoderStream())) this.text += chunk;
      })();
    }
  }

  async type(s: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(s));
  }

  /** Waits until the text after `from` matches `re`; returns that text. */
  async until(re: RegExp, from: number): Promise<string> {
    for (let i = 0; i < 600; i++) {
      if (re.test(this.text.slice(from))) return this.text.slice(from);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${re}; got: ${this.text.slice(from)}`);
  }

  async quit(): Promise<number> {
    await this.type("\x01x");
    await this.#writer.close();
    return (await this.#child.status).code;
  }
}

/** `version`'s answer in `text` (from the echoed command to the next prompt). */
function versionAnswer(text: string): string {
  const t = text.replaceAll("\r\n", "\n");
  const at = t.indexOf("version\n");
  return t.slice(at, t.indexOf("=> ", at));
}

Deno.test({
  name: "monitor savevm at the U-Boot prompt; emu system -loadvm answers version like QEMU",
  ignore: missing,
  fn: async () => {
    const file = Deno.makeTempFileSync();
    try {
      const first = new Emu([]);
      await first.until(/Hit any key/, 0);
      await first.type("x");
      await first.until(/=> /, 0);
      let from = first.text.length;
      await first.type(`\x01csavevm ${file}\r`);
      await first.until(/savevm [^\n]*\r\n\(qemu\) /, from);
      from = first.text.length;
      await first.type("info registers\r");
      assert.match(await first.until(/\(qemu\) /, from), /pc {7}[0-9a-f]{16}/);
      await first.type("\x01c");
      assert.equal(await first.quit(), 0);

      const second = new Emu(["-loadvm", file]);
      await second.type("version\r");
      const answer = versionAnswer(await second.until(/version[\s\S]*=> /, 0));
      assert.equal(answer, QEMU_VERSION);
      assert.equal(await second.quit(), 0);
    } finally {
      Deno.removeSync(file);
    }
  },
});
