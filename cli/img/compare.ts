/**
 * `emu img compare`, as qemu-img compare: exit 0 when the images read the
 * same, 1 when they differ ("Content mismatch at offset N!", N the first
 * differing 512-byte sector), 2 when one cannot be opened or read. With
 * `-s`, a size or block status mismatch (allocated, data, zero, stored
 * plainly, reaching the end) is a difference too. Runs that read as zero in both are skipped,
 * not read.
 *
 * @module
 */

import { type BlockDriver, type BlockExtent, openImage } from "../../core/block.ts";
import { EmuError, errorLine } from "../../core/errors.ts";
import { parseImgArgs } from "./args.ts";

/** Bytes compared per read (QEMU's IO_BUF_SIZE is 2 MiB; larger reads cost no more here). */
const CHUNK = 4 << 20;
/** Mismatches are reported by sector, as QEMU's compare_buffers. */
const SECTOR = 512;

/**
 * Runs `emu img compare [-f fmt] [-F fmt] [-q] [-s] file1 file2`.
 *
 * @example
 * ```ts ignore
 * const code = await compareCommand(["-s", "a.qcow2", "b.raw"]); // 0, 1 or 2
 * ```
 */
export async function compareCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "hf:F:T:pqsU", {
    "object": true,
    "image-opts": false,
    "force-share": false,
  });
  const imageOpts = args.has("image-opts");
  if (args.positional.length !== 2) throw new EmuError("Expecting two image file names");
  const [p1, p2] = args.positional;
  const say = (s: string) => {
    if (!args.has("q")) console.log(s);
  };
  const opened: BlockDriver[] = [];
  try {
    opened.push(await openImage(p1, { readOnly: true, format: args.get("f"), imageOpts }));
    opened.push(await openImage(p2, { readOnly: true, format: args.get("F"), imageOpts }));
    return compareImages(opened[0], opened[1], args.has("s"), say);
  } catch (e) {
    if (!(e instanceof EmuError)) throw e;
    console.error(errorLine(e));
    return 2;
  } finally {
    for (const img of opened) img.close();
  }
}

/** The comparison itself: 0 identical, 1 different (said through `say`). */
function compareImages(
  a: BlockDriver,
  b: BlockDriver,
  strict: boolean,
  say: (s: string) => void,
): number {
  if (a.size !== b.size && strict) {
    say("Strict mode: Image size mismatch!");
    return 1;
  }
  const common = Math.min(a.size, b.size);
  for (let pos = 0; pos < common;) {
    const s1 = a.status(pos, a.size - pos), s2 = b.status(pos, b.size - pos);
    if (strict && statusBits(s1, a.size) !== statusBits(s2, b.size)) {
      say(`Strict mode: Offset ${pos} block status mismatch!`);
      return 1;
    }
    const n = Math.min(s1.length, s2.length, CHUNK);
    const at = s1.zero && s2.zero ? -1 : firstDifference(a.read(pos, n), b.read(pos, n));
    if (at >= 0) return mismatch(pos + at, say);
    pos += n;
  }
  if (a.size !== b.size) say("Warning: Image size mismatch!");
  const longer = a.size > b.size ? a : b;
  for (let pos = common; pos < longer.size; pos += CHUNK) {
    const n = Math.min(CHUNK, longer.size - pos);
    const at = longer.read(pos, n).findIndex((x) => x !== 0);
    if (at >= 0) return mismatch(pos + at, say);
  }
  say("Images are identical.");
  return 0;
}

function mismatch(offset: number, say: (s: string) => void): number {
  say(`Content mismatch at offset ${offset - (offset % SECTOR)}!`);
  return 1;
}

/** The index of the first byte where `x` and `y` differ, or -1. */
function firstDifference(x: Uint8Array, y: Uint8Array): number {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/**
 * The block status flags that compare -s holds equal: allocated, data, zero,
 * offset valid, and QEMU's EOF (the run reaches the end of the image).
 */
function statusBits(e: BlockExtent, size: number): number {
  return +e.present | +e.data << 1 | +e.zero << 2 | +(e.hostOffset !== undefined) << 3 |
    +(e.start + e.length >= size) << 4;
}
