// The monitor's savevm/loadvm/delvm TAG and info snapshots, and -loadvm TAG, on
// qemu-system-riscv64 and Denemu in the same run: the snapshot goes into the
// machine's qcow2 disk, and qemu-img lists and checks it.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { which } from "../scripts/build_guests.ts";
import { type Peer, type Run, runTyped, systemPeer } from "./util/monitor_peers.ts";

const KERNEL = new URL("./baremetal/bin/timer.elf", import.meta.url).pathname;
const BOOT = ["-M", "virt", "-bios", "none", "-kernel", KERNEL, "-display", "none"];
const MONITOR = [...BOOT, "-serial", "null", "-monitor", "stdio", "-S"];
const hasQemu = (await which("qemu-system-riscv64")) !== null && (await which("qemu-img")) !== null;
if (!hasQemu) console.log("qemu-system-riscv64 or qemu-img not installed: savevm tests skipped");

/**
 * The monitor's answers, with what differs by nature normalised: the prompt lines (QEMU's
 * readline redraws them), the banner, and the size, date and clock of each snapshot row
 * (Denemu's state is its own, and the runs are seconds apart).
 */
function answers(stdout: string): string {
  return stdout.split("\n").slice(1).map((l) => l.startsWith("(qemu)") ? "(qemu)" : l)
    .map((l) => l.replace(/^(--|\d+) +(\S+) +\d.*$/, "$1 $2 (size, date, clock)"))
    .join("\n").replace(/vm-\d{14}/g, "vm-DATE");
}

/** A fresh 16 MiB image of `format` for each peer, in `dir`. */
async function images(dir: string, format: string): Promise<Record<Peer, string>> {
  const paths = { qemu: `${dir}/qemu.${format}`, emu: `${dir}/emu.${format}` };
  for (const p of Object.values(paths)) {
    const r = await runTyped("qemu-img", ["create", "-f", format, p, "16M"]);
    assert.equal(r.code, 0, r.stderr);
  }
  return paths;
}

/** Both peers with `extra(peer)` added to the monitor's command line, fed `input`. */
function both(input: string, extra: (p: Peer) => string[]): Promise<[Run, Run]> {
  return Promise.all([
    systemPeer("qemu", [...MONITOR, ...extra("qemu")], input),
    systemPeer("emu", [...MONITOR, ...extra("emu")], input),
  ]);
}

const drive = (
  path: string,
  format: string,
) => ["-drive", `file=${path},format=${format},if=virtio`];

const SNAPSHOT_INPUT = [
  "info snapshots",
  "savevm s1",
  "info snapshots",
  "savevm s1",
  "savevm",
  "info snapshots",
  "loadvm s1",
  "info status",
  "loadvm nope",
  "loadvm",
  "savevm a b",
  "delvm nope",
  "delvm",
  "delvm s1",
  "info snapshots",
  "help savevm",
  "help delvm",
  "quit",
  "",
].join("\n");

