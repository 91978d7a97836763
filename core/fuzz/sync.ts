/**
 * AFL's sync-directory convention, for campaigns on several workers or
 * machines sharing a filesystem (`-M`/`-S`): every fuzzer writes
 * `OUT/NAME/queue/`, and periodically reads the queues of the others,
 * remembering in `OUT/NAME/.synced/OTHER` the last id it imported. Denemu
 * workers and afl-fuzz instances in one `OUT` import each other's finds
 * (inputs over AFL's MAX_FILE are skipped, as AFL++ skips them).
 *
 * @module
 */

import { readInput } from "./output.ts";

/** An input another fuzzer found. */
export interface SyncedInput {
  /** the other fuzzer's name */
  from: string;
  /** its id in that fuzzer's queue */
  id: number;
  data: Uint8Array;
}

/**
 * The other fuzzers of one sync directory, as seen by fuzzer `self`.
 *
 * @example
 * ```ts ignore
 * const sync = new SyncDir("out", "worker2");
 * for (const input of sync.collect()) console.log(input.from, input.id);
 * ```
 */
export class SyncDir {
  constructor(readonly root: string, readonly self: string) {}

  #marker(other: string): string {
    return `${this.root}/${this.self}/.synced/${other}`;
  }

  /** The last id imported from `other` (-1: none yet, or a marker that is not a number). */
  #last(other: string): number {
    try {
      const id = Number(Deno.readTextFileSync(this.#marker(other)).trim());
      return Number.isSafeInteger(id) ? id : -1;
    } catch {
      return -1;
    }
  }

  /** The inputs the other fuzzers queued since the last call, oldest first per fuzzer. */
  collect(): SyncedInput[] {
    const out: SyncedInput[] = [];
    for (const d of [...Deno.readDirSync(this.root)].sort((a, b) => a.name < b.name ? -1 : 1)) {
      if (!d.isDirectory || d.name === this.self || d.name.startsWith(".")) continue;
      const queue = `${this.root}/${d.name}/queue`;
      let files: Deno.DirEntry[];
      try {
        files = [...Deno.readDirSync(queue)];
      } catch {
        continue; // not a fuzzer's directory
      }
      const last = this.#last(d.name);
      let max = last;
      const fresh = files.map((f) => ({ f, id: Number(/^id:(\d+)/.exec(f.name)?.[1] ?? -1) }))
        .filter(({ f, id }) => f.isFile && id > last).sort((a, b) => a.id - b.id);
      for (const { f, id } of fresh) {
        try {
          const input = readInput(`${queue}/${f.name}`);
          if (!input.truncated) out.push({ from: d.name, id, data: input.data }); // as AFL++
        } catch {
          continue; // being written or removed
        }
        max = Math.max(max, id);
      }
      if (max > last) {
        Deno.mkdirSync(`${this.root}/${this.self}/.synced`, { recursive: true });
        Deno.writeTextFileSync(this.#marker(d.name), `${max}\n`);
      }
    }
    return out;
  }
}
