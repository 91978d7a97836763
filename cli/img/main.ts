/**
 * `emu img`: Denemu's counterpart of qemu-img, with its command names, flags
 * and output formats. Each command lives in a file of this folder.
 *
 * @module
 */

import { amendCommand } from "./amend.ts";
import { EmuError } from "../../core/errors.ts";
import { builtinPlugins } from "../../core/plugin.ts";
import { VERSION } from "../../core/version.ts";
import { commitCommand, rebaseCommand } from "./chain.ts";
import { checkCommand } from "./check.ts";
import { convertCommand } from "./convert.ts";
import { createCommand, resizeCommand } from "./create.ts";
import { ddCommand } from "./dd.ts";
import { infoCommand } from "./info.ts";
import { compareCommand } from "./compare.ts";
import { mapCommand } from "./map.ts";
import { measureCommand } from "./measure.ts";
import { snapshotCommand } from "./snapshot.ts";

/** The img subcommands, by qemu-img's names. */
const IMG_COMMANDS: Record<string, { usage: string; run(args: string[]): Promise<number> }> = {
  amend: {
    usage: "amend [-f fmt] [-t cache] [-p] [-q] [--force] -o options filename",
    run: amendCommand,
  },
  check: { usage: "check [--output=ofmt] [-r [leaks | all]] [-f fmt] filename", run: checkCommand },
  create: {
    usage: "create [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]",
    run: createCommand,
  },
  convert: {
    usage:
      "convert [-c] [-p] [-n] [-f fmt] [-O output_fmt] [-B backing_file] [-o options] filename [filename2 [...]] output_filename",
    run: convertCommand,
  },
  commit: {
    usage: "commit [-q] [-f fmt] [-b base] [-d] [-p] filename",
    run: commitCommand,
  },
  rebase: {
    usage: "rebase [-f fmt] [-p] [-u] -b backing_file [-F backing_fmt] filename",
    run: rebaseCommand,
  },
  compare: {
    usage: "compare [-f fmt] [-F fmt] [-q] [-s] filename1 filename2",
    run: compareCommand,
  },
  dd: {
    usage:
      "dd [-f fmt] [-O output_fmt] [bs=block_size] [count=blocks] [skip=blocks] if=input of=output",
    run: ddCommand,
  },
  map: { usage: "map [-f fmt] --output=json filename", run: mapCommand },
  measure: {
    usage: "measure [--output=ofmt] [-O output_fmt] [-o options] [--size N | [-f fmt] filename]",
    run: measureCommand,
  },
  info: { usage: "info [-f fmt] [--output=ofmt] [--backing-chain] filename", run: infoCommand },
  snapshot: {
    usage: "snapshot [-f fmt] [-l | -a snapshot | -c snapshot | -d snapshot] filename",
    run: snapshotCommand,
  },
  resize: { usage: "resize [--shrink] [-f fmt] filename [+ | -]size", run: resizeCommand },
};

function help(): string {
  const cmds = Object.values(IMG_COMMANDS).map((c) => `    ${c.usage}`).join("\n");
  return `usage: emu img [standard options] command [command options]\nQEMU disk image utility\n\n` +
    `Command syntax:\n${cmds}\n\nSupported formats: ${builtinPlugins("plugins/block").join(" ")}`;
}

/**
 * Runs `emu img COMMAND ARGS...` and returns the exit status (qemu-img's).
 *
 * @example
 * ```ts ignore
 * await imgCommand(["info", "--output=json", "disk.qcow2"]);
 * ```
 */
export async function imgCommand(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === "-h" || name === "--help" || name === "help") {
    console.log(help());
    return name ? 0 : 1;
  }
  if (name === "-V" || name === "--version") {
    console.log(`emu img version ${VERSION} (Denemu)`);
    return 0;
  }
  const cmd = IMG_COMMANDS[name];
  if (!cmd) throw new EmuError(`Command not found: ${name}`, "run emu img --help for the list");
  if (rest.includes("-h") || rest.includes("--help")) {
    console.log(`usage: emu img ${cmd.usage}`);
    return 0;
  }
  return await cmd.run(rest);
}
