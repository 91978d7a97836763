// AFL++'s sync directory: a Denemu main node (-M) and an afl-fuzz secondary
// (-S, a native afl-clang-fast build of the same target) in one -o import each
// other's finds, and a -S imports from the main node only, keeping .synced/ as
// AFL++ does. Skipped, with the reason, when afl++ is not installed.
import assert from "node:assert/strict";
import { aflTest, aflWorkspace, missingAfl, runAfl } from "./util/afl.ts";

const missing = await missingAfl("fuzz_sync_test");
// AFL_IMPORT_FIRST: afl-fuzz syncs before its first queue entry, not between entries when its
// timing allows (on a loaded machine a short run could end before its first sync)
const run = (cmd: string, args: string[]) =>
  runAfl(cmd, args, { AFL_AUTORESUME: "1", AFL_QUIET: "1", AFL_IMPORT_FIRST: "1" });

const queue = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name);

Deno.test({
  name: `emu fuzz -M and afl-fuzz -S import each other's finds${
    missing.length ? ` (skipped: ${missing} not installed)` : ""
  }`,
  ignore: missing.length > 0,
  async fn() {
    const dir = await Deno.makeTempDir();
    await Deno.mkdir(`${dir}/in`);
    await Deno.writeTextFile(`${dir}/in/seed`, "AAAAAAAA");
    const bin = `${dir}/state`;
    await run("afl-clang-fast", [
      "-O1",
      "-DNO_MAIN",
      "-fsanitize=fuzzer",
      "-o",
      bin,
      "tests/fuzz/src/state.c",
    ]);
    const afl = (secs: number) => [
      ...["-i", `${dir}/in`, "-o", `${dir}/out`, "-S", "afl", "-V", `${secs}`, "--", bin],
    ];
    await run("afl-fuzz", afl(2));
    // -c 0 reaches deeper states of the state machine than afl-fuzz's first seconds: new to it
    const den = ["fuzz", "-i", `${dir}/in`, "-o", `${dir}/out`, "-M", "den", "-V", "6", "-c", "0"];
    await run(Deno.execPath(), ["run", "-A", "mod.ts", ...den, "--", "tests/fuzz/bin/state", "@@"]);
    assert(
      queue(`${dir}/out/den/queue`).some((n) => n.includes(",sync:afl,")),
      "Denemu imported nothing",
    );
    await Deno.stat(`${dir}/out/den/is_main_node`);
    await run("afl-fuzz", afl(10));
    const imported = queue(`${dir}/out/afl/queue`).some((n) => n.includes(",sync:den,"));
    assert(imported, `afl-fuzz imported nothing (${dir})`);
    // a havoc find's name has afl-fuzz's fields in its order (`rep:`: the stacked mutations);
    // afl-fuzz's later runs resume its queue, renaming each find `id:N,time:0,execs:0,orig:NAME`
    const fields = (n: string) =>
      n.split(",").map((f) => f.split(":")[0]).filter((f) => f !== "+cov").join(",");
    const original = (n: string) => n.includes(",orig:") ? n.slice(n.indexOf(",orig:") + 6) : n;
    const havocForms = (node: string) =>
      new Set(
        queue(`${dir}/out/${node}/queue`).map(original).filter((n) => n.includes(",op:havoc"))
          .map(fields),
      );
    const afls = havocForms("afl");
    assert(afls.size > 0, `afl-fuzz found nothing in havoc (${dir})`);
    assert.deepEqual(havocForms("den"), afls);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...aflTest("-S imports from the main node only, and keeps .synced/ as afl-fuzz -S", missing),
  async fn() {
    const { dir, bin } = await aflWorkspace("state");
    // two other nodes, each with an input new to the seed: "main" is the main node, "other" not
    for (const [node, input] of [["main", "hell"], ["other", "hello!"]]) {
      await Deno.mkdir(`${dir}/out/${node}/queue`, { recursive: true });
      await Deno.writeTextFile(`${dir}/out/${node}/queue/id:000000,orig:x`, input);
    }
    await Deno.writeTextFile(`${dir}/out/main/is_main_node`, "");
    const common = ["-i", `${dir}/in`, "-o", `${dir}/out`, "-V", "3"];
    await run("afl-fuzz", [...common, "-S", "afl", "--", bin, "@@"]);
    await run(Deno.execPath(), [
      ...["run", "-A", "mod.ts", "fuzz", ...common, "-S", "den"],
      ...["--", "tests/fuzz/bin/state", "@@"],
    ]);
    for (const node of ["afl", "den"]) {
      const names = queue(`${dir}/out/${node}/queue`);
      // before: Denemu's -S imported from every node, and wrote its markers as text
      assert(names.some((n) => n.includes(",sync:main,")), `${node}: ${names}`);
      assert(!names.some((n) => n.includes(",sync:other,")), `${node}: ${names}`);
      // the next id to import, 32 bits little-endian, and an empty ".last"
      assert.deepEqual(
        await Deno.readFile(`${dir}/out/${node}/.synced/main`),
        Uint8Array.of(1, 0, 0, 0),
      );
      assert.equal((await Deno.stat(`${dir}/out/${node}/.synced/main.last`)).size, 0);
    }
    await Deno.remove(dir, { recursive: true });
  },
});
