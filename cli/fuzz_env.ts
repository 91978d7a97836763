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
