// The vector fast path (targets/riscv/trans_rvv_fast.ts): the same instructions translated to
// the IR's vector ops and run by their helpers must leave the same registers and memory, at
// every SEW and LMUL, on the interpreter and in lockstep (the JIT compared with it TB by TB);
// where its guard fails (vl < VLMAX, vstart != 0) the helper runs. The random vector programs of riscv_random_diff_test compare it with qemu-riscv64.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { Op, STATE_BASE } from "../plugin.ts";
import { LockstepBackend } from "../core/jit/lockstep.ts";
import { RiscvState } from "../targets/riscv/state.ts";
import { A, b, CODE, DATA, i, j, machine, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, a4, a5, t0, t1 } = X;
const VREGS = STATE_BASE + RiscvState.VREGS, VREGS_END = VREGS + 32 * 16;
const V = "rv64,v=true,vlen=128";

const opv = (f6: number, vm: number, vs2: number, vs1: number, f3: number, vd: number) =>
  ((f6 << 26) | (vm << 25) | (vs2 << 20) | (vs1 << 15) | (f3 << 12) | (vd << 7) | 0x57) >>> 0;
const [VV, VI, VX, MVV, MVX] = [0, 3, 4, 2, 6];
/** vsetvli rd, rs1, vtype (rs1 = x0 and rd != x0: vl = VLMAX). */
const vsetvli = (rd: number, rs1: number, vtype: number) =>
  ((vtype << 20) | (rs1 << 15) | (7 << 12) | (rd << 7) | 0x57) >>> 0;
/** vsetvl rd, rs1, rs2: vtype from a register, which the translation does not know. */
const vsetvl = (rd: number, rs1: number, rs2: number) =>
  ((0x40 << 25) | (rs2 << 20) | (rs1 << 15) | (7 << 12) | (rd << 7) | 0x57) >>> 0;
const WIDTH: Record<number, number> = { 8: 0, 16: 5, 32: 6, 64: 7 };
/** Unit-stride load (0x07) or store (0x27) of EEW `eew`. */
const vmem = (op: number, eew: number, vd: number, rs1: number) =>
  ((1 << 25) | (rs1 << 15) | (WIDTH[eew] << 12) | (vd << 7) | op) >>> 0;

/** Every fast instruction form, chained through v24 from v8 and v16 (a3, a4: scalars). */
function body(sew: number): number[] {
  return [
    vmem(0x07, sew, 8, a0),
    vmem(0x07, sew, 16, a1),
    opv(0x00, 1, 8, 16, VV, 24), // vadd.vv
    opv(0x02, 1, 24, a3, VX, 24), // vsub.vx
    opv(0x03, 1, 24, 0b10110, VI, 24), // vrsub.vi -10
    opv(0x25, 1, 24, 16, MVV, 24), // vmul.vv
    opv(0x2d, 1, 8, a3, MVX, 24), // vmacc.vx
    vmem(0x27, sew, 24, a2),
    opv(0x04, 1, 24, 16, VV, 24), // vminu.vv
    opv(0x07, 1, 24, a4, VX, 24), // vmax.vx
    opv(0x05, 1, 24, 8, VV, 24), // vmin.vv
    opv(0x06, 1, 24, a3, VX, 24), // vmaxu.vx
    opv(0x09, 1, 24, 0b01101, VI, 24), // vand.vi 13
    opv(0x0a, 1, 24, 8, VV, 24), // vor.vv
    opv(0x0b, 1, 24, a4, VX, 24), // vxor.vx
    opv(0x25, 1, 24, a4, VX, 24), // vsll.vx
    opv(0x29, 1, 24, 3, VI, 24), // vsra.vi
    opv(0x28, 1, 24, a3, VX, 24), // vsrl.vx
    opv(0x25, 1, 24, 16, VV, 24), // vsll.vv: always the helper
    opv(0x17, 1, 0, a3, VX, 16), // vmv.v.x
    opv(0x00, 0, 24, 16, VV, 24), // masked: vadd.vv, vsub.vx, vmacc.vx, vsra.vi, vrsub.vi
    opv(0x02, 0, 24, a3, VX, 24),
    opv(0x2d, 0, 8, a4, MVX, 24),
    opv(0x29, 0, 24, 5, VI, 24),
    opv(0x03, 0, 24, 0b00111, VI, 24),
    opv(0x00, 1, 24, 16, VV, 24),
    vmem(0x27, sew, 24, a5),
    opv(0x00, 0, 16, 8, VV, 0), // masked with vd = v0: illegal (the helper traps), last
  ];
}

/**
 * Runs `insns` + ecall with the same random registers and memory on the interpreter, or on
 * lockstep (the JIT, compared TB by TB with the interpreter).
 */
