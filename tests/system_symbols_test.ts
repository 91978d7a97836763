// --symbols FILE: an ELF file whose symbols name guest addresses, as a vmlinux does for a kernel
// booted from its raw Image; nothing is loaded from it. Unreadable or non-ELF files: one line.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { parseElf, readSymbols } from "../core/elf.ts";
import { BAREMETAL_PROGRAMS, programImage } from "../scripts/build_baremetal.ts";

const image = (name: string) => programImage(BAREMETAL_PROGRAMS.find((p) => p.name === name)!);

Deno.test("--symbols: the file's symbols name addresses; its bytes are not loaded", async () => {
  const extra = image("traps");
  const m = await createMachine({
    system: { bios: "none", kernel: image("timer"), symbols: [extra] },
  });
  const want = readSymbols(parseElf(Deno.readFileSync(extra), extra))
    .find((s) => s.name === "u_ecalls")!;
  assert.ok(m.modules.list.some((mod) => mod.path === extra));
  assert.equal(m.symbol("u_ecalls"), want.value); // only traps.c has it
  const events = [];
  for await (const ev of m.run()) events.push(ev);
  await m.close();
  assert.deepEqual(events, [{ type: "poweroff", status: 0 }]); // timer.elf ran, undisturbed
});

Deno.test("--symbols: a missing or non-ELF file is a one-line error", async () => {
  const missing = { bios: "none", kernel: image("timer"), symbols: ["/nonexistent/vmlinux"] };
  await assert.rejects(
    () => createMachine({ system: missing }),
    /--symbols \/nonexistent\/vmlinux: cannot read/,
  );
  const text = await Deno.makeTempFile();
  await Deno.writeTextFile(text, "not an ELF file\n");
  const bad = { bios: "none", kernel: image("timer"), symbols: [text] };
  await assert.rejects(() => createMachine({ system: bad }), /--symbols /);
  await Deno.remove(text);
});
