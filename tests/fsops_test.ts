// File syscalls inside --root that the `fsops` self-fuzzer (scripts/selffuzz/sandbox.ts) found to
// differ from Linux, each run on Denemu and on qemu-riscv64 in the same test by the fuzzer's own
// check (the guest tests/guests/src/c/fsscript.c prints every result).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { fsopsFuzzer } from "../scripts/selffuzz/sandbox.ts";
import { installed } from "./util/installed.ts";

const haveQemu = installed("qemu-riscv64");
const sameAsQemu = async (lines: string[]) =>
  assertEquals(
    await fsopsFuzzer.replay(new TextEncoder().encode(`#portable\n${lines.join("\n")}\n`)),
    null,
  );

Deno.test({
  name: `fsops: an empty path is ENOENT before the dirfd is looked at${
    haveQemu ? "" : " (skipped: no qemu-riscv64)"
  }`,
  ignore: !haveQemu,
  fn: () => sameAsQemu(["statx 3 - 0", "open 5 - 00 0755", "chdir -"]),
});

Deno.test({
  name: `fsops: utimensat of AT_FDCWD with AT_EMPTY_PATH; ftruncate to a negative length${
    haveQemu ? "" : " (skipped: no qemu-riscv64)"
  }`,
  ignore: !haveQemu,
  fn: () => sameAsQemu(["utimens -100 - 4352", "utimens 4 - 4096", "ftruncate 4 -1"]),
});
