/**
 * `emu img create` and `emu img resize`, with qemu-img's flags and its
 * "Formatting ..." line.
 *
 * @module
 */

import {
  backingPath,
  type BlockDriver,
  type BlockFormatPlugin,
  formatPlugin,
  HOST_FILE_CREATE_OPTIONS,
  openLayer,
  parseImageSize,
  type Preallocation,
} from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { badOptionValue, parseOptionValue } from "../../core/block_option_values.ts";
import { parseCreateOptions, type ParsedArgs, parseImgArgs } from "./args.ts";
import { hasHelpOption, printCreateHelp } from "./option_help.ts";
import { openWritable } from "./open.ts";

/** The encryption options qemu-img prints, in its order: `encrypt.NAME` (qcow, qcow2) or NAME. */
const CRYPT_OPTIONS = [
  "key-secret",
  "cipher-alg",
  "cipher-mode",
  "ivgen-alg",
  "ivgen-hash-alg",
  "hash-alg",
  "iter-time",
];

/** The encryption options of `o` given, as `name=value`, names led by `prefix`. */
function cryptParts(o: Record<string, string>, prefix: string): string[] {
  const names = prefix ? ["encryption", "encrypt.format"] : [];
  names.push(...CRYPT_OPTIONS.map((n) => prefix + n));
  return names.filter((n) => o[n] !== undefined).map((n) => `${n}=${o[n]}`);
}

/** The line qemu-img prints before creating an image. */
function formattingLine(
  path: string,
  fmt: string,
  size: number,
  o: Record<string, string>,
): string {
  const parts = [`fmt=${fmt}`];
  if (fmt === "qcow2") {
    parts.push(...cryptParts(o, "encrypt."));
    parts.push(`cluster_size=${parseImageSize(o.cluster_size ?? "65536")}`, "extended_l2=off");
    if (o.preallocation) parts.push(`preallocation=${o.preallocation}`);
    parts.push("compression_type=zlib", `size=${size}`);
    if (o.backing_file) parts.push(`backing_file=${o.backing_file}`);
    if (o.backing_fmt) parts.push(`backing_fmt=${o.backing_fmt}`);
    if (o.compat) parts.push(`compat=${o.compat}`);
    if (o.data_file) parts.push(`data_file=${o.data_file}`);
    if (o.data_file_raw) parts.push(`data_file_raw=${o.data_file_raw}`);
    const lazy = o.lazy_refcounts === "on" || o.lazy_refcounts === "true";
    parts.push(`lazy_refcounts=${lazy ? "on" : "off"}`, `refcount_bits=${o.refcount_bits ?? 16}`);
  } else {
    parts.push(`size=${size}`);
    if (o.preallocation) parts.push(`preallocation=${o.preallocation}`);
    if (fmt === "qcow" || fmt === "luks") {
      parts.push(...cryptParts(o, fmt === "qcow" ? "encrypt." : ""));
    }
  }
  // the host file's own options last, as qemu-img appends its file protocol's
  if (o.nocow) parts.push(`nocow=${o.nocow}`);
  if (o.extent_size_hint) parts.push(`extent_size_hint=${parseImageSize(o.extent_size_hint)}`);
  return `Formatting '${path}', ${parts.join(" ")}`;
}

/** Runs `emu img create`. */
export async function createCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "F:b:f:ho:qu", { "object": true });
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
  const size = sizeGiven === undefined ? undefined : parseImageSize(sizeGiven);
  try {
    // an unknown format fails before the line, as in qemu-img
    const plugin = await formatPlugin(fmt, (f) => `Unknown file format '${f}'`);
    await makeImage(plugin, path, size, o, args);
  } catch (e) {
    // as qemu-img: what goes wrong past the arguments is reported after the image's name
    if (e instanceof EmuError) throw new EmuError(`${path}: ${e.message}`, e.hint);
    throw e;
  }
  return 0;
}

/**
 * Creates image `path`: the options are checked as qemu-img's option parser does (unknown names,
 * values of the wrong type, a backing file without its format) before the "Formatting" line.
 */
