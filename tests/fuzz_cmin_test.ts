// `emu cmin` beside afl-cmin (AFL++'s awk version, on a native afl-clang-fast
// build of the same target) in the same run: which inputs of a corpus each
// keeps by default (crashes dropped, empty files never kept, the later name
// kept among inputs of one size and path), with -C (crashing inputs only), -e
// (map entries only) and -A (crashes too).
import assert from "node:assert/strict";
import { AFL_ENV, aflTest, aflWorkspace, FUZZ_LIMIT_MS, missingAfl } from "./util/afl.ts";

const missing = await missingAfl("fuzz_cmin_test");

/** magic32 crashes when bytes 4-7 hold 0xdeadbeef (little-endian). */
const CORPUS: Record<string, string> = {
  a: "AAAAAAAA",
  b: "AAAAAAAB", // a's size and path
  empty: "",
  short: "AAA", // under 8 bytes: another path
  crash: "AAAA\xef\xbe\xad\xde",
  crash2: "BBBB\xef\xbe\xad\xde",
  crash3: "BBBB\xef\xbe\xad\xdeXX",
};

/** Runs `cmd args...` (failing with its stderr if it fails). */
async function run(cmd: string, args: string[]) {
  const env = { ...AFL_ENV, AFL_ALLOW_TMP: "1" }; // afl-cmin refuses /tmp without it
  const signal = AbortSignal.timeout(FUZZ_LIMIT_MS);
  const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped", signal })
    .output();
  assert(r.success, `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
}

/** The sorted names of the files in `dir`. */
const names = (dir: string) =>
  [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => !n.startsWith(".")).sort();

Deno.test({
  ...aflTest(`emu cmin keeps the inputs afl-cmin keeps (default, -C, -e; -A)`, missing),
  async fn() {
    const { dir, bin } = await aflWorkspace("magic32", {});
    for (const [name, text] of Object.entries(CORPUS)) {
      const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0)); // one byte a character
      await Deno.writeFile(`${dir}/in/${name}`, bytes);
    }
    const results: Record<string, string[][]> = {};
    for (const flags of [[], ["-C"], ["-e"], ["-A"]]) {
      const out = (who: string) => `${dir}/${who}${flags.join("")}`;
      await run("afl-cmin", ["-i", `${dir}/in`, "-o", out("afl"), ...flags, "--", bin, "@@"]);
      await run(Deno.execPath(), [
        ...["run", "-A", "mod.ts", "cmin", "-i", `${dir}/in`, "-o", out("den"), ...flags],
        ...["--", "tests/fuzz/bin/magic32", "@@"],
      ]);
      results[flags.join("") || "default"] = [names(out("afl")), names(out("den"))];
    }
    // before: Denemu kept a and the empty file, and had no -C, -e, -A
    assert.deepEqual(results.default, [["b", "short"], ["b", "short"]]);
    assert.deepEqual(results["-C"], [["crash2"], ["crash2"]]);
    assert.deepEqual(results["-e"], [["b", "short"], ["b", "short"]]);
    // -A: a crash's map differs between a native pcguard build and Denemu's edges (there, b's
    // return edge is its own), so Denemu may keep more; never fewer, nor another crash
    const [afl, den] = results["-A"];
    assert(afl.every((n) => den.includes(n)) && !den.includes("crash"), `${afl} / ${den}`);
    await Deno.remove(dir, { recursive: true });
  },
});
