/**
 * Denemu's version, from `deno.json` (`emu --version`, snapshot and
 * record/replay files).
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };

/**
 * The version of this Denemu.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(VERSION); // e.g. "0.3.0"
 * ```
 */
export const VERSION: string = config.version;
