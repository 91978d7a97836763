// C extension execution tests: compressed instructions run as their 32-bit
// expansions, mixed with 32-bit code, on RV64 and RV32.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { TrapKind } from "../plugin.ts";
import { A, CODE, DATA, reg, run, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, a4, a5, ra, sp, t0 } = X;

// Encodings checked against binutils (see tests/riscv/rv64gc_forms.objdump.txt).
const C = {
  li_a0_m3: 0x5575,
  addi_a0_m16: 0x1541,
  li_t0_31: 0x42fd,
  lui_a0_1f: 0x657d,
  lui_a0_fffe1: 0x7505,
  addi16sp_m64: 0x7139,
  addi4spn_a0_16: 0x0808,
  srli_a0_3: 0x810d,
  srai_a1_63: 0x95fd,
  andi_a2_m1: 0x9a7d,
  sub_a0_a1: 0x8d0d,
  mv_a0_a1: 0x852e,
  add_a0_a1: 0x952e,
  subw_a0_a1: 0x9d0d,
  addw_a0_a1: 0x9d2d,
  addiw_a0_m1: 0x357d,
  slli_a0_1: 0x0506,
  lwsp_a0_252: 0x557e,
  swsp_a0_252: 0xdfaa,
  ldsp_ra_504: 0x70fe,
  sdsp_ra_504: 0xff86,
  lw_a2_124_a3: 0x5ef0,
  sw_a2_4_a3: 0xc2d0,
  ld_a4_248_a5: 0x7ff8,
  sd_a4_16_a5: 0xeb98,
  jr_ra: 0x8082,
  jalr_a0: 0x9502,
  ebreak: 0x9002,
  j_plus4: 0xa011,
  beqz_a0_plus4: 0xc111,
  bnez_a0_plus4: 0xe111,
  nop: 0x0001,
};

Deno.test("riscv C: immediates, lui and stack-pointer adjustments", () => {
  const m = run(
    [C.li_a0_m3, C.addi_a0_m16, C.li_t0_31, C.addi16sp_m64, C.addi4spn_a0_16, A.ecall],
    {
      [sp]: 0x1000n,
    },
  );
  assert.equal(reg(m, t0), 31n);
  assert.equal(reg(m, sp), 0x1000n - 64n);
  assert.equal(reg(m, a0), 0x1000n - 64n + 16n);
  const lui = run([C.lui_a0_1f, A.op(0, 0, a1, a0, 0), C.lui_a0_fffe1, C.nop, A.ecall]);
  assert.equal(reg(lui, a1), 0x1f000n);
  assert.equal(reg(lui, a0), -0x1f000n);
  assert.ok(lui.exit.reason === "trap" && lui.exit.trap.pc === CODE + 10n);
});

Deno.test("riscv C: register-register and shift forms", () => {
  const cases: [number, bigint, bigint, number, bigint][] = [
    [C.srli_a0_3, -8n, 0n, a0, BigInt.asIntN(64, 0xfffffffffffffff8n >> 3n)],
    [C.srai_a1_63, 0n, -5n, a1, -1n],
    [C.sub_a0_a1, 10n, 3n, a0, 7n],
    [C.mv_a0_a1, 10n, 3n, a0, 3n],
    [C.add_a0_a1, 10n, 3n, a0, 13n],
    [C.subw_a0_a1, -0x80000000n, 1n, a0, 0x7fffffffn],
    [C.addw_a0_a1, 0x7fffffffn, 1n, a0, -0x80000000n],
    [C.addiw_a0_m1, 0x1_0000_0000n, 0n, a0, -1n],
    [C.slli_a0_1, 0x4000_0000_0000_0000n, 0n, a0, -0x8000_0000_0000_0000n],
  ];
  for (const [insn, x, y, rd, want] of cases) {
    const m = run([insn, A.ecall], { [a0]: x, [a1]: y });
    assert.equal(reg(m, rd), want, `0x${insn.toString(16)}`);
  }
  const andi = run([C.andi_a2_m1, A.ecall], { [a2]: 0x1234n });
  assert.equal(reg(andi, a2), 0x1234n);
});

