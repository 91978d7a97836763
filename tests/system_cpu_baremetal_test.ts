// Bare-metal privileged-architecture programs (traps, delegation, CLINT interrupts, wfi, PMP,
// Sv39/Sv48/Sv57/Sv32 paging, Svnapot/Svpbmt/Svinval, Sstc, Smstateen, CMO, two harts) on both
// backends, compared with what qemu-system-riscv64/32 printed (tests/baremetal/expected, recorded
// by `deno run -A scripts/build_baremetal.ts --record`), or, for extensions newer than QEMU 7.2,
// with output written from the specification.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { type Accel, createMachine } from "../mod.ts";
import {
  BAREMETAL_PROGRAMS,
  programCpu,
  programImage,
  runQemu,
} from "../scripts/build_baremetal.ts";
import { which } from "../scripts/build_guests.ts";

const EXPECTED = new URL("./baremetal/expected/", import.meta.url).pathname;

async function runDenemu(image: string, cpu: string, accel: Accel, smp = 1) {
  const m = await createMachine({ system: { cpu, bios: "none", kernel: image, smp }, accel });
  const timer = setTimeout(() => m.stop(), 20000);
  const events = [];
  for await (const ev of m.run()) events.push(ev);
  clearTimeout(timer);
  await m.close();
  return { out: m.stdout.replaceAll("\r\n", "\n"), events };
}

const hasQemu = (await which("qemu-system-riscv64")) !== null;
if (!hasQemu) console.log("qemu-system-riscv64 not installed: comparing with recorded output only");

for (const p of BAREMETAL_PROGRAMS) {
  for (const accel of ["jit", "interp", "lockstep"] as const) {
    const reference = p.noQemu ? "the specification says" : "QEMU printed";
    Deno.test(`baremetal ${p.name} (${accel}) prints what ${reference}`, async () => {
      const expected = await Deno.readTextFile(`${EXPECTED}${p.name}.txt`);
      const { out, events } = await runDenemu(programImage(p), programCpu(p), accel, p.smp);
      assert.deepEqual(events, [{ type: "poweroff", status: 0 }]);
      assert.equal(out, expected);
    });
  }
  if (p.noQemu) {
    console.log(`baremetal ${p.name}: not compared with QEMU (${p.noQemu})`);
    continue;
  }
  Deno.test({
    name: `baremetal ${p.name}: QEMU still prints the recorded output`,
    ignore: !hasQemu,
    fn: async () => {
      const { out } = await runQemu(p);
      assert.equal(out, await Deno.readTextFile(`${EXPECTED}${p.name}.txt`));
    },
  });
}
