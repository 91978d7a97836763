// The cache-block operations (Zicbom, Zicboz, Zicbop), Zihintpause's pause and Zawrs, on both
// engines. QEMU 7.2 predates CMO and Zawrs, so these are checked against the specification.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { TrapKind } from "../mod.ts";
import { parseRiscvCpu } from "../targets/riscv/isa.ts";
import { A, DATA, i, machine, reg, X } from "./riscv/asm.ts";

const { a0, a1 } = X;
const CBO = (op: number, rs1: number) => i(op, rs1, 2, 0, 0x0f);
const CBO_ZERO = (rs1: number) => CBO(4, rs1);
const CBO_CLEAN = (rs1: number) => CBO(1, rs1);
const PREFETCH_W = (offset: number, rs1: number) => i(offset | 3, rs1, 6, 0, 0x13);
const PAUSE = 0x0100000f;

function runBoth(insns: number[], cpu: string, setup: (m: ReturnType<typeof machine>) => void) {
  return [false, true].map((jit) => {
    const m = machine([...insns, A.ecall], cpu, jit);
    setup(m);
    return { ...m, exit: m.cpu.run(1000) };
  });
}

Deno.test("riscv zicboz: cbo.zero clears the 64-byte block holding rs1, nothing around it", () => {
  const fill = (m: ReturnType<typeof machine>) => {
    m.mem.writeBytes(DATA, new Uint8Array(256).fill(0xaa));
    m.cpu.setGlobal(a0, DATA + 64n + 37n);
  };
  for (const m of runBoth([CBO_ZERO(a0)], "rv64,zicboz=on", fill)) {
    assert.equal(m.exit.reason === "trap" && m.exit.trap.kind, TrapKind.SYSCALL);
    const bytes = m.mem.readBytes(DATA, 256);
    assert.deepEqual([...bytes.slice(64, 128)], new Array(64).fill(0));
    assert.ok(
      bytes.slice(0, 64).every((b) => b === 0xaa) && bytes.slice(128).every((b) => b === 0xaa),
    );
  }
});

Deno.test("riscv zicboz: cbo.zero on an unmapped page is a memory fault", () => {
  for (
    const m of runBoth([CBO_ZERO(a0)], "rv64,zicboz=on", (m) => m.cpu.setGlobal(a0, 0x40000n + 70n))
  ) {
    assert.equal(m.exit.reason, "trap");
    if (m.exit.reason === "trap") assert.equal(m.exit.trap.kind, TrapKind.MEMORY);
  }
});

Deno.test("riscv zicbom: cbo.clean/flush/inval of an inaccessible block fault as a store, at the block", () => {
  for (const op of [0, 1, 2]) {
    const at = (m: ReturnType<typeof machine>) => m.cpu.setGlobal(a0, 0x40000n + 70n);
    for (const m of runBoth([CBO(op, a0)], "rv64,zicbom=on", at)) {
      assert.equal(m.exit.reason, "trap");
      if (m.exit.reason !== "trap") continue;
      assert.equal(m.exit.trap.kind, TrapKind.MEMORY);
      assert.equal(m.exit.trap.access, "write");
      assert.equal(m.exit.trap.data, 0x40040n);
    }
  }
});

Deno.test("riscv zicbom/zicbop/zihintpause: no-ops where enabled, illegal where not", () => {
  const program = [CBO_CLEAN(a0), PREFETCH_W(64, a0), PAUSE, A.addi(a1, 0, 7)];
  for (const m of runBoth(program, "rv64,zicbom=on,zicbop=on", (m) => m.cpu.setGlobal(a0, DATA))) {
    assert.equal(reg(m, a1), 7n);
  }
  for (const m of runBoth([CBO_CLEAN(a0)], "rv64", () => {})) {
    assert.ok(m.exit.reason === "trap" && m.exit.trap.kind === TrapKind.ILLEGAL);
  }
  // Without Zicbop a prefetch is the ORI to x0 it is encoded as
  for (const m of runBoth([PREFETCH_W(64, a0), A.addi(a1, 0, 7)], "rv64", () => {})) {
    assert.equal(reg(m, a1), 7n);
  }
});

Deno.test("riscv zawrs: wrs.nto and wrs.sto return at once (one hart never waits)", () => {
  const program = [0x00d00073, 0x01d00073, A.addi(a1, 0, 7)];
  for (const m of runBoth(program, "rv64,zawrs=on", () => {})) assert.equal(reg(m, a1), 7n);
  for (const m of runBoth(program, "rv64", () => {})) {
    assert.ok(m.exit.reason === "trap" && m.exit.trap.kind === TrapKind.ILLEGAL);
  }
});

Deno.test("riscv -cpu: the CMO extensions in the ISA string and the RVA22 profiles", () => {
  assert.equal(
    parseRiscvCpu("rv64,zicboz=on,zicbom=on,zbc=off,sstc=off").isaString,
    "rv64imafdc_zicsr_zifencei_zihintpause_zicbom_zicboz_zba_zbb_zbs",
  );
  assert.deepEqual(
    [...parseRiscvCpu("rva22u64").extensions],
    ["zicbom", "zicbop", "zicboz", "zfhmin", "zba", "zbb", "zbs"],
  );
  assert.ok(parseRiscvCpu("rva22s64").extensions.has("svpbmt"));
});
