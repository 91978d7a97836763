/**
 * The `emu` program (`deno task emu`): runs the CLI without loading the
 * scripting API of `mod.ts`, so a command loads only its own modules
 * (`emu img` none of the emulator). `deno run -A mod.ts` runs the same CLI.
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
