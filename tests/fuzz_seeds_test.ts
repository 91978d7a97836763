// How `emu fuzz -i DIR` reads its seeds, beside afl-fuzz on a native build of
// the same target in the same run: subdirectories are read too (but those
// starting with a dot), empty files are left out, the seeds are
// queued in reverse order of name (afl-fuzz 4's `id:000000` is the last
// name), and a DIR holding `queue/` (an earlier campaign's directory) is read
// from its queue. The output directories have the same tree.
import assert from "node:assert/strict";
import { origName } from "../core/fuzz/fuzzer.ts";
import { aflTest, aflWorkspace, missingAfl, runAfl } from "./util/afl.ts";

const missing = await missingAfl("fuzz_seeds_test");

const queue = (node: string) =>
  [...Deno.readDirSync(`${node}/queue`)].map((e) => e.name).filter((n) => n.startsWith("id:"))
    .sort();
const SEED = /^id:\d{6},time:0,execs:0,orig:(.*)$/;
/** The `orig:` parts of the seeds in `node`'s queue, in id order. */
const origs = (node: string) =>
  queue(node).map((n) => SEED.exec(n)?.[1]).filter((x) => x !== undefined);

/** The paths under `dir` but the queue's, crashes' and hangs' inputs (`id:...`). */
function tree(dir: string, at = ""): string[] {
  return [...Deno.readDirSync(`${dir}${at}`)].flatMap((e) => {
    const path = `${at}/${e.name}`;
    if (e.name.startsWith("id:")) return [];
    return e.isDirectory ? [path, ...tree(dir, path)] : [path];
  }).sort();
}

Deno.test({
  ...aflTest(
    "-i: seeds as afl-fuzz reads them (order, subdirectories, empty files, DIR/queue); the same tree",
    missing,
  ),
  async fn() {
    const seeds = { a: "AAAA", b: "BBBBBBBB", c: "CC", e: "" };
    const { dir, bin } = await aflWorkspace("state", seeds);
    // a subdirectory is read in its place, and a dot file, but not a dot directory
    for (const [path, text] of [["sub/d", "DDDD"], [".hidden/h", "HHHH"], ["sub/.dot", "...."]]) {
      await Deno.mkdir(`${dir}/in/${path.split("/")[0]}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/in/${path}`, text);
    }
    const afl = (i: string, o: string) =>
      runAfl("afl-fuzz", ["-i", i, "-o", `${dir}/${o}`, "-V", "1", "-s", "1", "--", bin, "@@"]);
    const emu = (i: string, o: string) =>
      runAfl(Deno.execPath(), [
        ...["run", "-A", "mod.ts", "fuzz", "-i", i, "-o", `${dir}/${o}`, "-V", "1", "-s", "1"],
        ...["--", "tests/fuzz/bin/state", "@@"],
      ]);
    await afl(`${dir}/in`, "afl");
    await emu(`${dir}/in`, "den");
    // the same tree (queue/.state/..., .synced; crashes/README.txt only with a crash: none here)
    assert.deepEqual(tree(`${dir}/den`), tree(`${dir}/afl`));
    // before: a, b, c and the empty e, in that order, and nothing from sub/
    assert.deepEqual(origs(`${dir}/afl/default`), ["d", ".dot", "c", "b", "a"]);
    assert.deepEqual(origs(`${dir}/den/default`), ["d", ".dot", "c", "b", "a"]);
    // before: fuzzer_stats, plot_data, cmdline... were seeds, and the queue was not read
    await afl(`${dir}/afl/default`, "afl2");
    await emu(`${dir}/den/default`, "den2");
    for (const [from, to] of [["afl", "afl2"], ["den", "den2"]]) {
      const expected = queue(`${dir}/${from}/default`).map(origName).reverse();
      const got = origs(`${dir}/${to}/default`);
      // (afl-fuzz may leave out an entry that times out on a loaded machine)
      assert(got.length > 1 && got.every((o) => expected.includes(o)), `${to}: ${got}`);
      assert.equal(got[0], expected[0], to);
      if (from === "den") assert.deepEqual(got, expected);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...aflTest("AFL_SHUFFLE_QUEUE leaves the seeds' order as afl-fuzz 4.04c leaves it", missing),
  async fn() {
    const names = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"];
    const seeds = Object.fromEntries(names.map((name, k) => [name, "A".repeat(k + 1)]));
    const { dir, bin } = await aflWorkspace("state", seeds);
    const env = { AFL_SHUFFLE_QUEUE: "1" };
    const common = ["-i", `${dir}/in`, "-V", "1"];
    await runAfl("afl-fuzz", [...common, "-o", `${dir}/afl`, "--", bin, "@@"], env);
    await runAfl(Deno.execPath(), [
      ...["run", "-A", "mod.ts", "fuzz", ...common, "-o", `${dir}/den`],
      ...["--", "tests/fuzz/bin/state", "@@"],
    ], env);
    // afl-fuzz reads the variable (it says so) but its ids follow the names all the same
    assert.deepEqual(origs(`${dir}/den/default`), origs(`${dir}/afl/default`));
    await Deno.remove(dir, { recursive: true });
  },
});
