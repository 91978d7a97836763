/**
 * Commands whose module is imported when they run, so that a start-up loads
 * only the command it runs (and the parts of a command few runs need). The specifier is computed: `deno run` reads
 * every module a literal `import()` names before it starts.
 *
 * @module
 */

/** A command's entry: its arguments in, its exit status out. */
export type RunCommand = (args: string[]) => Promise<number>;

/**
 * The entry `pick` chooses from the module at `url`, imported on first run.
 *
 * @example
 * ```ts ignore
 * const run = lazyRun(new URL("./img/main.ts", import.meta.url), (m) => m.imgCommand);
 * ```
 */
export function lazyRun<M>(url: URL, pick: (module: M) => RunCommand): RunCommand {
  return async (args) => pick(await importLazily<M>(url))(args);
}

/**
 * Imports the module at `url` (a command's, or a part of one that few runs
 * need); without read access to it, the NotCapable error the handler reports.
 *
 * @example
 * ```ts ignore
 * const { GdbServer } = await importLazily<typeof import("../core/gdb/server.ts")>(
 *   new URL("../core/gdb/server.ts", import.meta.url),
 * );
 * ```
 */
export async function importLazily<M>(url: URL): Promise<M> {
  try {
    return await import(url.href);
  } catch (e) {
    if (Deno.permissions.querySync({ name: "read", path: url }).state === "granted") throw e;
    throw new Deno.errors.NotCapable((e as Error).message.split("\n")[0]);
  }
}
