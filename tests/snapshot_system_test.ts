// System-mode snapshots: OpenSBI + U-Boot at the prompt, snapshot, type
// `version`, restore, type `version` again: both answers equal what
// qemu-system-riscv64 printed (tests/system_expected/uboot_qemu.txt), and so
// does a fresh machine that loads the snapshot from a file. Translated code
// survives the restore.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { DeviceOptions, EmulatedSystem } from "../mod.ts";
import { loadSnapshotFile, saveSnapshotFile } from "../core/snapshot/file.ts";
import { FW_JUMP, UBOOT } from "../scripts/record_uboot_qemu.ts";

const present = await Promise.all(
  [FW_JUMP, UBOOT].map((f) => Deno.stat(f).then(() => true, () => false)),
);
const missing = present.includes(false);
if (missing) console.log("opensbi or u-boot-qemu not installed: system snapshot tests skipped");
const qemu = await Deno.readTextFile(new URL("./system_expected/uboot_qemu.txt", import.meta.url));
const SECOND = 1_000_000_000n;
const ID = { machine: "virt", cpu: "rv64", m: "128M", bios: FW_JUMP, kernel: UBOOT };

function boot(accel: "jit" | "interp") {
  return EmulatedSystem.create({
    machineName: "virt",
    cpu: "rv64",
    accel,
    machine: new DeviceOptions("virt"),
    ramSize: 128n << 20n,
    bios: FW_JUMP,
    kernel: UBOOT,
    devices: [],
    drives: [],
  });
}

/** Runs `sys` until `pattern` after typing `input`; returns the output since. */
async function converse(sys: EmulatedSystem, input: string, pattern: RegExp): Promise<string> {
  const from = sys.console.output.length;
  const running = sys.run();
  try {
    if (input) sys.console.write(input);
    await sys.console.expect(pattern, { timeoutNs: 5n * SECOND });
  } finally {
    sys.loop.stop();
    await running;
  }
  return sys.console.output.slice(from).replaceAll("\r\n", "\n");
}

/** `version`'s answer as QEMU printed it. */
const QEMU_VERSION = (() => {
  const at = qemu.indexOf("=> version\n");
  return qemu.slice(at + 3, qemu.indexOf("=> ", at + 3));
})();

for (const accel of ["jit", "interp"] as const) {
  Deno.test({
    name: `${accel}: U-Boot at the prompt: snapshot, version, restore, version; then from a file`,
    ignore: missing,
    fn: async () => {
      const sys = await boot(accel);
      const path = Deno.makeTempFileSync();
      try {
        await converse(sys, "", /Hit any key to stop autoboot/);
        await converse(sys, "x", /=> /);
        const s = sys.snapshot();
        const first = await converse(sys, "version\r", /=> /);
        const translated = [...sys.cpu.tbs.blocks()];
        sys.restore(s);
        // Translated code survives: the run changed no code and no address space.
        assert.ok(translated.length > 0 && translated.every((tb) => tb.valid));
        const second = await converse(sys, "version\r", /=> /);
        assert.equal(first.slice(0, -3), QEMU_VERSION);
        assert.equal(second, first);
        await saveSnapshotFile(path, s, ID);
        const fresh = await boot(accel);
        try {
          fresh.restore(await loadSnapshotFile(path, ID));
          assert.equal(await converse(fresh, "version\r", /=> /), first);
        } finally {
          await fresh.close();
        }
      } finally {
        await sys.close();
        Deno.removeSync(path);
      }
    },
  });
}
