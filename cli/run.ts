/**
 * The `emu` CLI without the scripting API: `deno task emu` and `deno run -A
 * mod.ts` load all of `mod.ts` first; this entry loads only the command's own
 * modules (`img` none of the emulator), about half the start-up.
 *
 * @example
 * ```sh
 * deno run -A cli/run.ts img info disk.qcow2
 * ```
 *
 * @module
 */

import { main } from "./main.ts";

Deno.exit(await main(Deno.args));
