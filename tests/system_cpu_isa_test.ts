// The device tree's riscv,isa follows -cpu (extension properties and profiles).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { decodeFdt, DeviceOptions, fdtString } from "../plugin.ts";
import { EmulatedSystem } from "../core/system/emulated_system.ts";

async function dtbIsa(cpu: string): Promise<string> {
  const written: Record<string, Uint8Array> = {};
  const sys = await EmulatedSystem.create({
    machineName: "virt",
    cpu,
    accel: "interp",
    machine: new DeviceOptions("virt", { dumpdtb: "out.dtb" }),
    ramSize: 128n << 20n,
    devices: [],
    drives: [],
    env: { writeFile: (p, d) => Promise.resolve(void (written[p] = d)) },
  });
  await sys.close();
  const cpu0 = decodeFdt(written["out.dtb"]).root.find("/cpus/cpu@0");
  return fdtString(cpu0?.props.get("riscv,isa") as Uint8Array);
}

Deno.test("virt: riscv,isa lists the extensions -cpu enabled", async () => {
  // QEMU 7.2's rv64 has Zba, Zbb, Zbc, Zbs and Sstc on (it also lists h, which Denemu lacks)
  assert.equal(await dtbIsa("rv64"), "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc");
  assert.equal(
    await dtbIsa("rv64,zbc=off,zbs=no"),
    "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_sstc",
  );
  assert.equal(
    await dtbIsa("rva22s64"),
    "rv64imafdc_zicsr_zifencei_zihintpause_zicbom_zicbop_zicboz_zfhmin_zba_zbb_zbs_svinval_svpbmt",
  );
});
