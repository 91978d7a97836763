// Bit manipulation and Zicond beyond what the zbitmanip guest compares with qemu-riscv64:
// Zicond (QEMU 7.2 predates it), RV32 forms, a QEMU 7.2 ctzw bug, extension enabling through
// -cpu and profiles, and that a disabled extension's instructions are illegal. Both engines.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { TrapKind } from "../mod.ts";
import { parseRiscvCpu } from "../targets/riscv/isa.ts";
import { disassembleRiscv } from "../targets/riscv/disas.ts";
import { A, i, machine, r, reg, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, a4 } = X;
const ENGINES = [false, true];

/** Runs `insns` then ecall on `cpu` with both engines; returns the machines. */
function runBoth(insns: number[], regs: Record<number, bigint>, cpu: string) {
  return ENGINES.map((jit) => {
    const m = machine([...insns, A.ecall], cpu, jit);
    for (const [k, v] of Object.entries(regs)) m.cpu.setGlobal(Number(k), v);
    return { ...m, exit: m.cpu.run(1000) };
  });
}

const CZERO_EQZ = (rd: number, rs1: number, rs2: number) => r(0b0000111, rs2, rs1, 5, rd, 0x33);
const CZERO_NEZ = (rd: number, rs1: number, rs2: number) => r(0b0000111, rs2, rs1, 7, rd, 0x33);

Deno.test("riscv zicond: czero.eqz and czero.nez, rd also a source", () => {
  for (
    const m of runBoth(
      [
        CZERO_EQZ(a2, a0, a1), // a1 != 0: a2 = a0
        CZERO_NEZ(a3, a0, a1), // a1 != 0: a3 = 0
        CZERO_EQZ(a4, a0, 0), // rs2 = x0: 0
        CZERO_NEZ(a0, a0, 0), // rs2 = x0: a0 unchanged
      ],
      { [a0]: -5n, [a1]: 1n << 40n, [a3]: 7n, [a4]: 9n },
      "rv64,zicond=on",
    )
  ) {
    assert.deepEqual([reg(m, a2), reg(m, a3), reg(m, a4), reg(m, a0)], [-5n, 0n, 0n, -5n]);
  }
});

Deno.test("riscv zicond: the disassembler prints czero as binutils 2.41 does (2.40 predates it)", () => {
  assert.equal(disassembleRiscv(64, CZERO_EQZ(a2, a0, a1), 4, 0n), "czero.eqz\ta2,a0,a1");
  assert.equal(disassembleRiscv(32, CZERO_NEZ(a0, 0, a4), 4, 0n), "czero.nez\ta0,zero,a4");
});

Deno.test("riscv zbb: ctzw of a zero low word is 32 (QEMU 7.2 answers 63 here)", () => {
  const ctzw = r(0b0110000, 1, a0, 1, a1, 0x1b);
  for (const m of runBoth([ctzw], { [a0]: -(1n << 63n) }, "rv64,zbb=true")) {
    assert.equal(reg(m, a1), 32n);
  }
});

Deno.test("riscv rv32 bit manipulation keeps registers sign-extended", () => {
  const cases: [string, number, bigint, bigint, bigint][] = [
    // name, instruction (rd = a2, rs1 = a0, rs2 = a1), a0, a1, expected a2
    ["rev8", i(0x698, a0, 5, a2, 0x13), 0x12345680n, 0n, BigInt.asIntN(32, 0x80563412n)],
    ["orc.b", i(0x287, a0, 5, a2, 0x13), 0x00100080n, 0n, 0x00ff00ffn],
    ["rori 1", i(0x601, a0, 5, a2, 0x13), -0x7fffffffn, 0n, BigInt.asIntN(32, 0xc0000000n)],
    ["rol 33", r(0x30, a1, a0, 1, a2, 0x33), -0x7fffffffn, 33n, 3n],
    ["bseti 31", i(0x29f, a0, 1, a2, 0x13), 0n, 0n, -0x80000000n],
    ["bclri 31", i(0x49f, a0, 1, a2, 0x13), -1n, 0n, 0x7fffffffn],
    ["clmulh", r(5, a1, a0, 3, a2, 0x33), -0x80000000n, -0x80000000n, 0x40000000n],
    ["clmulr", r(5, a1, a0, 2, a2, 0x33), -0x80000000n, -0x80000000n, -0x80000000n],
    ["ctz 0", r(0x30, 1, a0, 1, a2, 0x13), 0n, 0n, 32n],
    ["clz", r(0x30, 0, a0, 1, a2, 0x13), 0x00010000n, 0n, 15n],
    ["cpop -1", r(0x30, 2, a0, 1, a2, 0x13), -1n, 0n, 32n],
    ["sh3add", r(0x10, a1, a0, 6, a2, 0x33), 0x10000000n, 1n, -0x7fffffffn],
  ];
  for (const [name, insn, x, y, want] of cases) {
    for (const m of runBoth([insn], { [a0]: x, [a1]: y }, "rv32,zba=on,zbb=on,zbc=on,zbs=on")) {
      assert.equal(reg(m, a2), want, name);
    }
  }
});

