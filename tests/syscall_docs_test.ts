// docs/syscalls.md is what scripts/gen_syscall_docs.ts generates from the syscall table now.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { PARTIAL, writeSyscallDocs } from "../scripts/gen_syscall_docs.ts";
import { SYSCALLS } from "../core/linux/sys_table.ts";

Deno.test("docs/syscalls.md is up to date (deno task syscalls)", async () => {
  const tmp = await Deno.makeTempFile({ suffix: ".md" });
  try {
    writeSyscallDocs(tmp);
    const committed = await Deno.readTextFile(new URL("../docs/syscalls.md", import.meta.url));
    assertEquals(committed, await Deno.readTextFile(tmp));
    assert(/\| `clone` +\| partial/.test(committed));
    assert(/\| `io_uring_setup` +\| ENOSYS/.test(committed));
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test("every partial note names a syscall with a handler", () => {
  for (const name of Object.keys(PARTIAL)) assert(SYSCALLS[name], name);
});
