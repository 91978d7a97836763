/**
 * `emu img dd`: copies an image, or part of one, into a new image of any
 * format, with qemu-img dd's operands (`if=`, `of=`, `bs=`, `count=`,
 * `skip=`), its checks and its messages. As in qemu-img 7.2, `count`
 * limits the input from its start, before `skip` (so `skip=1 count=3`
 * copies two blocks), and every block is written, zeros included.
 *
 * @module
 */

import { type BlockDriver, createImage, openImage } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { loadBlockPlugin } from "../../core/plugin.ts";
import { cvtnum, INT_MAX, parseImgArgs } from "./args.ts";

/** The operands, as qemu-img dd keeps them (in.bsz, dd.count, in.offset). */
interface DdOperands {
  input?: string;
  output?: string;
  bs: number;
  count?: number;
  skip?: number;
}

/** Parses the `name=value` operands; a later one wins, as in qemu-img. */
function parseOperands(words: string[]): DdOperands {
  const dd: DdOperands = { bs: 512 };
  for (const word of words) {
    const eq = word.indexOf("=");
    const name = eq < 0 ? word : word.slice(0, eq), value = word.slice(eq + 1);
    if (eq < 0 || !["bs", "count", "if", "of", "skip"].includes(name)) {
      throw new EmuError(
        `unrecognized operand ${name}`,
        "emu img dd takes if=, of=, bs=, count=, skip=",
      );
    }
    if (name === "if") dd.input = value;
    else if (name === "of") dd.output = value;
    else if (name === "bs") dd.bs = cvtnum("bs", value, 1, INT_MAX);
    else dd[name as "count" | "skip"] = cvtnum(name, value, 0, Number.MAX_SAFE_INTEGER);
  }
  return dd;
}

/** True if `a` and `b` name the same existing file. */
function sameFile(a: string, b: string): boolean {
  try {
    return Deno.realPathSync(a) === Deno.realPathSync(b);
  } catch {
    return false;
  }
}

/** Copies `src` from `from` to `end` into `dst` at 0, one `bs` block at a time. */
function copyBlocks(src: BlockDriver, dst: BlockDriver, from: number, end: number, bs: number) {
  const buffer = new Uint8Array(bs);
  for (let pos = from; pos < end; pos += bs) {
    const block = buffer.subarray(0, Math.min(bs, end - pos));
    if (src.readInto) src.readInto(pos, block);
    else block.set(src.read(pos, block.length));
    dst.write(pos - from, block);
  }
}

/** Runs `emu img dd [-f fmt] [-O output_fmt] [bs=N] [count=N] [skip=N] if=input of=output`. */
export async function ddCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "hf:O:U", {
    "object": true,
    "image-opts": false,
    "force-share": false,
  });
  const dd = parseOperands(args.positional);
  if (dd.input === undefined || dd.output === undefined) {
    throw new EmuError("Must specify both input and output files", "pass if=FILE and of=FILE");
  }
  const { input, output, bs } = dd;
  const src = await openImage(input, {
    readOnly: true,
    format: args.get("f"),
    imageOpts: args.has("image-opts"),
  });
  try {
    let size = src.size;
    if (dd.count !== undefined && dd.count * bs < size) size = dd.count * bs;
    const skip = (dd.skip ?? 0) * bs;
    const outFormat = args.get("O") ?? "raw";
    await loadBlockPlugin(outFormat).catch(() => {
      throw new EmuError("Unknown file format", `see emu img --help for the formats`);
    });
    if (sameFile(input, output)) {
      throw new EmuError(
        `${output}: error while creating output image: Failed to get "write" lock`,
        `Is another process using the image [${output}]?`,
      );
    }
    await createImage(output, outFormat, { size: Math.max(0, size - skip), options: {} })
      .catch((e: EmuError) => {
        throw new EmuError(`${output}: error while creating output image: ${e.message}`, e.hint);
      });
    const dst = await openImage(output, { format: outFormat });
    try {
      if (skip > size) {
        // as dd(1) and qemu-img: a warning, an empty output, and success
        console.error(`emu: ${input}: cannot skip to specified offset`);
      } else copyBlocks(src, dst, skip, size, bs);
    } finally {
      dst.close();
    }
  } finally {
    src.close();
  }
  return 0;
}