Deno.test("riscv rv32 Zbkb and Zbkx: zip, unzip, pack, brev8, xperm keep registers sign-extended", () => {
  const ZBK = 0b0000100, XPERM = 0b0010100;
  const cases: [string, number, bigint, bigint, bigint][] = [
    // name, instruction (rd = a2, rs1 = a0, rs2 = a1), a0, a1, expected a2
    ["zip low", i(0x08f, a0, 1, a2, 0x13), 0x0000ffffn, 0n, 0x55555555n],
    ["zip high", i(0x08f, a0, 1, a2, 0x13), -0x10000n, 0n, -0x55555556n],
    ["unzip odd", i(0x08f, a0, 5, a2, 0x13), -0x55555556n, 0n, -0x10000n],
    ["unzip even", i(0x08f, a0, 5, a2, 0x13), 0x55555555n, 0n, 0xffffn],
    ["pack", r(ZBK, a1, a0, 4, a2, 0x33), 0x12345678n, 0xf000n, -0x0fffa988n],
    ["pack x0 (zext.h)", r(ZBK, 0, a0, 4, a2, 0x33), -0x1234n, 0n, 0xedccn],
    ["packh", r(ZBK, a1, a0, 7, a2, 0x33), 0x1234n, -0x100n, 0x34n],
    ["brev8", i(0x687, a0, 5, a2, 0x13), 0x01000001n, 0n, -0x7fffff80n],
    ["xperm8", r(XPERM, a1, a0, 4, a2, 0x33), 0x44332211n, 0x00010203n, 0x11223344n],
    ["xperm8 past XLEN", r(XPERM, a1, a0, 4, a2, 0x33), 0x44332211n, 0x04000000n, 0x00111111n],
    ["xperm4", r(XPERM, a1, a0, 2, a2, 0x33), 0x76543210n, 0x01234567n, 0x01234567n],
    ["xperm4 sign", r(XPERM, a1, a0, 2, a2, 0x33), 0x7654321fn, 0n, -1n],
  ];
  for (const [name, insn, x, y, want] of cases) {
    for (const m of runBoth([insn], { [a0]: x, [a1]: y }, "rv32,zbkb=on,zbkx=on")) {
      assert.equal(reg(m, a2), want, name);
    }
  }
});

const illegal = (exit: ReturnType<typeof runBoth>[number]["exit"]) =>
  exit.reason === "trap" && exit.trap.kind === TrapKind.ILLEGAL;

