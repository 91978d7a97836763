// createMachine with missing or empty file names: a one-line EmuError saying what to pass,
// as the CLI gives (not "undefined: cannot read ..." or "-dtb : Is a directory").
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine, type CreateMachineOptions } from "../mod.ts";

Deno.test("createMachine: no program, or an empty one, is refused in one line", async () => {
  for (const opts of [{}, { program: "" }]) {
    await assert.rejects(
      () => createMachine(opts as CreateMachineOptions),
      /^EmuError: createMachine: no program to run$/,
    );
  }
});

Deno.test("createMachine: an empty -dtb/-kernel/-bios name in system options says so", async () => {
  for (const key of ["dtb", "kernel", "bios"]) {
    await assert.rejects(
      () => createMachine({ system: { bios: "none", kernel: "k", [key]: "" } }),
      new RegExp(`^EmuError: -${key}: needs a file name$`),
    );
  }
});
