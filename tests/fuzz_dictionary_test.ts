// `emu fuzz -x` reads a dictionary as afl-fuzz does: malformed lines are
// skipped with a warning (two of AFL++'s own dictionaries have one), and
// `-x FILE@N` keeps the `name@L=` lines up to level N. The token counts are
// compared with what afl-fuzz says it loaded from the same files, in the same run.
import assert from "node:assert/strict";
import { loadDictionary } from "../core/fuzz/dictionary.ts";
import { AFL_ENV, missingAfl } from "./util/afl.ts";

const missing = await missingAfl("fuzz_dictionary_test");
const AFL_DICTS = "/usr/share/doc/afl++-doc/afl/dictionaries"; // Debian's afl++-doc

/** How many tokens afl-fuzz -x `dict` says it loaded (it runs for a second). */
async function aflTokens(dir: string, bin: string, dict: string): Promise<number> {
  const out = await Deno.makeTempDir({ dir });
  const args = ["-i", `${dir}/in`, "-o", out, "-x", dict, "-V", "1", "--", bin];
  const r = await new Deno.Command("afl-fuzz", { args, env: AFL_ENV, stdout: "piped" }).output();
  const text = new TextDecoder().decode(r.stdout);
  const m = /Loaded (\d+) extra tokens/.exec(text);
  assert(m, text);
  return Number(m[1]);
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
      '# AFL levels\nkw0="zero"\nkw1@1="one"\nkw2@2="two"\nbad line\n"\\r\\n"\n"x\\x41"\n',
    );
    const dicts = [`${dir}/levels.dict`, `${dir}/levels.dict@1`, `${dir}/levels.dict@2`];
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
      const ours = loadDictionary(d, (w) => warnings.push(w)).length;
      const afl = await aflTokens(dir, bin, d);
      assert.equal(ours, afl, `${d}: Denemu loads ${ours} tokens, afl-fuzz ${afl}`);
      if (d.includes("levels")) assert.match(warnings.join("\n"), /:5: not a dictionary line/);
    }
    await Deno.remove(dir, { recursive: true });
  },
});