Deno.test("riscv C: loads and stores (sp-relative and register-relative)", () => {
  const m = run([
    C.sdsp_ra_504,
    C.swsp_a0_252,
    C.ldsp_ra_504, // round-trips
    C.lwsp_a0_252,
    C.sw_a2_4_a3,
    C.lw_a2_124_a3,
    C.sd_a4_16_a5,
    C.ld_a4_248_a5,
    A.ecall,
  ], {
    [sp]: BigInt(DATA),
    [ra]: 0x1122334455667788n,
    [a0]: -2n,
    [a2]: 0x55n,
    [a3]: BigInt(DATA) + 0x400n,
    [a4]: 0x99n,
    [a5]: BigInt(DATA) + 0x800n,
  });
  assert.equal(m.mem.load(DATA + 504n, 8, false), 0x1122334455667788n);
  assert.equal(reg(m, ra), 0x1122334455667788n);
  assert.equal(m.mem.load(DATA + 252n, 4, false), 0xfffffffen);
  assert.equal(reg(m, a0), -2n);
  assert.equal(m.mem.load(DATA + 0x404n, 4, false), 0x55n);
  assert.equal(reg(m, a2), 0n); // 124(a3) was never written
  assert.equal(m.mem.load(DATA + 0x810n, 8, false), 0x99n);
  assert.equal(reg(m, a4), 0n);
});

Deno.test("riscv C: jumps and branches advance by 2 and link pc + 2", () => {
  const m = run([
    C.j_plus4, // to CODE+4
    C.li_t0_31, // skipped
    C.beqz_a0_plus4, // a0 == 0: taken, to CODE+8
    C.li_t0_31, // skipped
    C.bnez_a0_plus4, // not taken
    C.jalr_a0 & 0xf07f | (a1 << 7), // c.jalr a1 -> CODE+16, ra = CODE+12
    A.ecall,
    A.ecall,
  ], { [a1]: BigInt(CODE) + 16n });
  assert.equal(reg(m, t0), 0n);
  assert.equal(reg(m, ra), BigInt(CODE) + 12n);
  assert.ok(m.exit.reason === "trap" && m.exit.trap.pc === CODE + 16n);
  const jr = run([C.jr_ra, A.ecall, A.ecall], { [ra]: BigInt(CODE) + 6n });
  assert.ok(jr.exit.reason === "trap" && jr.exit.trap.pc === CODE + 6n);
});

Deno.test("riscv C: c.ebreak traps; RV32 c.jal links and c.ld slots are c.flw", () => {
  const bp = run([C.nop, C.ebreak]);
  assert.ok(bp.exit.reason === "trap");
  if (bp.exit.reason === "trap") {
    assert.equal(bp.exit.trap.kind, TrapKind.BREAKPOINT);
    assert.equal(bp.exit.trap.pc, CODE + 2n);
  }
  // c.jal +4 on RV32 (0x2011): ra = CODE + 2.
  const jal = run([0x2011, A.ecall, A.ecall], {}, "rv32");
  assert.equal(reg(jal, ra), BigInt(CODE) + 2n);
  assert.ok(jal.exit.reason === "trap" && jal.exit.trap.pc === CODE + 4n);
  // 0x61c8 is c.ld a0,128(a1) on RV64 and c.flw fa0,4(a1) on RV32.
  const flw = run([0x61c8, A.ecall], { [a1]: BigInt(DATA) }, "rv32");
  assert.equal(BigInt.asUintN(64, flw.cpu.getGlobal(32 + a0)), 0xffffffff00000000n);
  // c.addiw on RV32 is c.jal; c.subw is illegal.
  const subw = run([C.subw_a0_a1], {}, "rv32");
  assert.ok(subw.exit.reason === "trap" && subw.exit.trap.kind === TrapKind.ILLEGAL);
  assert.ok(subw.exit.reason === "trap" && subw.exit.trap.data === BigInt(C.subw_a0_a1));
});
