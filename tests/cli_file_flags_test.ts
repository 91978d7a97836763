// File flags of `emu system`: an empty name says so (instead of "-dtb : ..."); -snapshot.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { parseSystemArgs } from "../cli/system.ts";

Deno.test("emu system: -dtb/-kernel/-bios/-initrd with an empty file name", () => {
  for (const flag of ["-dtb", "-kernel", "-bios", "-initrd"]) {
    assert.throws(
      () => parseSystemArgs(["-M", "virt", flag, ""]),
      new RegExp(`^EmuError: ${flag}: needs a file name$`),
    );
  }
  assert.equal(parseSystemArgs(["-append", ""]).append, "");
});

Deno.test("emu system: -snapshot makes snapshot=on every drive's default, as in QEMU", () => {
  const a = parseSystemArgs([
    "-drive",
    "file=a.img,if=virtio",
    "-snapshot",
    "-drive",
    "file=b.img,snapshot=off",
  ]);
  assert.deepEqual(a.drives, ["file=a.img,if=virtio,snapshot=on", "file=b.img,snapshot=off"]);
  assert.deepEqual(parseSystemArgs(["-drive", "file=a.img"]).drives, ["file=a.img"]);
});
