// `emu user --max-memory`: a guest that maps up to the ceiling gets ENOMEM there and keeps
// running (it reports how far it got); the host process does not die first.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { join } from "node:path";
import { GUESTS } from "../scripts/build_guests.ts";

const MOD = new URL("../mod.ts", import.meta.url).pathname;
const HOSTILE = join(GUESTS, "bin/hostile.static.O2");

async function emu(args: string[]) {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MOD, "user", ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  return { code: o.code, stderr: new TextDecoder().decode(o.stderr) };
}

Deno.test("--max-memory 64M: mmap fails with ENOMEM near 64 MiB, the guest exits normally", async () => {
  const r = await emu(["--max-memory", "64M", HOSTILE, "mmap", "100000"]);
  const m = /^mmap: (\d+) of 100000\n$/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const mapped = Number(m[1]) * 4096;
  // The program's own image and its 8 MiB stack count too.
  assert.ok(mapped > 48 << 20 && mapped <= 64 << 20, `${mapped} bytes`);
  assert.equal(r.code, 1);
});

Deno.test("--max-memory out of range or malformed: one line, exit 1", async () => {
  for (const v of ["5G", "lots"]) {
    const r = await emu(["--max-memory", v, HOSTILE, "mmap", "1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^emu: .*\n$/);
  }
});

Deno.test("a ceiling the program and its stack do not fit in: one line, exit 1", async () => {
  // before: "emu: internal error: errno 12", exit 70 (emu fuzz -m 3 too; afl-fuzz refuses -m 3)
  for (const v of ["4K", "1M", "8M"]) {
    const r = await emu(["--max-memory", v, HOSTILE, "mmap", "1"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^emu: .*hostile.static.O2: .* do not fit in the guest's memory ceiling/,
    );
    assert.equal(r.stderr.split("\n").length, 2, r.stderr);
  }
});
