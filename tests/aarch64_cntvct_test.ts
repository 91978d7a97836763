// CNTVCT_EL0 reads the virtual clock exactly wherever generated code is: a loop that calls a
// function reading it runs many TBs in one region between returns to JS, and must read the same
// counts as the interpreter, which returns after every TB.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { CpuCore, GuestMemory, Perm } from "../plugin.ts";
import { JitBackend } from "../core/jit/jit_backend.ts";
import { createAarch64Target } from "../targets/aarch64/mod.ts";

const CODE = 0x10000n;
const timeLoop = [
  0x94000005, // 0: bl get_time (+20)
  0x8b000042, // 4: add x2, x2, x0 (the sum of the counts read)
  0xd1000421, // 8: sub x1, x1, #1
  0xb5ffffa1, // 12: cbnz x1, 0
  0xd4000001, // 16: svc #0
  0xd53be040, // 20: get_time: mrs x0, cntvct_el0
  0xd65f03c0, // 24: ret
];

/** Runs the loop `n` times; the sum of the counts read, and the region entries from JS. */
function run(jit: boolean, n: bigint): { sum: bigint; entries: number } {
  const mem = new GuestMemory();
  mem.map(CODE, 0x1000n, Perm.R | Perm.W | Perm.X);
  const bytes = new Uint8Array(new Uint32Array(timeLoop).buffer);
  mem.writeBytes(CODE, bytes);
  const cpu = new CpuCore(createAarch64Target("max"), mem);
  // a microsecond an instruction, so that each instruction moves CNTVCT (16 ns ticks, microsecond grain)
  cpu.timerNs = () => BigInt(cpu.icount + cpu.inFlight) * 1000n;
  const backend = jit ? new JitBackend(cpu) : null;
  if (backend) {
    backend.hotThreshold = 0;
    cpu.backend = backend;
  }
  cpu.pc = CODE;
  cpu.setGlobal(1, n);
  assertEquals(cpu.run(1_000_000).reason, "trap");
  return { sum: cpu.getGlobal(2), entries: backend?.stats.regionCalls ?? 0 };
}

Deno.test("aarch64 jit: cntvct_el0 read in a region that chains on counts as the interpreter does", () => {
  const jit = run(true, 2000n), interp = run(false, 2000n);
  assertEquals(jit.entries < 20, true, `${jit.entries} region entries for 2000 iterations`);
  assertEquals(jit.sum, interp.sum);
});
