/**
 * The inputs of `emu fuzz -i`, `cmin`, `tmin`, `showmap` and `cov`: the seed
 * files of a directory, read as afl-fuzz 4 reads them.
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import { isDirectory, readInput } from "../core/fuzz/output.ts";
import { MAX_FILE } from "../core/fuzz/mutate.ts";

/** An input file's name (without its directory) and its bytes. */
export type Seed = { name: string; data: Uint8Array };

/**
 * The seed files of `-i DIR` (sorted by name, names starting with a dot left
 * out), with a clear error when there are none. `recursive` walks as afl-fuzz
 * 4 does: a subdirectory's files in its place, dot files read, dot
 * directories not.
 *
 * @example
 * ```ts ignore
 * for (const seed of readSeeds("in")) console.log(seed.name, seed.data.length);
 * ```
 */
export function readSeeds(dir: string, recursive = false): Seed[] {
  const seeds = seedFiles(dir, recursive);
  if (seeds.length === 0) throw new EmuError(`-i ${dir}: no input files`, "add a seed file");
  return seeds;
}

function seedFiles(dir: string, recursive: boolean): Seed[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new EmuError(`-i ${dir}: no such directory`);
    if (e instanceof Deno.errors.NotADirectory) throw new EmuError(`-i ${dir}: not a directory`);
    throw new EmuError(`-i ${dir}: cannot read (${(e as Error).message.split("\n")[0]})`);
  }
  const seeds: Seed[] = [];
  for (const e of entries.sort(byName)) {
    if (e.name.startsWith(".") && !(recursive && e.isFile)) continue;
    if (e.isDirectory && recursive) seeds.push(...seedFiles(`${dir}/${e.name}`, true));
    else if (e.isFile) seeds.push({ name: e.name, data: seedBytes(`${dir}/${e.name}`) });
  }
  return seeds;
}

function seedBytes(path: string): Uint8Array {
  let input;
  try {
    input = readInput(path);
  } catch {
    throw new EmuError(`-i ${path}: cannot read this input`);
  }
  if (input.truncated) {
    console.error(`emu fuzz: -i ${path} is over ${MAX_FILE} bytes: partial reading`);
  }
  return input.data;
}

/**
 * The seeds of a campaign, as afl-fuzz 4 reads `-i DIR`: `DIR/queue` when
 * there is one (an earlier campaign's directory), else DIR and its
 * subdirectories (but those starting with a dot), empty files left out,
 * in reverse order of name (its `id:000000` is the last name; a
 * subdirectory's files take its place).
 *
 * @example
 * ```ts ignore
 * const seeds = campaignSeeds("in"); // the queue of `in/queue` when `in` is an output directory
 * ```
 */
export function campaignSeeds(dir: string): Seed[] {
  const from = isDirectory(`${dir}/queue`) ? `${dir}/queue` : dir;
  const seeds = readSeeds(from, true).filter((s) => s.data.length > 0);
  if (seeds.length === 0) {
    throw new EmuError(`-i ${from}: no usable input files (all are empty)`, "add a seed file");
  }
  return seeds.reverse();
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
