/**
 * `emu img rebase` and `emu img commit`: the commands that change a backing
 * chain, with qemu-img's flags, messages and exit codes. Safe rebase copies
 * into the image what would read differently over the new backing file;
 * commit copies what the upper images hold into a lower one.
 *
 * @module
 */

import { backingPath, type BlockDriver, isZero, openImage } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { oneImage, parseImgArgs } from "./args.ts";
import { Progress } from "./convert.ts";

/** Bytes compared or copied per step. */
const CHUNK = 2 << 20;
/** Rebase compares the old and new backing data in sectors. */
const SECTOR = 512;

/** Writes the sectors of `old` that differ from `now` into `top` at `at`. */
function writeDifferences(top: BlockDriver, at: number, old: Uint8Array, now: Uint8Array): void {
  let runStart = -1;
  for (let off = 0; off <= old.length; off += SECTOR) {
    const end = Math.min(off + SECTOR, old.length);
    const differs = off < old.length && !sameBytes(old.subarray(off, end), now.subarray(off, end));
    if (differs && runStart < 0) runStart = off;
    if (!differs && runStart >= 0) {
      top.write(at + runStart, old.subarray(runStart, off));
      runStart = -1;
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== (b[i] ?? 0)) return false;
  return true;
}

/** Makes `top` read the same over `newBacking` (or over nothing) as over its current chain. */
function copyOldBacking(top: BlockDriver, newBacking: BlockDriver | undefined, p: Progress) {
  for (let pos = 0; pos < top.size;) {
    const ext = top.status(pos, Math.min(CHUNK, top.size - pos));
    const n = Math.max(1, ext.length);
    if (!(ext.present && ext.depth === 0)) {
      const old = top.read(pos, n);
      const now = newBacking ? newBacking.read(pos, n) : new Uint8Array(n);
      writeDifferences(top, pos, old, now);
    }
    pos += n;
    p.update(pos);
  }
}

/** Runs `emu img rebase [-u] [-p] [-f fmt] -b backing [-F fmt] filename`. */
export async function rebaseCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs("rebase", argv, "hf:F:b:upt:T:qU", {
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
  const newName = name ?? "";
  const newFormat = args.get("F");
  const top = await openImage(path, { format: args.get("f"), noBacking: unsafe });
  try {
    if (!top.setBacking) {
      throw new EmuError(
        `Could not change the backing file to '${newName}': Operation not supported`,
      );
    }
    if (!unsafe) {
      const newBacking = newName
        ? await openImage(backingPath(path, newName), { readOnly: true, format: newFormat })
          .catch((e: EmuError) => {
            throw new EmuError(`Could not open new backing file '${newName}': ${e.message}`);
          })
        : undefined;
      const progress = new Progress(args.has("p") && !args.has("q"), top.size);
      try {
        copyOldBacking(top, newBacking, progress);
      } finally {
        newBacking?.close();
      }
      progress.end();
    }
    if (newName && !newFormat) {
      // as qemu-img 7.2, after the safe copy: the data is already there
      throw new EmuError(
        `Could not change the backing file to '${newName}': backing format must be specified`,
        `pass -F with the backing file's format`,
      );
    }
    top.setBacking(newName, newName ? newFormat : undefined);
  } finally {
    top.close();
  }
  return 0;
}

/** The image of `top`'s chain named `name` (as stored or as a path), and its depth. */
function findBase(top: BlockDriver, name: string, topPath: string): [BlockDriver, number] {
  const wanted = [name, backingPath(topPath, name)].map((p) => {
    try {
      return Deno.realPathSync(p);
    } catch {
      return p;
    }
  });
  let depth = 1;
  for (let img = top.backing; img; img = img.backing, depth++) {
    if (wanted.includes(Deno.realPathSync(img.file.path))) return [img, depth];
  }
  throw new EmuError(`Did not find '${name}' in the backing chain of '${topPath}'`);
}

/** Copies what the images of `top`'s chain above `depth` hold into `base`. */
function commitInto(top: BlockDriver, base: BlockDriver, depth: number, p: Progress) {
  if (base.size < top.size) base.resize(top.size);
  for (let pos = 0; pos < top.size;) {
    const ext = top.status(pos, Math.min(CHUNK, top.size - pos));
    const n = Math.max(1, ext.length);
    if (ext.present && ext.depth < depth) {
      const data = top.read(pos, n);
      if (isZero(data)) base.writeZeroes(pos, n);
      else base.write(pos, data);
    }
    pos += n;
    p.update(pos);
  }
}

/** Runs `emu img commit [-q] [-p] [-d] [-f fmt] [-b base] filename`. */
export async function commitCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs("commit", argv, "hf:b:dpt:r:q", {
    "object": true,
    "image-opts": false,
  });
  const path = oneImage(args);
  const top = await openImage(path, { format: args.get("f") });
  try {
    if (!top.backing) throw new EmuError("Image does not have a backing file");
    const baseName = args.get("b");
    const [below, depth] = baseName === undefined
      ? [top.backing, 1]
      : findBase(top, baseName, path);
    const base = await openImage(below.file.path, { format: below.format, noBacking: true });
    const progress = new Progress(args.has("p") && !args.has("q"), top.size);
    try {
      commitInto(top, base, depth, progress);
    } finally {
      base.close();
    }
    progress.end();
    // -b implies -d: the images between the base and the top are left stale, the top stays valid
    if (baseName === undefined && !args.has("d")) top.makeEmpty?.();
  } finally {
    top.close();
  }
  if (!args.has("q")) console.log("Image committed.");
  return 0;
}
