// `emu fuzz -x` reads a dictionary as afl-fuzz does: malformed lines are
// skipped with a warning (two of AFL++'s own dictionaries have one), and
// `-x FILE@N` keeps the `name@L=` lines up to level N, `-x DIR` takes a token
// from each file (one over 128 bytes skipped with a warning), and a repeated
// token is kept once. The token counts are compared with what afl-fuzz says it
// loaded from the same files, in the same run.
import assert from "node:assert/strict";
import { loadDictionary, uniqueTokens } from "../core/fuzz/dictionary.ts";
import { AFL_ENV, FUZZ_LIMIT_MS, missingAfl } from "./util/afl.ts";

const missing = await missingAfl("fuzz_dictionary_test");
const AFL_DICTS = "/usr/share/doc/afl++-doc/afl/dictionaries"; // Debian's afl++-doc

/**
 * How many tokens afl-fuzz -x `dict` says it loaded, and how many are left
 * without repeats (it runs for a second).
 */
async function aflTokens(dir: string, bin: string, dict: string) {
  const out = await Deno.makeTempDir({ dir });
  const args = ["-i", `${dir}/in`, "-o", out, "-x", dict, "-V", "1", "--", bin];
  const signal = AbortSignal.timeout(FUZZ_LIMIT_MS);
  const r = await new Deno.Command("afl-fuzz", { args, env: AFL_ENV, stdout: "piped", signal })
    .output();
  const text = new TextDecoder().decode(r.stdout);
  const loaded = /Loaded (\d+) extra tokens/.exec(text);
  const total = /Loaded a total of (\d+) extras/.exec(text);
  assert(loaded && total, text);
  return { loaded: Number(loaded[1]), unique: Number(total[1]) };
}

/** A -x directory: one token a file; a file over 128 bytes, an empty one, a repeat, a dot file. */
async function tokenDir(dir: string): Promise<string> {
  const files = {
    a: "tok1",
    b: "tok2",
    dup: "tok1",
    empty: "",
    ".dot": "hid",
    big: "Z".repeat(200),
  };
  await Deno.mkdir(`${dir}/tokens/sub`, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/tokens/${name}`, text);
  }
  await Deno.writeTextFile(`${dir}/tokens/sub/s`, "subt");
  return `${dir}/tokens`;
}

Deno.test({
  name: `-x: the same tokens as afl-fuzz from malformed and levelled dictionaries${
    missing.length ? ` (skipped: ${missing} not installed)` : ""
  }`,
  ignore: missing.length > 0,
  async fn() {
    const dir = await Deno.makeTempDir();
    await Deno.mkdir(`${dir}/in`);
    await Deno.writeTextFile(`${dir}/in/seed`, "AAAAAAAA");
    const bin = `${dir}/magic32`;
    const cc = new Deno.Command("afl-clang-fast", {
      args: ["-O1", "-o", bin, "tests/fuzz/src/magic32.c"],
      env: { AFL_QUIET: "1" },
    });
    assert((await cc.output()).success);
    await Deno.writeTextFile(
      `${dir}/levels.dict`,
      '# AFL levels\nkw0="zero"\nkw1@1="one"\nkw2@2="two"\nbad line\n"\\r\\n"\n"x\\x41"\n' +
        // afl-fuzz takes an empty name, an `@` without digits (level 0), no `=` or several
        '="eq"\nk@ ="at"\n@="bare"\nk "sp"\nk=== "eqs"\nk@ 1="malformed"\n',
    );
    const dicts = [`${dir}/levels.dict`, `${dir}/levels.dict@1`, `${dir}/levels.dict@2`];
    dicts.push(await tokenDir(dir));
    for (const name of ["atom.dict", "csv.dict"]) {
      try {
        await Deno.stat(`${AFL_DICTS}/${name}`);
        dicts.push(`${AFL_DICTS}/${name}`);
      } catch {
        console.warn(`fuzz_dictionary_test: no ${AFL_DICTS}/${name} (afl++-doc): not compared`);
      }
    }
    for (const d of dicts) {
      const warnings: string[] = [];
      const tokens = loadDictionary(d, (w) => warnings.push(w));
      const ours = { loaded: tokens.length, unique: uniqueTokens(tokens).length };
      const afl = await aflTokens(dir, bin, d);
      // before: a repeated token was kept twice, and a file too big was skipped silently
      assert.deepEqual(ours, afl, `${d}: Denemu loads ${ours} tokens, afl-fuzz ${afl}`);
      if (d.includes("levels")) assert.match(warnings.join("\n"), /:5: not a dictionary line/);
      if (d.endsWith("tokens")) assert.match(warnings.join("\n"), /big: 200 bytes, over 128/);
    }
    await Deno.remove(dir, { recursive: true });
  },
});
