// AFL++'s tools read their options with getopt: an option's value may follow its letter in the
// same word (`-iDIR`, `-E200`) and flags may share a word (`-dE200`). Command lines written for
// afl-fuzz, afl-tmin and afl-showmap in that form run the same under emu fuzz, tmin and showmap,
// beside the AFL++ tools on a native build of the same target in the same run.
import assert from "node:assert/strict";
import { aflOutput, aflTest, aflWorkspace, missingAfl } from "./util/afl.ts";

const missing = await missingAfl("fuzz_getopt_test");

/** `emu args...` with the AFL++ test environment: exit status, stdout and stderr. */
function emu(args: string[], env: Record<string, string> = {}) {
  return aflOutput(Deno.execPath(), ["run", "-A", "mod.ts", ...args], env);
}

function stat(node: string, key: string): string | undefined {
  const stats = Deno.readTextFileSync(`${node}/fuzzer_stats`);
  return new RegExp(`^${key}\\s*: (.*)$`, "m").exec(stats)?.[1];
}

Deno.test(
  aflTest("emu fuzz takes afl-fuzz's -iDIR -oDIR -dE200 -s1 forms, as afl-fuzz", missing),
  async () => {
    const { dir, bin } = await aflWorkspace("magic32");
    const args = (o: string) => [`-i${dir}/in`, `-o${dir}/${o}`, "-dE200", "-s1", "--"];
    const afl = await aflOutput("afl-fuzz", [...args("afl"), bin, "@@"]);
    // before: emu: unknown option -i/tmp/... (see emu fuzz -h)
    const den = await emu(["fuzz", ...args("den"), "tests/fuzz/bin/magic32", "@@"]);
    for (const [name, r] of Object.entries({ afl, den })) {
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      const node = `${dir}/${name}/default`;
      assert(Number(stat(node, "execs_done")) >= 200, `${name}: ${stat(node, "execs_done")}`);
      // the command line is recorded as it was given
      assert.match(stat(node, "command_line")!, new RegExp(` -i${dir}/in -o${dir}/${name} `));
    }
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test(
  aflTest(
    "emu tmin and emu showmap take -iFILE -oFILE, -m none, -tN+ and -qo-, as afl-tmin and afl-showmap",
    missing,
  ),
  async () => {
    const { dir, bin } = await aflWorkspace("magic32", { seed: "AAAAAAAAAAAA" });
    // and afl-tmin's -m none and -t N+ (before: "-m: not an option of emu tmin")
    const limits = ["-m", "none", "-t5000000+"];
    const io = (o: string) => [`-i${dir}/in/seed`, `-o${dir}/${o}.min`, ...limits, "--"];
    const afl = await aflOutput("afl-tmin", [...io("afl"), bin]);
    const den = await emu(["tmin", ...io("den"), "tests/fuzz/bin/magic32"]);
    for (const [name, r] of Object.entries({ afl, den })) {
      assert.equal(r.code, 0, `${name}: ${r.err}`);
    }
    // the path needs 8 bytes, whatever their values: both keep eight '0's
    assert.equal(await Deno.readTextFile(`${dir}/den.min`), "00000000");
    assert.equal(await Deno.readTextFile(`${dir}/afl.min`), "00000000");
    const maps = {
      afl: await aflOutput("afl-showmap", ["-qo-", "-et100000000+", "--", bin, `${dir}/in/seed`]),
      den: await emu([
        "showmap",
        "-qo-",
        "-et100000000+",
        "--",
        "tests/fuzz/bin/magic32",
        `${dir}/in/seed`,
      ]),
    };
    for (const [name, r] of Object.entries(maps)) {
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      assert.match(r.out, /^\d{6}:1\n/, name);
    }
    await Deno.remove(dir, { recursive: true });
  },
);
