/**
 * `-o help` (or `-o ?`) of `create`, `convert` and `amend`: the format's
 * options listed as qemu-img lists them (print_block_option_help,
 * print_amend_option_help and QEMU's qemu_opts_print_help), exit status 0.
 *
 * @module
 */

import { type BlockOptionDesc, HOST_FILE_CREATE_OPTIONS } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { loadBlockPlugin } from "../../core/plugin.ts";

/** Whether one of the `-o` lists has a `help` or `?` element (qemu's has_help_option). */
export function hasHelpOption(lists: string[] = []): boolean {
  return lists.some((list) => list.split(",").some((kv) => kv === "help" || kv === "?"));
}

const TYPE_NAMES: Record<BlockOptionDesc["type"], string> = {
  string: "str",
  bool: "bool (on/off)",
  number: "num",
  size: "size",
};

/** The lines of `options`, sorted, padded as QEMU pads them; the first of a name wins. */
function optionLines(options: readonly BlockOptionDesc[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const o of options) {
    if (seen.has(o.name)) continue;
    seen.add(o.name);
    lines.push(`  ${o.name}=<${TYPE_NAMES[o.type]}>`.padEnd(24) + ` - ${o.help}`);
  }
  return lines.sort().join("\n");
}

/**
 * Prints the creation options of format `format`, with the host file's
 * when the command names the image `filename`; returns the exit status.
 */
export async function printCreateHelp(format: string, filename?: string): Promise<number> {
  const plugin = await loadBlockPlugin(format);
  if (filename !== undefined) {
    const all = [...plugin.createOptions, ...HOST_FILE_CREATE_OPTIONS];
    console.log(`Supported options:\n${optionLines(all)}`);
  } else {
    console.log(
      `Supported ${format} options:\n${optionLines(plugin.createOptions)}\n\n` +
        "The protocol level may support further options.\n" +
        "Specify the target filename to include those options.",
    );
  }
  return 0;
}

/** Prints the amend options of format `format`; returns the exit status. */
export async function printAmendHelp(format: string): Promise<number> {
  const options = (await loadBlockPlugin(format)).amendOptions;
  if (!options) throw new EmuError(`Format driver '${format}' does not support option amendment`);
  console.log(`Amend options for '${format}':\n${optionLines(options)}`);
  return 0;
}
