// Bare-metal privileged-architecture programs (traps, delegation, CLINT interrupts, wfi, PMP,
// Sv39/Sv48/Sv32 paging) on both backends, compared with what qemu-system-riscv64/32 printed
// (tests/baremetal/expected, recorded by `deno run -A scripts/build_baremetal.ts --record`).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { DeviceOptions, EmulatedSystem } from "../mod.ts";
import { BAREMETAL_PROGRAMS, programImage, runQemu } from "../scripts/build_baremetal.ts";
import { which } from "../scripts/build_guests.ts";

const EXPECTED = new URL("./baremetal/expected/", import.meta.url).pathname;
/** Lines where Denemu differs from QEMU 7.2 on purpose: Sv57 is not implemented. */
const KNOWN = [/^satp after sv57=/];
const clean = (s: string) => s.split("\n").filter((l) => !KNOWN.some((k) => k.test(l))).join("\n");

async function runDenemu(image: string, cpu: string, accel: "jit" | "interp") {
  const sys = await EmulatedSystem.create({
    machineName: "virt",
    cpu,
    accel,
    machine: new DeviceOptions("virt"),
    ramSize: 128n << 20n,
    bios: "none",
    kernel: image,
    devices: [],
    drives: [],
    runLoop: { yieldMs: 1000 },
  });
  const timer = setTimeout(() => sys.loop.stop(), 20000);
  const result = await sys.run();
  clearTimeout(timer);
  await sys.close();
  return { out: sys.console.output.replaceAll("\r\n", "\n"), result };
}

const hasQemu = (await which("qemu-system-riscv64")) !== null;
if (!hasQemu) console.log("qemu-system-riscv64 not installed: comparing with recorded output only");

for (const p of BAREMETAL_PROGRAMS) {
  for (const accel of ["jit", "interp"] as const) {
    Deno.test(`baremetal ${p.name} (${accel}) prints what QEMU printed`, async () => {
      const expected = await Deno.readTextFile(`${EXPECTED}${p.name}.txt`);
      const { out, result } = await runDenemu(programImage(p), `rv${p.xlen}`, accel);
      assert.deepEqual(result, { kind: "poweroff", status: 0 });
      assert.equal(clean(out), clean(expected));
    });
  }
  Deno.test({
    name: `baremetal ${p.name}: QEMU still prints the recorded output`,
    ignore: !hasQemu,
    fn: async () => {
      const { out } = await runQemu(programImage(p), p.xlen);
      assert.equal(out, await Deno.readTextFile(`${EXPECTED}${p.name}.txt`));
    },
  });
}
