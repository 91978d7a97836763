// `-i -` resumes a campaign with the queue renamed as afl-fuzz renames it:
// `id:N,time:0,execs:E,orig:X`, X being what followed the old name's first
// `,orig:`, else the whole old name. afl-fuzz resumes a native build of the
// same target in the same run, and Denemu's rule must give its names. With
// AFL_AUTORESUME set, a second run with the same -i resumes the same way.
import assert from "node:assert/strict";
import { origName } from "../core/fuzz/fuzzer.ts";
import { aflTest, aflWorkspace, missingAfl, runAfl } from "./util/afl.ts";

const missing = await missingAfl("fuzz_resume_names_test");
const run = runAfl;

const queue = (dir: string) =>
  [...Deno.readDirSync(`${dir}/queue`)].map((e) => e.name).filter((n) => n.startsWith("id:"))
    .sort();
const RESUMED = /^id:\d{6},time:0,execs:\d+,orig:(.*)$/;

/**
 * Runs `fuzz(-i)` on `seeds`, then resumes it with `-i -` (or, with
 * AFL_AUTORESUME, with `-i seeds` again); returns the queue of `node` before
 * and the orig parts of the resumed names.
 */
async function resumed(
  node: string,
  seeds: string,
  fuzz: (input: string, env: Record<string, string>) => Promise<void>,
  auto: boolean,
) {
  const env: Record<string, string> = auto ? { AFL_AUTORESUME: "1" } : {};
  await fuzz(seeds, env);
  const before = queue(node);
  await fuzz(auto ? seeds : "-", env);
  const origs = queue(node).map((n) => RESUMED.exec(n)?.[1]).filter((x) => x !== undefined);
  return { before, origs: origs.sort() };
}

for (const auto of [false, true]) {
  Deno.test({
    ...aflTest(
      `${auto ? "AFL_AUTORESUME" : "-i -"}: the resumed queue is named as afl-fuzz names it`,
      missing,
    ),
    async fn() {
      const { dir, bin } = await aflWorkspace("state");
      const afl = await resumed(
        `${dir}/afl/default`,
        `${dir}/in`,
        (i, env) =>
          run(
            "afl-fuzz",
            ["-i", i, "-o", `${dir}/afl`, "-V", "2", "-s", "1", "--", bin, "@@"],
            env,
          ),
        auto,
      );
      assert(afl.before.length > 1, `afl-fuzz found nothing: ${afl.before}`);
      // (afl-fuzz may leave out an entry that times out again on a loaded machine)
      const expected = new Set(afl.before.map(origName));
      assert(afl.origs.length > 0 && afl.origs.every((o) => expected.has(o)), `${afl.origs}`);
      const emu = [Deno.execPath(), "run", "-A", "mod.ts", "fuzz", "-o", `${dir}/den`, "-V", "2"];
      const den = await resumed(
        `${dir}/den/default`,
        `${dir}/in`,
        (i, env) =>
          run(
            emu[0],
            [...emu.slice(1), "-i", i, "-s", "1", "--", "tests/fuzz/bin/state", "@@"],
            env,
          ),
        auto,
      );
      assert(den.before.length > 1, `Denemu found nothing: ${den.before}`);
      // before: the id was cut off, and an `orig:` name kept its time:0,execs:0 (it grew each time);
      // AFL_AUTORESUME was not read, and the second run started afresh from -i
      assert.deepEqual(den.origs, den.before.map(origName).sort());
      await Deno.remove(dir, { recursive: true });
    },
  });
}
