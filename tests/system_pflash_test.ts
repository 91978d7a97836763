// The virt board's cfi-flash banks: a bare-metal program (tests/baremetal/src/pflash.c) runs from
// bank 0 (`-drive if=pflash,unit=0`: the board boots there) and queries, erases, programs and
// buffer-writes bank 1 (`unit=1`) under Denemu and qemu-system-riscv64 in the same run, on copies
// of one image: writable, readonly=on and snapshot=on. The transcripts and the images afterwards
// must be equal. QEMU's messages for a wrong image size and a wrong unit are compared too, a
// machine snapshot takes the flash back, and U-Boot's flash commands answer as on QEMU.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { type Accel, createMachine, EmuError } from "../mod.ts";
import { BAREMETAL_FLASH_PROGRAMS, BAREMETAL_PROGRAMS } from "../scripts/build_baremetal.ts";
import { which } from "../scripts/build_guests.ts";
import { FW_JUMP, qemuUBoot, qemuUBootArgs, UBOOT } from "../scripts/record_uboot_qemu.ts";
import { ubootCommands } from "./util/serial.ts";
import { editSnapshot } from "../scripts/selffuzz/snapshot.ts";
import { loadVm, saveVm } from "../core/machine/vm_snapshots.ts";

const haveQemu = (await which("qemu-system-riscv64")) !== null;
const ignore = !haveQemu;
if (ignore) console.log("qemu-system-riscv64 not installed: the pflash comparisons are ignored");

const BIN = new URL("./baremetal/bin/", import.meta.url).pathname;
const ELF = `${BIN}${BAREMETAL_PROGRAMS.find((p) => p.name === "pflash")!.name}.elf`;
const CODE = `${BIN}${BAREMETAL_FLASH_PROGRAMS[0].name}.flash`;
const BANK = 32 << 20;

/** Bank 0's image: the program's code and constants, then zeros. */
async function codeImage(path: string): Promise<string> {
  await Deno.copyFile(CODE, path);
  await Deno.truncate(path, BANK);
  return `if=pflash,unit=0,file=${path},format=raw,readonly=on`;
}

/** A bank image with a pattern in the blocks the program reads (the rest zero, as sparse). */
async function makeImage(path: string, size = BANK): Promise<void> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const block = new Uint8Array(0x90000).map((_, i) => (i * 7 + (i >> 12)) & 0xff);
    await f.write(block);
    await f.truncate(size);
  } finally {
    f.close();
  }
}

