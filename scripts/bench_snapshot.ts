/**
 * Snapshot figures for `deno task bench`: what a snapshot of a user-mode
 * process costs, and what a restore costs against the number of pages the
 * run dirtied since (the fuzzer restores once per execution).
 *
 * @module
 */

import { LinuxProcess } from "../core/linux/process.ts";
import { Perm } from "../core/guest_memory.ts";

const DIRTY_COUNTS = [1, 10, 100, 1000];
const REGION_PAGES = 1000;
const SNAPSHOT_REPS = 10;

/** Prints a row (the bench's table writer). */
export type RowWriter = (name: string, value: string) => void;

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
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
  const figures: Record<string, number> = {};
  const snapUs: number[] = [];
  // Few: each one copies every mapped page, and the garbage would slow what follows.
  for (let i = 0; i < SNAPSHOT_REPS; i++) {
    const t = performance.now();
    p.snapshot();
    snapUs.push((performance.now() - t) * 1000);
  }
  const pages = p.mem.pages.size;
  figures.snapshotUs = mean(snapUs);
  row(`snapshot (${pages} pages mapped)`, `${figures.snapshotUs.toFixed(0).padStart(8)} µs`);
  const s = p.snapshot();
  for (const n of DIRTY_COUNTS) {
    const us: number[] = [];
    for (let i = 0; i < reps; i++) {
      for (let k = 0; k < n; k++) p.mem.store(region + BigInt(k * 4096), 8, BigInt(i + 1));
      const t = performance.now();
      p.restore(s);
      us.push((performance.now() - t) * 1000);
    }
    if (p.mem.load(region, 8, false) !== 0n) throw new Error("restore left a dirty page");
    figures[`restore${n}Us`] = mean(us);
    row(`restore after ${n} dirty pages`, `${mean(us).toFixed(1).padStart(8)} µs`);
  }
  return figures;
}
