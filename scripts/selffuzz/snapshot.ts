/**
 * `snapshot`: mutated snapshot files through `m.load` (the code behind
 * `-loadvm`), then a bounded run. Seeds are files saved by user-mode
 * machines (hello, signals) and system-mode ones (bare-metal timer and traps
 * kernels, and the timer kernel on two harts). Mutations: bit flips and truncation (the checksum must catch
 * them), and, with the SHA-256 recomputed as a hostile author would: header
 * JSON values set to boundary values, wrong types, removed or duplicated, blob
 * lengths changed, blob contents flipped, cut, or inflated to a huge size.
 *
 * The outcome must be a one-line `EmuError` (or a guest deadlock), or a load that
 * runs on to an exit, a fault or the budget; any other exception, a case over
 * {@linkcode SLOW_MS}, or heap and buffers grown by over {@linkcode MAX_HELD} is a
 * failure.
 *
 * @module
 */

import { join } from "node:path";
import { createMachine, type Machine } from "../../mod.ts";
import type { Rnd } from "../../tests/riscv/random_programs.ts";
import { concatBytes } from "../../core/bytes.ts";
import {
  cpuMs,
  describeError,
  isCleanError,
  isolateBytes,
  isolateGrowth,
  mutatedFileFuzzer,
  type SelfFuzzer,
} from "./runner.ts";
import { mutateJson } from "./json_mutation.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const MAGIC_LENGTH = 10;
const STEPS = 20, STEP_BUDGET = 20_000;
/** CPU time (cpuMs) over which a case counts as a hang (a good one takes well under 1 s). */
const SLOW_MS = 30_000;
/** Heap and buffer bytes a case may add (see isolateGrowth) before it counts as a huge allocation. */
const MAX_HELD = 2 ** 31;

/** A machine that saves a seed file and loads the mutants. */
interface SeedMachine {
  make(): Promise<Machine>;
  /** instructions to run before saving */
  warmup: number;
}

const user = (prog: string, warmup: number): SeedMachine => ({
  make: () => createMachine({ program: join(REPO, "tests/guests/bin", prog), stdout: () => {} }),
  warmup,
});
const system = (kernel: string, warmup: number, smp = 1): SeedMachine => ({
  make: () =>
    createMachine({
      // 4 MiB of RAM: saving and loading 128 MiB takes seconds
      system: {
        memory: "4M",
        bios: "none",
        kernel: join(REPO, "tests/baremetal/bin", kernel),
        smp,
      },
    }),
  warmup,
});
const MACHINES = [
  user("hello.static.O2", 30_000),
  user("signals.static.O2", 200_000),
  system("timer.elf", 50_000),
  system("traps.elf", 20_000),
  system("timer.elf", 50_000, 2), // two harts: per-hart state and its count are mutated too
];

let seedFiles: Uint8Array[] | null = null;

/** Saves one snapshot file per machine (once per process). */
async function seeds(): Promise<Uint8Array[]> {
  if (seedFiles) return seedFiles;
  const files: Uint8Array[] = [];
  const path = await Deno.makeTempFile({ prefix: "denemu-selffuzz-snapshot-" });
  try {
    for (const s of MACHINES) {
      const m = await s.make();
      m.next(s.warmup);
      await m.save(path);
      await m.close();
      files.push(await Deno.readFile(path));
    }
  } finally {
    await Deno.remove(path);
  }
  return seedFiles = files;
}

/** A snapshot file taken apart: its header as JSON text's value and its raw blobs. */
export interface Parts {
  version: number;
  header: { blobs: { name: string; length: number }[] } & Record<string, unknown>;
  blobs: Uint8Array[];
}

function parse(file: Uint8Array): Parts {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerLength = dv.getUint32(MAGIC_LENGTH + 4, true);
  const start = MAGIC_LENGTH + 8;
  const header = JSON.parse(new TextDecoder().decode(file.subarray(start, start + headerLength)));
  const blobs: Uint8Array[] = [];
  let at = start + headerLength;
  for (const b of header.blobs) {
    blobs.push(file.slice(at, at + b.length));
    at += b.length;
  }
  return { version: dv.getUint32(MAGIC_LENGTH, true), header, blobs };
}

/**
 * `file` with its parts changed by `edit` and a correct checksum, as a
 * hostile author would write it.
 *
 * @example
 * ```ts ignore
 * const bad = await editSnapshot(good, (p) => p.header.kind = "x");
 * ```
 */
export function editSnapshot(file: Uint8Array, edit: (p: Parts) => void): Promise<Uint8Array> {
  const p = parse(file);
  edit(p);
  return build(file, p);
}

