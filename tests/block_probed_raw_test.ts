// A raw disk whose format was guessed: QEMU warns, and refuses writes that would make block 0 look
// like another format (a guest could otherwise turn its disk into a qcow2 image whose backing file
// is any host file, read on the next boot). Compared with qemu-io and qemu-system-riscv64.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { openImage } from "../core/block.ts";
import { testEnv, which, withDevices } from "./system_env.ts";
import { installed, run } from "./util/qemu_img.ts";

/** The first sector of a qcow2 version 3 image: enough for the qcow2 probe. */
function qcow2Header(): Uint8Array {
  const head = new Uint8Array(512);
  head.set([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]);
  return head;
}

async function rawFile(dir: string): Promise<string> {
  const path = `${dir}/disk.img`;
  await Deno.writeFile(path, new Uint8Array(1 << 16));
  return path;
}

Deno.test("a guessed raw image refuses a block 0 write that makes it look like qcow2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await rawFile(dir);
    const guessed = await openImage(path);
    assert.equal(guessed.format, "raw");
    assert.throws(() => guessed.write(0, qcow2Header()), /would make the image look like qcow2/);
    const partial = qcow2Header().subarray(0, 8);
    assert.throws(() => guessed.write(0, partial), /look like qcow2/, "a short write at 0 too");
    guessed.write(512, qcow2Header()); // past the probed bytes
    guessed.write(0, new Uint8Array(512).fill(7)); // still raw
    guessed.close();
    assert.equal((await Deno.readFile(path))[0], 7);
    const given = await openImage(path, { format: "raw" });
    given.write(0, qcow2Header());
    given.close();
    assert.deepEqual([...(await Deno.readFile(path)).subarray(0, 4)], [0x51, 0x46, 0x49, 0xfb]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const haveQemuIo = installed("qemu-io");
Deno.test({
  name: `qemu-io refuses the same write on a guessed raw image${
    haveQemuIo ? "" : " (skipped: qemu-io is not installed)"
  }`,
  ignore: !haveQemuIo,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = await rawFile(dir);
      await Deno.writeFile(`${dir}/sector`, qcow2Header());
      const refused = await run("qemu-io", ["-c", `write -s ${dir}/sector 0 512`, path]);
      assert.match(refused.stdout + refused.stderr, /write failed: Operation not permitted/);
      const guessed = await openImage(path);
      assert.throws(() => guessed.write(0, qcow2Header()), /refused/);
      guessed.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The warning lines of a virtio-blk drive given without a format, in a machine without a CPU. */
async function denemuWarning(path: string, format?: string): Promise<string> {
  const warnings: string[] = [];
  const env = { ...testEnv(), warn: (m: string) => warnings.push(m) };
  env.bus.addRam("dram", 0x80000000n, 0x10000n);
  const { devs } = await withDevices(env, [
    ["plic", { addr: 0xc000000n }],
    ["virtio_mmio", { addr: 0x10001000n, irq: 1 }],
    ["virtio_blk", format ? { file: path, format } : { file: path }],
  ]);
  await devs.close();
  return warnings.join("\n");
}

const haveQemu = await which("qemu-system-riscv64");
Deno.test({
  name: `a virtio disk whose format is guessed as raw warns as qemu-system-riscv64 does${
    haveQemu ? "" : " (skipped: qemu-system-riscv64 is not installed)"
  }`,
  ignore: !haveQemu,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = await rawFile(dir);
      const qemu = await run("qemu-system-riscv64", [
        ..."-M virt -bios none -nographic -S -monitor none -serial none -display none".split(" "),
        "-drive",
        `file=${path},if=virtio`,
        "-machine",
        "dumpdtb=" + `${dir}/virt.dtb`, // exits once the machine is built
      ]);
      const expected = qemu.stderr.split("\n").filter((l) => /^( {9}|WARNING)/.test(l)).join("\n");
      assert.match(expected, /probing guessed raw/);
      assert.equal(await denemuWarning(path), expected);
      assert.equal(await denemuWarning(path, "raw"), "", "no warning with format=raw");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
