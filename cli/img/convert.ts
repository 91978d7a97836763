/**
 * `emu img convert`: copies one or more images (concatenated) into a new or
 * existing image, as qemu-img convert does: runs that read as zero are not
 * written, so sparse output stays sparse; `-c` stores compressed clusters;
 * `-B` gives the output a backing file and copies only what the source's top
 * image holds; `-p` draws qemu-img's progress line.
 *
 * @module
 */

import {
  type BlockDriver,
  type BlockExtent,
  type BlockOpenOptions,
  createImage,
  formatPlugin,
  isZero,
  openImage,
  parseImageSize,
} from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { parseCreateOptions, type ParsedArgs, parseImgArgs } from "./args.ts";
import { hasHelpOption, printCreateHelp } from "./option_help.ts";
import { openReadOnly, snapshotOption } from "./open.ts";
import { ConvertProgress } from "./progress.ts";

/** Bytes copied per step. */
const CHUNK = 4 << 20;

const CACHE_MODES = ["none", "writeback", "writethrough", "directsync", "unsafe"] as const;

/** The output's cache mode from `-t` (qemu-img convert's default is `unsafe`: no flush). */
function cacheMode(text = "unsafe"): BlockOpenOptions["cache"] {
  const mode = CACHE_MODES.find((m) => m === text);
  if (!mode) throw new EmuError(`Invalid cache option: ${text}`);
  return mode;
}

/** How the copy treats zeros and the source's backing chain. */
interface CopyMode {
  /** the target reads as zero where nothing is written */
  zeroInit: boolean;
  /** skip what the source's top image does not hold (-B) */
  topOnly: boolean;
  compress: boolean;
  /** zero runs are written as data (`-S 0`: no sparse detection, the output fully allocated) */
  dense: boolean;
  /**
   * the target's clusters are preallocated (`-o preallocation=`): data goes in place, so zeros
   * are found per 4 KiB (qemu-img's `-S`), not per cluster, and left as the target has them
   */
  preallocated: boolean;
}

/** qemu-img convert's largest `-S` (its MAX_BUF_SECTORS of 512 bytes). */
const MAX_SPARSE = 32768 * 512;

/** The copy mode of `emu img convert`'s flags, refused where qemu-img refuses them. */
function copyMode(args: ParsedArgs, backing: string | undefined, prealloc?: string): CopyMode {
  const sparse = args.get("S");
  const minSparse = sparse === undefined ? 4096 : Number(parseImageSize(sparse));
  if (minSparse % 512 || minSparse > MAX_SPARSE) {
    throw new EmuError(
      "Invalid buffer size for sparse output specified. Valid sizes are multiples of 512 up to " +
        `${MAX_SPARSE}. Select 0 to disable sparse detection (fully allocates output).`,
    );
  }
  const existing = args.has("n");
  if (args.has("target-is-zero") && !existing) {
    throw new EmuError("--target-is-zero requires use of -n flag");
  }
  return {
    // a new image without a backing file reads as zero; an existing one only if the user says so
    zeroInit: (!existing || args.has("target-is-zero")) && !backing,
    topOnly: !!backing,
    compress: args.has("c"),
    dense: minSparse === 0,
    preallocated: (prealloc ?? "off") !== "off",
  };
}

/** Copies `src` to `dst` at `base`, extent by extent. */
function copyImage(
  src: BlockDriver,
  dst: BlockDriver,
  base: number,
  mode: CopyMode,
  progress: (n: number) => void,
): void {
  const grain = mode.preallocated && !mode.compress ? 4096 : dst.clusterSize ?? 4096;
  const buffer = new Uint8Array(Math.min(CHUNK + grain, src.size));
  let pos = 0;
  while (pos < src.size) {
    const ext = nextRun(src, pos, mode);
    const n = runLength(ext, src.size - pos, base + pos, grain, mode);
    if (isData(ext, mode)) {
      copyData(readChunk(src, pos, buffer.subarray(0, n)), dst, base + pos, grain, mode);
      progress(n);
    } else if (!(mode.topOnly && ext.depth > 0) && !mode.zeroInit) {
      dst.writeZeroes(base + pos, n); // zeros; a run below the top is left to -B's backing file
    }
    pos += n;
  }
}

