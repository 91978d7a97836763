/**
 * The encryption a new qcow or qcow2 image is asked for by `-o` (`encrypt.format`, its older
 * alias `encryption=on`, `encrypt.key-secret`), checked in qemu-img 7.2's words.
 *
 * @module
 */

import { EmuError, keySecret } from "../../../plugin_block.ts";

/** The `encrypt.*` options of the old AES encryption (LUKS has more). */
const AES_OPTIONS = ["encrypt.format", "encrypt.key-secret"];

/**
 * The crypt method (0 none, 1 AES, 2 LUKS) options `o` ask for, of those `formats` allows;
 * the key secret checked to exist.
 *
 * @example
 * ```ts ignore
 * const method = createCryptMethod({ "encrypt.format": "aes", "encrypt.key-secret": "s0" }, ["aes"]);
 * ```
 */
export function createCryptMethod(o: Record<string, string>, formats: string[]): number {
  const alias = o.encryption === "on" || o.encryption === "true";
  if (alias && o["encrypt.format"] !== undefined) {
    throw new EmuError(
      "'encrypt.format' and its alias 'encryption' can't be used at the same time",
    );
  }
  const format = o["encrypt.format"] ?? (alias ? "aes" : undefined);
  const others = Object.keys(o).filter((k) => k.startsWith("encrypt."));
  if (format === undefined) {
    if (others.length) throw new EmuError("Parameter 'encrypt.format' is missing");
    return 0;
  }
  if (!["aes", "luks"].includes(format)) {
    throw new EmuError(`Parameter 'format' does not accept value '${format}'`);
  }
  if (!formats.includes(format)) throw new EmuError("Unsupported encryption format");
  const extra = format === "aes" && others.find((k) => !AES_OPTIONS.includes(k));
  if (extra) throw new EmuError(`Parameter '${extra}' is unexpected`);
  keySecret(o["encrypt.key-secret"], "encrypt.key-secret");
  return format === "aes" ? 1 : 2;
}
