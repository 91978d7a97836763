// PMP bookkeeping of the RISC-V target: the per-page check, and which register
// writes count as a change (a change flushes every translation).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Pmp } from "../targets/riscv/pmp.ts";
import { Priv } from "../targets/riscv/csr.ts";

const NAPOT = 3 << 3, NA4 = 2 << 3, TOR = 1 << 3, R = 1, X = 4;

Deno.test("pmp: only writes that change what entries allow are changes", () => {
  const pmp = new Pmp(64);
  const g0 = pmp.generation;
  // Firmware probes pmpaddr of entries that are off: nothing changes.
  pmp.writeAddr(3, -1n);
  pmp.writeAddr(3, 0n);
  assertEquals(pmp.generation, g0);
  // Turning an entry on is a change; rewriting the same value is not.
  pmp.writeAddr(0, (0x80000000n >> 2n) | 0x3fffn); // NAPOT 128 KiB at 0x80000000
  assertEquals(pmp.generation, g0);
  pmp.writeCfg(0, BigInt(NAPOT | R));
  const g1 = pmp.generation;
  assertEquals(g1 > g0, true);
  pmp.writeCfg(0, BigInt(NAPOT | R));
  assertEquals(pmp.generation, g1);
  // Moving the base of a TOR entry is a change even though its own register is untouched.
  pmp.writeCfg(0, BigInt((TOR | X) << 8 | NAPOT | R));
  const g2 = pmp.generation;
  pmp.writeAddr(0, 0x1000n >> 2n);
  assertEquals(pmp.generation > g2, true);
});

Deno.test("pmp: the first entry covering a page decides for it; one ending inside it, per byte", () => {
  const pmp = new Pmp(64);
  pmp.writeAddr(0, (0x80000000n >> 2n) | 0x3fffn); // NAPOT 0x80000000 .. 0x80020000
  pmp.writeAddr(1, 0x90000000n >> 2n); // TOR up to 0x90000000
  pmp.writeAddr(2, 0x90000008n >> 2n); // NA4 at 0x90000008, R
  pmp.writeCfg(0, BigInt((R | NA4) << 16 | (TOR | X) << 8 | NAPOT | R));
  const page = (addr: number) => addr / 4096;
  assertEquals(pmp.pageAccess(page(0x80000000), "read", Priv.S), "allow");
  assertEquals(pmp.pageAccess(page(0x8001f000), "fetch", Priv.S), "deny");
  assertEquals(pmp.pageAccess(page(0x80020000), "fetch", Priv.S), "allow");
  assertEquals(pmp.pageAccess(page(0x80020000), "read", Priv.U), "deny");
  assertEquals(pmp.pageAccess(page(0x90001000), "read", Priv.S), "deny"); // no entry: S/U denied
  assertEquals(pmp.pageAccess(page(0x90001000), "read", Priv.M), "allow");
  assertEquals(pmp.pageAccess(page(0x90000000), "read", Priv.S), "bytes");
  assertEquals(pmp.allowsBytes(0x90000008n, 4, "read", Priv.S), true);
  assertEquals(pmp.allowsBytes(0x90000008n, 4, "write", Priv.S), false);
  assertEquals(pmp.allowsBytes(0x90000004n, 8, "read", Priv.S), false); // half in the NA4 entry
  assertEquals(pmp.allowsBytes(0x9000000cn, 4, "read", Priv.S), false); // no entry
  assertEquals(pmp.allowsBytes(0x9000000cn, 4, "read", Priv.M), true);
});

Deno.test("pmp: loading saved entries applies them; loading the entries it holds changes nothing", () => {
  const saved = new Pmp(64);
  saved.writeAddr(0, (0x80000000n >> 2n) | 0x3fffn);
  saved.writeCfg(0, BigInt(NAPOT | R));
  const pmp = new Pmp(64);
  const page = 0x80000000 / 4096;
  assertEquals(pmp.pageAccess(page, "read", Priv.S), "deny");
  pmp.load(saved.cfg, saved.addr);
  assertEquals(pmp.pageAccess(page, "read", Priv.S), "allow");
  const g = pmp.generation;
  pmp.load(saved.cfg, saved.addr); // a fuzzer restoring the same snapshot again
  assertEquals(pmp.generation, g);
  pmp.load(new Uint8Array(16), new Array(16).fill(0n));
  assertEquals([pmp.pageAccess(page, "read", Priv.S), pmp.generation > g], ["deny", true]);
});

Deno.test("pmp: entries loaded from a snapshot are legalized as writes (a negative address hung)", () => {
  const pmp = new Pmp(64);
  const cfg = new Uint8Array(16);
  cfg[1] = 0x7f; // reserved bits 5-6 set
  cfg[2] = 0x02; // W without R: reserved
  pmp.load(cfg, [-1n, 1n << 60n]);
  assertEquals(pmp.readAddr(0), (1n << 54n) - 1n);
  assertEquals(pmp.readAddr(1), 0n);
  assertEquals([...pmp.cfg.subarray(0, 3)], [0, 0x1f, 0]);
  // NAPOT over the whole address space with every address bit set: the size search ends
  cfg[15] = NAPOT | R | X;
  pmp.load(cfg, new Array(16).fill(-1n));
  assertEquals(pmp.pageAccess(0x80000, "read", 3), "allow");
});
