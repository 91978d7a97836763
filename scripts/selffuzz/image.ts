/**
 * `image`: mutated qcow2 and raw disk images through `emu img info`, `check`,
 * `map` and `convert -O raw`, opened as a system-mode drive is (random
 * reads, writes and zeroing through the format driver, writes kept in memory
 * as `snapshot=on` does), then `snapshot -l`, `check -r all`, `measure`
 * (also `-l`), `convert -c/-S/-l`, `snapshot -c/-a/-d`, `resize` up, down and
 * with `--preallocation=full`, and `commit`. Seeds are made at start with `emu img`: qcow2 v3 and
 * v2, 4 KiB and 64 KiB clusters, compressed clusters, 1- and 64-bit
 * refcounts, an overlay on a backing file, and raw. Mutations: bit flips,
 * truncation, header fields set to boundary values, and L1, L2, refcount
 * table and refcount block entries set to boundary or random values.
 *
 * Outcome: every command ends with an exit status or a one-line
 * {@linkcode EmuError}; any other exception, a step using more CPU than
 * {@linkcode SLOW_MS}, heap and buffers grown by over {@linkcode MAX_HELD}, or a file
 * beside the image created or changed is a failure. With qemu-img installed,
 * an image that `qemu-img check` finds clean and small must convert to the
 * same raw bytes with both.
 *
 * @module
 */

import { join } from "node:path";
import { EmuError } from "../../mod.ts";
import { imgCommand } from "../../cli/img/main.ts";
import { openImage } from "../../core/block.ts";
import { which } from "../build_guests.ts";
import { prng, type Rnd } from "../../tests/riscv/random_programs.ts";
import { cpuMs, describeError, isolateBytes, isolateGrowth, type SelfFuzzer } from "./runner.ts";
import { mutateImage } from "./image_mutation.ts";

const SLOW_MS = 120_000;
const MAX_HELD = 2 ** 31;
/** Images compared with qemu-img only up to this virtual size. */
const COMPARE_SIZE = 16 << 20;
const HAVE_QEMU_IMG = await which("qemu-img");
const BASE = "base.qcow2";
/** Stands for the image's path in {@linkcode WRITES}. */
const IMAGE = "IMAGE";
/** Stands for a new file beside the image in {@linkcode WRITES}. */
const OUT = "OUT";

/**
 * Commands run last in this order, most of them changing the image (`-f`
 * follows the name); `commit` writes the overlay's data into its backing file.
 */
const WRITES = [
  ["snapshot", "-l", IMAGE],
  ["check", "-r", "all", IMAGE],
  ["measure", "-O", "qcow2", IMAGE],
  ["convert", "-c", "-O", "qcow2", "-o", "cluster_size=4096", IMAGE, OUT],
  ["convert", "-S", "4k", "-O", "raw", IMAGE, OUT],
  ["snapshot", "-c", "s1", IMAGE],
  ["measure", "-O", "qcow2", "-l", "s1", IMAGE],
  ["convert", "-l", "snapshot.name=s1", "-O", "raw", IMAGE, OUT],
  ["snapshot", "-a", "s1", IMAGE],
  ["snapshot", "-d", "s1", IMAGE],
  ["resize", "--shrink", "-q", IMAGE, "+1M"],
  ["resize", "--shrink", "-q", IMAGE, "-512K"],
  ["resize", "--preallocation=full", "-q", IMAGE, "+64K"],
  ["commit", "-q", IMAGE],
];

/** The seeds: [name, bytes, format]; the overlay's backing file is {@linkcode BASE}. */
type Seed = { name: string; bytes: Uint8Array; format: "qcow2" | "raw" };
let seedImages: { seeds: Seed[]; base: Uint8Array } | null = null;

/** Runs `emu img ARGS` in this process: its exit status and what it printed. */
async function img(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { code: await imgCommand(args), out: lines.join("\n") };
  } finally {
    Object.assign(console, { log, error });
  }
}

