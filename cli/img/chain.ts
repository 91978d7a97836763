/**
 * `emu img rebase` and `emu img commit`: the commands that change a backing
 * chain, with qemu-img's flags, messages and exit codes. Safe rebase copies
 * into the image what would read differently over the new backing file;
 * commit copies what the upper images hold into a lower one.
 *
 * @module
 */

import {
  backingPath,
  type BlockDriver,
  type BlockExtent,
  isZero,
  openImage,
} from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { oneImage, parseImgArgs } from "./args.ts";
import { QemuProgress } from "./progress.ts";
import { openWritable } from "./open.ts";

/** Rebase compares the old and new backing files in chunks of this many bytes (IO_BUF_SIZE). */
const CHUNK = 2 << 20;
/** Commit copies at most this many bytes at a time (the mirror job's MAX_IO_BYTES). */
const COMMIT_IO = 1 << 20;
/** Rebase compares the old and new backing data in sectors. */
const SECTOR = 512;

/**
 * Writes the sectors of `old` that differ from `now` into `top` at `at`,
 * as zeroes where `old` is past the end of the old backing file.
 */
function writeDifferences(
  top: BlockDriver,
  at: number,
  old: Uint8Array,
  now: Uint8Array,
  oldIsZero: boolean,
): void {
  let runStart = -1;
  for (let off = 0; off <= old.length; off += SECTOR) {
    const end = Math.min(off + SECTOR, old.length);
    const differs = off < old.length && !sameBytes(old.subarray(off, end), now.subarray(off, end));
    if (differs && runStart < 0) runStart = off;
    if (!differs && runStart >= 0) {
      if (oldIsZero) top.writeZeroes(at + runStart, off - runStart);
      else top.write(at + runStart, old.subarray(runStart, off));
      runStart = -1;
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== (b[i] ?? 0)) return false;
  return true;
}

/**
 * The run at `pos` (at most `n` bytes) over which the levels `from` to
 * `to - 1` of `img`'s chain all hold nothing, or the run one of them holds
 * (qemu's bdrv_is_allocated_above, which decides rebase's chunks).
 */
function allocatedRun(img: BlockDriver, pos: number, n: number, from: number, to: number) {
  const held = (e: BlockExtent) => e.present && e.depth >= from && e.depth < to;
  const first = img.status(pos, n);
  let length = Math.max(1, first.length);
  if (held(first)) return { allocated: true, length };
  while (length < n) {
    const next = img.status(pos + length, n - length);
    if (held(next)) break;
    length += Math.max(1, next.length);
  }
  return { allocated: false, length };
}

/**
 * Makes `top` read the same over `newBacking` (or over nothing) as over its
 * current chain, chunk by chunk as qemu-img rebase walks it: chunks `top`
 * holds are skipped, and so are chunks that no level above `prefixDepth`
 * holds when the new backing file is that level of the chain (0: it is
 * not). Each chunk compared moves the progress line by one step.
 */
function copyOldBacking(
  top: BlockDriver,
  newBacking: BlockDriver | undefined,
  prefixDepth: number,
  line: QemuProgress,
): void {
  const size = top.size;
  const oldSize = top.backing?.size ?? 0;
  const newSize = newBacking?.size ?? 0;
  const step = size ? 100 / Math.floor(size / Math.min(size, CHUNK)) : 0;
  for (let offset = 0, n = 0; offset < size; offset += n) {
    const own = allocatedRun(top, offset, Math.min(CHUNK, size - offset), 0, 1);
    n = own.length;
    if (own.allocated) continue;
    if (prefixDepth) {
      const changed = allocatedRun(top, offset, n, 1, prefixDepth);
      n = changed.length;
      if (!changed.allocated) continue;
    }
    if (offset < oldSize) n = Math.min(n, oldSize - offset);
    if (offset < newSize) n = Math.min(n, newSize - offset);
    const old = offset < oldSize ? top.backing!.read(offset, n) : new Uint8Array(n);
    const now = offset < newSize ? newBacking!.read(offset, n) : new Uint8Array(n);
    writeDifferences(top, offset, old, now, offset >= oldSize);
    line.print(step, 100);
  }
}

/** Runs `emu img rebase [-u] [-p] [-f fmt] -b backing [-F fmt] filename`. */
export async function rebaseCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "hf:F:b:upt:T:qU", {
    "object": true,
    "image-opts": false,
    "force-share": false,
  });
  const path = oneImage(args);
  const unsafe = args.has("u");
  const name = args.get("b");
  if (name === undefined && !unsafe) {
    throw new EmuError("Must specify backing file (-b) or use unsafe mode (-u)");
  }
  const line = new QemuProgress(args.has("p") && !args.has("q"), 2);
  line.print(0, 100);
  try {
    await rebase(path, name ?? "", args.get("F"), args.get("f"), unsafe, line);
  } finally {
    line.end();
  }
  return 0;
}

