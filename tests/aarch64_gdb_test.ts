// gdb-multiarch against `emu user -g` on an aarch64 program, beside qemu-aarch64 -g in the same
// run: the same breakpoint, stop and step addresses, x0-x30, sp, pc and cpsr by gdb's names,
// and the FP/SIMD registers (v0-v31, fpsr, fpcr) printed alike.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { gdbBatch } from "./util/gdb_batch.ts";
import { installed } from "./util/installed.ts";

const HELLO = new URL("./guests/bin/aarch64/hello.static.O2", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).pathname;
const READY = installed("gdb-multiarch") && installed("qemu-aarch64");

Deno.test({
  name: "aarch64 gdb: break main, stepi and the core registers as with qemu-aarch64 -g",
  ignore: !READY,
  async fn() {
    const cmds = [
      "break main",
      "continue",
      "info registers",
      "stepi",
      "info registers pc",
      "set $v1.d.u[0] = 0xfedcba9876543210",
      "set $v1.d.u[1] = 0x0123456789abcdef",
      "set $v2.d.f[1] = -2.5",
      "set $v2.d.u[0] = 0x3ff8000000000000",
      "set $fpcr = 0x3000000",
      "p $v1",
      "info registers v1",
      "p $v2.d",
      "p/x $v2.s.u",
      "info registers fpsr fpcr",
      "continue",
    ];
    const emu = [Deno.execPath(), "run", "-A", MOD, "user", "-g", "PORT", HELLO];
    const ours = await gdbBatch(emu, HELLO, cmds, undefined, 120_000, "aarch64");
    const qemu = await gdbBatch(
      ["qemu-aarch64", "-g", "PORT", HELLO],
      HELLO,
      cmds,
      undefined,
      120_000,
      "aarch64",
    );
    const pcs = (s: string) => [...s.matchAll(/^pc\s+(0x[0-9a-f]+)/gm)].map((m) => m[1]);
    const names = (s: string) => [...s.matchAll(/^([a-z][a-z0-9]*)\s+0x/gm)].map((m) => m[1]);
    assertEquals(pcs(ours.gdb), pcs(qemu.gdb));
    assertEquals(pcs(ours.gdb).length, 2, ours.gdb);
    const core = (s: string) => names(s).filter((n) => /^(x\d+|sp|pc|cpsr)$/.test(n));
    assertEquals(core(ours.gdb), core(qemu.gdb));
    // QEMU's default CPU has SVE, so gdb makes v0-v31 pseudo-registers of its z registers, and
    // `info registers` prints those in natural format too, after the hex one that ours prints.
    const hexOnly = (l: string) => l.includes("}}} ") ? l.slice(0, l.indexOf("}}} ") + 3) : l;
    const fpu = (s: string) =>
      s.split("\n").filter((l) => /^(\$\d+ = |v1 |fpsr |fpcr )/.test(l)).map(hexOnly);
    assertEquals(fpu(ours.gdb), fpu(qemu.gdb));
    assertEquals(fpu(ours.gdb).length, 8, ours.gdb);
    assert(ours.gdb.includes("[Inferior 1 (process 1) exited normally]"), ours.gdb);
    assertEquals(ours.emuOut, "Hello, world!\n");
  },
});
Deno.test("aarch64 gdb: gdb-multiarch and qemu-aarch64 are installed", { ignore: READY }, () => {
  console.warn(
    "skipped: gdb-multiarch or qemu-aarch64 is missing (apt-get install gdb-multiarch qemu-user)",
  );
});