/**
 * The run of `src` at `pos`: data at most CHUNK long; a run that is not
 * copied as data in one step however long (a 4 GiB sparse image took 1024
 * status calls, now one per hole).
 */
function nextRun(src: BlockDriver, pos: number, mode: CopyMode): BlockExtent {
  const ext = src.status(pos, Math.min(CHUNK, src.size - pos));
  if (isData(ext, mode) || ext.length < CHUNK) return ext;
  return src.status(pos, src.size - pos);
}

/** Whether `copyImage` copies the run `ext` as data (what qemu-img's progress counts). */
function isData(ext: BlockExtent, mode: CopyMode): boolean {
  if (mode.dense) return true;
  return !(mode.topOnly && ext.depth > 0) && !(ext.zero && !ext.data);
}

/**
 * The bytes `copyImage` takes for run `ext`, which the source has `left` bytes from and which
 * goes to output offset `at`: with -c, data up to the end of an output cluster, as qemu-img
 * compresses whole clusters (a cluster only partly data too).
 */
function runLength(ext: BlockExtent, left: number, at: number, grain: number, mode: CopyMode) {
  const n = Math.max(1, ext.length);
  if (!mode.compress || !isData(ext, mode)) return n;
  return Math.min(left, Math.ceil((at + n) / grain) * grain - at);
}

/** The bytes of `src` that `copyImage` copies as data into an output of clusters of `grain`. */
function dataBytes(src: BlockDriver, mode: CopyMode, grain: number): number {
  let n = 0;
  for (let pos = 0; pos < src.size;) {
    const ext = nextRun(src, pos, mode);
    const length = runLength(ext, src.size - pos, pos, grain, mode);
    if (isData(ext, mode)) n += length;
    pos += length;
  }
  return n;
}

/** The bytes of `src` at `pos`, in `into` where the driver can read into a buffer. */
function readChunk(src: BlockDriver, pos: number, into: Uint8Array): Uint8Array {
  if (!src.readInto) return src.read(pos, into.length);
  src.readInto(pos, into);
  return into;
}

/** Writes `data` to `dst` at `at`, skipping all-zero grains (or zeroing them). */
function copyData(data: Uint8Array, dst: BlockDriver, at: number, grain: number, mode: CopyMode) {
  let runStart = -1;
  const flush = (end: number) => {
    if (runStart >= 0) dst.write(at + runStart, data.subarray(runStart, end));
    runStart = -1;
  };
  for (let off = 0; off < data.length;) {
    const step = Math.min(grain - ((at + off) % grain), data.length - off);
    const piece = data.subarray(off, off + step);
    const zero = !mode.dense && isZero(piece);
    if (mode.compress && !zero && step === grain && dst.writeCompressed) {
      flush(off);
      dst.writeCompressed(at + off, piece);
    } else if (zero) {
      flush(off);
      if (!mode.zeroInit) dst.writeZeroes(at + off, step);
    } else if (runStart < 0) runStart = off;
    off += step;
  }
  flush(data.length);
}

/**
 * Refuses an output that is one of the images read or in their backing
 * chains (writing it would destroy what is being copied), as qemu-img's
 * write lock does.
 */
function refuseInPlace(out: string, outFormat: string, sources: BlockDriver[]): void {
  let target: Deno.FileInfo;
  try {
    target = Deno.statSync(out);
  } catch {
    return; // a new file
  }
  for (const src of sources) {
    for (let img: BlockDriver | undefined = src; img; img = img.backing) {
      const read = img.file.handle.statSync();
      if (read.dev === target.dev && read.ino === target.ino) {
        throw new EmuError(
          `${out}: error while converting ${outFormat}: Failed to get "write" lock`,
          `${out} is an image this conversion reads: write to another file`,
        );
      }
    }
  }
}

/** The key secrets of the output's `-o` options, which QEMU opens the new image with. */
function keyOptions(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(o).filter(([k]) => k === "encrypt.key-secret" || k === "key-secret"),
  );
}

