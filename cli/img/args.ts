/**
 * qemu-img's option syntax (getopt): short options that may be bundled
 * (`-cp`) and take their value joined or as the next word (`-fqcow2`,
 * `-f qcow2`), long options as `--name=value` or `--name value`.
 *
 * @module
 */

import { EmuError } from "../../core/errors.ts";
import { parseImageSize } from "../../core/block.ts";
import { addObject } from "../../core/block_secrets.ts";

/** What qemu-img's option errors end with (its "Try 'qemu-img --help' for more information"). */
const HELP = "try emu img --help";

/** Parsed options: each option's values in order, and the other words. */
export interface ParsedArgs {
  opts: Map<string, string[]>;
  positional: string[];
  /** The last value of option `name`, if given. */
  get(name: string): string | undefined;
  /** True if option `name` was given. */
  has(name: string): boolean;
}

/**
 * Parses `args`. `short` is a getopt string ("f:O:cp"),
 * `long` names long options with `true` if they take a value.
 *
 * @example
 * ```ts
 * import { parseImgArgs } from "./args.ts";
 * const a = parseImgArgs(["-f", "raw", "--output=json", "d.img"], "f:", { output: true });
 * console.log(a.get("f"), a.get("output"), a.positional); // "raw" "json" ["d.img"]
 * ```
 */
export function parseImgArgs(
  args: string[],
  short: string,
  long: Record<string, boolean>,
): ParsedArgs {
  const opts = new Map<string, string[]>();
  const positional: string[] = [];
  const put = (k: string, v: string) => opts.set(k, [...(opts.get(k) ?? []), v]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (!(name in long)) {
        throw new EmuError(`unrecognized option '${a}'`, HELP);
      }
      if (!long[name]) put(name, "");
      else if (eq >= 0) put(name, a.slice(eq + 1));
      else if (i + 1 < args.length) put(name, args[++i]);
      else throw new EmuError(`missing argument for option '${a}'`, HELP);
    } else if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const at = short.indexOf(a[j]);
        if (at < 0 || a[j] === ":") {
          throw new EmuError(`unrecognized option '${a}'`, HELP);
        }
        if (short[at + 1] !== ":") {
          put(a[j], "");
          continue;
        }
        if (j + 1 < a.length) put(a[j], a.slice(j + 1));
        else if (i + 1 < args.length) put(a[j], args[++i]);
        else throw new EmuError(`missing argument for option '${a}'`, HELP);
        break;
      }
    } else positional.push(a);
  }
  for (const spec of opts.get("object") ?? []) addObject(spec);
  return {
    opts,
    positional,
    get: (name) => opts.get(name)?.at(-1),
    has: (name) => opts.has(name),
  };
}

/**
 * Parses `-o` option lists ("cluster_size=4k,compat=1.1"; several `-o` add
 * up). A bare name means "on".
 *
 * @example
 * ```ts
 * import { parseCreateOptions } from "./args.ts";
 * console.log(parseCreateOptions(["cluster_size=4k,lazy_refcounts"]));
 * // { cluster_size: "4k", lazy_refcounts: "on" }
 * ```
 */
export function parseCreateOptions(lists: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const list of lists) {
    for (const kv of list.split(",")) {
      if (!kv) continue;
      const eq = kv.indexOf("=");
      if (eq < 0) out[kv] = "on";
      else out[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  return out;
}

/** The one image name a command expects; errors like qemu-img's. */
export function oneImage(args: ParsedArgs): string {
  if (args.positional.length !== 1) throw new EmuError("Expecting one image file name");
  return args.positional[0];
}

/** The `--output` format: human or json. */
export function outputFormat(args: ParsedArgs): "human" | "json" {
  const o = args.get("output") ?? "human";
  if (o !== "human" && o !== "json") {
    throw new EmuError(`--output must be used with human or json as argument.`);
  }
  return o;
}

/** C's INT_MAX, the bound of qemu-img's int options. */
export const INT_MAX = 2 ** 31 - 1;

/**
 * A number with an optional k/M/G/T/P/E suffix between `min` and `max`, as qemu-img's
 * cvtnum_full reads it, with its two errors.
 *
 * @example
 * ```ts
 * import { cvtnum } from "./args.ts";
 * console.log(cvtnum("buffer size", "4k", 0, 2 ** 31 - 1)); // 4096
 * ```
 */
export function cvtnum(name: string, text: string, min: number, max: number): number {
  let n: number;
  try {
    n = text.trim().startsWith("-") ? NaN : parseImageSize(text);
  } catch (e) {
    // parseImageSize refuses malformed text, and sizes past 2^53 (qemu's ERANGE)
    n = e instanceof EmuError && /too large/.test(e.message) ? Infinity : NaN;
  }
  if (Number.isNaN(n)) {
    throw new EmuError(
      `Invalid ${name} specified. You may use k, M, G, T, P or E suffixes for`,
      "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.",
    );
  }
  if (n < min || n > max) {
    throw new EmuError(`Invalid ${name} specified. Must be between ${min} and ${max}.`);
  }
  return n;
}
