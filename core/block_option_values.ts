/**
 * The values of `-o` options, parsed and refused as qemu's option parser
 * does: shared by `create`'s check before its "Formatting" line and by
 * formats' `amend`.
 *
 * @module
 */

import { type BlockOptionDesc, parseImageSize } from "./block.ts";
import { EmuError } from "./errors.ts";

/** A value of `type` from `text`, or undefined if it does not parse (qemu's opts parser). */
export function parseOptionValue(
  type: BlockOptionDesc["type"],
  text: string,
): number | boolean | string | undefined {
  if (type === "bool") {
    if (["on", "yes", "true", "y"].includes(text)) return true;
    return ["off", "no", "false", "n"].includes(text) ? false : undefined;
  }
  if (type === "number") return /^(\d+|0x[0-9a-f]+)$/i.test(text) ? Number(text) : undefined;
  if (type === "size") {
    try {
      return parseImageSize(text);
    } catch {
      return undefined;
    }
  }
  return text;
}

/** The error for a value of `type` that does not parse, in qemu-img's words. */
export function badOptionValue(name: string, type: BlockOptionDesc["type"]): EmuError {
  if (type === "bool") return new EmuError(`Parameter '${name}' expects 'on' or 'off'`);
  if (type === "number") return new EmuError(`Parameter '${name}' expects a number`);
  return new EmuError(
    `Parameter '${name}' expects a non-negative number below 2^64`,
    "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta- and exabytes, respectively.",
  );
}
