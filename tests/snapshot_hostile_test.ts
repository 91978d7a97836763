// Snapshot files written by a hostile author (the checksum recomputed, as the `snapshot`
// self-fuzzer does): state of the wrong shape or out of range is refused with a one-line
// EmuError, and the machine that tried to load it runs on as before. Each case below was a host
// exception (RangeError, TypeError) found by the fuzzer, or an Object.assign onto the process.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { createMachine, EmuError, type Machine } from "../mod.ts";
import { editSnapshot, type Parts } from "../scripts/selffuzz/snapshot.ts";

const BIN = new URL("./", import.meta.url).pathname;
const userMachine = () =>
  createMachine({ program: `${BIN}guests/bin/hello.static.O2`, stdout: () => {} });
const systemMachine = () =>
  createMachine({
    system: { memory: "4M", bios: "none", kernel: `${BIN}baremetal/bin/timer.elf` },
  });

type Meta = Record<string, Record<string, unknown>>;
const meta = (p: Parts) => p.header.meta as Meta;

/**
 * Saves `make()` after a few instructions, edits the file, and loads it into a fresh machine
 * (`loader()`, by default another `make()`).
 */
async function loadEdited(
  make: () => Promise<Machine>,
  edit: (p: Parts) => void,
  why: RegExp,
  loader = make,
) {
  const path = await Deno.makeTempFile();
  try {
    const saver = await make();
    saver.next(20_000);
    await saver.save(path);
    await saver.close();
    await Deno.writeFile(path, await editSnapshot(await Deno.readFile(path), edit));
    const m = await loader();
    const pc = m.pc;
    await rejects(
      m.load(path),
      (e) => e instanceof EmuError && why.test(e.message) && !e.message.includes("\n"),
    );
    assertEquals(m.pc, pc, "a refused file left the machine as it was");
    await m.close();
  } finally {
    await Deno.remove(path);
  }
}

async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const packed = new Blob([new Uint8Array(data)]).stream()
    .pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(packed).arrayBuffer());
}

