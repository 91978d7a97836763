/**
 * The output directory in AFL++'s layout, which other tools read
 * (afl-whatsup, afl-plot, afl-showmap, afl-cmin, other fuzzers syncing):
 * `OUT/NAME/{queue,crashes,hangs}/id:NNNNNN,...`, `crashes/README.txt`,
 * `fuzzer_stats` (AFL++ 4's field names, `name : value` lines), `plot_data`
 * (AFL++ 4's columns), `fuzz_bitmap` (the map of bits never seen: 0xff where
 * no input went, the buckets seen cleared), `fuzzer_setup` (the AFL_
 * variables set and the command line, quoted for a shell) and `cmdline` (the
 * fuzzed program and its arguments, one a line).
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { MAX_FILE } from "./mutate.ts";

/** What `fuzzer_stats` and `plot_data` report. */
export interface FuzzStats {
  startTime: number;
  lastUpdate: number;
  cyclesDone: number;
  cyclesWoFinds: number;
  execsDone: number;
  execsPerSec: number;
  corpusCount: number;
  corpusFavored: number;
  corpusFound: number;
  corpusImported: number;
  maxDepth: number;
  curItem: number;
  pendingFavs: number;
  pendingTotal: number;
  stability: number;
  edgesFound: number;
  mapSize: number;
  savedCrashes: number;
  savedHangs: number;
  totalTmout: number;
  /** times in ms since the epoch, 0 = never */
  lastFind: number;
  lastCrash: number;
  lastHang: number;
  execsSinceCrash: number;
  /** `-t`, in guest instructions */
  execTimeout: number;
  /**
   * `-t` in milliseconds at the campaign's guest speed so far: `exec_timeout`
   * is in ms for AFL++'s tools (afl-whatsup warns when it is large beside
   * `execs_done`)
   */
  execTimeoutMs: number;
  dictEntries: number;
  banner: string;
  commandLine: string;
  /** `-C`: crash exploration (fuzzer_stats' target_mode says `crash`) */
  crashMode?: boolean;
}

const PLOT_HEADER = "# relative_time, cycles_done, cur_item, corpus_count, pending_total, " +
  "pending_favs, map_size, saved_crashes, saved_hangs, max_depth, execs_per_sec, " +
  "total_execs, edges_found\n";

const CRASH_README = `Command line used to find this crash:

%CMD%

If you can't reproduce a bug outside of Denemu, the crash depends on emulated
state (memory left by earlier runs in the in-memory or persistent harness).
Reproduce one with: deno task emu user PROGRAM crashes/id:...

Found any cool bugs in open-source tools using Denemu? Tell the project.
`;

/** The id part of a file name: `id:000042`. */
export function idName(n: number): string {
  return `id:${String(n).padStart(6, "0")}`;
}

/**
 * The text of `fuzzer_stats`. As afl-fuzz writes them, `execs_per_sec` is
 * the campaign's average and `execs_ps_last_min` (`lastMinute`) the rate of
 * the last whole minute (0 in the first).
 */
