// End to end: OpenSBI boots the test kernel (tests/linux, `deno task linux`) to its init, which
// lists the PCI functions, mounts the ext2 disk of `-drive if=virtio` (a virtio-blk-pci), reads a
// file, writes one, reads the RTC and /dev/hwrng (a virtio-rng-pci), and powers off. The console has the lines of a live qemu-system-riscv64's with the same command line, except
// for timestamps, addresses, dates and the known differences below. A second boot drives init's
// shell over the serial port.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { FW_JUMP } from "../scripts/record_uboot_qemu.ts";
import { which } from "../scripts/build_guests.ts";
import { LINUX_DEVICES, linuxDrive, qemuLinuxArgs } from "../scripts/bench_linux.ts";

const DIR = new URL("./linux/", import.meta.url).pathname;
const KERNEL = `${DIR}Image`, INITRD = `${DIR}initramfs.cpio.gz`;
const SECOND = 1_000_000_000n;
const hasFirmware = await Deno.stat(FW_JUMP).then(() => true, () => false);
if (!hasFirmware) console.log("opensbi not installed: Linux boot tests skipped");
const hasQemu = hasFirmware && await which("qemu-system-riscv64");
if (hasFirmware && !hasQemu) {
  console.log("qemu-system-riscv64 not installed: Linux console not compared");
}

/** Lines where Denemu's board differs from QEMU 7.2's on purpose (no H or mhpmcounters). */
const KNOWN = [
  /^Boot HART (Base ISA|MHPM Count)/,
  /^riscv: base ISA/,
  /^Memory: /,
];

/** The console without timestamps, addresses, dates and known differences. */
function normalise(text: string): string {
  return text.replaceAll("\r", "").split("\n")
    .map((l) =>
      l.replace(/^\[ *\d+\.\d+\] /, "").replace(/0x[0-9a-f]+/g, "0x_")
        .replace(/\d{4}-\d\d-\d\dT[\d:]+ UTC \(\d+\)/, "DATE")
    )
    .filter((l) => !KNOWN.some((k) => k.test(l))).join("\n");
}

async function qemuConsole(disk: string): Promise<string> {
  const args = qemuLinuxArgs(disk);
  const child = new Deno.Command("qemu-system-riscv64", { args, stdin: "null", stdout: "piped" })
    .spawn();
  const timer = setTimeout(() => child.kill(), 60_000);
  const out = await child.output();
  clearTimeout(timer);
  return new TextDecoder().decode(out.stdout);
}

async function freshDisk(): Promise<string> {
  const disk = await Deno.makeTempFile({ suffix: ".ext2" });
  await Deno.copyFile(`${DIR}disk.ext2`, disk);
  return disk;
}

const written = (image: Uint8Array) =>
  new TextDecoder("latin1").decode(image).includes("written by the guest\n");

Deno.test({
  name:
    "Linux boots to init, uses the virtio-pci disk and hwrng and the RTC, powers off like QEMU (jit)",
  ignore: !hasFirmware,
  fn: async () => {
    const disk = await freshDisk();
    const m = await createMachine({
      system: {
        bios: FW_JUMP,
        kernel: KERNEL,
        initrd: INITRD,
        append: "console=ttyS0",
        drives: [linuxDrive(disk)],
        devices: LINUX_DEVICES,
      },
    });
    const events = [];
    for await (const ev of m.run()) events.push(ev);
    await m.close();
    assert.deepEqual(events.at(-1), { type: "poweroff", status: 0 });
    const out = m.stdout;
    for (
      const line of [
        "init: pci 0000:00:00.0 1b36:0008 class 0x060000 driver none",
        "init: pci 0000:00:01.0 1af4:1044 class 0x00ff00 driver virtio-pci",
        "init: pci 0000:00:02.0 1af4:1042 class 0x010000 driver virtio-pci",
        "init: /mnt/hello.txt says: hello from the ext2 disk",
        "init: wrote /mnt/written.txt",
        "init: rtc year >= 2000: yes",
        "init: hwrng gave 16 bytes",
        "reboot: Power down",
      ]
    ) {
      assert.ok(out.includes(line), `console has "${line}"`);
    }
    assert.ok(written(await Deno.readFile(disk)), "the new file is in the image");
    if (hasQemu) {
      const qdisk = await freshDisk();
      // QEMU's timing decides where asynchronous kernel work (unpacking the initramfs) prints,
      // so the lines are compared as sorted lists.
      const sorted = (text: string) => normalise(text).split("\n").sort();
      assert.deepEqual(sorted(out), sorted(await qemuConsole(qdisk)));
      assert.ok(written(await Deno.readFile(qdisk)));
      await Deno.remove(qdisk);
    }
    await Deno.remove(disk);
  },
});

Deno.test({
  name: "Linux: init's shell over the serial port; snapshot=on leaves the image unchanged (interp)",
  ignore: !hasFirmware,
  fn: async () => {
    const disk = await freshDisk();
    const before = await Deno.readFile(disk);
    const m = await createMachine({
      accel: "interp",
      system: {
        bios: FW_JUMP,
        kernel: KERNEL,
        initrd: INITRD,
        append: "console=ttyS0 shell",
        drives: [linuxDrive(disk, ",snapshot=on")],
        devices: LINUX_DEVICES,
      },
    });
    const con = m.serial;
    const running = m.runToExit();
    try {
      await con.expect(/# /, { timeoutNs: 60n * SECOND });
      for (
        const [cmd, answer] of [
          ["echo hi there", /hi there\r\n/],
          ["cat /proc/cpuinfo", /isa\s*: rv64imafdc/],
          ["ls /dev", /\bvda\b/],
          ["nope", /nope: not found/],
        ] as const
      ) {
        con.write(`${cmd}\r`);
        await con.expect(answer, { timeoutNs: 10n * SECOND });
        await con.expect(/# /, { timeoutNs: 10n * SECOND });
      }
      con.write("poweroff\r");
      await con.expect(/reboot: Power down/, { timeoutNs: 10n * SECOND });
    } finally {
      m.stop();
      await running;
      await m.close();
    }
    assert.deepEqual(
      await Deno.readFile(disk),
      before,
      "snapshot=on kept the guest's writes in memory",
    );
    await Deno.remove(disk);
  },
});