async function makeSeeds(): Promise<{ seeds: Seed[]; base: Uint8Array }> {
  if (seedImages) return seedImages;
  const dir = await Deno.makeTempDir({ prefix: "denemu-selffuzz-image-seeds-" });
  try {
    const raw = new Uint8Array(1 << 20);
    for (let k = 0; k < raw.length; k += 4096 * 7) raw.fill(k % 251, k, k + 1500);
    await Deno.writeFile(join(dir, "data.raw"), raw);
    const convert = async (name: string, opts: string[]) => {
      const r = await img(["convert", "-f", "raw", "-O", "qcow2", ...opts, "data.raw", name]
        .map((a) => a.endsWith(".raw") || a.endsWith(".qcow2") ? join(dir, a) : a));
      if (r.code) throw new Error(`seed ${name}: ${r.out}`);
    };
    await convert("v3-4k.qcow2", ["-o", "cluster_size=4096"]);
    await convert("v3-64k.qcow2", []);
    await convert("v2.qcow2", ["-o", "compat=0.10,cluster_size=4096"]);
    await convert("compressed.qcow2", ["-c", "-o", "cluster_size=4096"]);
    await convert("refcount1.qcow2", ["-o", "refcount_bits=1,cluster_size=4096"]);
    await convert("refcount64.qcow2", ["-o", "refcount_bits=64,cluster_size=8192"]);
    await convert(BASE, ["-o", "cluster_size=4096"]);
    const overlay = join(dir, "overlay.qcow2");
    const made = await img(["create", "-f", "qcow2", "-b", BASE, "-F", "qcow2", overlay]);
    if (made.code) throw new Error(`seed overlay: ${made.out}`);
    const names = ["v3-4k", "v3-64k", "v2", "compressed", "refcount1", "refcount64", "overlay"];
    const seeds: Seed[] = await Promise.all(names.map(async (name) => ({
      name,
      bytes: await Deno.readFile(join(dir, `${name}.qcow2`)),
      format: "qcow2" as const,
    })));
    seeds.push({ name: "raw", bytes: raw.slice(0, 64 << 10), format: "raw" });
    return seedImages = { seeds, base: await Deno.readFile(join(dir, BASE)) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A directory's files and their sizes and times (the image itself left out). */
function neighbours(dir: string, image: string): string {
  return [...Deno.readDirSync(dir)].filter((e) => e.name !== image).map((e) => {
    const st = Deno.lstatSync(join(dir, e.name));
    return `${e.name} ${st.size} ${st.mtime?.getTime()}`;
  }).sort().join("\n");
}

/** One step, timed in CPU; a one-line EmuError is an answer, as an exit status is. */
async function step(what: string, fn: () => Promise<unknown>): Promise<string | null> {
  const started = cpuMs(), heldBefore = isolateBytes();
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof EmuError) || e.message.includes("\n")) return `${what}: ${describeError(e)}`;
  }
  const ms = cpuMs() - started;
  if (ms > SLOW_MS) return `${what}: slow (${Math.round(ms)} ms of CPU)`;
  const held = isolateGrowth(heldBefore);
  return held > MAX_HELD ? `${what}: huge allocation (${held} bytes of heap and buffers)` : null;
}

/** Reads, writes and zeroes at random places as a virtio-blk drive would, writes in memory. */
async function asDrive(path: string, format: string, rnd: Rnd): Promise<void> {
  const disk = await openImage(path, { format, snapshot: true });
  try {
    for (let k = 0; k < 16; k++) {
      const size = disk.size;
      const at = Math.floor((rnd(1 << 30) / (1 << 30)) * size);
      const offset = at - (at % 512); // not `& ~511`: sizes reach past 2^31
      const length = Math.min(512 * (1 + rnd(16)), Math.max(0, size - offset));
      const pick = rnd(4);
      if (pick === 0) disk.write(offset, new Uint8Array(length).fill(k));
      else if (pick === 1) disk.writeZeroes(offset, length);
      else disk.read(offset, length);
    }
    disk.flush();
  } finally {
    disk.close();
  }
}

