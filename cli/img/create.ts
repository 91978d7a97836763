/**
 * `emu img create` and `emu img resize`, with qemu-img's flags and its
 * "Formatting ..." line.
 *
 * @module
 */

import { backingPath, type BlockDriver, openImage, parseImageSize } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { loadBlockPlugin } from "../../core/plugin.ts";
import { parseCreateOptions, parseImgArgs } from "./args.ts";
import { hasHelpOption, printCreateHelp } from "./option_help.ts";

/** The line qemu-img prints before creating an image. */
function formattingLine(
  path: string,
  fmt: string,
  size: number,
  o: Record<string, string>,
): string {
  const parts = [`fmt=${fmt}`];
  if (fmt === "qcow2") {
    parts.push(`cluster_size=${parseImageSize(o.cluster_size ?? "65536")}`, "extended_l2=off");
    if (o.preallocation) parts.push(`preallocation=${o.preallocation}`);
    parts.push("compression_type=zlib", `size=${size}`);
    if (o.backing_file) parts.push(`backing_file=${o.backing_file}`);
    if (o.backing_fmt) parts.push(`backing_fmt=${o.backing_fmt}`);
    if (o.compat) parts.push(`compat=${o.compat}`);
    const lazy = o.lazy_refcounts === "on" || o.lazy_refcounts === "true";
    parts.push(`lazy_refcounts=${lazy ? "on" : "off"}`, `refcount_bits=${o.refcount_bits ?? 16}`);
  } else {
    parts.push(`size=${size}`);
    if (o.preallocation) parts.push(`preallocation=${o.preallocation}`);
  }
  return `Formatting '${path}', ${parts.join(" ")}`;
}

/** Runs `emu img create`. */
export async function createCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs("create", argv, "F:b:f:ho:qu", { "object": true });
  const [path, sizeText, ...extra] = args.positional;
  const fmt = args.get("f") ?? "raw";
  if (hasHelpOption(args.opts.get("o"))) return await printCreateHelp(fmt, path);
  if (!path || extra.length) {
    throw new EmuError("Expecting image file name", "emu img create [-f fmt] file [size]");
  }
  const { size: sizeOption, ...o } = parseCreateOptions(args.opts.get("o"));
  if (sizeText !== undefined && sizeOption !== undefined) {
    throw new EmuError(`${path}: The image size must be specified only once`);
  }
  if (args.has("b")) o.backing_file = args.get("b")!;
  if (args.has("F")) o.backing_fmt = args.get("F")!;
  const sizeGiven = sizeText ?? sizeOption;
  let size = sizeGiven === undefined ? undefined : parseImageSize(sizeGiven);
  if (o.backing_file && !args.has("u")) {
    const backing = await openImage(backingPath(path, o.backing_file), {
      readOnly: true,
      format: o.backing_fmt,
    });
    size ??= backing.size;
    o.backing_fmt ??= backing.format;
    backing.close();
  }
  if (size === undefined) throw new EmuError("Image creation needs a size parameter");
  const plugin = await loadBlockPlugin(fmt); // an unknown format fails before the line, as in qemu-img
  if (!args.has("q")) console.log(formattingLine(path, fmt, size, o));
  const { backing_file: backingFile, backing_fmt: backingFormat, ...rest } = o;
  await plugin.create(path, { size, options: rest, backingFile, backingFormat });
  return 0;
}

/** Resizes `img`; a size the host refuses (file too large, no space) is qemu-img's one line. */
function resizeOrExplain(img: BlockDriver, size: number): void {
  try {
    img.resize(size);
  } catch (e) {
    const message = (e as Error)?.message ?? "";
    if (!/\(os error \d+\)/.test(message)) throw e;
    throw new EmuError(`Could not resize file: ${message.replace(/ \(os error \d+\).*/, "")}`);
  }
}

/** Runs `emu img resize [--shrink] [-f fmt] file [+|-]size`. */
export async function resizeCommand(argv: string[]): Promise<number> {
  // as qemu-img: a last argument such as -512M is the size, not an option
  const negative = /^-\d/.test(argv.at(-1) ?? "") ? argv.at(-1) : undefined;
  const args = parseImgArgs("resize", negative ? argv.slice(0, -1) : argv, "f:hqU", {
    "shrink": false,
    "preallocation": true,
    "object": true,
    "image-opts": false,
  });
  if (negative) args.positional.push(negative);
  if (args.positional.length !== 2) throw new EmuError("Expecting image file name and size");
  const [path, sizeText] = args.positional;
  const img = await openImage(path, { format: args.get("f") });
  try {
    const delta = /^[+-]/.test(sizeText) ? parseImageSize(sizeText.slice(1)) : undefined;
    const size = delta === undefined
      ? parseImageSize(sizeText)
      : img.size + (sizeText[0] === "-" ? -delta : delta);
    if (size <= 0) throw new EmuError("New image size must be positive"); // as qemu-img: 0 too
    if (size < img.size && !args.has("shrink")) {
      throw new EmuError(
        "Use the --shrink option to perform a shrink operation.",
        "shrinking loses the data past the new end",
      );
    }
    resizeOrExplain(img, size);
  } finally {
    img.close();
  }
  if (!args.has("q")) console.log("Image resized.");
  return 0;
}
