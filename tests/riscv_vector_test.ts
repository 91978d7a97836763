// The vector extension beyond what the rvv_* guests compare with qemu-riscv64: the .rtz
// conversions (they crash QEMU 7.2), V disabled, vstart after a faulting element, a
// fault-only-first load that stops at an unmapped page, and -cpu parsing. Both engines.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { TrapKind } from "../mod.ts";
import { RiscvState } from "../targets/riscv/state.ts";
import { parseRiscvCpu } from "../targets/riscv/isa.ts";
import { createRiscvTarget } from "../targets/riscv/mod.ts";
import { riscvDecoders } from "../targets/riscv/decode.ts";
import { A, DATA, i, machine, reg, X } from "./riscv/asm.ts";

const { a0, a1, t0 } = X;
const ENGINES = [false, true];
const V = "rv64,v=true,vlen=128";

/** An OP-V instruction (funct3 `f3`). */
const opv = (funct6: number, vm: number, vs2: number, vs1: number, f3: number, vd: number) =>
  ((funct6 << 26) | (vm << 25) | (vs2 << 20) | (vs1 << 15) | (f3 << 12) | (vd << 7) | 0x57) >>> 0;
/** vsetivli rd, uimm, vtype. */
const vsetivli = (rd: number, avl: number, vtype: number) =>
  ((3 << 30) | (vtype << 20) | (avl << 15) | (7 << 12) | (rd << 7) | 0x57) >>> 0;
/** A unit-stride load (`lumop` 0, or 16 for fault-only-first) of EEW 32 into vd from (rs1). */
const vle32 = (vd: number, rs1: number, lumop = 0) =>
  ((1 << 25) | (lumop << 20) | (rs1 << 15) | (6 << 12) | (vd << 7) | 0x07) >>> 0;
/** fsrm rs1 (csrrw x0, frm, rs1). */
const fsrm = (rs1: number) => i(2, rs1, 1, 0, 0x73);
const E32_M1 = 0b010_000;

/** Runs `insns` then ecall with both engines, after `setup`. */
function runBoth(insns: number[], setup: (m: ReturnType<typeof machine>) => void, cpu = V) {
  return ENGINES.map((jit) => {
    const m = machine([...insns, A.ecall], cpu, jit);
    setup(m);
    return { ...m, exit: m.cpu.run(1000) };
  });
}

/** Bytes of vector register `r` (VLEN 128). */
const vreg = (m: ReturnType<typeof machine>, r: number) =>
  m.cpu.host.u8.slice(0x1000 + RiscvState.VREGS + 16 * r, 0x1000 + RiscvState.VREGS + 16 * r + 16);

Deno.test("riscv V: vfcvt.rtz.* equal the same conversions with frm = RTZ", () => {
  const values = [1.5, -2.75, 3e9, -7.999, 1e-40, NaN, Infinity, -0.5, 2147483647.5, -1e20];
  const bits = new Uint8Array(new Float32Array(values.slice(0, 4)).buffer);
  const more = new Uint8Array(new Float32Array(values.slice(4, 8)).buffer);
  // rtz forms: vfcvt.rtz.x.f.v v2,v1 and vfcvt.rtz.xu.f.v v4,v3; then with frm = RTZ (a0 = 1)
  // the plain forms into v5, v6; fflags after each pair into a1 (the rtz ones) and t0.
  const frflags = (rd: number) => i(1, 0, 2, rd, 0x73);
  const fsflags0 = i(1, 0, 1, 0, 0x73);
  const insns = [
    vsetivli(0, 4, E32_M1),
    fsflags0,
    opv(0b010010, 1, 1, 0b00111, 1, 2),
    opv(0b010010, 1, 3, 0b00110, 1, 4),
    frflags(a1),
    fsflags0,
    fsrm(a0),
    opv(0b010010, 1, 1, 0b00001, 1, 5),
    opv(0b010010, 1, 3, 0b00000, 1, 6),
    frflags(t0),
  ];
  for (
    const m of runBoth(insns, (m) => {
      m.cpu.host.u8.set(bits, 0x1000 + RiscvState.VREGS + 16);
      m.cpu.host.u8.set(more, 0x1000 + RiscvState.VREGS + 48);
      m.cpu.setGlobal(a0, 1n);
    })
  ) {
    assert.equal(m.exit.reason, "trap");
    assert.deepEqual(vreg(m, 2), vreg(m, 5));
    assert.deepEqual(vreg(m, 4), vreg(m, 6));
    assert.deepEqual([...new Int32Array(vreg(m, 2).buffer)], [1, -2, 2147483647, -7]);
    assert.equal(reg(m, a1), reg(m, t0));
    assert.equal(reg(m, a1), 0x11n); // NV (3e9 saturates, NaN) | NX
  }
});

Deno.test("riscv V: without V, vector instructions and CSRs are illegal", () => {
  const csrrVl = i(0xc20, 0, 2, a0, 0x73);
  for (const insn of [vsetivli(a0, 4, E32_M1), opv(0, 1, 2, 3, 0, 1), csrrVl]) {
    for (const m of runBoth([insn], () => {}, "rv64")) {
      assert.equal(m.exit.reason, "trap");
      if (m.exit.reason === "trap") assert.equal(m.exit.trap.kind, TrapKind.ILLEGAL);
    }
  }
});

Deno.test("riscv V: an element fault leaves vstart at that element; vle32ff stops there", () => {
  // DATA's page is followed by an unmapped page: 4 elements from 8 bytes before its end.
  const base = DATA + 0x1000n - 8n;
  for (
    const m of runBoth([vsetivli(0, 4, E32_M1), vle32(1, a0)], (m) => m.cpu.setGlobal(a0, base))
  ) {
    assert.equal(m.exit.reason, "trap");
    if (m.exit.reason === "trap") assert.equal(m.exit.trap.kind, TrapKind.MEMORY);
    assert.equal(m.cpu.getState(RiscvState.VSTART), 2n);
  }
  const ff = [vsetivli(0, 4, E32_M1), vle32(1, a0, 16), i(0xc20, 0, 2, a1, 0x73)];
  for (const m of runBoth(ff, (m) => m.cpu.setGlobal(a0, base))) {
    assert.equal(m.exit.reason, "trap"); // the ecall
    assert.equal(reg(m, a1), 2n); // vl trimmed to the elements before the fault
    assert.equal(m.cpu.getState(RiscvState.VSTART), 0n);
  }
});

Deno.test("riscv V: -cpu properties and the RVA23 profiles", () => {
  assert.equal(parseRiscvCpu("rv64,v=true,vlen=512").vlen, 512);
  assert.ok(parseRiscvCpu("rva23s64").extensions.has("v"));
  assert.match(parseRiscvCpu("rv64,v=on").isaString, /^rv64imafdcv_zicsr/);
  assert.throws(() => parseRiscvCpu("rv64,v=on,elen=32"), /elen=32 is not supported/);
  assert.throws(() => parseRiscvCpu("rv64,v=on,vext_spec=v0.7.1"), /vext_spec=v0.7.1/);
});

Deno.test("riscv V: only a CPU with V builds the vector helpers and decode patterns", () => {
  const names = (cpu: string) => new Set(createRiscvTarget(cpu).helpers.map((h) => h.name));
  assert.ok(!names("rv64").has("vle32.v") && !names("rv64").has("vsetvl"));
  assert.ok(names(V).has("vle32.v") && names(V).has("vsetvl"));
  assert.equal(riscvDecoders(64).insn32.decode(vle32(1, a0)), null);
  assert.equal(riscvDecoders(64, ["V"]).insn32.decode(vle32(1, a0))?.pattern.name, "vle32.v");
});