Deno.test({
  name: "savevm/loadvm/delvm TAG and info snapshots on a qcow2 drive answer as QEMU's",
  ignore: !hasQemu,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const img = await images(dir, "qcow2");
      const [q, e] = await both(SNAPSHOT_INPUT, (p) => drive(img[p], "qcow2"));
      assert.equal(answers(e.stdout), answers(q.stdout));
      assert.deepEqual([e.code, e.stderr], [q.code, q.stderr]);
      // qemu-img lists Denemu's snapshot with its VM state, and finds the image sound
      const list = await runTyped("qemu-img", ["snapshot", "-l", img.emu]);
      assert.match(list.stdout, /^\d+ +vm-\d{14} +\d+(\.\d+)? KiB /m);
      const ours = await runTyped(Deno.execPath(), [
        "run",
        "-A",
        "mod.ts",
        "img",
        "snapshot",
        "-l",
        img.emu,
      ]);
      assert.equal(ours.stdout, list.stdout);
      for (const p of Object.values(img)) {
        const check = await runTyped("qemu-img", ["check", p]);
        assert.equal(check.code, 0, check.stdout + check.stderr);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "savevm/loadvm/delvm TAG with -snapshot or snapshot=on: in the drive's overlay, as QEMU's",
  ignore: !hasQemu,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const qcow2 = await images(dir, "qcow2"), raw = await images(dir, "raw");
      const boards = [
        (p: Peer) => ["-snapshot", ...drive(qcow2[p], "qcow2")],
        (
          p: Peer,
        ) => [...drive(raw[p], "raw").slice(0, 1), `${drive(raw[p], "raw")[1]},snapshot=on`],
      ];
      for (const board of boards) {
        const [q, e] = await both(SNAPSHOT_INPUT, board);
        assert.equal(answers(e.stdout), answers(q.stdout));
        assert.deepEqual([e.code, e.stderr], [q.code, q.stderr]);
        assert.match(e.stdout, /^-- +vm-\d{14} /m);
      }
      // the snapshots went with the overlay: the image has none
      const list = await runTyped("qemu-img", ["snapshot", "-l", qcow2.emu]);
      assert.deepEqual([list.code, list.stdout], [0, ""]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "savevm/loadvm/delvm without a drive that can hold them: QEMU's errors",
  ignore: !hasQemu,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const input = "info snapshots\nsavevm s1\nloadvm s1\ndelvm s1\nquit\n";
      const raw = await images(dir, "raw");
      for (const extra of [(_: Peer) => [], (p: Peer) => drive(raw[p], "raw")]) {
        const [q, e] = await both(input, extra);
        assert.equal(answers(e.stdout), answers(q.stdout));
        assert.equal(e.code, q.code);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "-loadvm TAG starts from the disk's snapshot; a missing tag, QEMU's own state or a damaged one: one line",
  ignore: !hasQemu,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const img = await images(dir, "qcow2");
      const [q0, e0] = await both(
        "x /2xw 0x80000000\nsavevm s1\nquit\n",
        (p) => drive(img[p], "qcow2"),
      );
      assert.equal(answers(e0.stdout), answers(q0.stdout));
      for (const tag of ["s1", "nope"]) {
        const [q, e] = await both(
          "info status\nx /2xw 0x80000000\nquit\n",
          (p) => ["-loadvm", tag, ...drive(img[p], "qcow2")],
        );
        assert.equal(e.code, q.code, tag);
        // a failing QEMU has printed its monitor's banner and prompt already
        if (!q.code) assert.equal(answers(e.stdout), answers(q.stdout), tag);
        const line = (r: Run) => r.stderr.replace(/^(qemu-system-riscv64|emu): /, "");
        if (q.code) assert.equal(line(e).split("\n")[0], line(q).split("\n")[0], tag);
      }
      // the snapshot QEMU wrote holds QEMU's migration stream: Denemu refuses it in one line
      const foreign = await systemPeer(
        "emu",
        [...MONITOR, ...drive(img.qemu, "qcow2")],
        "loadvm s1\nquit\n",
      );
      assert.match(
        foreign.stdout,
        /\nError: snapshot 's1' in virtio0 \([^)]*\): not a Denemu snapshot\n/,
      );
      const start = await systemPeer("emu", [
        ...BOOT,
        "-loadvm",
        "s1",
        ...drive(img.qemu, "qcow2"),
      ]);
      assert.equal(start.code, 1);
      assert.match(start.stderr, /^emu: snapshot 's1' in virtio0 .*not a Denemu snapshot.*\n$/);
      // a byte of Denemu's own state flipped in the image: refused in one line too
      await flipStateByte(img.emu);
      const damaged = await systemPeer(
        "emu",
        [...MONITOR, ...drive(img.emu, "qcow2")],
        "loadvm s1\nquit\n",
      );
      assert.match(
        damaged.stdout,
        /\nError: snapshot 's1' in virtio0 \([^)]*\): damaged snapshot file \(checksum/,
      );
      assert.equal(damaged.stderr, "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Flips a byte of the Denemu state that `path`'s snapshot holds. */
async function flipStateByte(path: string): Promise<void> {
  const bytes = await Deno.readFile(path);
  const at = new TextDecoder("latin1").decode(bytes).indexOf("DENEMU-VM\n");
  assert.ok(at > 0);
  bytes[at + 200] ^= 0xff;
  await Deno.writeFile(path, bytes);
}

/** Makes the first snapshot of qcow2 image `path` claim a VM state of `size` bytes. */
async function setVmStateSize(path: string, size: bigint): Promise<void> {
  const bytes = await Deno.readFile(path);
  const v = new DataView(bytes.buffer);
  // the snapshot table's offset is in the header; an entry has vm_state_size at 32 and its
  // 64-bit form (vm_state_size_large, extra data) at 40
  const entry = Number(v.getBigUint64(64));
  v.setUint32(entry + 32, 0xffffffff);
  v.setBigUint64(entry + 40, size);
  await Deno.writeFile(path, bytes);
}

/** Whether the first 4 KiB of qcow2 image `path` hold byte 0x55 (qemu-io checks). */
async function written(path: string): Promise<boolean> {
  const r = await runTyped("qemu-io", ["-f", "qcow2", "-c", "read -P 0x55 0 4k", path]);
  return !r.stdout.includes("Pattern verification failed");
}

Deno.test({
  name:
    "loadvm TAG reverts the disk; one whose state is refused leaves it as it was (QEMU reverts it first)",
  ignore: !hasQemu,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const crafts: [string, (p: string) => Promise<void>, RegExp | null][] = [
        ["sound", () => Promise.resolve(), null],
        ["huge", (p) => setVmStateSize(p, 1n << 40n), /damaged snapshot \(VM state of 1099/],
        ["flipped", flipStateByte, /damaged snapshot file \(checksum/],
      ];
      for (const [name, craft, error] of crafts) {
        const img = await images(dir, "qcow2");
        const saved = await systemPeer(
          "emu",
          [...MONITOR, ...drive(img.emu, "qcow2")],
          "savevm s1\nquit\n",
        );
        assert.equal(saved.code, 0, saved.stderr);
        // the disk written after the snapshot, and the snapshot's entry damaged
        await runTyped("qemu-io", ["-f", "qcow2", "-c", "write -P 0x55 0 4k", img.emu]);
        await craft(img.emu);
        await Deno.copyFile(img.emu, img.qemu);
        const [q, e] = await both("loadvm s1\nquit\n", (p) => drive(img[p], "qcow2"));
        // QEMU cannot read Denemu's state, but has reverted the disk by then
        assert.match(q.stdout, /\nError: Error -22 while loading VM state\n/, name);
        if (!error) assert.doesNotMatch(e.stdout, /Error/);
        else {assert.match(
            e.stdout,
            new RegExp(`\nError: snapshot 's1' in virtio0 .*${error.source}`),
          );}
        const kept = [await written(img.emu), await written(img.qemu)];
        assert.deepEqual(kept, [error !== null, false], name);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
