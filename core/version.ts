/**
 * Denemu's version (`emu --version`, record/replay logs, bundle manifests).
 * It is the version of `deno.json` (core does not import files outside it;
 * `tests/packaging_test.ts` checks that the two agree).
 *
 * @module
 */

/**
 * The version of this Denemu.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(VERSION); // e.g. "0.3.0"
 * ```
 */
export const VERSION = "0.3.0";
