// End to end: the real OpenSBI (fw_jump) + U-Boot (S-mode) boot in-process to the `=>` prompt;
// `version` and `md.l 0x80000000 4` (a PMP access fault, then a reset) print what
// qemu-system-riscv64 printed (tests/system_expected/uboot_qemu.txt, scripts/record_uboot_qemu.ts).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { FW_JUMP, UBOOT } from "../scripts/record_uboot_qemu.ts";

const present = await Promise.all(
  [FW_JUMP, UBOOT].map((f) => Deno.stat(f).then(() => true, () => false)),
);
const missing = present.includes(false);
if (missing) console.log("opensbi or u-boot-qemu not installed: U-Boot boot tests skipped");
const qemu = await Deno.readTextFile(new URL("./system_expected/uboot_qemu.txt", import.meta.url));
const SECOND = 1_000_000_000n;

/** The text between `from` (a regexp) and the next prompt in `text`. */
function section(text: string, from: RegExp): string {
  const m = from.exec(text);
  assert.ok(m, `${from} in output`);
  const rest = text.slice(m.index);
  return rest.slice(0, rest.indexOf("=> ", 1) >= 0 ? rest.indexOf("=> ", 1) : undefined);
}

for (const accel of ["jit", "interp"] as const) {
  Deno.test({
    name: `OpenSBI + U-Boot reach the prompt and answer like QEMU (${accel})`,
    ignore: missing,
    fn: async () => {
      const sys = await createMachine({
        system: { memory: "256M", bios: FW_JUMP, kernel: UBOOT },
        accel,
      });
      const con = sys.serial;
      const running = sys.runToExit();
      try {
        await con.expect(/Hit any key to stop autoboot/, { timeoutNs: 5n * SECOND });
        con.write("x"); // as a user would
        await con.expect(/=> /, { timeoutNs: 5n * SECOND });
        con.write("version\r");
        await con.expect(/=> /, { timeoutNs: SECOND });
        con.write("md.l 0x80000000 4\r");
        await con.expect(/resetting \.\.\.[\s\S]*OpenSBI v/, { timeoutNs: SECOND });
      } finally {
        sys.stop();
        await running;
        await sys.close();
      }
      const out = con.output.replaceAll("\r\n", "\n");
      for (
        const line of [
          "OpenSBI v1.1",
          "Domain0 Region01          : 0x0000000080000000-0x000000008007ffff ()",
          "Boot HART PMP Count       : 16",
          "Boot HART PMP Address Bits: 54",
          "Model: riscv-virtio,qemu",
          "DRAM:  256 MiB",
        ]
      ) {
        assert.ok(out.includes(line + "\n"), `output has "${line}"`);
        assert.ok(qemu.includes(line + "\n"), `QEMU output has "${line}"`);
      }
      assert.equal(section(out, /=> version\n/), section(qemu, /=> version\n/));
      // The access fault report (PMP guards OpenSBI), up to the reset.
      const fault = (t: string) => {
        const s = section(t, /=> md\.l 0x80000000 4\n/);
        return s.slice(0, s.indexOf("resetting ...") + 13);
      };
      assert.equal(fault(out), fault(qemu));
    },
  });
}
