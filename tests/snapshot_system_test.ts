// System-mode snapshots: OpenSBI + U-Boot at the prompt, snapshot, type
// `version`, restore, type `version` again: both answers equal what a live
// qemu-system-riscv64 prints in the same run, and so does a fresh machine that
// loads the snapshot from a file. Translated code survives a restore, also one
// to an older snapshot.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine, type Machine } from "../mod.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { FW_JUMP, qemuUbootVersion, UBOOT } from "../scripts/record_uboot_qemu.ts";
import { which } from "../scripts/build_guests.ts";
import { converse } from "./util/serial.ts";

const present = await Promise.all(
  [FW_JUMP, UBOOT].map((f) => Deno.stat(f).then(() => true, () => false)),
);
const missing = present.includes(false) || !(await which("qemu-system-riscv64"));
if (missing) {
  console.log(
    "opensbi, u-boot-qemu or qemu-system-riscv64 not installed: system snapshot tests skipped",
  );
}
/** `version`'s answer as a live QEMU prints it. */
const QEMU_VERSION = missing ? "" : await qemuUbootVersion();

function boot(accel: "jit" | "interp" | "lockstep", loadvm?: string): Promise<Machine> {
  return createMachine({ system: { bios: FW_JUMP, kernel: UBOOT }, accel, loadvm });
}

for (const accel of ["jit", "interp", "lockstep"] as const) {
  Deno.test({
    name: `${accel}: U-Boot at the prompt: snapshot, version, restore, version; then from a file`,
    ignore: missing,
    fn: async () => {
      const sys = await boot(accel);
      const path = Deno.makeTempFileSync();
      try {
        await converse(sys, "", /Hit any key to stop autoboot/);
        await converse(sys, "x", /=> /);
        await sys.save(path);
        const s = sys.snapshot();
        const first = await converse(sys, "version\r", /=> /);
        const translated = [...machineDriver(sys).cpu.tbs.blocks()];
        sys.restore(s);
        // Translated code survives: the run changed no code and no address space.
        assert.ok(translated.length > 0 && translated.every((tb) => tb.valid));
        const second = await converse(sys, "version\r", /=> /);
        assert.equal(first.slice(0, -3), QEMU_VERSION);
        assert.equal(second, first);
        // An older snapshot of the same address space keeps the translated code too.
        sys.snapshot();
        await converse(sys, "version\r", /=> /);
        const kept = [...machineDriver(sys).cpu.tbs.blocks()];
        sys.restore(s);
        assert.ok(kept.every((tb) => tb.valid));
        assert.equal(await converse(sys, "version\r", /=> /), first);
        const fresh = await boot(accel, path);
        try {
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