/** Puts a file together again, with a correct checksum. */
async function build(file: Uint8Array, p: Parts): Promise<Uint8Array> {
  const header = new TextEncoder().encode(JSON.stringify(p.header));
  const fixed = new Uint8Array(MAGIC_LENGTH + 8);
  fixed.set(file.subarray(0, MAGIC_LENGTH));
  const dv = new DataView(fixed.buffer);
  dv.setUint32(MAGIC_LENGTH, p.version, true);
  dv.setUint32(MAGIC_LENGTH + 4, header.length, true);
  const body = concatBytes([fixed, header, ...p.blobs]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return concatBytes([body, digest]);
}

async function transform(data: Uint8Array, format: "deflate-raw", pack: boolean) {
  const stream = new Blob([new Uint8Array(data)]).stream().pipeThrough(
    pack ? new CompressionStream(format) : new DecompressionStream(format),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A blob's contents flipped, cut or grown (up to 256 MiB of zeros: a compression bomb). */
async function mutateBlob(blob: Uint8Array, rnd: Rnd): Promise<Uint8Array> {
  let data: Uint8Array;
  try {
    data = await transform(blob, "deflate-raw", false);
  } catch {
    return blob.slice(0, rnd(blob.length + 1)); // an earlier mutation broke it
  }
  const kind = rnd(4);
  let out: Uint8Array = data;
  if (kind === 0 && data.length) {
    for (let n = 1 + rnd(8); n > 0; n--) data[rnd(data.length)] ^= 1 << rnd(8);
  } else if (kind === 1) out = data.slice(0, rnd(data.length + 1));
  else if (kind === 2) {
    out = new Uint8Array(data.length + 1 + rnd(3 * 4096));
    out.set(data);
  } else out = new Uint8Array(1 << (20 + rnd(9)));
  return transform(out, "deflate-raw", true);
}

/** One mutant of `file`. */
async function mutate(file: Uint8Array, rnd: Rnd): Promise<Uint8Array> {
  const kind = rnd(10);
  if (kind === 0) {
    const b = new Uint8Array(file);
    for (let n = 1 + rnd(8); n > 0; n--) b[rnd(b.length)] ^= 1 << rnd(8);
    return b;
  }
  if (kind === 1) return file.slice(0, rnd(file.length));
  let p: Parts;
  try {
    p = parse(file);
  } catch {
    return mutate(file.slice(0, rnd(file.length)), rnd); // an earlier mutation broke the header
  }
  if (kind < 7) {
    p.header = mutateJson(p.header, rnd) as Parts["header"];
  } else if (kind < 9 && p.blobs.length) {
    const k = rnd(p.blobs.length);
    p.blobs[k] = await mutateBlob(p.blobs[k], rnd);
    if (Array.isArray(p.header.blobs) && p.header.blobs[k]) {
      p.header.blobs[k].length = p.blobs[k].length;
    }
  } else if (p.blobs.length) {
    const k = rnd(p.blobs.length);
    p.blobs[k] = p.blobs[k].slice(0, rnd(p.blobs[k].length + 1));
    if (rnd(2)) p.version = [0, 2, 0xffffffff][rnd(3)];
  }
  return build(file, p);
}

/** Loads `file` into a fresh machine of seed `which` and runs it; null when that went cleanly. */
async function loadAndRun(which: number, file: Uint8Array): Promise<string | null> {
  const path = await Deno.makeTempFile({ prefix: "denemu-selffuzz-snapshot-" });
  let m: Machine | null = null;
  try {
    await Deno.writeFile(path, file);
    m = await MACHINES[which].make();
    await m.load(path);
    for (let k = 0; k < STEPS; k++) {
      const ev = m.next(STEP_BUDGET);
      if (ev.type === "exit" || ev.type === "poweroff") break;
    }
    return null;
  } catch (e) {
    if (isCleanError(e)) return null;
    return describeError(e);
  } finally {
    await m?.close().catch(() => {});
    await Deno.remove(path);
  }
}

/** {@linkcode loadAndRun}, also failing a case that is slow or leaves a huge allocation behind. */
async function check(which: number, file: Uint8Array): Promise<string | null> {
  const started = cpuMs(), heldBefore = isolateBytes();
  const failure = await loadAndRun(which, file);
  const ms = cpuMs() - started, held = isolateGrowth(heldBefore);
  if (failure) return failure;
  if (ms > SLOW_MS) return `slow: ${Math.round(ms)} ms of CPU`;
  return held > MAX_HELD ? `huge allocation: ${held} bytes of heap and buffers` : null;
}

/** The `snapshot` self-fuzzer; a reproducer is the seed machine's number (a byte), the file. */
export const snapshotFuzzer: SelfFuzzer = mutatedFileFuzzer({
  name: "snapshot",
  ciCases: 8,
  extension: "snap",
  description: "mutated snapshot files through m.load / -loadvm: EmuError or a clean run only",
  seeds,
  mutate,
  check,
});