async function runQemu(...drives: string[]): Promise<{ out: string; err: string; code: number }> {
  const args = ["-M", "virt", "-bios", "none", "-m", "128M", "-nographic"];
  const cmd = new Deno.Command("qemu-system-riscv64", {
    args: [...args, ...drives.flatMap((d) => ["-drive", d])],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  const timer = setTimeout(() => child.kill(), 20000);
  const r = await child.output();
  clearTimeout(timer);
  const text = (b: Uint8Array) => new TextDecoder().decode(b).replaceAll("\r\n", "\n");
  return { out: text(r.stdout), err: text(r.stderr), code: r.code };
}

async function runDenemu(drives: string[], accel: Accel): Promise<string> {
  const m = await createMachine({ system: { bios: "none", memory: "128M", drives }, accel });
  try {
    const events = [];
    for await (const ev of m.run()) events.push(ev);
    assert.deepEqual(events, [{ type: "poweroff", status: 0 }]);
    return m.stdout.replaceAll("\r\n", "\n");
  } finally {
    await m.close();
  }
}

async function denemuError(...drives: string[]): Promise<string> {
  try {
    await createMachine({ system: { bios: "none", kernel: ELF, drives } });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`-drive ${drives.join(" -drive ")} was accepted`);
}

const MODES = [["", "jit"], ["", "interp"], [",readonly=on", "jit"], [
  ",snapshot=on",
  "jit",
]] as const;
for (const [mode, accel] of MODES) {
  Deno.test({
    name: `pflash (${accel}): code in unit 0, data in unit 1${
      mode || " (writable)"
    }: transcript and image as qemu-system-riscv64's`,
    ignore,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      try {
        const [ours, theirs] = [`${dir}/ours.img`, `${dir}/theirs.img`];
        await makeImage(ours);
        await Deno.copyFile(ours, theirs);
        const before = await Deno.readFile(ours);
        const code = await codeImage(`${dir}/code.img`);
        const drive = (f: string) => `if=pflash,file=${f},format=raw,unit=1${mode}`;
        const qemu = await runQemu(code, drive(theirs));
        assert.equal(qemu.code, 0, qemu.err);
        assert.match(qemu.out, /^pflash\n/);
        // The one difference: code rewritten in the flash. QEMU 7.2 keeps running the code it
        // translated before the rewrite (even after fence.i); Denemu runs the new code.
        const rewritten = /^rewritten flash code returns=.*\n/m;
        const out = await runDenemu([code, drive(ours)], accel);
        if (mode === ",readonly=on") assert.match(out, /read-only: no code to run\n$/);
        else {assert.equal(
            out.match(rewritten)?.[0],
            "rewritten flash code returns=0x0000000000000002\n",
          );}
        assert.equal(out.replace(rewritten, ""), qemu.out.replace(rewritten, ""));
        const [a, b] = [await Deno.readFile(ours), await Deno.readFile(theirs)];
        assert.ok(a.every((x, i) => x === b[i]), "the images differ after the run");
        // Only the writable drive reaches the file.
        assert.equal(a.some((x, i) => x !== before[i]), mode === "");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "pflash: a wrong image size and a wrong unit fail with QEMU's messages",
  ignore,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await makeImage(`${dir}/small.img`, 1 << 20);
      await makeImage(`${dir}/ok.img`);
      const cases = [
        `if=pflash,file=${dir}/small.img,format=raw,unit=1`,
        `if=pflash,file=${dir}/ok.img,format=raw,unit=2`,
      ];
      for (const drive of cases) {
        const qemu = await runQemu(drive);
        assert.notEqual(qemu.code, 0);
        // "qemu-system-riscv64: [-drive ...: ]message"
        const message = qemu.err.trim().split(": ").slice(-1)[0];
        assert.ok((await denemuError(drive)).includes(message), `${drive}: ${qemu.err}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("pflash: a unit used twice, and -kernel with unit 1 (fw_cfg's job), are refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await makeImage(`${dir}/ok.img`);
    const d = `if=pflash,file=${dir}/ok.img,format=raw,readonly=on`;
    const twice = await denemuError(`${d},unit=1`, `${d},unit=1`);
    assert.match(twice, /drive with bus=0, unit=1 \(index=-1\) exists/);
    assert.match(await denemuError(`${d},unit=1`), /QEMU hands the kernel to the flash firmware/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const accel of ["interp", "jit"] as const) {
  Deno.test(`pflash (${accel}): a machine snapshot takes the flash back with RAM`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await makeImage(`${dir}/f.img`);
      const code = await codeImage(`${dir}/code.img`);
      const drive = `if=pflash,file=${dir}/f.img,format=raw,unit=1,snapshot=on`;
      const m = await createMachine({
        system: { bios: "none", memory: "128M", drives: [code, drive] },
        accel,
      });
      try {
        const start = m.snapshot();
        for await (const _ of m.run()) { /* to poweroff */ }
        const first = m.stdout;
        m.restore(start);
        for await (const _ of m.run()) { /* again */ }
        assert.equal(m.stdout.slice(first.length), first);
      } finally {
        await m.close();
      }
      const writable = `if=pflash,file=${dir}/f.img,format=raw,unit=1`;
      const w = await createMachine({ system: { bios: "none", drives: [code, writable] } });
      try {
        assert.throws(() => w.snapshot(), /is writable, so its contents would not follow/);
      } finally {
        await w.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test({
  name: "pflash: loadvm TAG on a writable qcow2 flash takes the flash back with the disk",
  ignore,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const code = await codeImage(`${dir}/code.img`);
      const r = await new Deno.Command("qemu-img", {
        args: ["create", "-f", "qcow2", `${dir}/f.qcow2`, String(BANK)],
      }).output();
      assert.equal(r.code, 0);
      const drive = `if=pflash,file=${dir}/f.qcow2,format=qcow2,unit=1`;
      const m = await createMachine({
        system: { bios: "none", memory: "128M", drives: [code, drive] },
      });
      try {
        await saveVm(m, "s1");
        for await (const _ of m.run()) { /* to poweroff: the program writes the flash */ }
        const first = m.stdout;
        await loadVm(m, "s1");
        for await (const _ of m.run()) { /* again, on the flash as it was */ }
        assert.equal(m.stdout.slice(first.length), first);
      } finally {
        await m.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const bootFiles = await Promise.all(
  [FW_JUMP, UBOOT].map((f) => Deno.stat(f).then(() => true, () => false)),
);
const UBOOT_FLASH = [
  "flinfo 2",
  "md.l 0x22000000 4",
  "protect off 0x22000000 +0x40000",
  "erase 0x22000000 +0x40000",
  "mw.l 0x84000000 0x12345678 0x40",
  "cp.l 0x84000000 0x22000100 0x40",
  "md.l 0x220000f8 6",
  "cmp.l 0x84000000 0x22000100 0x40",
];

Deno.test({
  name: "pflash: U-Boot's flinfo, erase and cp to flash answer as on qemu-system-riscv64",
  ignore: ignore || bootFiles.includes(false),
  fn: async () => {
    const theirs = await qemuUBoot(qemuUBootArgs(), UBOOT_FLASH);
    const m = await createMachine({ system: { memory: "256M", bios: FW_JUMP, kernel: UBOOT } });
    let ours: string;
    try {
      ours = (await ubootCommands(m, UBOOT_FLASH)).replaceAll("\r\n", "\n");
    } finally {
      await m.close();
    }
    const fromFirst = (s: string) => s.slice(s.indexOf("=> flinfo"));
    assert.match(fromFirst(theirs), /Erased 2 sectors[^]*Total of 64 word\(s\) were the same/);
    assert.equal(fromFirst(ours).trimEnd(), fromFirst(theirs).trimEnd());
  },
});

Deno.test("pflash: a snapshot file with a damaged flash state is refused in one line", async () => {
  const boot = () =>
    createMachine({ system: { memory: "4M", bios: "none", kernel: `${BIN}timer.elf` } });
  const path = await Deno.makeTempFile();
  try {
    const saver = await boot();
    saver.next(20_000);
    await saver.save(path);
    await saver.close();
    const saved = await Deno.readFile(path);
    type Fields = Record<string, Record<string, unknown>>;
    const cases: [(f: Fields) => void, RegExp][] = [
      // was a RangeError when a buffered write was confirmed
      [(f) => (f.flash.fields as Record<string, unknown>).blkOffset = 1e12, /command state/],
      [(f) => (f.flash.fields as Record<string, unknown>).wcycle = 9, /command state/],
      // was a RangeError in the snapshot load's refresh of the bank
      [(f) => f.disk = { pages: [1e9], data: [{ $t: "Uint8Array", v: [] }] }, /flash pages/],
    ];
    for (const [edit, why] of cases) {
      await Deno.writeFile(
        path,
        await editSnapshot(saved, (p) => {
          const devices = (p.header.meta as Record<string, Record<string, { fields: Fields }>>)
            .devices;
          edit(devices["pflash_cfi01@22000000"].fields);
        }),
      );
      const m = await boot();
      try {
        await assert.rejects(
          m.load(path),
          (e) => e instanceof EmuError && why.test(e.message) && !e.message.includes("\n"),
        );
      } finally {
        await m.close();
      }
    }
  } finally {
    await Deno.remove(path);
  }
});
