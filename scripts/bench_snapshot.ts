/**
 * Snapshot figures for `deno task bench`: what a snapshot of a user-mode
 * process costs, and what a restore costs against the number of pages the
 * run dirtied since (the fuzzer restores once per execution).
 *
 * @module
 */

import { LinuxProcess } from "../core/linux/process.ts";
import { Perm } from "../core/guest_memory.ts";
import { createMachine } from "../mod.ts";

const DIRTY_COUNTS = [1, 10, 100, 1000];
const REGION_PAGES = 1000;
const SNAPSHOT_REPS = 10;
/** Where the system bench dirties its pages: 1 MiB into RAM, past the program. */
const SYSTEM_REGION = 0x8010_0000n;

/** Prints a row (the bench's table writer). */
export type RowWriter = (name: string, value: string) => void;

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The median: robust to the GC pauses and preemptions of a loaded host. */
function median(xs: number[]): number {
  const sorted = xs.toSorted((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** What the bench measures on one machine. */
interface Subject {
  /** pages a snapshot covers, for the row's name */
  pages: number;
  snapshot(): unknown;
  restore(s: unknown): void;
  /** Writes a word into page `k` of the region (as the guest's first store would). */
  dirty(k: number, value: number): void;
  /** Whether page 0 of the region is back to zero. */
  restored(): boolean;
}

/** Times snapshots (mean), then restores after 1/10/100/1000 dirty pages; returns µs. */
function measure(subject: Subject, row: RowWriter, reps: number): Record<string, number> {
  const figures: Record<string, number> = {};
  const snapUs: number[] = [];
  // Few: each one copies every written page, and the garbage would slow what follows.
  for (let i = 0; i < SNAPSHOT_REPS; i++) {
    const t = performance.now();
    subject.snapshot();
    snapUs.push((performance.now() - t) * 1000);
  }
  figures.snapshotUs = mean(snapUs);
  row(`snapshot (${subject.pages} pages)`, `${figures.snapshotUs.toFixed(0).padStart(8)} µs`);
  const s = subject.snapshot();
  for (const n of DIRTY_COUNTS) {
    const us: number[] = [];
    for (let i = 0; i < reps; i++) {
      for (let k = 0; k < n; k++) subject.dirty(k, i + 1);
      const t = performance.now();
      subject.restore(s);
      us.push((performance.now() - t) * 1000);
    }
    if (!subject.restored()) throw new Error("restore left a dirty page");
    figures[`restore${n}Us`] = median(us);
    figures[`restore${n}MeanUs`] = mean(us);
    row(
      `restore after ${n} dirty pages (median; mean)`,
      `${median(us).toFixed(1).padStart(8)} µs; ${mean(us).toFixed(1)} µs`,
    );
  }
  return figures;
}

/**
 * Measures snapshot and restore costs on `program` (stopped at its first
 * syscall, with a 1000-page region mapped) and returns the mean figures in
 * µs. The pages are dirtied through the memory slow path, as a guest's first
 * store to a clean page is.
 *
 * @example
 * ```ts ignore
 * const figures = await benchSnapshots("tests/guests/bin/hello.static.O2", console.log, 50);
 * ```
 */
export async function benchSnapshots(
  program: string,
  row: RowWriter,
  reps: number,
): Promise<Record<string, number>> {
  const p = await LinuxProcess.create({ program, accel: "jit", stdout: () => {} });
  while (p.step().kind !== "syscall");
  const region = p.as.mmap(0n, BigInt(REGION_PAGES * 4096), Perm.R | Perm.W, 0x22);
  return measure(
    {
      pages: p.mem.pages.size,
      snapshot: () => p.snapshot(),
      restore: (s) => p.restore(s as ReturnType<LinuxProcess["snapshot"]>),
      dirty: (k, v) => p.mem.store(region + BigInt(k * 4096), 8, BigInt(v)),
      restored: () => p.mem.load(region, 8, false) === 0n,
    },
    row,
    reps,
  );
}

/**
 * The same figures for a `virt` machine with 128 MiB of RAM running the
 * bare-metal `kernel` (stopped after its first instructions); the pages are
 * dirtied through the debugger's memory writes.
 *
 * @example
 * ```ts ignore
 * const figures = await benchSystemSnapshots("tests/baremetal/bin/traps.elf", console.log, 50);
 * ```
 */
export async function benchSystemSnapshots(
  kernel: string,
  row: RowWriter,
  reps: number,
): Promise<Record<string, number>> {
  const m = await createMachine({ system: { bios: "none", kernel, memory: "128M" }, accel: "jit" });
  try {
    m.step(100);
    const word = new Uint8Array(8);
    return measure(
      {
        pages: 128 * 256,
        snapshot: () => m.snapshot(),
        restore: (s) => m.restore(s as ReturnType<typeof m.snapshot>),
        dirty: (k, v) => {
          word[0] = v;
          m.writeMemory(SYSTEM_REGION + BigInt(k * 4096), word);
        },
        restored: () => m.readMemory(SYSTEM_REGION, 1)[0] === 0,
      },
      row,
      reps,
    );
  } finally {
    await m.close();
  }
}