export function formatStats(s: FuzzStats, lastMinute = 0): string {
  const sec = (ms: number) => Math.floor(ms / 1000);
  const average = s.execsDone * 1000 / Math.max(1, s.lastUpdate - s.startTime);
  const fields: [string, string | number][] = [
    ["start_time", sec(s.startTime)],
    ["last_update", sec(s.lastUpdate)],
    ["run_time", sec(s.lastUpdate - s.startTime)],
    ["fuzzer_pid", Deno.pid],
    ["cycles_done", s.cyclesDone],
    ["cycles_wo_finds", s.cyclesWoFinds],
    ["execs_done", s.execsDone],
    ["execs_per_sec", average.toFixed(2)],
    ["execs_ps_last_min", lastMinute.toFixed(2)],
    ["corpus_count", s.corpusCount],
    ["corpus_favored", s.corpusFavored],
    ["corpus_found", s.corpusFound],
    ["corpus_imported", s.corpusImported],
    ["corpus_variable", 0],
    ["max_depth", s.maxDepth],
    ["cur_item", s.curItem],
    ["pending_favs", s.pendingFavs],
    ["pending_total", s.pendingTotal],
    ["stability", `${s.stability.toFixed(2)}%`],
    ["bitmap_cvg", `${(s.edgesFound * 100 / s.mapSize).toFixed(2)}%`],
    ["saved_crashes", s.savedCrashes],
    ["saved_hangs", s.savedHangs],
    ["total_tmout", s.totalTmout],
    ["last_find", sec(s.lastFind)],
    ["last_crash", sec(s.lastCrash)],
    ["last_hang", sec(s.lastHang)],
    ["execs_since_crash", s.execsSinceCrash],
    ["exec_timeout", s.execTimeoutMs],
    ["slowest_exec_ms", 0],
    ["peak_rss_mb", Math.round(Deno.memoryUsage().rss / (1 << 20))],
    ["cpu_affinity", -1],
    ["edges_found", s.edgesFound],
    ["total_edges", s.mapSize],
    ["var_byte_count", 0],
    ["havoc_expansion", 0],
    ["auto_dict_entries", s.dictEntries],
    ["testcache_size", 0],
    ["testcache_count", 0],
    ["testcache_evict", 0],
    ["afl_banner", s.banner],
    ["afl_version", "denemu"],
    ["target_mode", s.crashMode ? "qemu crash" : "qemu"],
    ["command_line", s.commandLine],
  ];
  return fields.map(([k, v]) => `${k.padEnd(18)}: ${v}\n`).join("");
}

/**
 * The text of `fuzzer_setup`: the AFL_ variables of `env`, then `argv`, each
 * argument in single quotes (a quote inside as '"'"'), as afl-fuzz writes it.
 *
 * @example
 * ```ts
 * import { formatSetup } from "./output.ts";
 * console.log(formatSetup(["emu", "it's"], { AFL_NO_UI: "1", HOME: "/root" }).split("\n")[3]);
 * // 'emu' 'it'"'"'s'
 * ```
 */
export function formatSetup(argv: string[], env: Record<string, string>): string {
  const vars = Object.keys(env).filter((k) => k.startsWith("AFL_")).sort();
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'"'"'`)}'`);
  return "# environment variables:\n" + vars.map((k) => `${k}=${env[k]}\n`).join("") +
    `# command line:\n${quoted.join(" ")}\n`;
}

/** One `plot_data` row. */
export function formatPlotRow(s: FuzzStats): string {
  const cvg = (s.edgesFound * 100 / s.mapSize).toFixed(2);
  return `${Math.floor((s.lastUpdate - s.startTime) / 1000)}, ${s.cyclesDone}, ${s.curItem}, ` +
    `${s.corpusCount}, ${s.pendingTotal}, ${s.pendingFavs}, ${cvg}%, ${s.savedCrashes}, ` +
    `${s.savedHangs}, ${s.maxDepth}, ${s.execsPerSec.toFixed(2)}, ${s.execsDone}, ` +
    `${s.edgesFound}\n`;
}

/** Whether process `pid` exists (Linux: its /proc entry; AFL uses kill(pid, 0)). */
function pidAlive(pid: number): boolean {
  return exists(`/proc/${pid}`);
}

/** The directories afl-fuzz creates in `queue/.state`. */
const AFL_STATE_DIRS = [
  "auto_extras",
  "deterministic_done",
  "redundant_edges",
  "variable_behavior",
];

/** Seconds of an earlier campaign whose results a new one in its place removes (AFL++'s 25 minutes). */
const OUTPUT_GRACE_S = 25 * 60;

/**
 * One fuzzer's directory `OUT/NAME`.
 *
 * @example
 * ```ts ignore
 * const dir = OutputDir.open("out", "default", {
 *   resume: false,
 *   argv: ["emu", "fuzz", "-i", "in", "-o", "out", "--", "prog", "@@"],
 *   target: ["prog", "@@"],
 * });
 * dir.save("queue", "id:000000,time:0,execs:0,orig:seed", bytes);
 * ```
 */
export class OutputDir {
  /** inputs of the interrupted campaign (`-i -`) */
  readonly resumed: { name: string; data: Uint8Array }[] = [];

  /** `crashes/README.txt` (the command line in it) */
  #crashReadme = "";
  /** `execs_ps_last_min`: the minute it was last measured at, its executions, its rate */
  #minute = { start: 0, execs: 0, rate: 0 };