Deno.test("riscv: an instruction of a disabled extension is illegal", () => {
  const sh1add = r(0b0010000, a1, a0, 2, a2, 0x33);
  for (const cpu of ["rv64,zba=off", "rva22u64,zba=false", "rv64,zbb=on,zbs=on,zba=no"]) {
    for (const m of runBoth([sh1add], {}, cpu)) {
      assert.ok(illegal(m.exit), cpu);
    }
  }
  for (const m of runBoth([sh1add], { [a0]: 5n, [a1]: 1n }, "rva22u64")) {
    assert.equal(reg(m, a2), 11n);
  }
  // Zbkb has andn but not clz; Zbkc has clmul but not clmulr
  const andn = r(0b0100000, a1, a0, 7, a2, 0x33), clz = r(0x30, 0, a0, 1, a2, 0x13);
  const clmulr = r(5, a1, a0, 2, a2, 0x33);
  const zbkbOnly = "rv64,zbb=off,zbkb=on";
  for (const m of runBoth([andn], {}, zbkbOnly)) assert.ok(!illegal(m.exit), "andn");
  for (const m of runBoth([clz], {}, zbkbOnly)) assert.ok(illegal(m.exit), "clz");
  for (const m of runBoth([clmulr], {}, "rv64,zbc=off,zbkc=on")) assert.ok(illegal(m.exit));
  // Zfhmin has half moves and conversions, not half arithmetic; Zfh has both
  const faddH = 0x04000053, fmvXH = 0xe4000553;
  for (const m of runBoth([fmvXH], {}, "rv64,zfhmin=on")) assert.ok(!illegal(m.exit), "fmv.x.h");
  for (const m of runBoth([faddH], {}, "rv64,zfhmin=on")) assert.ok(illegal(m.exit), "fadd.h");
  for (const m of runBoth([faddH], {}, "rv64,Zfh=true")) assert.ok(!illegal(m.exit), "fadd.h");
  for (const m of runBoth([fmvXH], {}, "rv64")) assert.ok(illegal(m.exit), "fmv.x.h");
});

Deno.test("riscv -cpu: QEMU's extension properties and profile names", () => {
  // QEMU 7.2's rv64 has Zba, Zbb, Zbc, Zbs and Sstc on by default
  assert.equal(
    parseRiscvCpu("rv64").isaString,
    "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc",
  );
  assert.equal(
    parseRiscvCpu("rv64,zbb=off,zbs=on,zba=true,zbc=yes").isaString,
    "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbc_zbs_sstc",
  );
  assert.ok(
    ["zba", "zbb", "zbs"].every((e) => parseRiscvCpu("rva22s64").extensions.has(e as never)),
  );
  assert.equal(
    parseRiscvCpu("rv32,zicond=on,zba=off,zbb=off,zbc=off,zbs=off").isaString,
    "rv32imafdc_zicsr_zifencei_zihintpause_zicond_sstc",
  );
  assert.equal(
    parseRiscvCpu("rv64,zbkx=on,zbkb=on").isaString,
    "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbkb_zbkx_zbs_sstc",
  );
  assert.equal(parseRiscvCpu("rv64,zicsr=on,v=off").extensions.size, 5);
  // QEMU spells it Zfh; Zfh implies Zfhmin
  assert.equal(
    parseRiscvCpu("rv64,Zfh=true,zbc=off").isaString,
    "rv64imafdc_zicsr_zifencei_zihintpause_zfh_zfhmin_zba_zbb_zbs_sstc",
  );
  assert.ok(parseRiscvCpu("rva23u64").extensions.has("v"));
  assert.equal(parseRiscvCpu("rv64,v=true,vlen=256,elen=64,vext_spec=v1.0").vlen, 256);
  assert.throws(() => parseRiscvCpu("rv64,v=true,vlen=1024"), /vlen=1024 is not supported/);
  assert.throws(() => parseRiscvCpu("rv64,zbq=on"), /unknown property "zbq"/);
  // a property nobody knows is named as such whatever its value (was "foo=bar is not on or off")
  assert.throws(() => parseRiscvCpu("rv64,foo=bar"), /unknown property "foo"/);
  assert.throws(() => parseRiscvCpu("rv64,zba=maybe"), /zba=maybe is not on or off/);
  assert.throws(() => parseRiscvCpu("rv64,m=off"), /m cannot be disabled/);
  // QEMU's rv64 has H; off is what Denemu's hart is, on is refused
  assert.equal(parseRiscvCpu("rv64,h=false").isaString, parseRiscvCpu("rv64").isaString);
  assert.throws(() => parseRiscvCpu("rv64,h=on"), /no H extension/);
  assert.throws(() => parseRiscvCpu("rv128"), /unknown CPU model "rv128"/);
});