/** Opens the images to copy into `sources` (which the caller closes), each at snapshot `-l`. */
async function openSources(paths: string[], args: ParsedArgs, sources: BlockDriver[]) {
  const snapshot = snapshotOption(args);
  if (snapshot !== undefined && paths.length > 1) {
    throw new EmuError("No support for concatenating multiple snapshot");
  }
  for (const p of paths) {
    sources.push(await openReadOnly(p, args.get("f"), snapshot, args.has("image-opts")));
  }
}

/** qemu-img's refusals of options that do not go together. */
function refuseCombinations(
  args: ParsedArgs,
  o: Record<string, string>,
  backing: string | undefined,
  compress: boolean,
  outFormat: string,
): void {
  if (compress && outFormat === "raw") {
    throw new EmuError("Compression not supported for this file format");
  }
  if (compress && (o.encryption === "on" || o["encrypt.format"] !== undefined)) {
    throw new EmuError("Compression and encryption not supported at the same time");
  }
  if (args.has("n") && (Object.keys(o).length || backing)) {
    throw new EmuError("-o and -B cannot be used with -n (the output image already exists)");
  }
  if (args.has("target-image-opts") && !args.has("n")) {
    throw new EmuError("--target-image-opts requires use of -n flag");
  }
  if (backing && !(o.backing_fmt ?? args.get("F"))) {
    throw new EmuError("Use of backing file requires explicit backing format");
  }
}

/** Runs `emu img convert`. */
export async function convertCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "hf:F:O:B:Cco:l:S:pt:T:qnm:WUr:", {
    "object": true,
    "image-opts": false,
    "target-image-opts": false,
    "force-share": false,
    "salvage": false,
    "target-is-zero": false,
    "bitmaps": false,
    "skip-broken-bitmaps": false,
  });
  const outFormat = args.get("O") ?? "raw";
  if (hasHelpOption(args.opts.get("o"))) {
    return await printCreateHelp(
      outFormat,
      args.positional.length >= 2 ? args.positional.at(-1) : undefined,
    );
  }
  if (args.positional.length < 2) {
    throw new EmuError("Must specify image file name", "emu img convert [-O fmt] src dst");
  }
  const out = args.positional.at(-1)!;
  const srcPaths = args.positional.slice(0, -1);
  const o = parseCreateOptions(args.opts.get("o"));
  const backing = args.get("B") ?? o.backing_file;
  delete o.backing_file;
  const mode = copyMode(args, backing, o.preallocation);
  refuseCombinations(args, o, backing, mode.compress, outFormat);
  const cache = cacheMode(args.get("t"));
  const sources: BlockDriver[] = [];
  try {
    await openSources(srcPaths, args, sources);
    await formatPlugin(outFormat, (f) => `Unknown file format '${f}'`);
    refuseInPlace(out, outFormat, sources);
    const total = sources.reduce((n, s) => n + s.size, 0);
    if (!args.has("n")) {
      await createImage(out, outFormat, {
        size: total,
        options: o,
        backingFile: backing,
        backingFormat: backing ? o.backing_fmt ?? args.get("F") : undefined,
        cache,
      }).catch((e) => {
        if (!(e instanceof EmuError)) throw e;
        // qemu-img's words for a target it cannot create
        throw new EmuError(`${out}: error while converting ${outFormat}: ${e.message}`, e.hint);
      });
    }
    const targetOpts = args.has("target-image-opts");
    const dst = await openImage(out, {
      format: targetOpts ? undefined : outFormat,
      cache,
      driverOptions: keyOptions(o),
      imageOpts: targetOpts,
    });
    const drawn = args.has("p") && !args.has("q");
    const grain = dst.clusterSize ?? 4096;
    const data = drawn ? sources.reduce((n, s) => n + dataBytes(s, mode, grain), 0) : 0;
    // -c goes a cluster at a time, and qemu-img draws its line after each
    const progress = new ConvertProgress(drawn, data, mode.compress ? grain : undefined);
    let base = 0;
    try {
      for (const src of sources) {
        copyImage(src, dst, base, mode, (n) => progress.add(n));
        base += src.size;
      }
    } finally {
      dst.close();
    }
    progress.end();
  } finally {
    for (const s of sources) s.close();
  }
  return 0;
}
