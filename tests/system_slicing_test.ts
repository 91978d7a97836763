/**
 * A guest's timing must not depend on how a run is sliced: a timer the guest arms while a chunk
 * runs (Linux's stimecmp, through Sstc) ends the chunk, so the interrupt comes at its deadline
 * whatever the slice length. Before, it waited for the chunk's end: the test kernel's boot ran
 * 67,374,918 instructions in slices of 1 M and 67,831,003 in slices of 100 K, its console's
 * timestamps differing.
 */

import assert from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { FW_JUMP } from "../scripts/record_uboot_qemu.ts";
import { linuxDrive, linuxSystem } from "../scripts/bench_linux.ts";

const DIR = new URL("./linux/", import.meta.url).pathname;
const hasFirmware = await Deno.stat(FW_JUMP).then(() => true, () => false);
if (!hasFirmware) console.log(`system_slicing_test: skipped, no OpenSBI at ${FW_JUMP}`);

/** Boots the test kernel to poweroff in slices of `slice` instructions: its count and console. */
async function bootSliced(slice: number): Promise<{ icount: number; console: string }> {
  const m = await createMachine({
    system: linuxSystem(linuxDrive(`${DIR}disk.ext2`, ",snapshot=on")),
  });
  try {
    for (;;) {
      const ev = m.next(slice);
      if (ev.type === "poweroff") break;
      assert.equal(ev.type, "budget", `slices of ${slice}: ${JSON.stringify(ev)}`);
    }
    return { icount: m.icount, console: m.stdout };
  } finally {
    await m.close();
  }
}

Deno.test({
  name: "system: the Linux boot runs the same instructions and prints the same however sliced",
  ignore: !hasFirmware,
  fn: async () => {
    const whole = await bootSliced(1_000_000);
    const fine = await bootSliced(37_337);
    assert.equal(fine.icount, whole.icount);
    assert.equal(fine.console, whole.console);
    assert.ok(whole.console.includes("reboot: Power down"));
  },
});
