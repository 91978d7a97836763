/**
 * The `emu` command line: a table of commands (`user` now; `system`,
 * `bench`... later). Errors a user can act on print one line and exit 1.
 *
 * @module
 */

import { EmuError, errorLine } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import { editDistance } from "./edit_distance.ts";
import { importLazily, lazyRun } from "./lazy.ts";
import { inWorker } from "./worker_command.ts";

/** Denemu's version (from deno.json), as `emu --version` prints it. */
export { VERSION };

/** One `emu` command. */
export interface Command {
  /** one-line description for `emu -h` */
  summary: string;
  /** runs the command; resolves to the process exit status */
  run(args: string[]): Promise<number>;
}

/**
 * The young generation of `emu system`'s worker, MiB: semi-spaces of 4 MiB
 * instead of the 32 a Linux boot grows them to (docs/perf.md, "Twentieth
 * session, the Linux boot's peak RSS").
 */
const SYSTEM_YOUNG_MB = 12;

/**
 * The old generation of `emu system`'s worker, MiB: V8 collects it sooner
 * than under its default cap (4 GiB on a 24 GiB host), 10-12 MiB off a Linux
 * boot's peak (docs/perf.md, "Twenty-first session"). A boot's live heap is
 * 18-21 MiB; translated code, the part a guest controls, is bounded by the TB
 * cache's size (256 MiB, at most about 134 of them heap), so a guest that runs
 * distinct code without end does not reach the cap (docs/perf.md,
 * "Twenty-third session").
 */
const SYSTEM_OLD_MB = 512;

/**
 * The command table; other commands register here. Each command's module is
 * imported when it runs, so a start-up loads only the command it runs (the
 * modules of all commands cost about 50 ms of CPU to load).
 *
 * @example
 * ```ts
 * import { COMMANDS } from "./main.ts";
 * console.log(Object.keys(COMMANDS)); // [ "user", "system", "fuzz", "tmin", "cmin", "showmap", "cov", "img", "bundle" ]
 * ```
 */
export const COMMANDS: Record<string, Command> = {
  user: lazy(
    "run a Linux program (like qemu-riscv64)",
    "./user.ts",
    (m: typeof import("./user.ts")) => m.userCommand,
  ),
  system: { summary: "boot a machine (like qemu-system-riscv64)", run: systemRun() },
  fuzz: lazy(
    "fuzz a Linux program (AFL++'s flags and output)",
    "./fuzz.ts",
    (m: typeof import("./fuzz.ts")) => m.fuzzCommand,
  ),
  tmin: lazy(
    "minimise a crashing input (like afl-tmin)",
    "./fuzz_tools.ts",
    (m: typeof import("./fuzz_tools.ts")) => m.tminCommand,
  ),
  cmin: lazy(
    "minimise a corpus (like afl-cmin)",
    "./fuzz_tools.ts",
    (m: typeof import("./fuzz_tools.ts")) => m.cminCommand,
  ),
  showmap: lazy(
    "write the coverage map of inputs (like afl-showmap -Q)",
    "./showmap.ts",
    (m: typeof import("./showmap.ts")) => m.showmapCommand,
  ),
  cov: lazy(
    "source coverage of a corpus (lcov .info and HTML)",
    "./cov.ts",
    (m: typeof import("./cov.ts")) => m.covCommand,
  ),
  img: lazy(
    "create, inspect and convert disk images (like qemu-img)",
    "./img/main.ts",
    (m: typeof import("./img/main.ts")) => m.imgCommand,
  ),
  bundle: lazy(
    "write an experiment as one JavaScript file",
    "./bundle.ts",
    (m: typeof import("./bundle.ts")) => m.bundleCommand,
  ),
};

/**
 * `emu system`: a command line that may ask what starts no machine (`-h`,
 * `-version`, a `help` or `?` value) is answered on this thread if it does;
 * any other runs whole in a worker with capped heap generations
 * (worker_command.ts), option errors included, so that this thread, idle
 * while the machine runs, does not load the system command's modules too
 * (about 5 MiB of a boot's peak RSS: docs/perf.md, "Twenty-fourth session").
 */