function runProgram(insns: number[], lockstep: boolean, vtype: number) {
  const m = machine([...insns, A.ecall], V);
  if (lockstep) m.cpu.backend = new LockstepBackend(m.cpu);
  let seed = 0x2545f491;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  for (let at = 0; at < 0x600; at++) m.mem.store(DATA + BigInt(at), 1, BigInt(next() & 0xff));
  for (let at = 0; at < 32 * 16; at++) m.cpu.host.u8[VREGS + at] = next();
  m.cpu.setGlobal(a0, DATA);
  m.cpu.setGlobal(a1, DATA + 0x200n);
  m.cpu.setGlobal(a2, DATA + 0x400n);
  m.cpu.setGlobal(a5, DATA + 0x500n);
  m.cpu.setGlobal(a3, 0x8765_4321_fedc_ba98n - (1n << 64n));
  m.cpu.setGlobal(a4, 0x1234_5678_9abc_def3n);
  m.cpu.setGlobal(t1, BigInt(vtype));
  const exit = m.cpu.run(1000);
  assert.equal(exit.reason, "trap"); // the last instruction of body(), or the ecall
  if (lockstep) assert.ok((m.cpu.backend as LockstepBackend).compared > 0);
  const usesVectorOps = m.cpu.tbs.peek(CODE)!.ir.ops.some((o) => o.op === Op.VADD);
  return {
    usesVectorOps,
    state: {
      trap: exit.reason === "trap" ? [exit.trap.kind, exit.trap.pc] : [],
      vregs: [...m.cpu.host.u8.subarray(VREGS, VREGS_END)],
      memory: [...m.mem.readBytes(DATA, 0x600)],
      vl: m.cpu.getState(RiscvState.VL),
      vstart: m.cpu.getState(RiscvState.VSTART),
    },
  };
}

Deno.test("riscv V fast path: vector ops give what the helpers give, every SEW and LMUL", () => {
  for (const sew of [8, 16, 32, 64]) {
    for (const lmul of [0, 1, 2, 3]) {
      const vtype = 0xc0 | (Math.log2(sew / 8) << 3) | lmul, what = `e${sew} m${1 << lmul}`;
      for (const lockstep of [false, true]) {
        const fast = runProgram([vsetvli(t0, 0, vtype), ...body(sew)], lockstep, vtype);
        const slow = runProgram([vsetvl(t0, 0, t1), ...body(sew)], lockstep, vtype);
        assert.ok(fast.usesVectorOps && !slow.usesVectorOps, `${what}: which path`);
        assert.deepEqual(fast.state, slow.state, `${what} lockstep=${lockstep}`);
      }
    }
  }
});

Deno.test("riscv V fast path: vl < VLMAX or vstart != 0 takes the helper", () => {
  const vtype = 0xd1; // e32 m2: VLMAX 8
  for (const lockstep of [false, true]) {
    const short = [i(7, 0, 0, t0, 0x13), vsetvli(0, t0, vtype)]; // vl = 7: the tail stays
    const fast = runProgram([...short, ...body(32)], lockstep, vtype);
    const slow = runProgram(
      [i(7, 0, 0, t0, 0x13), vsetvl(0, t0, t1), ...body(32)],
      lockstep,
      vtype,
    );
    assert.equal(fast.state.vl, 7n);
    assert.deepEqual(fast.state, slow.state, `vl 7, lockstep=${lockstep}`);
    // csrw vstart, 2 before a vadd.vv: elements 0 and 1 keep their values
    const vstart = [vsetvli(t0, 0, vtype), i(2, 0, 0, t0, 0x13), i(8, t0, 1, 0, 0x73)];
    const add = opv(0x00, 1, 8, 16, VV, 24);
    const a = runProgram([...vstart, add], lockstep, vtype);
    const b = runProgram([vsetvl(t0, 0, t1), ...vstart.slice(1), add], lockstep, vtype);
    assert.deepEqual(a.state, b.state, `vstart 2, lockstep=${lockstep}`);
  }
});

Deno.test("riscv V fast path: a jump after a vsetvli that changed vtype does not reuse code of the old vtype", () => {
  // e32 m4 and e8 m1 have the same VLMAX (16 at VLEN 128): only the TB flags tell them apart.
  const [E32_M4, E8_M1] = [0xd2, 0xc0];
  const loop = [
    vsetvli(t0, 0, E32_M4),
    j(12, 0), // to X, first under e32 m4
    vsetvli(t0, 0, E8_M1), // P: entered under e32 m4, leaves e8 m1
    j(4, 0),
    opv(0x00, 1, 24, 16, VV, 24), // X: vadd.vv v24, v24, v16
    i(-1, a4, 0, a4, 0x13),
    vsetvli(t0, 0, E32_M4),
    b(-20, 0, a4, 1), // bnez a4, P
  ];
  const results = [false, true].map((jit) => {
    const m = machine([...loop, A.ecall], V, jit);
    for (let at = 0; at < 32 * 16; at++) m.cpu.host.u8[VREGS + at] = (at * 0x9d + 7) & 0xff;
    m.cpu.setGlobal(a4, 4n);
    assert.equal(m.cpu.run(1000).reason, "trap");
    return [...m.cpu.host.u8.subarray(VREGS + 24 * 16, VREGS + 28 * 16)];
  });
  assert.deepEqual(results[1], results[0]);
});
