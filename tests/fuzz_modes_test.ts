// afl-fuzz's remaining options on `emu fuzz`'s command line, beside afl-fuzz on a native build of
// the same target in the same run: -n (no coverage: OUT holds the results itself, the queue is the
// seeds), -C (crash exploration: the seeds must crash, crashes with new coverage join the queue),
// -I (a command run on each new crash), -F (foreign queue directories the -M node imports), and
// the errors afl-fuzz gives for combinations it refuses and modes that cannot apply here.
import assert from "node:assert/strict";
import { aflOutput, aflTest, aflWorkspace, missingAfl } from "./util/afl.ts";

const missing = await missingAfl("fuzz_modes_test");
const STATE = "tests/fuzz/bin/state";

/** afl-fuzz and emu fuzz, each on its build of state.c, with `flags` before `--` and `env`. */
function fuzzers(bin: string) {
  return {
    afl: (flags: string[], env: Record<string, string> = {}) =>
      // (a timeout in ms that the load of a shared machine cannot reach: Denemu's is in
      // instructions)
      aflOutput("afl-fuzz", ["-t", "5000", ...flags, "--", bin, "@@"], env),
    den: (flags: string[], env: Record<string, string> = {}) =>
      aflOutput(Deno.execPath(), ["run", "-A", "mod.ts", "fuzz", ...flags, "--", STATE, "@@"], env),
  };
}

/** The `id:` files of a directory, by name. */
function ids(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("id:")).sort();
}

/** What afl-fuzz said when it refused to start (on its stdout), without its colours. */
function abort(out: string): string {
  // deno-lint-ignore no-control-regex
  const plain = out.replace(/\x1b\[[0-9;]*m|\x1b\)B/g, "");
  const said = /(?:PROGRAM ABORT|SYSTEM ERROR) : (.*)/.exec(plain)?.[1].trim();
  assert(said, `afl-fuzz did not say why it stopped: ${plain}`);
  return said;
}

