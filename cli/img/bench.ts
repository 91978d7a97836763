/**
 * `emu img bench`: qemu-img bench's flags, checks, messages and requests. `count` requests of
 * `-s` bytes go from `-o` on, each `-S` bytes (default: the request size) after the one
 * before and wrapping at the end of the image; `-w` writes the `--pattern` byte, else they
 * read; `--flush-interval N` flushes every N requests. A request past the end fails the run,
 * as in QEMU. The requests run one after another: `-d` (the queue depth), `-n`/`-i` (the AIO
 * engine) and `--no-drain` are checked and shown, and change nothing else. Unlike qemu-img's,
 * `-d 0` is refused (qemu-img's loops for ever).
 *
 * @module
 */

import type { BlockDriver, BlockOpenOptions } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { cvtnum, INT_MAX, oneImage, type ParsedArgs, parseImgArgs } from "./args.ts";
import { openWritable } from "./open.ts";

/** What a run does, from the flags. */
interface Bench {
  count: number;
  depth: number;
  offset: number;
  size: number;
  step: number;
  write: boolean;
  pattern: number;
  flushInterval: number;
}

const CACHE_MODES = ["none", "writeback", "writethrough", "directsync", "unsafe"] as const;
const AIO_MODES = ["threads", "native", "io_uring"];

/**
 * A whole number as C's strtoul reads it in base 0 (decimal, 0x hex, 0 octal) up to `max`, or
 * the error `message` (a negative one wraps past any `max`, as in C).
 */
function strtoul(text: string | undefined, fallback: number, max: number, message: string) {
  if (text === undefined) return fallback;
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  const n = m ? Number(m[2].startsWith("0") && !/^0[xX]/.test(m[2]) ? `0o${m[2]}` : m[2]) : NaN;
  if (Number.isNaN(n) || (m![1] === "-" && n !== 0) || n > max) throw new EmuError(message);
  return n;
}

/** The run that the flags ask for, refused with qemu-img's errors in its order. */
function benchOptions(args: ParsedArgs): Bench {
  const count = strtoul(args.get("c"), 75000, INT_MAX, "Invalid request count specified");
  const depth = strtoul(args.get("d"), 64, INT_MAX, "Invalid queue depth specified");
  if (depth === 0) throw new EmuError("Invalid queue depth specified", "it must be at least 1");
  const offsetText = args.get("o");
  const offset = offsetText === undefined ? 0 : cvtnum("offset", offsetText, 0, 2 ** 63 - 1);
  const sizeText = args.get("s"), stepText = args.get("S");
  const size = sizeText === undefined ? 4096 : cvtnum("buffer size", sizeText, 0, INT_MAX);
  const step = stepText === undefined ? 0 : cvtnum("step_size", stepText, 0, INT_MAX);
  const pattern = strtoul(args.get("pattern"), 0, 0xff, "Invalid pattern byte specified");
  const flushInterval = strtoul(
    args.get("flush-interval"),
    0,
    INT_MAX,
    "Invalid flush interval specified",
  );
  return {
    count,
    depth,
    offset,
    size,
    step: step || size,
    write: args.has("w"),
    pattern,
    flushInterval,
  };
}

/** The cache mode of `-t` and whether `-n` or `-i native` may have it, as qemu-img checks them. */
function cacheOption(args: ParsedArgs, path: string): BlockOpenOptions["cache"] {
  const text = args.get("t") ?? "writeback";
  const cache = CACHE_MODES.find((m) => m === text);
  if (!cache) throw new EmuError("Invalid cache mode");
  const aio = args.get("i");
  if (aio !== undefined && !AIO_MODES.includes(aio)) {
    throw new EmuError(`Invalid aio option: ${aio}`);
  }
  const native = args.has("n") || aio === "native";
  if (native && cache !== "none" && cache !== "directsync") {
    throw new EmuError(
      `Could not open '${path}': aio=native was specified, ` +
        "but it requires cache.direct=on, which was not specified.",
    );
  }
  return cache;
}

/** Sends the requests of `b` to `img`; false when one fails (past the end), as QEMU's EIO. */
function runRequests(img: BlockDriver, b: Bench): boolean {
  const data = new Uint8Array(b.size).fill(b.pattern);
  let at = b.offset;
  for (let i = 1; i <= b.count; i++) {
    if (at > img.size || b.size > img.size - at) return false;
    if (b.write) img.write(at, data);
    else img.read(at, b.size);
    if (b.flushInterval && (b.count - i) % b.flushInterval === 0) img.flush();
    at = (at + b.step) % img.size;
  }
  return true;
}

/**
 * Runs `emu img bench [-c count] [-d depth] [-f fmt] [-n] [-i aio] [-o offset] [-q]
 * [-s size] [-S step] [-t cache] [-w] [-U] [--pattern=N] [--flush-interval=N] [--no-drain]
 * filename`.
 *
 * @example
 * ```ts ignore
 * await benchCommand(["-w", "-c", "1000", "-s", "64k", "--pattern=0xab", "disk.qcow2"]);
 * // Sending 1000 write requests, 65536 bytes each, 64 in parallel (starting at offset 0, ...
 * ```
 */
export async function benchCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "hc:d:f:ni:o:qs:S:t:wU", {
    "flush-interval": true,
    "image-opts": false,
    "pattern": true,
    "no-drain": false,
    "force-share": false,
    "object": true,
  });
  const b = benchOptions(args);
  const path = oneImage(args);
  if (!b.write && b.flushInterval) {
    throw new EmuError("--flush-interval is only available in write tests");
  }
  if (b.flushInterval && b.flushInterval < b.depth) {
    throw new EmuError("Flush interval can't be smaller than depth");
  }
  const cache = cacheOption(args, path);
  const img = await openWritable(path, {
    format: args.get("f"),
    readOnly: !b.write,
    cache,
    imageOpts: args.has("image-opts"),
  });
  try {
    console.log(
      `Sending ${b.count} ${b.write ? "write" : "read"} requests, ${b.size} bytes each, ` +
        `${b.depth} in parallel (starting at offset ${b.offset}, step size ${b.step})`,
    );
    if (b.flushInterval) console.log(`Sending flush every ${b.flushInterval} requests`);
    const start = performance.now();
    if (!runRequests(img, b)) throw new EmuError("Failed request: Input/output error");
    console.log(`Run completed in ${((performance.now() - start) / 1000).toFixed(3)} seconds.`);
  } finally {
    img.close();
  }
  return 0;
}
