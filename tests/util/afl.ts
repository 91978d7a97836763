// What the tests that run AFL++ beside `emu fuzz` share: which of its tools are missing, the
// environment afl-fuzz needs on a CI machine, and a runner that fails with the tool's stderr.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";

async function has(tool: string): Promise<boolean> {
  const r = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" })
    .output();
  return r.success;
}

/** The AFL++ tools (afl-clang-fast, afl-fuzz) not installed; warns for `test` when some are. */
export async function missingAfl(test: string): Promise<string[]> {
  const missing = [];
  for (const t of ["afl-clang-fast", "afl-fuzz"]) if (!(await has(t))) missing.push(t);
  if (missing.length) console.warn(`${test}: SKIPPING: ${missing} not installed (afl++)`);
  return missing;
}

/**
 * How long a fuzzing run in a test may take (they are all `-V` bounded, or exit at once): a
 * campaign that does not end is killed (status 143) and the test fails instead of hanging CI.
 */
export const FUZZ_LIMIT_MS = 300_000;

/** afl-fuzz without a screen, CPU governor checks, core-pattern checks or CPU binding. */
export const AFL_ENV: Record<string, string> = {
  AFL_NO_UI: "1",
  AFL_SKIP_CPUFREQ: "1",
  AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: "1",
  AFL_NO_AFFINITY: "1",
};

/** Runs `cmd args...` with {@linkcode AFL_ENV} and `env`: its exit status, stdout and stderr. */
export async function aflOutput(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = await new Deno.Command(cmd, {
    args,
    env: { ...AFL_ENV, ...env },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(FUZZ_LIMIT_MS),
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** Runs `cmd args...` with {@linkcode AFL_ENV} and `env`; fails with its stderr if it fails. */
export async function runAfl(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = await aflOutput(cmd, args, env);
  assert(r.code === 0, `${cmd} ${args.join(" ")}: ${r.err}`);
}

/** Deno.test's `name` and `ignore` for a test that needs AFL++ (the name says why it skips). */
export function aflTest(name: string, missing: string[]): { name: string; ignore: boolean } {
  const skipped = missing.length ? ` (skipped: ${missing} not installed)` : "";
  return { name: `${name}${skipped}`, ignore: missing.length > 0 };
}

/**
 * A temporary directory whose `in/` holds `seeds`, and `bin`: a native
 * `afl-clang-fast -O1` build of `tests/fuzz/src/TARGET.c` in it.
 */
export async function aflWorkspace(
  target: string,
  seeds: Record<string, string> = { seed: "AAAAAAAA" },
): Promise<{ dir: string; bin: string }> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/in`);
  for (const [name, text] of Object.entries(seeds)) {
    await Deno.writeTextFile(`${dir}/in/${name}`, text);
  }
  const bin = `${dir}/${target}`;
  await runAfl("afl-clang-fast", ["-O1", "-o", bin, `tests/fuzz/src/${target}.c`]);
  return { dir, bin };
}
