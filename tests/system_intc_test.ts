// CLINT (mtime, mtimecmp, msip) and PLIC (priority, enable, threshold, claim/complete) through
// their MMIO registers, with a recording interrupt sink in place of the CPU.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import type { IrqLine } from "../mod.ts";
import { MipBit } from "../targets/riscv/causes.ts";
import { Plic } from "../plugins/devices/plic.ts";
import { testEnv, withDevices } from "./system_env.ts";

const CLINT = 0x2000000n, PLIC = 0xc000000n;

async function clint() {
  const env = testEnv();
  await withDevices(env, [["plic", { addr: PLIC }], ["aclint", { addr: CLINT }]]);
  return env;
}

Deno.test("clint: mtime counts at 10 MHz of virtual time", async () => {
  const env = await clint();
  assert.equal(env.bus.load(CLINT + 0xbff8n, 8), 0n);
  env.advanceTo(1_000_000n); // 1 ms
  assert.equal(env.bus.load(CLINT + 0xbff8n, 8), 10_000n);
  assert.equal(env.bus.load(CLINT + 0xbff8n, 4), 10_000n, "low word alone");
  env.bus.store(CLINT + 0xbff8n, 8, 1n << 40n); // software sets mtime
  assert.equal(env.bus.load(CLINT + 0xbffcn, 4), 1n << 8n);
  env.advanceTo(1_000_100n);
  assert.equal(env.bus.load(CLINT + 0xbff8n, 8), (1n << 40n) + 1n);
});

Deno.test("clint: MTIP asserts exactly when mtime reaches mtimecmp, clears on a later compare", async () => {
  const env = await clint();
  assert.equal(env.sink.isPending(MipBit.MTIP), false, "nothing pending before mtimecmp is set");
  env.bus.store(CLINT + 0x4000n, 8, 50n); // 50 ticks = 5000 ns
  assert.equal(env.bus.load(CLINT + 0x4000n, 8), 50n);
  assert.equal(env.events.nextDeadline(), 5000n);
  env.advanceTo(4999n);
  assert.equal(env.sink.isPending(MipBit.MTIP), false);
  env.advanceTo(5000n);
  assert.equal(env.sink.isPending(MipBit.MTIP), true);
  env.bus.store(CLINT + 0x4004n, 4, 1n); // high word: far in the future
  assert.equal(env.sink.isPending(MipBit.MTIP), false);
  env.bus.store(CLINT + 0x4000n, 4, 0n);
  env.bus.store(CLINT + 0x4004n, 4, 0n); // mtimecmp = 0 <= mtime: at once
  assert.equal(env.sink.isPending(MipBit.MTIP), true);
});

Deno.test("clint: msip drives MSIP", async () => {
  const env = await clint();
  env.bus.store(CLINT, 4, 1n);
  assert.equal(env.sink.isPending(MipBit.MSIP), true);
  assert.equal(env.bus.load(CLINT, 4), 1n);
  env.bus.store(CLINT, 4, 0n);
  assert.equal(env.sink.isPending(MipBit.MSIP), false);
});

async function plic() {
  const env = testEnv();
  const { devs } = await withDevices(env, [["plic", { addr: PLIC }]]);
  const ic = devs.created[0].device.interruptController as Plic;
  const w = (off: number, v: number) => env.bus.store(PLIC + BigInt(off), 4, BigInt(v));
  const r = (off: number) => Number(env.bus.load(PLIC + BigInt(off), 4));
  return { env, ic, w, r };
}

Deno.test("plic: priority, enable and threshold gate MEIP; claim picks the highest priority", async () => {
  const { env, ic, w, r } = await plic();
  const uart: IrqLine = ic.line(10), disk: IrqLine = ic.line(8);
  uart.set(true);
  disk.set(true);
  assert.equal(r(0x1000), (1 << 10) | (1 << 8), "pending bits");
  assert.equal(env.sink.isPending(MipBit.MEIP), false, "priority 0 never interrupts");
  w(4 * 10, 1);
  w(4 * 8, 5);
  assert.equal(r(4 * 8), 5);
  assert.equal(env.sink.isPending(MipBit.MEIP), false, "not enabled");
  w(0x2000, (1 << 10) | (1 << 8));
  assert.equal(env.sink.isPending(MipBit.MEIP), true);
  assert.equal(env.sink.isPending(MipBit.SEIP), false, "S context has nothing enabled");
  w(0x200000, 5); // threshold 5 masks both
  assert.equal(env.sink.isPending(MipBit.MEIP), false);
  assert.equal(r(0x200004), 0, "nothing claimable above the threshold");
  w(0x200000, 0);
  assert.equal(r(0x200004), 8, "highest priority first");
  assert.equal(r(0x200004), 10);
  assert.equal(r(0x200004), 0, "both in service");
  assert.equal(env.sink.isPending(MipBit.MEIP), false);
  assert.equal(r(0x1000), 0, "claimed sources are not pending");
  // Completing while the line is still high makes it pending again (level triggered).
  w(0x200004, 10);
  assert.equal(r(0x1000), 1 << 10);
  assert.equal(env.sink.isPending(MipBit.MEIP), true);
  disk.set(false);
  w(0x200004, 8);
  assert.equal(r(0x1000), 1 << 10, "source 8's line went low: not pending after completion");
});

Deno.test("plic: context 1 (hart 0 S-mode) drives SEIP", async () => {
  const { env, ic, w, r } = await plic();
  w(4 * 1, 7);
  w(0x2080, 1 << 1);
  w(0x201000, 3);
  ic.line(1).set(true);
  assert.equal(env.sink.isPending(MipBit.SEIP), true);
  assert.equal(env.sink.isPending(MipBit.MEIP), false);
  assert.equal(r(0x201004), 1);
  assert.equal(env.sink.isPending(MipBit.SEIP), false);
  ic.line(1).set(false);
  w(0x201004, 1);
  assert.equal(r(0x1000), 0);
  assert.throws(() => ic.line(97), /source 97 does not exist/);
  assert.equal(r(0x2000) & 1, 0);
  w(0x2000, 0xffffffff);
  assert.equal(r(0x2000), 0xfffffffe, "source 0 cannot be enabled");
});