/** The raw bytes both converters make of `path`, when qemu-img finds it clean and small. */
async function compareWithQemu(dir: string, image: string, format: string): Promise<string | null> {
  const path = join(dir, image);
  const q = (args: string[]) =>
    new Deno.Command("qemu-img", { args, stdout: "piped", stderr: "piped" }).output();
  const checked = await q(["check", "-f", format, "--output=json", path]);
  const info = await q(["info", "-f", format, "--output=json", path]);
  if (!checked.success || !info.success) return null;
  const size = JSON.parse(new TextDecoder().decode(info.stdout))["virtual-size"];
  if (!(size <= COMPARE_SIZE)) return null;
  const theirs = join(dir, "qemu.raw"), ours = join(dir, "ours.raw");
  if (!(await q(["convert", "-f", format, "-O", "raw", path, theirs])).success) return null;
  const r = await img(["convert", "-f", format, "-O", "raw", path, ours]).catch((e) => ({
    code: 1,
    out: e instanceof Error ? e.message : String(e),
  }));
  if (r.code) return `qemu-img converts it, emu img convert fails: ${r.out.split("\n")[0]}`;
  const [a, b] = [await Deno.readFile(ours), await Deno.readFile(theirs)];
  const at = a.findIndex((v, i) => v !== b[i]);
  if (a.length !== b.length || at >= 0) {
    return `convert -O raw differs from qemu-img's (sizes ${a.length}/${b.length}, first at ${at})`;
  }
  return null;
}

/** Runs every command on the image in `input`; null when all ended cleanly. */
async function check(input: Uint8Array, withQemu = false): Promise<string | null> {
  const { seeds, base } = await makeSeeds();
  const seed = seeds[input[0] % seeds.length], bytes = input.subarray(2);
  const rnd = prng(input[1]);
  const dir = await Deno.makeTempDir({ prefix: "denemu-selffuzz-image-" });
  const image = `image.${seed.format}`, path = join(dir, image);
  try {
    await Deno.writeFile(join(dir, BASE), base);
    await Deno.writeFile(path, bytes);
    const before = neighbours(dir, image);
    const f = ["-f", seed.format];
    const steps: [string, () => Promise<unknown>][] = [
      ["info", () => img(["info", ...f, "--output=json", "--backing-chain", path])],
      ["check", () => img(["check", ...f, "--output=json", path])],
      ["map", () => img(["map", ...f, "--output=json", path])],
      ["drive", () => asDrive(path, seed.format, rnd)],
    ];
    for (const [what, fn] of steps) {
      const failure = await step(what, fn);
      if (failure) return failure;
    }
    const after = neighbours(dir, image);
    if (after !== before) return `files beside the image changed:\n${before}\n->\n${after}`;
    const converted = await step(
      "convert",
      () => img(["convert", ...f, "-O", "raw", path, join(dir, "out.raw")]),
    );
    if (converted) return converted;
    const named: Record<string, string> = { [IMAGE]: path, [OUT]: join(dir, "out.img") };
    for (const args of WRITES) {
      const line = [args[0], ...f, ...args.slice(1).map((a) => named[a] ?? a)];
      const failure = await step(args.join(" "), () => img(line));
      if (failure) return failure;
    }
    return withQemu && rnd(4) === 0 ? await compareWithQemu(dir, image, seed.format) : null;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The input of case `seed`: the seed image's number, a random byte, then the mutant image. */
export async function imageCase(seed: number): Promise<Uint8Array> {
  const rnd = prng(seed);
  const { seeds } = await makeSeeds();
  const which = rnd(seeds.length);
  let bytes: Uint8Array = new Uint8Array(seeds[which].bytes);
  for (let n = 1 + rnd(3); n > 0; n--) bytes = mutateImage(bytes, seeds[which].format, rnd);
  const input = new Uint8Array(bytes.length + 2);
  input.set([which, rnd(256)]);
  input.set(bytes, 2);
  return input;
}

function makeImageFuzzer(name: string, withQemu: boolean, description: string): SelfFuzzer {
  return {
    name,
    extension: "img",
    ciCases: 300,
    description,
    async runCase(seed) {
      const input = await imageCase(seed);
      return { input, failure: await check(input, withQemu) };
    },
    replay: (input) => check(input, withQemu),
  };
}

/** The `image` self-fuzzer (its reproducer is an {@linkcode imageCase} input). */
export const imageFuzzer: SelfFuzzer = makeImageFuzzer(
  "image",
  false,
  "mutated qcow2/raw images through emu img and as a drive: errors or clean ends only",
);

/**
 * `imgdiff`: the same cases, and images qemu-img finds clean must convert as
 * qemu-img does; CI runs 40 of them (about 4 s, mostly waiting for qemu-img).
 */
export const imgdiffFuzzer: SelfFuzzer = {
  ...makeImageFuzzer("imgdiff", HAVE_QEMU_IMG, "image, also compared with qemu-img convert"),
  ciCases: 40,
  notInCi: HAVE_QEMU_IMG ? undefined : "qemu-img is not installed (apt-get install qemu-utils)",
};
