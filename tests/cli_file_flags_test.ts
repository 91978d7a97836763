// File flags of `emu system` given an empty name say so, instead of messages like "-dtb : ...".
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
