/**
 * `emu img map`: walks an image by block status, as qemu-img does, and
 * prints in its formats.
 *
 * @module
 */

import { type BlockDriver, type BlockExtent, openImage, parseImageSize } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { oneImage, outputFormat, type ParsedArgs, parseImgArgs } from "./args.ts";

/** Bytes asked for per block status query. */
const STEP = 1 << 30;

function sameKind(a: BlockExtent, b: BlockExtent): boolean {
  const contiguous = a.hostOffset === undefined
    ? b.hostOffset === undefined
    : b.hostOffset === a.hostOffset + a.length;
  return a.present === b.present && a.zero === b.zero && a.data === b.data &&
    a.depth === b.depth && contiguous && !!a.compressed === !!b.compressed;
}

function jsonEntry(e: BlockExtent): string {
  const offset = e.hostOffset !== undefined ? `, "offset": ${e.hostOffset}` : "";
  return `{ "start": ${e.start}, "length": ${e.length}, "depth": ${e.depth}, "present": ${e.present}, ` +
    `"zero": ${e.zero}, "data": ${e.data}${offset}}`;
}

/** `%#-16x` of C's printf: 0 as "0", others with 0x, left-justified in 16 columns. */
function hex16(n: number): string {
  return (n ? `0x${n.toString(16)}` : "0").padEnd(16);
}

/**
 * qemu-img's human map: the runs stored as data, with the file holding each
 * (`files[depth]`); an error for data with no plain host offset.
 */
function humanMap(entries: BlockExtent[], files: string[]): string {
  const lines = [`${"Offset".padEnd(16)}${"Length".padEnd(16)}${"Mapped to".padEnd(16)}File`];
  for (const e of entries) {
    if (e.data && e.hostOffset === undefined) {
      console.log(lines.join("\n"));
      throw new EmuError("File contains external, encrypted or compressed clusters.");
    }
    if (!e.data || e.zero) continue;
    lines.push(`${hex16(e.start)}${hex16(e.length)}${hex16(e.hostOffset ?? 0)}${files[e.depth]}`);
  }
  return lines.join("\n");
}

/**
 * The runs of `img` from `start` to `end`, merged as qemu-img merges them;
 * `human`: as its human format, where what follows a printed run counts as
 * zero whenever it is not data, so that more of it merges.
 */
function mapEntries(img: BlockDriver, start: number, end: number, human: boolean): BlockExtent[] {
  const entries: BlockExtent[] = [];
  let curr: BlockExtent | undefined;
  for (let pos = start; pos < end;) {
    const next = { ...img.status(pos, Math.min(STEP, end - pos)) };
    pos += Math.max(1, next.length);
    if (curr && sameKind(curr, next)) {
      curr.length += next.length;
      continue;
    }
    if (curr) entries.push(curr);
    if (curr && human && (!next.data || next.zero)) [next.data, next.zero] = [false, true];
    curr = next;
  }
  if (curr) entries.push(curr);
  return entries;
}

/** A size option of `args` (`--start-offset`, `--max-length`), as qemu-img reads it. */
function sizeOption(args: ParsedArgs, name: string, what: string, fallback: number): number {
  const text = args.get(name);
  if (text === undefined) return fallback;
  try {
    return parseImageSize(text);
  } catch {
    throw new EmuError(
      `Invalid ${what} specified. You may use k, M, G, T, P or E suffixes for ` +
        "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.",
    );
  }
}

/** The file names of `img`'s chain, by depth. */
function chainFiles(img: BlockDriver): string[] {
  const files: string[] = [];
  for (let b: BlockDriver | undefined = img; b; b = b.backing) {
    files.push((b.dataFile ?? b.file).path);
  }
  return files;
}

/** Runs `emu img map [--output=human|json] [--start-offset N] [--max-length N]`. */
export async function mapCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "f:hU", {
    "output": true,
    "start-offset": true,
    "max-length": true,
    "force-share": false,
    "image-opts": false,
    "object": true,
  });
  const human = outputFormat(args) === "human";
  const start = sizeOption(args, "start-offset", "start offset", 0);
  const maxLength = sizeOption(args, "max-length", "max length", Infinity);
  const img = await openImage(oneImage(args), {
    readOnly: true,
    format: args.get("f"),
    imageOpts: args.has("image-opts"),
  });
  try {
    const entries = mapEntries(img, start, Math.min(start + maxLength, img.size), human);
    if (human) console.log(humanMap(entries, chainFiles(img)));
    else {
      // as qemu-img: an empty range is one entry of length 0
      const none = { start, length: 0, depth: 0, present: false, zero: false, data: false };
      console.log(`[${(entries.length ? entries : [none]).map(jsonEntry).join(",\n")}]`);
    }
  } finally {
    img.close();
  }
  return 0;
}