async function makeImage(
  plugin: BlockFormatPlugin,
  path: string,
  sizeGiven: number | undefined,
  o: Record<string, string>,
  args: ParsedArgs,
): Promise<void> {
  const known = [...plugin.createOptions, ...HOST_FILE_CREATE_OPTIONS];
  if (o.backing_file && !known.some((d) => d.name === "backing_file")) {
    throw new EmuError(`Backing file not supported for file format '${plugin.name}'`);
  }
  for (const [name, text] of Object.entries(o)) {
    const desc = known.find((d) => d.name === name);
    if (!desc) throw new EmuError(`Invalid parameter '${name}'`, "see emu img create -o help");
    if (parseOptionValue(desc.type, text) === undefined) throw badOptionValue(name, desc.type);
  }
  let size = sizeGiven;
  if (o.backing_file && !args.has("u")) {
    const backing = await openLayer(backingPath(path, o.backing_file), {
      readOnly: true,
      format: o.backing_fmt,
    }).catch((e) => {
      if (!(e instanceof EmuError)) throw e;
      // qemu-img says this on a second line: an error is one line here, the rest is its hint
      throw new EmuError(e.message, "Could not open backing image.");
    });
    size ??= backing.size;
    backing.close();
    if (!o.backing_fmt) {
      throw new EmuError(
        "Backing file specified without backing format",
        `Detected format of ${backing.format}.`,
      );
    }
  }
  if (o.backing_file && !o.backing_fmt) {
    throw new EmuError("Backing file specified without backing format");
  }
  if (size === undefined) throw new EmuError("Image creation needs a size parameter");
  if (!args.has("q")) console.log(formattingLine(path, plugin.name, size, o));
  const { backing_file: backingFile, backing_fmt: backingFormat, ...rest } = o;
  await plugin.create(path, { size, options: rest, backingFile, backingFormat });
}

/** Resizes `img`; a size the host refuses (file too large, no space) is qemu-img's one line. */
function resizeOrExplain(img: BlockDriver, size: number, preallocation: Preallocation): void {
  try {
    img.resize(size, preallocation);
  } catch (e) {
    const message = (e as Error)?.message ?? "";
    if (!/\(os error \d+\)/.test(message)) throw e;
    throw new EmuError(`Could not resize file: ${message.replace(/ \(os error \d+\).*/, "")}`);
  }
}

/** `--preallocation`'s mode, refused in qemu-img's words if it is not one. */
function preallocationMode(text = "off"): Preallocation {
  const modes: Preallocation[] = ["off", "metadata", "falloc", "full"];
  const mode = modes.find((m) => m === text);
  if (!mode) throw new EmuError(`Invalid preallocation mode '${text}'`);
  return mode;
}

/** Runs `emu img resize [--shrink] [-f fmt] file [+|-]size`. */
export async function resizeCommand(argv: string[]): Promise<number> {
  // as qemu-img: a last argument such as -512M is the size, not an option
  const negative = /^-\d/.test(argv.at(-1) ?? "") ? argv.at(-1) : undefined;
  const args = parseImgArgs(negative ? argv.slice(0, -1) : argv, "f:hqU", {
    "shrink": false,
    "preallocation": true,
    "object": true,
    "image-opts": false,
  });
  if (negative) args.positional.push(negative);
  const preallocation = preallocationMode(args.get("preallocation"));
  if (args.positional.length !== 2) throw new EmuError("Expecting image file name and size");
  const [path, sizeText] = args.positional;
  const img = await openWritable(path, {
    format: args.get("f"),
    imageOpts: args.has("image-opts"),
  });
  try {
    const delta = /^[+-]/.test(sizeText) ? parseImageSize(sizeText.slice(1)) : undefined;
    const size = delta === undefined
      ? parseImageSize(sizeText)
      : img.size + (sizeText[0] === "-" ? -delta : delta);
    if (size <= 0) throw new EmuError("New image size must be positive"); // as qemu-img: 0 too
    if (size <= img.size && preallocation !== "off") {
      throw new EmuError("Preallocation can only be used for growing images");
    }
    if (size < img.size && !args.has("shrink")) {
      console.error(
        "emu: Use the --shrink option to perform a shrink operation.\n" +
          "emu: warning: Shrinking an image will delete all data beyond the shrunken image's end. " +
          "Before performing such an operation, make sure there is no important data there.",
      );
      return 1;
    }
    resizeOrExplain(img, size, preallocation);
  } finally {
    img.close();
  }
  if (!args.has("q")) console.log("Image resized.");
  return 0;
}
