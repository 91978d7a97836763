/**
 * `emu img amend`: changes a format's options of an existing image in place
 * (qcow2: compat, lazy_refcounts, refcount_bits, size), with qemu-img's
 * flags, messages, exit codes and `-p` progress line.
 *
 * @module
 */

import { EmuError } from "../../core/errors.ts";
import { oneImage, parseCreateOptions, parseImgArgs } from "./args.ts";
import { hasHelpOption, printAmendHelp } from "./option_help.ts";
import { QemuProgress } from "./progress.ts";
import { openWritable } from "./open.ts";

const f32 = Math.fround;

/** Runs `emu img amend [-p] [-q] [-f fmt] [-t cache] [--force] -o options filename`. */
export async function amendCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "ho:f:t:pq", {
    "object": true,
    "image-opts": false,
    "force": false,
  });
  if (!args.has("o")) throw new EmuError("Must specify options (-o)", "see emu img --help");
  const line = new QemuProgress(args.has("p") && !args.has("q"), 1);
  const help = hasHelpOption(args.opts.get("o"));
  try {
    // as qemu-img: with -f, the help needs no image; else the image's format is probed
    if (help && args.has("f")) return await printAmendHelp(args.get("f")!);
    const path = oneImage(args);
    const img = await openWritable(path, {
      format: args.get("f"),
      readOnly: help,
      imageOpts: args.has("image-opts"),
    });
    try {
      if (help) return await printAmendHelp(img.format);
      if (!img.prepareAmend) {
        throw new EmuError(`Format driver '${img.format}' does not support option amendment`);
      }
      const change = img.prepareAmend(parseCreateOptions(args.opts.get("o")));
      line.print(0, 100);
      try {
        // qemu-img's amend_status_cb, in C float arithmetic
        change((done, total) => line.print(f32(f32(100 * f32(done)) / f32(total)), 0));
      } finally {
        line.print(100, 0); // drawn whether the change worked or not, as qemu-img does
      }
    } finally {
      img.close();
    }
  } finally {
    line.end();
  }
  return 0;
}
