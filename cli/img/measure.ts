/**
 * `emu img measure`: the file size an image of the output format needs,
 * for a virtual size (`--size`) or for an existing image's contents, in
 * qemu-img's human and JSON forms.
 *
 * @module
 */

import { formatPlugin, parseImageSize } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { outputFormat, parseCreateOptions, parseImgArgs } from "./args.ts";
import { qemuJson } from "./format.ts";
import { openReadOnly, snapshotOption } from "./open.ts";

/** Runs `emu img measure`. */
export async function measureCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "hf:o:O:l:U", {
    "output": true,
    "size": true,
    "object": true,
    "image-opts": false,
    "force-share": false,
  });
  const output = outputFormat(args);
  const [path, ...extra] = args.positional;
  if (extra.length) throw new EmuError(`Invalid argument: ${extra[0]}`);
  const sizeText = args.get("size");
  if (path !== undefined && sizeText !== undefined) {
    throw new EmuError("--size N cannot be used together with a filename.");
  }
  if (path === undefined && sizeText === undefined) {
    throw new EmuError("Either --size N or one filename must be specified.");
  }
  const outFormat = args.get("O") ?? "raw";
  const plugin = await formatPlugin(outFormat, (f) => `Unknown file format '${f}'`);
  if (!plugin.measure) {
    throw new EmuError(`Block driver '${outFormat}' does not support size measurement`);
  }
  const o = parseCreateOptions(args.opts.get("o"));
  const source = path === undefined ? undefined : await openReadOnly(
    path,
    args.get("f"),
    snapshotOption(args),
    args.has("image-opts"),
  );
  try {
    const m = plugin.measure(o, sizeText === undefined ? 0 : parseImageSize(sizeText), source);
    if (output === "json") {
      const json = m.bitmaps === undefined ? {} : { bitmaps: m.bitmaps };
      console.log(qemuJson({ ...json, required: m.required, "fully-allocated": m.fullyAllocated }));
    } else {
      console.log(`required size: ${m.required}\nfully allocated size: ${m.fullyAllocated}`);
      if (m.bitmaps !== undefined) console.log(`bitmaps size: ${m.bitmaps}`);
    }
  } finally {
    source?.close();
  }
  return 0;
}
