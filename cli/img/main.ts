/**
 * `emu img`: Denemu's counterpart of qemu-img, with its command names, flags
 * and output formats. Each command lives in a file of this folder.
 *
 * @module
 */

import { EmuError } from "../../core/errors.ts";
import { builtinPlugins } from "../../core/plugin.ts";
import { VERSION } from "../../core/version.ts";
import { lazyRun, type RunCommand } from "../lazy.ts";

/** One img subcommand: its usage line, and its entry, imported when it runs. */
interface ImgCommand {
  usage: string;
  run: RunCommand;
}

/** A subcommand whose module (`path`, relative to this file) loads when it runs. */
function lazy<M>(usage: string, path: string, pick: (module: M) => RunCommand): ImgCommand {
  return { usage, run: lazyRun(new URL(path, import.meta.url), pick) };
}

/**
 * The img subcommands, by qemu-img's names. Each loads only its own module
 * (`convert` none of the others).
 */
const IMG_COMMANDS: Record<string, ImgCommand> = {
  amend: lazy(
    "amend [-f fmt] [-t cache] [-p] [-q] [--force] -o options filename",
    "./amend.ts",
    (m: typeof import("./amend.ts")) => m.amendCommand,
  ),
  bench: lazy(
    "bench [-c count] [-d depth] [-f fmt] [-i aio] [-n] [-o offset] [-q] [-s buffer_size] [-S step_size] [-t cache] [-w] [-U] [--pattern=pattern] [--flush-interval=flush_interval] [--no-drain] filename",
    "./bench.ts",
    (m: typeof import("./bench.ts")) => m.benchCommand,
  ),
  check: lazy(
    "check [--output=ofmt] [-r [leaks | all]] [-f fmt] filename",
    "./check.ts",
    (m: typeof import("./check.ts")) => m.checkCommand,
  ),
  create: lazy(
    "create [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]",
    "./create.ts",
    (m: typeof import("./create.ts")) => m.createCommand,
  ),
  convert: lazy(
    "convert [-c] [-p] [-n] [-f fmt] [-O output_fmt] [-B backing_file] [-o options] filename [filename2 [...]] output_filename",
    "./convert.ts",
    (m: typeof import("./convert.ts")) => m.convertCommand,
  ),
  commit: lazy(
    "commit [-q] [-f fmt] [-b base] [-d] [-p] filename",
    "./chain.ts",
    (m: typeof import("./chain.ts")) => m.commitCommand,
  ),
  rebase: lazy(
    "rebase [-f fmt] [-p] [-u] -b backing_file [-F backing_fmt] filename",
    "./chain.ts",
    (m: typeof import("./chain.ts")) => m.rebaseCommand,
  ),
  compare: lazy(
    "compare [-f fmt] [-F fmt] [-q] [-s] filename1 filename2",
    "./compare.ts",
    (m: typeof import("./compare.ts")) => m.compareCommand,
  ),
  dd: lazy(
    "dd [-f fmt] [-O output_fmt] [bs=block_size] [count=blocks] [skip=blocks] if=input of=output",
    "./dd.ts",
    (m: typeof import("./dd.ts")) => m.ddCommand,
  ),
  map: lazy(
    "map [-f fmt] --output=json filename",
    "./map.ts",
    (m: typeof import("./map.ts")) => m.mapCommand,
  ),
  measure: lazy(
    "measure [--output=ofmt] [-O output_fmt] [-o options] [--size N | [-f fmt] filename]",
    "./measure.ts",
    (m: typeof import("./measure.ts")) => m.measureCommand,
  ),
  info: lazy(
    "info [-f fmt] [--output=ofmt] [--backing-chain] filename",
    "./info.ts",
    (m: typeof import("./info.ts")) => m.infoCommand,
  ),
  snapshot: lazy(
    "snapshot [-f fmt] [-l | -a snapshot | -c snapshot | -d snapshot] filename",
    "./snapshot.ts",
    (m: typeof import("./snapshot.ts")) => m.snapshotCommand,
  ),
  resize: lazy(
    "resize [--shrink] [-f fmt] filename [+ | -]size",
    "./create.ts",
    (m: typeof import("./create.ts")) => m.resizeCommand,
  ),
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
  if (!name) throw new EmuError("Not enough arguments", "run emu img --help for the list");
  if (name === "-h" || name === "--help" || name === "help") {
    console.log(help());
    return 0;
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