  private constructor(readonly path: string) {}

  /**
   * Creates (or, with `resume`, takes over) `OUT/NAME`. Refuses a directory
   * a live fuzzer uses, and old results unless resuming. `mainNode` marks it
   * as AFL++'s `-M` directory.
   */
  static open(
    out: string,
    name: string,
    opts: {
      resume: boolean;
      argv: string[];
      target: string[];
      mainNode?: boolean;
      /** false: no `crashes/README.txt` (AFL_NO_CRASH_README) */
      crashReadme?: boolean;
      /** no `.synced` (afl-fuzz -n, which syncs with no one) */
      unsynced?: boolean;
    },
  ): OutputDir {
    const path = `${out}/${name}`;
    const dir = new OutputDir(path);
    const stats = readStats(`${path}/fuzzer_stats`);
    const pid = Number(stats?.fuzzer_pid);
    if (pid && pid !== Deno.pid && pidAlive(pid)) {
      throw new EmuError(`${path} is in use by a fuzzer (pid ${pid})`, "pick another -o or -S");
    }
    ensureDirectory(path);
    const hasQueue = isDirectory(`${path}/queue`, true);
    if (opts.resume) dir.#takeOverQueue(hasQueue);
    else if (hasQueue) dir.#clearShortCampaign(stats);
    const subs = ["queue", "crashes", "hangs", ...(opts.unsynced ? [] : [".synced"])];
    for (const sub of subs) ensureDirectory(`${path}/${sub}`);
    // afl-fuzz's tree (its queue metadata; Denemu keeps none there)
    for (const sub of AFL_STATE_DIRS) ensureDirectory(`${path}/queue/.state/${sub}`);
    Deno.writeTextFileSync(`${path}/cmdline`, opts.target.map((x) => `${x}\n`).join(""));
    Deno.writeTextFileSync(`${path}/fuzzer_setup`, formatSetup(opts.argv, Deno.env.toObject()));
    if (opts.crashReadme !== false) {
      dir.#crashReadme = CRASH_README.replace("%CMD%", opts.argv.join(" "));
    }
    if (!exists(`${path}/plot_data`)) Deno.writeTextFileSync(`${path}/plot_data`, PLOT_HEADER);
    // AFL++'s -S instances import only from the directory that has this file (-M).
    if (opts.mainNode) Deno.writeTextFileSync(`${path}/is_main_node`, "");
    return dir;
  }