Deno.test({
  ...aflTest("emu fuzz refuses what afl-fuzz refuses, in its words, with its status", missing),
  async fn() {
    const { dir, bin } = await aflWorkspace("state");
    const fuzz = fuzzers(bin);
    const common = (o: string) => ["-i", `${dir}/in`, "-o", `${dir}/${o}`, "-V", "1"];
    for (
      const bad of [
        ["-n", "-M", "a"],
        ["-M", "a:0/3"],
        ["-M", "a:3/2"],
        ["-M", "a", "-n"],
        ["-n", "-C"],
        ["-n", "-Q"],
        ["-n", "-n"],
        ["-C", "-C"],
        ["-N", "-N"],
        ["-F", `${dir}/in`],
        ["-L", "x"],
        ["-L", "-2"],
        ["-A"],
        ["-R"],
        ["-X"],
        ["-W"],
        ["-B", `${dir}/no_bitmap`],
        ["-B", `${dir}/in/seed`], // not a map: too short
      ]
    ) {
      // before: emu: unknown option for each of these letters
      const afl = await fuzz.afl([...common("afl"), ...bad]);
      const den = await fuzz.den([...common("den"), ...bad]);
      assert.equal(afl.code, 1, `afl-fuzz ${bad.join(" ")}: ${afl.err}`);
      assert.equal(den.code, 1, `emu fuzz ${bad.join(" ")}: ${den.err}`);
      const said = abort(afl.out);
      assert(den.err.includes(said), `${bad.join(" ")}: afl-fuzz: ${said}; emu fuzz: ${den.err}`);
      assert.equal(den.err.trim().split("\n").length, 1, den.err);
    }
    // the options of later AFL++ versions are unknown to both (4.04c: "invalid option")
    for (const later of ["-a", "-z", "-k"]) {
      const afl = await fuzz.afl([...common("afl"), later, "x"]);
      const den = await fuzz.den([...common("den"), later, "x"]);
      assert.match(afl.err, new RegExp(`invalid option -- '${later[1]}'`));
      assert.equal(afl.code, 1, afl.err);
      assert.equal(den.code, 1, den.err);
      assert.match(den.err, new RegExp(`^emu: unknown option ${later} `));
    }
    // and what runs there runs here: -N, -L, -U, and -O (FRIDA mode, not installed here)
    const den = await fuzz.den([...common("ok"), "-N", "-L", "5", "-U", "-O", "-M", "m:1/2"]);
    assert.equal(den.code, 0, den.err);
    assert(Deno.statSync(`${dir}/ok/m/fuzzer_stats`).isFile); // -M NAME:I/N's name is NAME
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...aflTest("emu fuzz -n: no coverage; OUT holds the results, the queue is the seeds", missing),
  async fn() {
    const { dir, bin } = await aflWorkspace("state", { seed: "hello!A" });
    const fuzz = fuzzers(bin);
    for (const [name, run] of Object.entries(fuzz)) {
      const r = await run(["-i", `${dir}/in`, "-o", `${dir}/${name}`, "-n", "-s", "1", "-V", "2"]);
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      // before: -n was an unknown option. afl-fuzz -n has no fuzzer name (no OUT/default), and
      // writes neither fuzzer_stats nor fuzz_bitmap
      const top = [...Deno.readDirSync(`${dir}/${name}`)].map((e) => e.name).sort();
      assert.deepEqual(top, ["cmdline", "crashes", "fuzzer_setup", "hangs", "plot_data", "queue"]);
      assert.deepEqual(ids(`${dir}/${name}/queue`), ["id:000000,time:0,execs:0,orig:seed"], name);
      // plot_data's map_size column: no coverage
      const last = Deno.readTextFileSync(`${dir}/${name}/plot_data`).trim().split("\n").pop()!;
      assert.equal(last.split(", ")[6], "0.00%", `${name}: ${last}`);
    }
    // every crash is kept (nothing tells them apart), where with coverage one is: "hello!!"
    // crashes whatever follows, in one place
    const runs = { plain: [] as string[], n: ["-n"] };
    const crashes: Record<string, number> = {};
    for (const [name, flags] of Object.entries(runs)) {
      const out = `${dir}/c_${name}`;
      const r = await fuzz.den(["-i", `${dir}/in`, "-o", out, "-s", "1", "-E", "10000", ...flags]);
      assert.equal(r.code, 0, r.err);
      crashes[name] = ids(`${out}/${name === "n" ? "" : "default/"}crashes`).length;
    }
    assert.equal(crashes.plain, 1, `${crashes.plain}`);
    assert(crashes.n > 1, `${crashes.n}`);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...aflTest(
    "emu fuzz -C: seeds must crash; new crashes are queued, kept and run -I, as afl-fuzz",
    missing,
  ),
  async fn() {
    const { dir, bin } = await aflWorkspace("state", { crash: "hello!!" });
    await Deno.mkdir(`${dir}/ok`);
    await Deno.writeTextFile(`${dir}/ok/seed`, "AAAA");
    for (const [name, run] of Object.entries(fuzzers(bin))) {
      const log = `${dir}/${name}.log`;
      const r = await run([
        ...["-i", `${dir}/in`, "-o", `${dir}/${name}`, "-C", "-s", "1", "-V", "2"],
        ...["-I", `echo crash >> ${log}`],
      ]);
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      const node = `${dir}/${name}/default`;
      const stats = Deno.readTextFileSync(`${node}/fuzzer_stats`);
      assert.match(stats, /^target_mode +: .*\bcrash\b/m, name);
      // the crashing seed is the queue's first entry; the crashes are under crashes/
      assert.equal(ids(`${node}/queue`)[0], "id:000000,time:0,execs:0,orig:crash", name);
      const saved = ids(`${node}/crashes`);
      // (afl-fuzz, slow on a loaded machine, may find none in 2 s; Denemu always does)
      assert(name === "afl" || saved.length >= 1, `${name}: no crash`);
      assert(saved.every((n) => n.includes(",sig:08,")), `${name}: ${saved}`);
      assert.match(stats, new RegExp(`^saved_crashes +: ${saved.length}$`, "m"), name);
      // -I ran once a crash
      const lines = saved.length ? Deno.readTextFileSync(log).trim().split("\n") : [];
      assert.equal(lines.length, saved.length, `${name}: ${lines.length} runs of -I`);
      // a seed that does not crash stops both
      const calm = await run(["-i", `${dir}/ok`, "-o", `${dir}/${name}_ok`, "-C", "-V", "1"]);
      assert.equal(calm.code, 1, `${name}: ${calm.err}`);
      assert.match(
        calm.out + calm.err,
        /Test case 'id:000000,time:0,execs:0,orig:seed' does \*NOT\* crash/,
      );
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...aflTest("emu fuzz -M -F: the -M node imports the files of foreign directories", missing),
  async fn() {
    const { dir, bin } = await aflWorkspace("state");
    // two foreign directories: the files at their top (no README.txt, no empty file, no
    // subdirectory) are run and kept with new coverage, named after the directory
    await Deno.mkdir(`${dir}/foreign/sub`, { recursive: true });
    await Deno.mkdir(`${dir}/other/queue`, { recursive: true });
    await Deno.writeTextFile(`${dir}/foreign/f`, "hell");
    await Deno.writeTextFile(`${dir}/foreign/empty`, "");
    await Deno.writeTextFile(`${dir}/foreign/README.txt`, "hello!");
    await Deno.writeTextFile(`${dir}/foreign/sub/g`, "hello");
    await Deno.writeTextFile(`${dir}/other/queue/h`, "hello!");
    const foreign = ["-F", `${dir}/foreign/`, "-F", `${dir}/other/queue`];
    for (const [name, run] of Object.entries(fuzzers(bin))) {
      const o = ["-o", `${dir}/${name}`, "-M", "main", ...foreign, "-s", "1", "-V", "2"];
      // afl-fuzz reads them at its start with AFL_IMPORT_FIRST (Denemu always syncs at its start)
      const r = await run(["-i", `${dir}/in`, ...o], { AFL_IMPORT_FIRST: "1" });
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      const synced = ids(`${dir}/${name}/main/queue`).filter((n) => n.includes(",sync:"));
      const names = synced.map((n) => n.replace(/^id:\d+,/, "")).sort();
      assert.deepEqual(names, [
        "sync:foreign_0,src:000000,+cov",
        "sync:foreign_1,src:000000,+cov",
      ], `${name}: ${synced}`);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...aflTest("emu fuzz -B: what the fuzz_bitmap given says was covered is not new", missing),
  async fn() {
    const { dir, bin } = await aflWorkspace("state");
    // a fuzz_bitmap holds the bits not seen yet: all set, everything is new; none, nothing is
    // (afl-fuzz reads its target's map size of it, Denemu 64 KiB)
    await Deno.writeFile(`${dir}/fresh`, new Uint8Array(65536).fill(0xff));
    await Deno.writeFile(`${dir}/seen`, new Uint8Array(65536));
    for (const [name, run] of Object.entries(fuzzers(bin))) {
      const found = async (bitmap: string) => {
        const o = `${dir}/${name}_${bitmap}`;
        const flags = ["-i", `${dir}/in`, "-o", o, "-s", "1", "-V", "2"];
        // (a map with no bit left makes afl-fuzz think its target's instrumentation is broken)
        const r = await run([...flags, "-B", `${dir}/${bitmap}`], { AFL_IGNORE_PROBLEMS: "1" });
        assert.equal(r.code, 0, `${name}: ${r.err}`);
        const stats = Deno.readTextFileSync(`${o}/default/fuzzer_stats`);
        return Number(/^corpus_found +: (\d+)$/m.exec(stats)?.[1]);
      };
      assert((await found("fresh")) > 0, name);
      assert.equal(await found("seen"), 0, name);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...aflTest(
    "emu fuzz -D: the deterministic stage's finds are named as afl-fuzz names them",
    missing,
  ),
  async fn() {
    // bytes.c checks "FUZZ" one byte at a time: 'G' is one bit flip from 'F'
    const { dir, bin } = await aflWorkspace("bytes", { seed: "GAAA" });
    const flags = (
      o: string,
    ) => ["-i", `${dir}/in`, "-o", `${dir}/${o}`, "-D", "-s", "1", "-V", "3"];
    const r = {
      afl: await aflOutput("afl-fuzz", ["-t", "5000", ...flags("afl"), "--", bin, "@@"]),
      den: await aflOutput(Deno.execPath(), [
        ...["run", "-A", "mod.ts", "fuzz", ...flags("den")],
        ...["--", "tests/fuzz/bin/bytes", "@@"],
      ]),
    };
    for (const [name, { code, err }] of Object.entries(r)) {
      assert.equal(code, 0, `${name}: ${err}`);
      // before: Denemu warned that it ignored -D, and havoc found "FAAA" (op:havoc,rep:N)
      const found = ids(`${dir}/${name}/default/queue`)[1]?.replace(/,time:\d+,execs:\d+/, "");
      assert.equal(found, "id:000001,src:000000,op:flip1,pos:0,+cov", name);
    }
    await Deno.remove(dir, { recursive: true });
  },
});
