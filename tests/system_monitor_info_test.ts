// The monitor's views of the board (info block, info mtree, info roms, info qtree)
// and -device help, on qemu-system-riscv64 and Denemu in the same run, with what
// the boards cannot share normalised (each step says what and why).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { which } from "../scripts/build_guests.ts";
import { type Peer, runTyped, systemPeer } from "./util/monitor_peers.ts";

const KERNEL = new URL("./baremetal/bin/timer.elf", import.meta.url).pathname;
const MONITOR = [
  ...["-M", "virt", "-bios", "none", "-kernel", KERNEL, "-display", "none"],
  ...["-serial", "null", "-monitor", "stdio", "-S"],
];
const hasQemu = (await which("qemu-system-riscv64")) !== null && (await which("qemu-img")) !== null;
if (!hasQemu) {
  console.log("qemu-system-riscv64 or qemu-img not installed: monitor info tests skipped");
}

/** `cmd args` with `input` typed: its stdout, once it exited 0. */
async function run(cmd: string, args: string[], input = ""): Promise<string> {
  const r = await runTyped(cmd, args, input);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** One monitor command's answer on `peer` (QEMU reads the monitor once the machine is up). */
async function answer(peer: Peer, args: string[], command: string): Promise<string> {
  const r = await systemPeer(peer, [...MONITOR, ...args], `${command}\nquit\n`);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  // the answer is between the first prompt and the next
  return out.split("(qemu) ").slice(1, -1).join("").replace(/^[^\n]*\n/, "");
}

async function both(args: (p: Peer) => string[], command: string): Promise<[string, string]> {
  const [q, e] = await Promise.all([
    answer("qemu", args("qemu"), command),
    answer("emu", args("emu"), command),
  ]);
  return [q, e];
}

/**
 * `info block` with the two random digits of QEMU's node numbers taken out (Denemu's are 00: the
 * counter before them must match), its empty floppy, SD and
 * "none" slots that Denemu's virt lacks, and a snapshot=on drive's temporary overlay (a json:
 * name of a file in /var/tmp there, memory in Denemu) shown as its image.
 */
function blockList(t: string): string {
  return t.trim().split("\n\n").filter((b) => !b.includes("[not inserted]"))
    .map((b) =>
      b.replace(/#block(\d+)\d\d\b/, "#block$1").replace(
        /json:\{"backing": \{[^}]*"filename": "([^"]*)"\}\}.*\} \(qcow2\)/,
        "$1 (qcow2)",
      )
    ).join("\n\n");
}

