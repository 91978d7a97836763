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

Deno.test({
  name: `fsops: every parent is walked (ENOENT, ENOTDIR) and a trailing slash needs a directory${
    haveQemu ? "" : " (skipped: no qemu-riscv64)"
  }`,
  ignore: !haveQemu,
  fn: () =>
    sameAsQemu([
      "open -100 d1/f/. 01000 0600",
      "mkdir -100 ./b/. 0755",
      "mkdir -100 d1/ 0755",
      "mkdir -100 new/ 0755",
      "symlink x -100 a/.",
      "symlink x -100 a/",
      "link -100 d1/f/d2/c 0 c 0",
      "link -100 a/../inside -100 c 0",
      "access -100 inside/ 2 0",
      "truncate ./inside/ 4096",
      "truncate d1/f/./ 0",
      "statx -100 inside/. 0",
      "unlink -100 d1/f/ 0",
      "unlink -100 . 512",
      "unlink -100 .. 512",
      "unlink -100 / 512",
      "unlink -100 d1/. 0",
      "open -100 d2/ 02100 00",
      "open -100 d1/ 0300 0600",
      "open -100 inside 0100 00",
      "readlink 4 -",
      "readlink -100 -",
    ]),
});

Deno.test({
  name: `fsops: renameat2 flags, RENAME_EXCHANGE and Linux's check order${
    haveQemu ? "" : " (skipped: no qemu-riscv64)"
  }`,
  ignore: !haveQemu,
  fn: () =>
    sameAsQemu([
      "rename 0 a -100 inside 2",
      "rename -100 a -100 b 3",
      "rename -100 a -100 b 6",
      "rename -100 a -100 b 8",
      "rename -100 inside -100 missing 2",
      "rename -100 inside/. -100 a/b/f/ 0",
      "rename -100 d1/. -100 x 0",
      "rename -100 inside -100 . 1",
      "rename -100 inside -100 inside 1",
      "rename -100 inside -100 inside 2",
      "rename -100 inside -100 inside 0",
      "rename -100 d1 -100 d1/x 0",
      "rename -100 d1/f -100 d1 0",
      "rename -100 d1 -100 inside 0",
      "rename -100 inside -100 d1 0",
      "rename -100 inside/ -100 z 0",
      "rename -100 inside -100 d1 2",
      "statx -100 d1 0",
      "rename -100 d1/f -100 inside/ 2",
      "rename -100 bin -100 inside 2",
      "readlink -100 bin",
    ]),
});

Deno.test({
  name: `fsops: O_TMPFILE and O_CREAT|O_DIRECTORY flags; linkat flags; mkdir modes; O_PATH fds${
    haveQemu ? "" : " (skipped: no qemu-riscv64)"
  }`,
  ignore: !haveQemu,
  fn: () =>
    sameAsQemu([
      "open -100 d1 020200002 0600",
      "write 0 hello",
      "fstat 0",
      "open -100 d1 020200000 0600",
      "open -100 inside 020200002 0600",
      "open -100 nope 020200001 0600",
      "open -100 f 0201101 07777",
      "open -100 nope/a 0600301 00",
      "open -100 d1 030200102 00",
      "link -100 inside -100 x 1",
      "link -100 d1 -100 y 0",
      "link -100 inside -100 d1/f 0",
      "link -100 inside -100 z/ 0",
      "mkdir -100 m 07777",
      "open -100 inside 010000000 00",
      "ftruncate 2 3",
      "getdents 2",
      "open -100 d1 010000000 00",
      "fchdir 3",
      "getcwd",
      "open -100 f 01100 07777",
      "ftruncate 4 0",
      "fstat 4",
    ]),
});

Deno.test({
  name: `fsops: a directory fd lists and stats the directory as it is now; O_TRUNC on one${
    haveQemu ? "" : " (skipped: no qemu-riscv64)"
  }`,
  ignore: !haveQemu,
  fn: () =>
    sameAsQemu([
      "open -100 d1 00 00",
      "mkdir -100 d1/c 0755",
      "getdents 0",
      "fstat 0",
      "open -100 d1 03000 0600",
    ]),
});

Deno.test({
  name: `fsops: fstat of an O_PATH fd shows the file as it is now${
    haveQemu ? "" : " (skipped: no qemu-riscv64)"
  }`,
  ignore: !haveQemu,
  fn: () => sameAsQemu(["open -100 inside 010000000 00", "truncate inside 5", "fstat 0"]),
});

Deno.test({
  name: `fsops seed 5073: fstat of an O_PATH|O_NOFOLLOW directory fd shows a later chmod${
    haveQemu ? "" : " (skipped: no qemu-riscv64)"
  }`,
  ignore: !haveQemu,
  // the seed's script cut to the lines that matter: the old code kept the mode seen at the open
  fn: () => sameAsQemu(["open -100 d1 010401000 07777", "chmod -100 ././d1 0644", "fstat 0"]),
});

Deno.test({
  name: `fsops seed 6969: O_CREAT on a path ending in "./" or "/" is EEXIST with O_EXCL${
    haveQemu ? "" : " (skipped: no qemu-riscv64)"
  }`,
  ignore: !haveQemu,
  // a last component "." is no name to create: Linux opens the directory, so O_EXCL is EEXIST
  fn: () =>
    sameAsQemu([
      "open -100 ./ 0300 0755",
      "open -100 ./ 0100 0755",
      "open -100 d1/./ 0300 0755",
      "open -100 d1/.// 0302 0755",
      "open -100 d1/ 0300 0755",
      "open -100 nope/./ 0300 0755",
      "open 0 ./ 0300 0755",
    ]),
});
