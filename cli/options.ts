/**
 * Command-line options shared by the `emu` commands, read the way QEMU
 * reads them: `-name` or `--name`, and for options that take a value either
 * `-name value` or `-name=value`.
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";

/** One option read from the command line. */
export interface ReadOption {
  name: string;
  /** its value, for options that take one */
  value?: string;
  /** index of the next argument to read */
  next: number;
}

/**
 * Reads the option at `argv[i]`; `withValue` names the options that take a
 * value. Throws {@linkcode EmuError} when the value is missing.
 *
 * @example
 * ```ts
 * import { readOption } from "./options.ts";
 * const o = readOption(["-L", "/sysroot", "prog"], 0, new Set(["L"]), "user");
 * console.log(o.name, o.value, o.next); // "L /sysroot 2"
 * ```
 */
export function readOption(
  argv: readonly string[],
  i: number,
  withValue: ReadonlySet<string>,
  command: string,
): ReadOption {
  const name = argv[i].replace(/^--?/, "");
  const eq = name.indexOf("=");
  if (eq > 0 && withValue.has(name.slice(0, eq))) {
    return { name: name.slice(0, eq), value: name.slice(eq + 1), next: i + 1 };
  }
  if (!withValue.has(name)) return { name, next: i + 1 };
  if (i + 1 >= argv.length) {
    throw new EmuError(`option -${name} needs a value`, `see emu ${command} -h`);
  }
  return { name, value: argv[i + 1], next: i + 2 };
}

/**
 * Lines of a `help` listing (`-d help`, `-accel help`): a title, then each name and what it is.
 *
 * @example
 * ```ts
 * import { helpList } from "./options.ts";
 * console.log(helpList("Log items (comma separated):", { int: "traps and interrupts" }));
 * ```
 */
export function helpList(title: string, items: Record<string, string>): string {
  const width = Math.max(...Object.keys(items).map((k) => k.length)) + 1;
  return [title, ...Object.entries(items).map(([k, v]) => `${k.padEnd(width)} ${v}`)].join("\n");
}
