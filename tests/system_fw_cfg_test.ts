// The virt board's fw_cfg device beyond what tests/baremetal/src/fw_cfg.c checks against QEMU
// (tests/system_cpu_baremetal_test.ts): its selection and offset follow a machine snapshot, and
// a snapshot file with a damaged fw_cfg state is refused in one line, and a DMA read that runs
// past RAM ends at once.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine, EmuError } from "../mod.ts";
import { editSnapshot } from "../scripts/selffuzz/snapshot.ts";
import { DmaCtl } from "../plugins/devices/fw_cfg.ts";
import { testEnv, withDevices } from "./system_env.ts";

const ELF = new URL("./baremetal/bin/fw_cfg.elf", import.meta.url).pathname;
const boot = (accel: "interp" | "jit" = "interp") =>
  createMachine({ system: { memory: "4M", bios: "none", kernel: ELF, smp: 2 }, accel });

for (const accel of ["interp", "jit"] as const) {
  Deno.test(`fw_cfg (${accel}): a snapshot in the middle of reading items takes the selection back`, async () => {
    const m = await boot(accel);
    try {
      // points inside the data-register reads of the signature and of the file directory
      const start = m.snapshot();
      for (const at of [1_500, 3_000, 6_000, 12_000]) {
        m.restore(start);
        const before = m.stdout.length;
        m.next(at);
        const snap = m.snapshot(), from = m.stdout.length;
        for await (const _ of m.run()) { /* to poweroff */ }
        const first = m.stdout.slice(from);
        assert.match(m.stdout.slice(before), /done\n$/);
        m.restore(snap);
        const again = m.stdout.length;
        for await (const _ of m.run()) { /* again */ }
        assert.equal(m.stdout.slice(again), first, `snapshot after ${at} instructions`);
      }
    } finally {
      await m.close();
    }
  });
}

Deno.test("fw_cfg: a snapshot file with a damaged fw_cfg state is refused in one line", async () => {
  const path = await Deno.makeTempFile();
  try {
    const saver = await boot();
    saver.next(3_000);
    await saver.save(path);
    await saver.close();
    const saved = await Deno.readFile(path);
    const cases: Record<string, unknown>[] = [
      { curEntry: 1e9 },
      { curOffset: -1 },
      { curOffset: 2 ** 32 },
      { dmaAddr: { $n: "-1" } },
    ];
    for (const change of cases) {
      await Deno.writeFile(
        path,
        await editSnapshot(saved, (p) => {
          const devices = (p.header.meta as Record<string, Record<string, { fields: object }>>)
            .devices;
          Object.assign(devices["fw_cfg@10100000"].fields, change);
        }),
      );
      const m = await boot();
      try {
        await assert.rejects(
          m.load(path),
          (e) =>
            e instanceof EmuError && /fw_cfg selection is damaged/.test(e.message) &&
            !e.message.includes("\n"),
          JSON.stringify(change),
        );
      } finally {
        await m.close();
      }
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("fw_cfg: a 4 GiB DMA read of an empty item zeroes RAM up to its end, then says error", async () => {
  const env = testEnv();
  const RAM = 0x80000000n, SIZE = 0x10000n, BASE = 0x10100000n;
  env.bus.addRam("dram", RAM, SIZE);
  const { devs } = await withDevices(env, [["fw_cfg", { addr: BASE }]]);
  try {
    env.bus.writeBytes(RAM + SIZE - 0x2000n, new Uint8Array(0x2000).fill(0xaa));
    // FWCfgDmaAccess, big-endian: select key 0x30 (an empty slot) and read 0xffffffff bytes
    const access = new DataView(new ArrayBuffer(16));
    access.setUint32(0, 0x30 << 16 | DmaCtl.SELECT | DmaCtl.READ);
    access.setUint32(4, 0xffffffff);
    access.setBigUint64(8, RAM + SIZE - 0x1ff8n);
    env.bus.writeBytes(RAM, new Uint8Array(access.buffer));
    // was an allocation of 4 GiB of zeros, none of it written (the range runs past RAM)
    env.bus.store(BASE + 16n, 8, BigInt.asUintN(64, swap64(RAM)));
    assert.equal(env.bus.load(RAM, 4), BigInt(DmaCtl.ERROR) << 24n);
    const tail = env.bus.readBytes(RAM + SIZE - 0x2000n, 0x2000);
    assert.deepEqual([...tail.subarray(0, 8)], new Array(8).fill(0xaa));
    assert.ok(tail.subarray(8).every((b) => b === 0));
  } finally {
    await devs.close();
  }
});

/** The 64-bit value whose little-endian bytes are `v`'s big-endian ones (a BE register write). */
function swap64(v: bigint): bigint {
  const d = new DataView(new ArrayBuffer(8));
  d.setBigUint64(0, v);
  return d.getBigUint64(0, true);
}
