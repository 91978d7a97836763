/**
 * The plugin API of block formats (`plugins/block/`): the driver interface,
 * host files and the helpers a format is built from. It loads none of the
 * emulator, so `emu img` starts as fast as Deno does; `plugin.ts` re-exports
 * all of it, so a format may import either.
 *
 * @example
 * ```ts
 * import type { BlockFormatPlugin } from "./plugin_block.ts";
 * const plugin: Partial<BlockFormatPlugin> = { kind: "block", name: "mine" };
 * console.log(plugin.kind); // block
 * ```
 *
 * @module
 */

export * from "./core/block.ts";
export * from "./core/block_option_values.ts";
export * from "./core/block_raw_warning.ts";
export type { PluginApiRange } from "./core/plugin.ts";
export { EmuError } from "./core/errors.ts";
export { keySecret } from "./core/block_secrets.ts";
export { SparseMap } from "./core/host_seek.ts";
export { concatBytes } from "./core/bytes.ts";