  /**
   * A new campaign in the directory of an earlier one: removes its results
   * when it ran for at most 25 minutes, as afl-fuzz does (OUTPUT_GRACE);
   * a longer one's are kept, and the new campaign refused.
   */
  #clearShortCampaign(stats: Record<string, string> | null): void {
    const ran = Number(stats?.last_update) - Number(stats?.start_time);
    if (ran > OUTPUT_GRACE_S) {
      throw new EmuError(
        `${this.path} holds the results of more than 25 minutes of fuzzing`,
        "resume it with -i -, or remove the directory",
      );
    }
    for (const name of ["queue", "crashes", "hangs", "_resume", ".synced", "plot_data"]) {
      if (exists(`${this.path}/${name}`)) {
        Deno.removeSync(`${this.path}/${name}`, { recursive: true });
      }
    }
  }

  /**
   * `-i -`: the queue of the interrupted campaign moves to `_resume` (as in
   * AFL++), where it stays until {@linkcode finishResume}, so a resume that
   * fails (every input crashes now, the wrong program) loses nothing and
   * can be tried again.
   */
  #takeOverQueue(hasQueue: boolean): void {
    const queue = `${this.path}/queue`, resume = `${this.path}/_resume`;
    if (isDirectory(resume, true)) {
      if (hasQueue) Deno.removeSync(queue, { recursive: true }); // a failed resume's new queue
    } else if (hasQueue) Deno.renameSync(queue, resume);
    else throw new EmuError(`-i -: ${queue} does not exist: nothing to resume`);
    for (const name of inputFiles(resume, true)) {
      this.resumed.push({ name, data: readInput(`${resume}/${name}`).data });
    }
  }

  /** Forgets the interrupted campaign's queue once its inputs are back in the new one. */
  finishResume(): void {
    Deno.removeSync(`${this.path}/_resume`, { recursive: true });
  }

  /** Files already in `crashes/` or `hangs/` (numbering continues after them). */
  count(sub: "crashes" | "hangs"): number {
    return inputFiles(`${this.path}/${sub}`).length;
  }

  /** The inputs saved in `crashes/` or `hangs/`. */
  saved(sub: "crashes" | "hangs"): Uint8Array[] {
    return inputFiles(`${this.path}/${sub}`).map((n) => readInput(`${this.path}/${sub}/${n}`).data);
  }

  /** Writes one input file. */
  save(sub: "queue" | "crashes" | "hangs", name: string, data: Uint8Array): void {
    Deno.writeFileSync(`${this.path}/${sub}/${name}`, data);
    // afl-fuzz writes crashes/README.txt with the first crash
    if (sub === "crashes" && this.#crashReadme && !exists(`${this.path}/crashes/README.txt`)) {
      Deno.writeTextFileSync(`${this.path}/crashes/README.txt`, this.#crashReadme);
    }
  }

  /** Rewrites `fuzzer_stats` (atomically: readers never see half a file). */
  writeStats(s: FuzzStats): void {
    const m = this.#minute;
    if (s.lastUpdate - m.start >= 60_000) {
      // (afl-fuzz starts its first minute at the first write, with a rate of 0)
      m.rate = m.start ? (s.execsDone - m.execs) * 1000 / (s.lastUpdate - m.start) : 0;
      m.start = s.lastUpdate;
      m.execs = s.execsDone;
    }
    const tmp = `${this.path}/.fuzzer_stats_tmp`;
    Deno.writeTextFileSync(tmp, formatStats(s, m.rate));
    Deno.renameSync(tmp, `${this.path}/fuzzer_stats`);
  }

  /** Rewrites `fuzz_bitmap`: `virgin`, the map of bits no queue entry has set. */
  writeBitmap(virgin: Uint8Array): void {
    Deno.writeFileSync(`${this.path}/fuzz_bitmap`, virgin);
  }

  /** Appends a `plot_data` row. */
  plot(s: FuzzStats): void {
    Deno.writeTextFileSync(`${this.path}/plot_data`, formatPlotRow(s), { append: true });
  }
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The `id:` files of an output subdirectory by name (anything else there is
 * not ours), or with `all` every file whose name does not start with a dot.
 */
function inputFiles(dir: string, all = false): string[] {
  const wanted = (name: string) => all ? !name.startsWith(".") : name.startsWith("id:");
  return [...Deno.readDirSync(dir)].filter((e) => e.isFile && wanted(e.name)).sort(byName)
    .map((e) => e.name);
}

/** Whether `path` is a directory; with `required`, something else there is an error. */
export function isDirectory(path: string, required = false): boolean {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    return false;
  }
  if (!info.isDirectory && required) {
    throw new EmuError(`${path} is not a directory`, "remove it, or pick another -o");
  }
  return info.isDirectory;
}

/** Makes directory `path` (and its parents) unless it is there; anything else there is an error. */
export function ensureDirectory(path: string): void {
  if (isDirectory(path, true)) return;
  try {
    Deno.mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new EmuError(`${path}: cannot create (${(e as Error).message.split("\n")[0]})`);
  }
}

/**
 * An input file, at most {@linkcode MAX_FILE} bytes of it (AFL++ reads a
 * longer one partially), and whether it was longer.
 */
export function readInput(path: string): { data: Uint8Array; truncated: boolean } {
  const f = Deno.openSync(path);
  try {
    const data = new Uint8Array(MAX_FILE + 1);
    let n = 0;
    for (let got = 0; n < data.length && (got = f.readSync(data.subarray(n)) ?? 0) > 0;) n += got;
    return { data: data.slice(0, Math.min(n, MAX_FILE)), truncated: n > MAX_FILE };
  } finally {
    f.close();
  }
}

/** Whether anything is at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The `name : value` pairs of a `fuzzer_stats` file, or null. */
export function readStats(path: string): Record<string, string> | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return null;
  }
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}
