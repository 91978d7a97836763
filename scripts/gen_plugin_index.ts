/**
 * `deno task plugins`: writes `core/plugin_index.json`, the names of the built-in
 * plugins (targets, machines, devices, tools), and each target's CPU models and
 * ELF machines. Denemu reads this index instead of listing its own folders, so
 * it also runs when imported from an http URL, where there is no directory to
 * list, and it loads only the target a program or `-cpu` needs. Run it after adding or removing a
 * built-in plugin; a test fails while the file is out of date.
 *
 * @module
 */

/** The folders that hold built-in plugins, as `builtinPlugins` names them. */
export const PLUGIN_FOLDERS = [
  "targets",
  "plugins/machines",
  "plugins/devices",
  "plugins/tools",
  "plugins/block",
] as const;

import type { TargetPlugin } from "../plugin.ts";

const ROOT = new URL("../", import.meta.url);

/**
 * The plugins in `folder`: its folders (targets, machines) or its `.ts` files
 * not starting with `_` (devices, tools), sorted.
 */
function listFolder(folder: string): string[] {
  const names: string[] = [];
  for (const e of Deno.readDirSync(new URL(`${folder}/`, ROOT))) {
    if (e.isDirectory) names.push(e.name);
    else if (e.isFile && e.name.endsWith(".ts") && !e.name.startsWith("_")) {
      names.push(e.name.slice(0, -3));
    }
  }
  return [...new Set(names)].sort(); // a plugin file may have a helper folder of its name
}

/** What each built-in target runs: its CPU models and the ELF machines it takes. */
async function targetSummaries(names: string[]) {
  const summaries: Record<string, Pick<TargetPlugin, "cpus" | "elfMachines">> = {};
  for (const name of names) {
    const { cpus, elfMachines } = (await import(new URL(`targets/${name}/mod.ts`, ROOT).href))
      .default as TargetPlugin;
    summaries[name] = { cpus, elfMachines };
  }
  return summaries;
}

/**
 * The text of `core/plugin_index.json` for the files on disk now.
 *
 * @example
 * ```ts
 * import { pluginIndexJson } from "./gen_plugin_index.ts";
 * console.log(JSON.parse(await pluginIndexJson())["plugins/machines"]); // [ "virt" ]
 * ```
 */
export async function pluginIndexJson(): Promise<string> {
  const index: Record<string, unknown> = Object.fromEntries(
    PLUGIN_FOLDERS.map((f) => [f, listFolder(f)]),
  );
  index.targetSummaries = await targetSummaries(listFolder("targets"));
  return JSON.stringify(index, null, 2) + "\n";
}

if (import.meta.main) {
  const out = new URL("core/plugin_index.json", ROOT);
  Deno.writeTextFileSync(out, await pluginIndexJson());
  console.log(`wrote ${out.pathname}`);
}
