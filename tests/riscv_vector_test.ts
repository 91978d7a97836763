// The vector extension beyond what the rvv_* guests compare with qemu-riscv64: the .rtz
// conversions (they crash QEMU 7.2), V disabled, vstart after a faulting element, a
// fault-only-first load that stops at an unmapped page, and -cpu parsing. Both engines.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine, Hooks, type MemAccess, TrapKind } from "../mod.ts";
import { RiscvState } from "../targets/riscv/state.ts";
import { parseRiscvCpu } from "../targets/riscv/isa.ts";
import { createRiscvTarget } from "../targets/riscv/mod.ts";
import { riscvDecoders } from "../targets/riscv/decode.ts";
import { A, CODE, DATA, i, machine, reg, X } from "./riscv/asm.ts";

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
/** vsse32.v vs3, (rs1), rs2: a strided store of EEW 32. */
const vsse32 = (vs3: number, rs1: number, rs2: number) =>
  ((2 << 26) | (1 << 25) | (rs2 << 20) | (rs1 << 15) | (6 << 12) | (vs3 << 7) | 0x27) >>> 0;
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

Deno.test("riscv V: memory hooks see each element of vector loads and stores", () => {
  // vle32 v1, (a0) then vsse32 v1, (a1), t0 (stride 8): 4 loads, then 4 stores.
  const insns = [vsetivli(0, 4, E32_M1), vle32(1, a0), vsse32(1, a1, t0)];
  const words = [0x11111111n, 0x22222222n, 0x33333333n, 0x44444444n];
  const logs = runBoth(insns, (m) => {
    words.forEach((w, k) => m.cpu.mem.store(DATA + BigInt(4 * k), 4, w));
    m.cpu.setGlobal(a0, DATA);
    m.cpu.setGlobal(a1, DATA + 0x100n);
    m.cpu.setGlobal(t0, 8n);
    const log: MemAccess[] = [];
    new Hooks(m.cpu).addMemHook((_v, a) => log.push(a), { regs: "none" });
    Object.assign(m, { log });
  }).map((m) => (m as unknown as { log: MemAccess[] }).log);
  const expected = [
    ...words.map((value, k) => ({ at: DATA + BigInt(4 * k), value, write: false })),
    ...words.map((value, k) => ({ at: DATA + 0x100n + BigInt(8 * k), value, write: true })),
  ];
  for (const log of logs) {
    assert.deepEqual(
      log.map((a) => ({ at: a.address, value: a.value, write: a.write, size: a.size })),
      expected.map((e) => ({ ...e, size: 4 })),
    );
    assert.ok(log.every((a) => a.pc === CODE + (a.write ? 8n : 4n)));
  }
});

Deno.test("riscv V: a watchpoint on one element stops after the vector store", () => {
  const insns = [vsetivli(0, 4, E32_M1), vsse32(1, a1, t0), A.addi(0, 0, 0)];
  for (
    const m of runBoth(insns, (m) => {
      m.cpu.setGlobal(a1, DATA);
      m.cpu.setGlobal(t0, 8n);
      const hooks = new Hooks(m.cpu);
      hooks.addMemHook((v) => v.stop(), { begin: DATA + 16n, end: DATA + 19n, regs: "none" });
    })
  ) {
    assert.equal(m.exit.reason, "stop");
    assert.equal(m.cpu.pc, CODE + 8n); // after the store, all of whose elements are written
  }
});