/** Rebases `path` onto `newName` (format `newFormat`; "" for none); the progress ends at 100. */
async function rebase(
  path: string,
  newName: string,
  newFormat: string | undefined,
  format: string | undefined,
  unsafe: boolean,
  line: QemuProgress,
): Promise<void> {
  const top = await openWritable(path, { format, noBacking: unsafe });
  try {
    if (!unsafe) {
      const newBacking = newName
        ? await openImage(backingPath(path, newName), { readOnly: true, format: newFormat })
          .catch((e: EmuError) => {
            throw new EmuError(`Could not open new backing file '${newName}': ${e.message}`);
          })
        : undefined;
      try {
        copyOldBacking(top, newBacking, newName ? chainDepth(top, newName, path) : 0, line);
      } finally {
        newBacking?.close();
      }
    }
    try {
      if (newName && !newFormat) {
        // as qemu-img 7.2, after the safe copy: the data is already there
        throw new EmuError(
          `Could not change the backing file to '${newName}': backing format must be specified`,
          `pass -F with the backing file's format`,
        );
      }
      if (!top.setBacking) {
        throw new EmuError(
          `Could not change the backing file to '${newName}': Operation not supported`,
        );
      }
      top.setBacking(newName, newName ? newFormat : undefined);
    } finally {
      line.print(100, 0); // qemu-img draws 100% whether the change worked or not
    }
  } finally {
    top.close();
  }
}

/** How deep in `top`'s chain the image named `name` (as stored or as a path) is; 0 if not. */
function chainDepth(top: BlockDriver, name: string, topPath: string): number {
  const wanted = [name, backingPath(topPath, name)].map((p) => {
    try {
      return Deno.realPathSync(p);
    } catch {
      return p;
    }
  });
  let depth = 1;
  for (let img = top.backing; img; img = img.backing, depth++) {
    if (wanted.includes(Deno.realPathSync(img.file.path))) return depth;
  }
  return 0;
}

/** Whether the run `ext` is held by a level of the chain above `depth` (what commit copies). */
function committed(ext: BlockExtent, depth: number): boolean {
  return ext.present && ext.depth < depth;
}

/**
 * Copies what the images of `top`'s chain above `depth` hold into `base`,
 * at most COMMIT_IO bytes at a time, and draws the share copied after each
 * copy as qemu-img draws its commit job's progress.
 */
function commitInto(top: BlockDriver, base: BlockDriver, depth: number, line: QemuProgress) {
  if (base.size < top.size) base.resize(top.size);
  const runs: BlockExtent[] = [];
  for (let pos = 0; pos < top.size;) {
    const ext = top.status(pos, Math.min(COMMIT_IO, top.size - pos));
    if (committed(ext, depth)) runs.push(ext);
    pos += Math.max(1, ext.length);
  }
  const total = Math.fround(runs.reduce((n, r) => n + r.length, 0));
  let done = 0;
  line.print(0, 0); // the job's first poll, before any copy completes
  for (const { start, length } of runs) {
    const data = top.read(start, length);
    if (isZero(data)) base.writeZeroes(start, length);
    else base.write(start, data);
    done += length;
    line.print(Math.fround(Math.fround(done) / total) * 100, 0);
  }
  line.print(100, 0);
}

/** Runs `emu img commit [-q] [-p] [-d] [-f fmt] [-b base] filename`. */
export async function commitCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "hf:b:dpt:r:q", {
    "object": true,
    "image-opts": false,
  });
  const path = oneImage(args);
  const line = new QemuProgress(args.has("p") && !args.has("q"), 1);
  line.print(0, 100);
  try {
    await commit(path, args.get("f"), args.get("b"), args.has("d"), line);
  } finally {
    line.end();
  }
  if (!args.has("q")) console.log("Image committed.");
  return 0;
}

/** Commits `path` into its backing file, or into `baseName` of its chain (which implies -d). */
async function commit(
  path: string,
  format: string | undefined,
  baseName: string | undefined,
  keepTop: boolean,
  line: QemuProgress,
): Promise<void> {
  const top = await openWritable(path, { format });
  try {
    if (!top.backing) throw new EmuError("Image does not have a backing file");
    const depth = baseName === undefined ? 1 : chainDepth(top, baseName, path);
    if (!depth) throw new EmuError(`Did not find '${baseName}' in the backing chain of '${path}'`);
    let below = top.backing;
    for (let d = 1; d < depth; d++) below = below.backing!;
    const base = await openImage(below.file.path, { format: below.format, noBacking: true });
    try {
      commitInto(top, base, depth, line);
    } finally {
      base.close();
    }
    // -b implies -d: the images between the base and the top are left stale, the top stays valid
    if (baseName === undefined && !keepTop) top.makeEmpty?.();
  } finally {
    top.close();
  }
}
