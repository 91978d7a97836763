/**
 * AFL's sync-directory convention, for campaigns on several workers or
 * machines sharing a filesystem (`-M`/`-S`): every fuzzer writes
 * `OUT/NAME/queue/`, and periodically reads the queues of the others,
 * remembering in `OUT/NAME/.synced/OTHER` the next id to import (a -S
 * worker reads only the -M worker's queue, when there is one). Denemu
 * workers and afl-fuzz instances in one `OUT` import each other's finds
 * (inputs over AFL's MAX_FILE are skipped, as AFL++ skips them).
 *
 * @module
 */

import { exists, readInput } from "./output.ts";

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
  /** per `-F` directory, the newest modification time imported from it (ms) */
  #foreignSeen = new Map<string, number>();

  /** `foreign`: afl-fuzz's `-F` directories, whose files the main node imports too. */
  constructor(readonly root: string, readonly self: string, readonly foreign: string[] = []) {}

  #marker(other: string): string {
    return `${this.root}/${this.self}/.synced/${other}`;
  }

  /**
   * The last id imported from `other` (-1: none yet). As AFL++ keeps it, the
   * marker holds the next id to take, a 32-bit little-endian number.
   */
  #last(other: string): number {
    try {
      const b = Deno.readFileSync(this.#marker(other));
      return b.length === 4 ? new DataView(b.buffer).getUint32(0, true) - 1 : -1;
    } catch {
      return -1;
    }
  }

  /**
   * The fuzzers to import from: as AFL++, a secondary (`-S`) imports only
   * from the main node (the directory with `is_main_node`) when there is one.
   */
  #others(mainNode: boolean): string[] {
    const others = [...Deno.readDirSync(this.root)]
      .filter((d) => d.isDirectory && d.name !== this.self && !d.name.startsWith("."))
      .map((d) => d.name).sort();
    if (mainNode) return others;
    const mains = others.filter((n) => exists(`${this.root}/${n}/is_main_node`));
    return mains.length ? mains : others;
  }

  /**
   * The inputs the other fuzzers queued since the last call, oldest first per
   * fuzzer; `mainNode`: this fuzzer is the main node (`-M`).
   */
  collect(mainNode = true): SyncedInput[] {
    const out: SyncedInput[] = this.foreign.flatMap((dir, k) => this.#foreignInputs(dir, k));
    for (const name of this.#others(mainNode)) {
      const queue = `${this.root}/${name}/queue`;
      let files: Deno.DirEntry[];
      try {
        files = [...Deno.readDirSync(queue)];
      } catch {
        continue; // not a fuzzer's directory
      }
      const last = this.#last(name);
      let max = last;
      const fresh = files.map((f) => ({ f, id: Number(/^id:(\d+)/.exec(f.name)?.[1] ?? -1) }))
        .filter(({ f, id }) => f.isFile && id > last).sort((a, b) => a.id - b.id);
      for (const { f, id } of fresh) {
        try {
          const input = readInput(`${queue}/${f.name}`);
          if (!input.truncated) out.push({ from: name, id, data: input.data }); // as AFL++
        } catch {
          continue; // being written or removed
        }
        max = Math.max(max, id);
      }
      Deno.mkdirSync(`${this.root}/${this.self}/.synced`, { recursive: true });
      Deno.writeFileSync(`${this.#marker(name)}.last`, new Uint8Array()); // AFL++'s "tried"
      if (max > last) {
        const next = new Uint8Array(4);
        new DataView(next.buffer).setUint32(0, max + 1, true);
        Deno.writeFileSync(this.#marker(name), next);
      }
    }
    return out;
  }

  /**
   * The files of a `-F` directory changed since the last call, as afl-fuzz 4 reads them: its
   * regular files (dot files too, not its subdirectories), neither empty nor README.txt nor over
   * MAX_FILE, named `DIR_K` after the directory's last part (`foreign_K` for queue, out, default).
   */
  #foreignInputs(dir: string, k: number): SyncedInput[] {
    const last = dir.slice(dir.lastIndexOf("/") + 1);
    const from = ["queue", "out", "default"].includes(last) ? `foreign_${k}` : `${last}_${k}`;
    const seen = this.#foreignSeen.get(dir) ?? 0;
    let newest = seen;
    const out: SyncedInput[] = [];
    let names: string[];
    try {
      names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    } catch {
      return []; // not there (yet)
    }
    for (const name of names) {
      try {
        const st = Deno.lstatSync(`${dir}/${name}`), mtime = st.mtime?.getTime() ?? 0;
        if (!st.isFile || st.size === 0 || name === "README.txt" || mtime <= seen) continue;
        newest = Math.max(newest, mtime);
        const input = readInput(`${dir}/${name}`);
        if (!input.truncated) out.push({ from, id: 0, data: input.data });
      } catch {
        continue; // being written or removed
      }
    }
    this.#foreignSeen.set(dir, newest);
    return out;
  }
}
