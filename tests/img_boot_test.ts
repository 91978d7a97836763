// qcow2 (and qcow) drives in system mode, as a QEMU user runs them: U-Boot reads a file from an ext2 disk in
// a qcow2 image (and qcow, and both encrypted) (answers equal to a live qemu-system-riscv64's on the same image), and the test
// kernel (tests/linux) boots with its disk as `format=qcow2`, writes a file and powers off; the
// image then passes `qemu-img check` and holds the new file.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { FW_JUMP, qemuUBoot, qemuUBootArgs, UBOOT } from "../scripts/record_uboot_qemu.ts";
import { linuxSystem } from "../scripts/bench_linux.ts";
import { which } from "../scripts/build_guests.ts";
import { QEMU_IMG_MISSING, qemuImg, run } from "./util/qemu_img.ts";
import { ubootCommands } from "./util/serial.ts";
import { addObject } from "../core/block_secrets.ts";

const DIR = new URL("./linux/", import.meta.url).pathname;
const haveUBoot = await Promise.all([FW_JUMP, UBOOT].map((f) => Deno.stat(f))).then(
  () => true,
  () => false,
);
const haveQemu = haveUBoot && !QEMU_IMG_MISSING && await which("qemu-system-riscv64");
const why = haveQemu
  ? ""
  : " (skipped: opensbi, u-boot-qemu, qemu-utils or qemu-system-misc is missing)";

/** The secret of the encrypted drives: `-object SECRET` and `encrypt.key-secret=s0`. */
const SECRET = "secret,id=s0,data=abc";
addObject(SECRET); // as -object SECRET would, for the machines made here

/** disk.ext2 converted to a `format` image by qemu-img (with `-o options`), in a fresh directory. */
async function imageDisk(format = "qcow2", options: string[] = []): Promise<string> {
  const dir = await Deno.makeTempDir();
  const disk = `${dir}/disk.${format}`;
  const secret = options.length ? ["--object", SECRET] : [];
  await qemuImg([
    "convert",
    ...secret,
    "-f",
    "raw",
    "-O",
    format,
    ...options,
    `${DIR}disk.ext2`,
    disk,
  ]);
  return disk;
}

/** The drives read: a format, its encryption options for qemu-img convert, and for -drive. */
const READ_CASES: [string, string[], string][] = [
  ["qcow2", [], ""],
  ["qcow", [], ""], // the old format (version 1), as qemu-img still makes it
  ["qcow2", ["-o", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=100"], "luks"],
];

for (const [format, options, crypt] of READ_CASES) {
  const what = crypt ? `${format} (${crypt})` : format;
  Deno.test({
    name: `${what}: U-Boot reads a file from a ${what} drive as on qemu-system-riscv64${why}`,
    ignore: !haveQemu,
    async fn() {
      const disk = await imageDisk(format, options);
      const drive = `file=${disk},format=${format},if=virtio` +
        (crypt ? ",encrypt.key-secret=s0" : "");
      const commands = [
        "virtio scan",
        "ext2ls virtio 0",
        "ext2load virtio 0 0x84000000 hello.txt",
        "md.b 0x84000000 0x1c",
      ];
      const m = await createMachine({
        system: { memory: "256M", bios: FW_JUMP, kernel: UBOOT, drives: [drive] },
      });
      let output: string;
      try {
        output = await ubootCommands(m, commands);
      } finally {
        await m.close();
      }
      const qemu = await qemuUBoot(
        qemuUBootArgs([
          ...(crypt ? ["-object", SECRET] : []),
          "-drive",
          drive,
          "-global",
          "virtio-pci.disable-legacy=on",
        ]),
        commands,
      );
      // the load's time and rate are the host's
      const answers = (out: string) =>
        out.slice(out.indexOf("=> virtio scan\n")).replace(/ in \d+ ms \([^)]*\)/, "");
      const ours = answers(output.replaceAll("\r\n", "\n"));
      assert.match(ours, /25 bytes read\n[\s\S]*hello from the e/);
      assert.equal(ours, answers(qemu));
      await Deno.remove(disk.replace(/\/disk\.[a-z0-9]+$/, ""), { recursive: true });
    },
  });
}

Deno.test({
  name: `qcow, qcow2 (aes): the old AES drives refused as qemu-system-riscv64 refuses them${why}`,
  ignore: !haveQemu,
  async fn() {
    for (const format of ["qcow", "qcow2"]) {
      const disk = await imageDisk(format, ["-o", "encrypt.format=aes,encrypt.key-secret=s0"]);
      const drive = `file=${disk},format=${format},if=virtio,encrypt.key-secret=s0`;
      const qemu = await run("qemu-system-riscv64", [
        ...["-M", "virt", "-nographic", "-bios", "none", "-object", SECRET, "-drive", drive],
      ]);
      const theirs = qemu.stderr.split("\n")[0].replace("qemu-system-riscv64: ", "");
      await assert.rejects(
        () => createMachine({ system: { memory: "256M", bios: "none", drives: [drive] } }),
        (e: Error) => e.message === theirs,
      );
      await Deno.remove(disk.replace(/\/disk\.[a-z0-9]+$/, ""), { recursive: true });
    }
  },
});

Deno.test({
  name: `qcow2: Linux writes to a qcow2 drive; qemu-img check finds it clean${why}`,
  ignore: !haveQemu,
  async fn() {
    const disk = await imageDisk();
    const m = await createMachine({
      system: linuxSystem(`file=${disk},format=qcow2,if=virtio`),
    });
    const events = [];
    for await (const ev of m.run()) events.push(ev);
    await m.close();
    assert.deepEqual(events.at(-1), { type: "poweroff", status: 0 });
    assert.ok(m.stdout.includes("init: wrote /mnt/written.txt"), m.stdout);
    assert.equal((await run("qemu-img", ["check", disk])).code, 0);
    const raw = `${disk}.raw`;
    await qemuImg(["convert", "-O", "raw", disk, raw]);
    const text = new TextDecoder("latin1").decode(await Deno.readFile(raw));
    assert.ok(text.includes("written by the guest\n"), "the new file is in the image");
    await Deno.remove(disk.replace(/\/disk\.[a-z0-9]+$/, ""), { recursive: true });
  },
});