Deno.test("riscv V: a watch before an element's access stops there with vstart at it", () => {
  // vsse32 v1, (a1), t0 (stride 8): a callback before element 2's store abandons the instruction
  const insns = [vsetivli(0, 4, E32_M1), vsse32(1, a1, t0), A.ecall];
  for (const jit of ENGINES) {
    const m = machine(insns, V, jit);
    m.cpu.host.u8.fill(0xab, 0x1000 + RiscvState.VREGS + 16, 0x1000 + RiscvState.VREGS + 32);
    m.cpu.setGlobal(a1, DATA);
    m.cpu.setGlobal(t0, 8n);
    const hooks = new Hooks(m.cpu);
    const id = hooks.addMemHook((v, a) => {
      v.stop();
      v.setPc(a.pc);
    }, { begin: DATA + 16n, end: DATA + 19n, regs: "write", before: true });
    assert.equal(m.cpu.run(100).reason, "stop");
    assert.equal(m.cpu.pc, CODE + 4n);
    assert.equal(m.cpu.getState(RiscvState.VSTART), 2n);
    const word = (k: number) => m.cpu.mem.load(DATA + BigInt(8 * k), 4, false);
    assert.deepEqual([0, 1, 2, 3].map(word), [0xababababn, 0xababababn, 0n, 0n]);
    hooks.remove(id);
    assert.equal(m.cpu.run(100).reason, "trap"); // the store goes on from element 2
    assert.deepEqual([0, 1, 2, 3].map(word), Array(4).fill(0xababababn));
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

Deno.test("riscv -cpu rva23u64 runs the rva23mix guest as qemu-riscv64 -cpu rv64,v=true,... did", async () => {
  const guests = new URL("./guests/", import.meta.url).pathname;
  const want = await Deno.readTextFile(`${guests}expected/rva23mix.stdout`);
  for (const accel of ["interp", "jit"] as const) {
    const program = `${guests}bin/rva23mix.static.O3`;
    const m = await createMachine({ program, cpu: "rva23u64", accel });
    assert.equal(await m.runToExit(), 0, accel);
    assert.equal(m.stdout, want, accel);
    await m.close();
  }
});

Deno.test("riscv V: widening with SEW 64, or vd over the low part of a source, is illegal", () => {
  const vwadd = (vd: number, vs2: number, vs1: number) => opv(0b110001, 1, vs2, vs1, 2, vd);
  const [E32_M2, E64_M1] = [0b010_001, 0b011_000];
  const cases: [number, number, boolean][] = [
    [E32_M2, vwadd(4, 4, 6), true], // vd v4-v7 over vs2 v4-v5, its low part
    [E32_M2, vwadd(4, 2, 4), true], // over vs1, its low part
    [E64_M1, vwadd(2, 4, 6), true], // 2 * SEW > ELEN
    [E32_M2, vwadd(4, 6, 8), false], // vs2 in vd's high part: allowed
    [E32_M2, vwadd(4, 8, 10), false],
  ];
  for (const [vtype, insn, illegal] of cases) {
    for (const m of runBoth([vsetivli(0, 4, vtype), insn], () => {})) {
      assert.equal(m.exit.reason, "trap");
      if (m.exit.reason === "trap") {
        assert.equal(m.exit.trap.kind === TrapKind.ILLEGAL, illegal, insn.toString(16));
      }
    }
  }
});

Deno.test("riscv V: a reduction or vcompress with vstart not 0 is illegal, as on QEMU", () => {
  const csrwVstart = i(0x008, a0, 1, 0, 0x73);
  const vredsum = opv(0, 1, 2, 3, 2, 1), vcompress = opv(0b010111, 1, 2, 3, 2, 1);
  for (const insn of [vredsum, vcompress]) {
    for (const [vstart, illegal] of [[2n, true], [0n, false]] as const) {
      const insns = [vsetivli(0, 4, E32_M1), csrwVstart, insn];
      for (const m of runBoth(insns, (m) => m.cpu.setGlobal(a0, vstart))) {
        assert.equal(m.exit.reason, "trap");
        if (m.exit.reason === "trap") assert.equal(m.exit.trap.kind === TrapKind.ILLEGAL, illegal);
      }
    }
  }
});

Deno.test("riscv V: vstart >= vl changes no element and resets vstart (the spec; QEMU 7.2 keeps it)", () => {
  const csrwVstart = i(0x008, a0, 1, 0, 0x73), csrrVstart = i(0x008, 0, 2, a1, 0x73);
  const vaddVx = opv(0, 1, 2, a0, 4, 1); // vadd.vx v1, v2, a0 (v1 and v2 start as zeros)
  for (
    const [vstart, v1] of [[5n, [0, 0, 0, 0]], [4n, [0, 0, 0, 0]], [3n, [0, 0, 0, 3]]] as const
  ) {
    const insns = [vsetivli(0, 4, E32_M1), csrwVstart, vaddVx, csrrVstart];
    for (const m of runBoth(insns, (m) => m.cpu.setGlobal(a0, vstart))) {
      assert.equal(reg(m, a1), 0n, `vstart after, from ${vstart}`);
      assert.deepEqual([...new Uint32Array(vreg(m, 1).buffer)], v1, `v1 from vstart ${vstart}`);
    }
  }
});

Deno.test("riscv V: only a CPU with V builds the vector helpers and decode patterns", () => {
  const names = (cpu: string) => new Set(createRiscvTarget(cpu).helpers.map((h) => h.name));
  assert.ok(!names("rv64").has("vle32.v") && !names("rv64").has("vsetvl"));
  assert.ok(names(V).has("vle32.v") && names(V).has("vsetvl"));
  assert.equal(riscvDecoders(64).insn32.decode(vle32(1, a0)), null);
  assert.equal(riscvDecoders(64, ["V"]).insn32.decode(vle32(1, a0))?.pattern.name, "vle32.v");
});

Deno.test("riscv V: memtrace lists every element a vector store writes", async () => {
  // vcompute 1: main fills ys[4096] with scalar stores, then saxpy stores it again with vse32.v
  const program = new URL("./guests/bin/vcompute.static.O2", import.meta.url).pathname;
  for (const accel of ["interp", "jit"] as const) {
    let out = "";
    const m = await createMachine({
      program,
      args: ["1"],
      accel,
      cpu: V,
      plugins: ["memtrace,track=w"],
      pluginOutput: (t) => out += t,
    });
    assert.equal(await m.runToExit(), 0);
    const ys = m.symbol("ys")!;
    const stores = out.split("\n").map((l) => l.split(",")).filter((f) =>
      f[5] === "store" && BigInt(f[2]) >= ys && BigInt(f[2]) < ys + 4n * 4096n
    );
    assert.equal(stores.length, 2 * 4096, accel);
    assert.ok(stores.every((f) => f[4] === "32"));
    await m.close();
  }
});
