/**
 * The AFL_* environment variables `emu fuzz` reads as afl-fuzz 4.04c does
 * (AFL_MAP_SIZE, AFL_AUTORESUME and AFL_TMPDIR are read where they apply).
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";

/** What the environment asks of a campaign. */
export interface FuzzEnv {
  /** AFL_NO_UI: status lines, not the screen, even on a terminal */
  noUi: boolean;
  /** AFL_BENCH_UNTIL_CRASH: stop at the first crash */
  untilCrash: boolean;
  /** AFL_EXIT_WHEN_DONE: stop once the campaign is exhausted */
  whenDone: boolean;
  /** AFL_EXIT_ON_TIME: stop after this many seconds without a new path */
  exitOnTime?: number;
  /** AFL_NO_CRASH_README unset: `crashes/README.txt` is written */
  crashReadme: boolean;
  /** AFL_INPUT_LEN_MIN/MAX: `-g`/`-G` when those are not given */
  minLength?: number;
  maxLength?: number;
}

function count(name: string): number | undefined {
  const v = Deno.env.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) {
    throw new EmuError(`${name}=${v}: not a number`, "give a whole number");
  }
  return n;
}

/**
 * Reads the environment.
 *
 * @example
 * ```ts
 * import { fuzzEnv } from "./fuzz_env.ts";
 * console.log(fuzzEnv().crashReadme); // true unless AFL_NO_CRASH_README is set
 * ```
 */
export function fuzzEnv(): FuzzEnv {
  const set = (name: string) => Deno.env.get(name) !== undefined;
  return {
    noUi: set("AFL_NO_UI"),
    untilCrash: set("AFL_BENCH_UNTIL_CRASH"),
    whenDone: set("AFL_EXIT_WHEN_DONE"),
    exitOnTime: count("AFL_EXIT_ON_TIME") || undefined,
    crashReadme: !set("AFL_NO_CRASH_README"),
    minLength: count("AFL_INPUT_LEN_MIN"),
    maxLength: count("AFL_INPUT_LEN_MAX"),
  };
}

/**
 * afl-fuzz 4.04c's variables that change what it does, but name what
 * Denemu has not (or does its own way): setting one gets a warning.
 */
const IGNORED: Record<string, string> = {
  AFL_HANG_TMOUT: "-t, in guest instructions, is the hang timeout too",
  AFL_CRASH_EXITCODE: "only a fatal signal counts as a crash",
  AFL_KILL_SIGNAL: "no child process is killed: runs are restored from a snapshot",
  AFL_DISABLE_TRIM: "every new queue entry is trimmed",
  AFL_CUSTOM_MUTATOR_LIBRARY: "there are no custom mutators",
  AFL_CUSTOM_MUTATOR_ONLY: "there are no custom mutators",
  AFL_PYTHON_MODULE: "there are no custom mutators",
  AFL_PRELOAD: "give the program -E LD_PRELOAD=LIB",
  AFL_TARGET_ENV: "give the program -E VAR=value",
  AFL_STATSD: "there are no StatsD metrics",
  AFL_SHUFFLE_QUEUE: "the queue is walked in order",
  AFL_SYNC_TIME: "workers sync every 5 seconds",
  AFL_FORCE_UI: "the status screen needs a terminal",
  AFL_BENCH_JUST_ONE: "use -E 1",
};

/**
 * The variables of {@linkcode IGNORED} set in `env`, each with why.
 *
 * @example
 * ```ts
 * import { ignoredVariables } from "./fuzz_env.ts";
 * console.log(ignoredVariables({ AFL_STATSD: "1" })); // [ "AFL_STATSD (there are no StatsD metrics)" ]
 * ```
 */
export function ignoredVariables(env: Record<string, string> = Deno.env.toObject()): string[] {
  return Object.keys(IGNORED).filter((k) => k in env).map((k) => `${k} (${IGNORED[k]})`);
}
