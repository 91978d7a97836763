// A short run of every self-fuzzer (scripts/selffuzz/): each must find
// nothing. SELFFUZZ_SECONDS=N and SELFFUZZ_SEED=N run longer or elsewhere;
// README "Self-fuzzing" says how to run a long campaign.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { SELF_FUZZERS } from "../scripts/selffuzz/main.ts";
import { cpuMs, runCampaign } from "../scripts/selffuzz/runner.ts";
import { checkHostile, runQemu } from "../scripts/selffuzz/sandbox.ts";
import { ESCAPE_PATH } from "../scripts/selffuzz/sandbox_tree.ts";
import { installed } from "./util/installed.ts";

// Without SELFFUZZ_SECONDS, each runs its fixed `ciCases` cases, so every
// host runs the same seeds.
const SECONDS = Number(Deno.env.get("SELFFUZZ_SECONDS") ?? Infinity);
const SEED = Number(Deno.env.get("SELFFUZZ_SEED") ?? 1);

for (const fuzzer of SELF_FUZZERS) {
  const skip = fuzzer.notInCi ? ` (skipped: ${fuzzer.notInCi})` : "";
  Deno.test({
    name: `selffuzz ${fuzzer.name}: ${
      Number.isFinite(SECONDS) ? `a ${SECONDS} s run` : `${fuzzer.ciCases} cases`
    } find nothing${skip}`,
    ignore: !!skip,
  }, async () => {
    const out = await Deno.makeTempDir({ prefix: `denemu-selffuzz-${fuzzer.name}-` });
    try {
      const cases = Number.isFinite(SECONDS) ? undefined : fuzzer.ciCases;
      const r = await runCampaign(fuzzer, { seconds: SECONDS, seed: SEED, out, cases });
      assert(r.cases > 0, "no case ran");
      assertEquals(r.failures.map((f) => `seed ${f.seed}: ${f.failure}`), []);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
}

Deno.test("selffuzz: a failing case is counted and saved as a reproducer", async () => {
  const out = await Deno.makeTempDir({ prefix: "denemu-selffuzz-runner-" });
  try {
    const failing = {
      name: "always",
      extension: "bin",
      description: "fails on odd seeds",
      ciCases: 4,
      runCase: (seed: number) => ({
        input: new Uint8Array([seed]),
        failure: seed % 2 ? `odd ${seed}` : null,
      }),
      replay: () => null,
    };
    const r = await runCampaign(failing, { seconds: 10, seed: 1, cases: 4, out });
    assertEquals([r.cases, r.failures.map((f) => f.seed)], [4, [1, 3]]);
    assertEquals([...await Deno.readFile(r.failures[1].file)], [3]);
    assertEquals(await Deno.readTextFile(r.failures[1].file.replace(/bin$/, "txt")), "odd 3\n");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("selffuzz mmio: a case closes its disk image (a long run ran out of fds)", async () => {
  const mmio = SELF_FUZZERS.find((f) => f.name === "mmio")!;
  const openFds = () => [...Deno.readDirSync("/proc/self/fd")].length;
  await mmio.runCase(1);
  const before = openFds();
  for (let seed = 2; seed < 22; seed++) await mmio.runCase(seed);
  // a leak is one fd per case (20 here); Deno's runtime may open one or two of its own meanwhile
  const grown = openFds() - before;
  assert(grown < 5, `${grown} more fds open after 20 cases`);
});

Deno.test("selffuzz: a case that spins is stopped by the watchdog, saved as a hang, and the campaign goes on", async () => {
  const out = await Deno.makeTempDir();
  const module = new URL("./util/spinning_fuzzer.ts", import.meta.url).href;
  const { spinningFuzzer } = await import(module);
  const r = await runCampaign(spinningFuzzer, {
    seconds: 120,
    seed: 1,
    cases: 3,
    out,
    watchdog: { module, cpuSeconds: 1 },
  });
  assertEquals([r.cases, r.failures.map((f) => f.seed)], [3, [2]]);
  assert(r.failures[0].failure.startsWith("hang: more than 1 s of CPU"), r.failures[0].failure);
  assert(r.failures[0].file.endsWith(",seed:2.seed"), r.failures[0].file);
  assertEquals(await Deno.readTextFile(r.failures[0].file), "2\n");
  await Deno.remove(out, { recursive: true });
});

Deno.test("selffuzz image: a dirty qcow2 that cannot be repaired is refused, its file closed once", async () => {
  const image = SELF_FUZZERS.find((f) => f.name === "image")!;
  const outcome = await image.runCase(836); // was BadResource from a second close
  assertEquals(outcome.failure, null);
});

Deno.test({
  name: "selffuzz imgdiff: a data cluster cut off by the end of the file reads as zeros there, " +
    "not as a reused buffer's last bytes (seed 29631)",
  ignore: !installed("qemu-img"),
  async fn() {
    const imgdiff = SELF_FUZZERS.find((f) => f.name === "imgdiff")!;
    assertEquals((await imgdiff.runCase(29631)).failure, null);
  },
});

Deno.test("selffuzz image: a snapshot=on drive writes tables far past the end of the file to memory (seed 9109042, was EINVAL from a seek)", async () => {
  const image = SELF_FUZZERS.find((f) => f.name === "image")!;
  assertEquals((await image.runCase(9109042)).failure, null);
});

Deno.test("selffuzz snapshot: a guest deadlock (its error lists each thread, one per line) is a clean end (seed 9206811)", async () => {
  const snapshot = SELF_FUZZERS.find((f) => f.name === "snapshot")!;
  assertEquals((await snapshot.runCase(9206811)).failure, null);
});

Deno.test("selffuzz image: drive offsets on a disk of 4 GiB stay positive (imgdiff seed 3037, was a RangeError)", async () => {
  const image = SELF_FUZZERS.find((f) => f.name === "image")!;
  assertEquals((await image.runCase(3037)).failure, null);
});

Deno.test("selffuzz image: a header extension past a short file's first bytes (image seed 35215, was a RangeError)", async () => {
  const image = SELF_FUZZERS.find((f) => f.name === "image")!;
  assertEquals((await image.runCase(35215)).failure, null);
});

const haveQemu = installed("qemu-riscv64");
Deno.test({
  name: `selffuzz sandbox: its checks see each kind of escape (on qemu-riscv64, no sandbox)${
    haveQemu ? "" : " (skipped: no qemu-riscv64)"
  }`,
  ignore: !haveQemu,
  fn: async () => {
    const escapes: [string, RegExp][] = [
      ["open -100 out-abs 0 0\nread 0 100", /^outside the root changed:\n.*canary-entry-p/], // atime
      ["open -100 out-dir 0200000 0\ngetdents 0", /^listed outside the root/],
      ["statx -100 out-tmp 0", /^an inode from outside the root/],
      ["truncate out-rel 0", /^outside the root changed/],
      ["chmod -100 out-up 0777", /^outside the root changed/],
      ["mkdir -100 /tmp/denemu-selffuzz-escape 0755", /^outside the root changed/],
    ];
    for (const [script, found] of escapes) {
      const failure = await checkHostile(`#hostile\n${script}\n`, runQemu);
      await Deno.remove(ESCAPE_PATH).catch(() => {}); // qemu-riscv64 made it on the host
      assert(found.test(failure ?? ""), `${script}: ${failure}`);
      assertEquals(await checkHostile(`#hostile\n${script}\n`), null, script);
    }
  },
});

Deno.test("selffuzz cpuMs: time spent waiting is not counted (a loaded host made good cases 'slow')", async () => {
  const start = cpuMs(), wall = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert(performance.now() - wall >= 490);
  assert(cpuMs() - start < 250, `${cpuMs() - start} ms of CPU while sleeping`);
  const busy = cpuMs(), until = performance.now() + 20_000; // however loaded the host is
  while (cpuMs() - busy < 50 && performance.now() < until) { /* work */ }
  assert(cpuMs() - busy >= 50, "work is counted");
});