Deno.test("hostile snapshot: a CPU state block of the wrong size (was a RangeError)", async () => {
  const state = await deflate(new Uint8Array(1 << 20));
  await loadEdited(systemMachine, (p) => {
    const k = p.header.blobs.findIndex((b) => b.name === "state");
    p.blobs[k] = state;
    p.header.blobs[k].length = state.length;
  }, /damaged state \(blobs\.state: a Uint8Array of 1048576 bytes, expected a Uint8Array of/);
});

Deno.test("hostile snapshot: a PMP address as a string (was a TypeError in Pmp)", async () => {
  await loadEdited(systemMachine, (p) => {
    (meta(p).hart.fields as Record<string, unknown[]>).pmpAddr[0] = "x";
  }, /damaged state \(meta\.hart\.fields\.pmpAddr\[0\]: a string, expected a bigint\)/);
});

Deno.test("hostile snapshot: page numbers as bigints (was a TypeError in PageRanges)", async () => {
  await loadEdited(userMachine, (p) => {
    (meta(p).pages as unknown as unknown[][])[0][0] = { $n: "1" };
  }, /damaged state \(meta\.pages\[0\]\[0\]: a bigint, expected a number\)/);
});

Deno.test("hostile snapshot: pages outside the address space or duplicated", async () => {
  await loadEdited(userMachine, (p) => {
    (meta(p).pages as unknown as number[][])[0][0] = 2 ** 52;
  }, /damaged state \(page 4503599627370496\)/);
  await loadEdited(userMachine, (p) => {
    const pages = meta(p).pages as unknown as number[][];
    pages[1][0] = pages[0][0];
  }, /damaged state \(page \d+\)/);
});

Deno.test("hostile snapshot: no field beyond the process's own (was Object.assign onto it)", async () => {
  await loadEdited(userMachine, (p) => {
    meta(p).process.paths = { root: null };
  }, /unknown field "paths"/);
});

Deno.test("hostile snapshot: a descriptor number out of range", async () => {
  await loadEdited(userMachine, (p) => {
    (meta(p).fds as unknown as { fd: number }[])[0].fd = -5;
  }, /damaged state \(fd /);
});

Deno.test("hostile snapshot: moved pages that are not pairs of page numbers", async () => {
  for (const bad of [["x", 1], [1], { length: 2 }]) {
    await loadEdited(userMachine, (p) => {
      meta(p).brk.movedFrom = [[5, 6], bad];
    }, /damaged state \(moved pages\)/);
  }
});

Deno.test("a snapshot file from before mmap placed memory as qemu-user (no break top) loads", async () => {
  const path = await Deno.makeTempFile();
  try {
    const saver = await userMachine();
    saver.next(20_000);
    await saver.save(path);
    const want = await saver.runToExit();
    await saver.close();
    await Deno.writeFile(
      path,
      await editSnapshot(await Deno.readFile(path), (p) => {
        for (const key of ["top", "mmapNext", "movedFrom"]) delete meta(p).brk[key];
      }),
    );
    const m = await userMachine();
    await m.load(path);
    assertEquals(await m.runToExit(), want);
    await m.close();
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("hostile snapshot: a compression bomb stops at the machine's RAM size", async () => {
  const bomb = await deflate(new Uint8Array(64 << 20));
  await loadEdited(systemMachine, (p) => {
    const k = p.header.blobs.findIndex((b) => b.name === "ram");
    p.blobs[k] = bomb;
    p.header.blobs[k].length = bomb.length;
  }, /damaged snapshot data \(larger than this machine's \d+ bytes\)/);
});

Deno.test("hostile snapshot: a blob length as a bigint (was a TypeError in the file reader)", async () => {
  await loadEdited(userMachine, (p) => {
    (p.header.blobs[0] as unknown as { length: unknown }).length = { $n: "5" };
  }, /damaged snapshot header/);
});

Deno.test("-loadvm of a snapshot of another board: PCI devices in another slot, missing or added", async () => {
  const board = (devices: string[]) => () =>
    createMachine({
      system: { memory: "4M", bios: "none", kernel: `${BIN}baremetal/bin/timer.elf`, devices },
    });
  const path = await Deno.makeTempFile();
  try {
    const pairs: [string[], string[]][] = [
      [["virtio-rng-pci,addr=5"], ["virtio-rng-pci"]], // was "damaged state" (slot 5 vs slot 1)
      [["virtio-rng-pci"], ["virtio-rng-pci,addr=5"]],
      [["virtio-rng-pci"], []],
      [[], ["virtio-rng-pci"]],
      [["virtio-rng-pci"], ["virtio-rng-device"]],
    ];
    for (const [saved, loading] of pairs) {
      const saver = await board(saved)();
      saver.next(20_000);
      await saver.save(path);
      await saver.close();
      const m = await board(loading)();
      try {
        await rejects(m.load(path), (e) => {
          const ok = e instanceof EmuError && /: snapshot of another machine \(/.test(e.message);
          if (!ok) throw new Error(`${saved} -> ${loading}: ${e}`);
          return !e.message.includes("\n");
        });
        assertEquals(m.next(1000).type, "budget", "the machine runs on");
      } finally {
        await m.close();
      }
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("-loadvm of a snapshot of another -smp: refused, also with the identity edited to match", async () => {
  const harts = (smp: number) => () =>
    createMachine({
      system: { memory: "4M", bios: "none", kernel: `${BIN}baremetal/bin/timer.elf`, smp },
    });
  for (const [saved, loading] of [[2, 1], [1, 2], [4, 2]]) {
    await loadEdited(harts(saved), () => {}, /: snapshot of another machine \(/, harts(loading));
    const claim = (p: Parts) => {
      const identity = p.header.identity as Record<string, string>;
      if (loading > 1) identity.smp = String(loading);
      else delete identity.smp;
    };
    await loadEdited(harts(saved), claim, /damaged state|another number of harts/, harts(loading));
  }
});