function systemRun(): Command["run"] {
  const url = new URL("./system.ts", import.meta.url);
  const heap = { youngMb: SYSTEM_YOUNG_MB, oldMb: SYSTEM_OLD_MB };
  const inMachineWorker = inWorker(url, "systemCommand", heap);
  const info = async (args: string[]) =>
    await (await importLazily<typeof import("./system.ts")>(url)).systemInfo(args);
  return async (args) =>
    (args.some((a) => /help|\?|^--?(h|version)(=|$)/.test(a)) ? await info(args) : undefined) ??
      await inMachineWorker(args);
}

/**
 * A command whose module (`path`, relative to this file) is imported when it
 * runs (the specifier is computed: a literal `import()` cost `emu img` the
 * emulator's sources, about 100 ms).
 */
function lazy<M>(summary: string, path: string, pick: (module: M) => Command["run"]): Command {
  return { summary, run: lazyRun(new URL(path, import.meta.url), pick) };
}

/** Whether DENEMU_DEBUG asks for stack traces (never prompting for, or failing without, --allow-env). */
function debugWanted(): boolean {
  const env = Deno.permissions.querySync({ name: "env", variable: "DENEMU_DEBUG" });
  return env.state === "granted" && !!Deno.env.get("DENEMU_DEBUG");
}

/** The hint for an unknown command: a command it is a typo of, else the list. */
function unknownCommandHint(name: string): string {
  const most = name.length > 4 ? 2 : 1;
  const near = Object.keys(COMMANDS).find((k) => editDistance(name, k) <= most);
  return near ? `did you mean emu ${near}? run emu -h for the list` : "run emu -h for the list";
}

function help(): string {
  const names = Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(10)} ${c.summary}`);
  return `usage: emu <command> [options...]\n\nCommands:\n${names.join("\n")}\n\n` +
    `Run "emu <command> -h" for a command's options.`;
}

/**
 * Runs the CLI with `args` and returns the exit status; never throws for
 * user errors (they print as one line on stderr).
 *
 * @example
 * ```ts ignore
 * Deno.exit(await main(Deno.args));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === "-h" || name === "--help" || name === "help") {
    console.log(help());
    return name ? 0 : 1;
  }
  if (name === "--version" || name === "-version") {
    console.log(`emu version ${VERSION} (Denemu, a QEMU-like emulator in TypeScript)`);
    return 0;
  }
  const cmd = COMMANDS[name];
  return await reportErrors(() => {
    if (!cmd) throw new EmuError(`unknown command "${name}"`, unknownCommandHint(name));
    return cmd.run(rest);
  });
}

/**
 * Runs a command and turns what it throws into one line on stderr and an
 * exit status: 1 for a user's error, 141 for a closed pipe, 70 for a bug.
 *
 * @example
 * ```ts ignore
 * const status = await reportErrors(() => systemCommand(args));
 * ```
 */
export async function reportErrors(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof EmuError) {
      console.error(errorLine(e));
      return 1;
    }
    // Output piped into a reader that went away (`emu ... | head`): stop quietly, like cat.
    if (e instanceof Deno.errors.BrokenPipe) return 141;
    const err = e as Error;
    // A Deno permission Denemu needs and was not given: Deno's message names the flag.
    if (e instanceof Deno.errors.NotCapable) {
      console.error(`emu: ${err.message.split("\n")[0]}`);
      return 1;
    }
    // The host refused a file operation (no space, file too large, ...): the user's to fix.
    if (/\(os error \d+\)/.test(err?.message ?? "")) {
      console.error(`emu: ${err.message.split("\n")[0]}`);
      return 1;
    }
    console.error(`emu: internal error: ${err?.message?.split("\n")[0] ?? String(e)}`);
    if (debugWanted()) console.error(err?.stack);
    return 70;
  }
}
