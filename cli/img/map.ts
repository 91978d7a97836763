/**
 * `emu img map --output=json` and `emu img compare`: walk images by block
 * status, as qemu-img does, and print in its formats.
 *
 * @module
 */

import { type BlockExtent, openImage } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { oneImage, outputFormat, parseImgArgs } from "./args.ts";

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
  const offset = e.data && e.hostOffset !== undefined ? `, "offset": ${e.hostOffset}` : "";
  return `{ "start": ${e.start}, "length": ${e.length}, "depth": ${e.depth}, "present": ${e.present}, ` +
    `"zero": ${e.zero}, "data": ${e.data}${offset}}`;
}

/** Runs `emu img map --output=json`. */
export async function mapCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs("map", argv, "f:hU", {
    "output": true,
    "start-offset": true,
    "max-length": true,
    "force-share": false,
    "image-opts": false,
    "object": true,
  });
  if (outputFormat(args) !== "json") throw new EmuError("map: only --output=json is supported");
  const img = await openImage(oneImage(args), { readOnly: true, format: args.get("f") });
  const entries: BlockExtent[] = [];
  try {
    for (let pos = 0; pos < img.size;) {
      const e = img.status(pos, Math.min(STEP, img.size - pos));
      const last = entries.at(-1);
      if (last && sameKind(last, e)) last.length += e.length;
      else entries.push({ ...e });
      pos += Math.max(1, e.length);
    }
  } finally {
    img.close();
  }
  console.log(`[${entries.map(jsonEntry).join(",\n")}]`);
  return 0;
}

/** Runs `emu img compare`: exit 0 identical, 1 different, 2 on errors (as qemu-img). */
export async function compareCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs("compare", argv, "hf:F:T:pqsU", {
    "object": true,
    "force-share": false,
  });
  if (args.positional.length !== 2) throw new EmuError("Expecting two image file names");
  const [p1, p2] = args.positional;
  const a = await openImage(p1, { readOnly: true, format: args.get("f") });
  const b = await openImage(p2, { readOnly: true, format: args.get("F") ?? args.get("f") });
  const say = (s: string) => {
    if (!args.has("q")) console.log(s);
  };
  try {
    if (a.size !== b.size) {
      if (args.has("s")) {
        say("Strict mode: Image size mismatch!");
        return 1;
      }
      say("Warning: Image size mismatch!");
    }
    const end = Math.max(a.size, b.size), chunk = 4 << 20;
    for (let pos = 0; pos < end; pos += chunk) {
      const n = Math.min(chunk, end - pos);
      const x = a.read(pos, n), y = b.read(pos, n);
      for (let i = 0; i < n; i++) {
        if (x[i] === y[i]) continue;
        say(`Content mismatch at offset ${pos + i}!`);
        return 1;
      }
    }
  } finally {
    a.close();
    b.close();
  }
  say("Images are identical.");
  return 0;
}
