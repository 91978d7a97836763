// The device tree's riscv,isa follows -cpu (extension properties and profiles), and is
// qemu-system-riscv64's for the extensions QEMU 7.2 has.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { decodeFdt, DeviceOptions, fdtString } from "../plugin.ts";
import { EmulatedSystem } from "../core/system/emulated_system.ts";
import { which } from "../scripts/build_guests.ts";

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
  return isaOf(written["out.dtb"]);
}

function isaOf(dtb: Uint8Array): string {
  const cpu0 = decodeFdt(dtb).root.find("/cpus/cpu@0");
  return fdtString(cpu0?.props.get("riscv,isa") as Uint8Array);
}

/** qemu-system-riscv64's riscv,isa for `cpu`, less the h it has and Denemu has not. */
async function qemuIsa(cpu: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "denemu-dtb-" });
  try {
    const args = ["-M", `virt,dumpdtb=${dir}/q.dtb`, "-cpu", cpu, "-nographic"];
    const signal = AbortSignal.timeout(60_000); // dumpdtb exits before the machine runs
    const o = await new Deno.Command("qemu-system-riscv64", { args, stderr: "null", signal })
      .output();
    assert.ok(o.success, `qemu-system-riscv64 -cpu ${cpu}`);
    return isaOf(await Deno.readFile(`${dir}/q.dtb`)).replace(/^(rv64[a-z]*?)h_/, "$1_");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
  assert.equal(
    await dtbIsa("rva23s64"),
    "rv64imafdcv_zicsr_zifencei_zihintpause_zicbom_zicbop_zicboz_zicond_zawrs_zfh_zfhmin_zba_zbb_" +
      "zbc_zbs_smstateen_sstc_svinval_svnapot_svpbmt",
  );
  // QEMU 7.2 (which also lists h) puts v among the letters too: rv64imafdcvh_...
  assert.equal(
    await dtbIsa("rv64,v=on,vlen=256,zbkb=on,svnapot=on"),
    "rv64imafdcv_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbkb_zbs_sstc_svnapot",
  );
});

const hasQemu = await which("qemu-system-riscv64");
Deno.test({
  name: `virt: riscv,isa is qemu-system-riscv64's${hasQemu ? "" : " (skipped: not installed)"}`,
  ignore: !hasQemu,
  fn: async () => {
    // not Zfh: QEMU 7.2 leaves out the zfhmin it implies
    const cpus = [
      "rv64",
      "rv64,zba=off,zbc=false",
      "rv64,v=true,vlen=256,elen=64,vext_spec=v1.0,zbkb=on,zbkc=on,zbkx=on",
      "rv64,svinval=on,svnapot=on,svpbmt=on,sstc=off",
    ];
    for (const cpu of cpus) assert.equal(await dtbIsa(cpu), await qemuIsa(cpu), cpu);
  },
});
