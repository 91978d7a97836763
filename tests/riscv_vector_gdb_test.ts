// The vector unit in the gdb stub: gdb-multiarch sees v0-v31 and the vector CSRs
// (`info registers vector`, `p $v1`, writes to a lane) exactly as with qemu-riscv64 -g,
// at VLEN 128 and 256, and without V there is no vector feature.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createRiscvTarget } from "../targets/riscv/mod.ts";
import { gdbRegisters, targetDocuments } from "../core/gdb/registers.ts";
import { installed } from "./util/installed.ts";
import { gdbBatch } from "./util/gdb_batch.ts";

const PROGRAM = new URL("./guests/bin/rvv_int.static.O2", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).pathname;
const GDB = installed("gdb-multiarch");
const QEMU = installed("qemu-riscv64");
if (!GDB || !QEMU) console.log("riscv_vector_gdb_test: gdb-multiarch or qemu-riscv64 missing");

Deno.test("gdb: the vector feature exists with V only, sized by VLEN", () => {
  const names = (cpu: string) => gdbRegisters(createRiscvTarget(cpu)).map((r) => r.name);
  assert.ok(!names("rv64").includes("v0"));
  const target = createRiscvTarget("rv64,v=true,vlen=256");
  const regs = gdbRegisters(target);
  const v31 = regs.find((r) => r.name === "v31")!;
  const vector = regs.filter((r) => r.feature === "org.gnu.gdb.riscv.vector");
  assertEquals([v31.bits, v31.group, vector.at(-1)?.name], [256, "vector", "vlenb"]);
  const docs = targetDocuments(target, regs);
  assert.match(docs.get("target.xml")!, /<xi:include href="riscv-vector.xml"\/>/);
  const xml = docs.get("riscv-vector.xml")!;
  assert.match(
    xml,
    /<feature name="org.gnu.gdb.riscv.vector"><vector id="quads" type="uint128" count="2"\/>/,
  );
  assert.match(
    xml,
    /<reg name="v0" bitsize="256" type="riscv_vector" regnum="\d+" group="vector"\/>/,
  );
});

for (const vlen of [128, 256, 512]) {
  Deno.test({
    name: `gdb-multiarch: vector registers at VLEN ${vlen} read and write as with qemu-riscv64 -g`,
    ignore: !GDB || !QEMU,
    async fn() {
      const cpu = `rv64,v=true,vlen=${vlen}`;
      const cmds = [
        "break t_whole",
        "continue",
        "continue",
        "info registers vector",
        "p $v1",
        "p/x $vtype",
        "p $vl",
        "set $v2.w[1] = 77",
        "set $vstart = 1",
        "p $v2.w",
        "p $vstart",
        "stepi",
        "p $v8.b",
      ];
      const emu = [Deno.execPath(), "run", "-A", MOD, "user", "-cpu", cpu, "-g", "PORT", PROGRAM];
      const ours = await gdbBatch(emu, PROGRAM, cmds);
      const qemu = await gdbBatch(
        ["qemu-riscv64", "-cpu", cpu, "-g", "PORT", PROGRAM],
        PROGRAM,
        cmds,
      );
      const shown = (s: string) => s.split("\n").filter((l) => /^(v\w+ |\$\d+ =)/.test(l));
      assertEquals(shown(ours.gdb).length, 39 + 6, ours.gdb);
      assert.ok(ours.gdb.includes("vlenb          " + `0x${(vlen / 8).toString(16)}`), ours.gdb);
      assertEquals(shown(ours.gdb), shown(qemu.gdb));
    },
  });
}