Deno.test({
  name: "info block: the drives in -drive order, each with its file, format, flags, attachment, " +
    "cache mode and backing file",
  ignore: !hasQemu,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const img = (n: string) => `${dir}/${n}`;
      const qemuImg = (...a: string[]) => run("qemu-img", a);
      await qemuImg("create", "-f", "raw", img("r.img"), "1M");
      await qemuImg("create", "-f", "qcow2", img("b.qcow2"), "1M");
      await qemuImg("create", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", img("o.qcow2"));
      await qemuImg("create", "-f", "raw", img("flash.img"), "32M");
      const flash = ["-drive", `if=pflash,file=${img("flash.img")},format=raw`];
      // Denemu creates the flash banks first and the -device disks before the -drive ones
      const boards = [[
        ...["-drive", `file=${img("r.img")},format=raw,if=virtio,readonly=on`],
        ...["-drive", `file=${img("o.qcow2")},format=qcow2,if=none,id=dd`],
        ...["-device", "virtio-blk-pci,drive=dd"],
        ...["-drive", `file=${img("b.qcow2")},format=qcow2,if=virtio,snapshot=on`],
        ...flash.slice(0, 1),
        `${flash[1]},unit=0`,
      ], [
        ...["-device", "virtio-rng-pci"],
        ...["-drive", `file=${img("r.img")},format=raw,if=none,id=x`],
        ...["-device", "virtio-blk-device,drive=x", ...flash],
        ...["-drive", `file=${img("b.qcow2")},format=qcow2,if=virtio,snapshot=on`],
      ]];
      for (const board of boards) {
        const [q, e] = await both(() => board, "info block");
        assert.equal(blockList(e), blockList(q));
        assert.match(e, /^pflash0 \(#block\d+\): .*flash\.img \(raw\)$/m);
      }
      // -v: qemu-img info's report of each image of each chain (with its snapshots)
      await qemuImg("snapshot", "-c", "s1", img("b.qcow2"));
      const [q, e] = await both(() => [
        ...["-drive", `file=${img("o.qcow2")},format=qcow2,if=virtio`],
        ...["-drive", `file=${img("r.img")},format=raw,if=virtio,readonly=on`],
      ], "info block -v");
      assert.equal(blockList(e), blockList(q));
      assert.match(
        e,
        /^Images:\nimage: .*o\.qcow2\n(.+\n)+image: .*b\.qcow2\n(.+\n)+Snapshot list:/m,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** An `info mtree` line: its start, kind and name (the end is a register window's size). */
const MTREE_LINE = /^( *)([0-9a-f]{16})-[0-9a-f]{16} \(prio 0, ([\w/]+)\): (.*)$/;

/**
 * The regions of the address space the harts see, as start, kind and name. QEMU splits ACLINT and
 * fw_cfg into several regions where Denemu maps one, and has a platform bus Denemu's
 * virt lacks.
 */
function regions(text: string, block = "address-space: memory\n"): string[] {
  const names: Record<string, string> = {
    "riscv.aclint.swi": "riscv.aclint",
    "fwcfg.data": "fwcfg",
  };
  const only = ["platform bus", "riscv.aclint.mtimer", "fwcfg.ctl", "fwcfg.dma"];
  // QEMU groups the address spaces by root region in a hash table: their order varies
  const memory = text.split("\n\n").find((b) => b.includes(block)) ?? "";
  return memory.split("\n").flatMap((l) => {
    const m = MTREE_LINE.exec(l);
    if (!m) return [l];
    const name = names[m[4]] ?? m[4];
    return only.includes(name) ? [] : [`${m[1]}${m[2]} ${m[3]} ${name}`];
  });
}

Deno.test({
  name: "info mtree and info roms: the address space and the loaded images as QEMU lists them",
  ignore: !hasQemu,
  fn: async () => {
    for (const smp of ["1", "2"]) {
      const [q, e] = await both(() => ["-smp", smp], "info mtree");
      assert.deepEqual(regions(e), regions(q));
      assert.ok(regions(e).length > 20);
      // -f: the flat view of the harts' address space (QEMU numbers its views in hash order)
      const [qf, ef] = await both(
        () => ["-smp", smp, "-device", "virtio-rng-pci"],
        "info mtree -f",
      );
      const flat = (t: string) =>
        regions(t, ' AS "memory", root: system\n').map((l) =>
          l.replace(/^FlatView #\d+$/, "FlatView")
        );
      assert.deepEqual(flat(ef), flat(qf));
      assert.match(ef, /\): gpex_mmio_window @0000000040000000\n/);
    }
    const [q, e] = await both(() => [], "info roms");
    // QEMU keeps the device tree in a 1 MiB blob; Denemu's is the tree's own size
    const fdt = (t: string) => t.replace(/size=0x[0-9a-f]{6}( mem=ram name="fdt")/, "size=N$1");
    assert.equal(fdt(e), fdt(q));
    assert.match(e, /ELF program header segment 1"\n/);
  },
});

Deno.test({
  name: "info qtree: the buses and devices in QEMU's layout",
  ignore: !hasQemu,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await run("qemu-img", ["create", "-f", "raw", `${dir}/d.img`, "1M"]);
      await run("qemu-img", ["create", "-f", "raw", `${dir}/m.img`, "1M"]);
      const args = () => [
        ...["-device", "virtio-rng-pci", "-drive", `file=${dir}/d.img,format=raw,if=virtio`],
        ...["-device", "virtio-rng-device", "-drive", `file=${dir}/m.img,format=raw,if=none,id=m`],
        ...["-device", "virtio-blk-device,drive=m"],
      ];
      const [q, e] = await both(args, "info qtree");
      // Denemu shows no properties; QEMU's platform bus (dynamic sysbus devices) has no
      // counterpart on Denemu's virt
      const tree = (t: string) =>
        t.split("\n").filter((l) => /^ *(dev:|bus:|type )/.test(l))
          .filter((l) => !l.includes("platform-bus-device")).join("\n");
      assert.equal(tree(e), tree(q));
      assert.match(e, /^ {6}dev: virtio-blk-pci, id ""$/m);
      // the first virtio-mmio device takes the slot with the highest address, as in QEMU
      assert.match(e, /bus: virtio-mmio-bus\.7\n.*\n {6}dev: virtio-rng-device, id ""\n/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** `emu system` or qemu-system-riscv64 with `args` and no machine started. */
async function helpRun(peer: Peer, args: string[]): Promise<{ code: number; out: string }> {
  const [cmd, pre] = peer === "qemu"
    ? ["qemu-system-riscv64", ["-M", "virt"]]
    : [Deno.execPath(), ["run", "-A", "mod.ts", "system"]];
  const signal = AbortSignal.timeout(60_000); // an option that starts the machine after all
  const r = await new Deno.Command(cmd, { args: [...pre, ...args], stdin: "null", signal })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, out: text(r.stdout) + text(r.stderr) };
}

Deno.test({
  name: "-device help and -device NAME,help: QEMU's format, QEMU's lines for the virtio devices",
  ignore: !hasQemu,
  fn: async () => {
    const list = await Promise.all(
      ["qemu", "emu"].map((p) => helpRun(p as Peer, ["-device", "help"])),
    );
    const [q, e] = list.map((r) => r.out.split("\n"));
    for (
      const name of ["virtio-blk-device", "virtio-blk-pci", "virtio-rng-device", "virtio-rng-pci"]
    ) {
      const line = (lines: string[]) => lines.find((l) => l.startsWith(`name "${name}"`));
      assert.equal(line(e), line(q), name);
    }
    // each category is one QEMU has, and every line has QEMU's layout
    for (const l of e.filter((l) => l.endsWith(" devices:"))) assert.ok(q.includes(l), l);
    for (const l of e.filter((l) => l && !l.endsWith(" devices:"))) {
      assert.match(l, /^name "[^"]+", bus [\w-]+(, alias "[^"]+")?(, desc "[^"]*")?$/);
    }
    const opts = await Promise.all(
      ["qemu", "emu"].map((p) => helpRun(p as Peer, ["-device", "virtio-blk-pci,help"])),
    );
    const [qo, eo] = opts.map((r) => r.out.split("\n"));
    assert.equal(eo[0], qo[0]);
    const head = (lines: string[], key: string) =>
      lines.find((l) => l.startsWith(`  ${key}=`))?.split(" ")[2];
    for (const key of ["drive", "serial", "num-queues", "addr"]) {
      assert.ok(head(eo, key), key);
      // the type names QEMU uses (addr is a PCI slot or a window's base in Denemu: a string)
      if (key !== "addr") assert.equal(head(eo, key), head(qo, key), key);
    }
    const bad = await Promise.all(
      ["qemu", "emu"].map((p) => helpRun(p as Peer, ["-device", "nope,help"])),
    );
    const strip = (r: { code: number; out: string }) => [r.code, r.out.replace(/^[\w-]+: /, "")];
    assert.deepEqual(strip(bad[1]), strip(bad[0]));
  },
});
