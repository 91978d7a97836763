// The fuzzing engine on the planted-bug targets of tests/fuzz: harness
// outcomes, finding the easy bug quickly with a fixed seed, reproducibility of
// a seeded campaign, and the crash file reproducing under `emu user`.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Fuzzer } from "../core/fuzz/fuzzer.ts";
import { OutputDir } from "../core/fuzz/output.ts";
import { createUserHarness, type UserHarnessOptions } from "../core/linux/fuzz_harness.ts";
import { LinuxProcess } from "../core/linux/process.ts";
import { parseElf, readSymbols } from "../core/elf.ts";
import { createCmplogHarness } from "../core/linux/fuzz_cmplog.ts";
import { HostMemory } from "../core/host_memory.ts";
import type { FuzzTarget } from "../core/fuzz/target.ts";

const BIN = "tests/fuzz/bin";
const enc = new TextEncoder();

function harnessOptions(name: string, extra: Partial<UserHarnessOptions> = {}) {
  return {
    program: `${BIN}/${name}`,
    args: ["@@"],
    inputPath: "/nonexistent/.cur_input",
    ...extra,
  };
}

async function campaign(name: string, seed: number, until: (f: Fuzzer) => boolean) {
  const out = await Deno.makeTempDir();
  const dir = OutputDir.open(out, "default", { resume: false, argv: ["test"], target: [] });
  const h = await createUserHarness(harnessOptions(name));
  const f = new Fuzzer(h, {
    seed,
    dictionary: [],
    out: dir,
    banner: name,
    commandLine: "t",
    log: () => {},
  });
  await f.addSeeds([{ name: "seed", data: enc.encode("AAAAAAAA") }]);
  await f.run(() => until(f), () => {});
  return { out: `${out}/default`, fuzzer: f };
}

const show = (o: unknown) => JSON.stringify(o, (_k, v) => typeof v === "bigint" ? `${v}` : v);

function files(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("id:")).sort();
}

Deno.test("harnesses: in-memory and whole-program runs end ok, crash with the signal, or hang", async () => {
  for (const wholeProgram of [false, true]) {
    const h = await createUserHarness(harnessOptions("bytes", { wholeProgram }));
    assertEquals(h.kind, wholeProgram ? "whole-program" : "in-memory");
    assertEquals((await h.run(enc.encode("AAAA"), 1e8)).outcome.kind, "ok");
    const crash = (await h.run(enc.encode("FUZZ"), 1e8)).outcome;
    assert(crash.kind === "crash" && crash.signal === 6, show(crash));
    assertEquals((await h.run(enc.encode("FUZZ"), 5)).outcome.kind, "hang");
    assert(h.readsInput);
  }
  // stdin instead of @@
  const h = await createUserHarness(harnessOptions("state", { args: [], wholeProgram: true }));
  const fpe = (await h.run(enc.encode("xhello!!"), 1e8)).outcome;
  assert(fpe.kind === "crash" && fpe.signal === 8, show(fpe));
});

Deno.test("finds the byte-by-byte compare bug within 200k executions (seed 1), and the crash reproduces", async () => {
  const { out, fuzzer } = await campaign(
    "bytes",
    1,
    (f) => f.savedCrashes > 0 || f.execs > 200_000,
  );
  const crashes = files(`${out}/crashes`);
  assert(crashes.length === 1, `crashes: ${crashes} after ${fuzzer.execs} execs`);
  assert(crashes[0].startsWith("id:000000,sig:06,"), crashes[0]);
  // `emu user prog crashfile` dies of the same signal
  const p = await LinuxProcess.create({
    program: `${BIN}/bytes`,
    args: [`${out}/crashes/${crashes[0]}`],
    stdout: () => {},
    stderr: () => {},
  });
  p.runToExit();
  assertEquals(p.exitSignal, 6);
  await Deno.remove(out, { recursive: true });
});

Deno.test("a campaign with -s is reproducible: same queue, same order", async () => {
  const names = async () => {
    const { out } = await campaign("state", 7, (f) => f.execs >= 20_000);
    const list = files(`${out}/queue`).map((n) => n.replace(/time:\d+,/, ""));
    await Deno.remove(out, { recursive: true });
    return list;
  };
  const a = await names(), b = await names();
  assert(a.length > 2, `the campaign found little: ${a}`);
  assertEquals(b, a);
});

async function cmplogCampaign(
  name: string,
  until: (f: Fuzzer) => boolean,
  seed = enc.encode("AAAAAAAA"),
) {
  const out = await Deno.makeTempDir();
  const dir = OutputDir.open(out, "default", { resume: false, argv: ["test"], target: [] });
  const opts = harnessOptions(name);
  const f = new Fuzzer(await createUserHarness(opts), {
    seed: 1,
    dictionary: [],
    out: dir,
    banner: name,
    commandLine: "t",
    log: () => {},
    cmplog: await createCmplogHarness(opts),
  });
  await f.addSeeds([{ name: "seed", data: seed }]);
  await f.run(() => until(f), () => {});
  const crashes = files(`${out}/default/crashes`);
  await Deno.remove(out, { recursive: true });
  return { crashes, execs: f.execs };
}

Deno.test("with cmplog, the magic, string, checksum, state-machine and switch bugs fall within 50k executions", async () => {
  const signals: Record<string, string> = {
    magic32: "11",
    strcmp: "06",
    checksum: "04",
    state: "08",
    switch: "07", // behind two jump tables: found through their bounds checks' case values
  };
  for (const [name, sig] of Object.entries(signals)) {
    const found = (f: Fuzzer) => f.savedCrashes > 0 || f.execs > 50_000;
    const { crashes, execs } = await cmplogCampaign(name, found);
    assert(crashes.length === 1, `${name}: no crash after ${execs} execs`);
    assert(crashes[0].includes(`,sig:${sig},`), `${name}: ${crashes[0]}`);
  }
});

Deno.test("a campaign ends within one execution of its end (-V, -E), in the trim and cmplog stages too", async () => {
  // Before: the trim and input-to-state stages ran to their end (up to 4096
  // executions) before looking at the deadline, so -V 3 -c 0 ran for seconds more.
  // The end here is an execution count, so the bound does not depend on the load.
  const seed = enc.encode("KEY:" + "x".repeat(60));
  for (const name of ["strcmp", "magic32"]) {
    let endAt = 0;
    const end = (f: Fuzzer) => (endAt ||= f.execs + 5) <= f.execs;
    const { execs } = await cmplogCampaign(name, end, seed);
    // the last execution may be a find, calibrated once more
    assert(execs <= endAt + 1, `${name}: ${execs} executions, asked to end at ${endAt}`);
  }
});

Deno.test("cmplog logs the same comparisons on both engines, including memcmp and strcmp arguments, in static and dynamic programs", async () => {
  const logs = [], input = enc.encode("KEY:open-sesamX......");
  for (const accel of ["interp", "jit"] as const) {
    const c = await createCmplogHarness(harnessOptions("strcmp", { accel }));
    logs.push(await c.log(input, 1e7));
  }
  assertEquals(logs[1], logs[0]);
  // the same source built dynamic: memcmp and strcmp are libc.so's
  logs.push(await (await createCmplogHarness(harnessOptions("strcmp.dynamic"))).log(input, 1e7));
  for (const log of [logs[0], logs[2]]) {
    const strings = log.filter((c) => c.kind === "bytes").map((c) =>
      c.kind === "bytes" ? new TextDecoder().decode(c.b) : ""
    );
    assert(strings.includes("KEY:"), show(strings));
    assert(strings.includes("open-sesame"), show(strings));
  }
});

Deno.test("persistent harness (--persistent-addr main): each input reopens the in-memory @@ file", async () => {
  const elf = parseElf(Deno.readFileSync(`${BIN}/bytes`), "bytes");
  const main = readSymbols(elf).find((s) => s.name === "main")!.value;
  const h = await createUserHarness(harnessOptions("bytes", { persistentAddr: main }));
  assertEquals(h.kind, "persistent");
  for (let i = 0; i < 3; i++) {
    assertEquals((await h.run(enc.encode("AAAA"), 1e8)).outcome.kind, "ok");
    const o = (await h.run(enc.encode("FUZZ"), 1e8)).outcome;
    assert(o.kind === "crash" && o.signal === 6, show(o));
  }
  assert(h.readsInput);
});

Deno.test("every harness restores its snapshot: a global set by one input does not reach the next", async () => {
  const elf = parseElf(Deno.readFileSync(`${BIN}/leak`), "leak");
  const main = readSymbols(elf).find((s) => s.name === "main")!.value;
  for (
    const extra of [{}, { wholeProgram: true }, { args: [], wholeProgram: true }, {
      persistentAddr: main,
    }]
  ) {
    const h = await createUserHarness(harnessOptions("leak", extra));
    for (let i = 0; i < 5; i++) {
      const o = (await h.run(enc.encode(`input ${i}`), 1e8)).outcome;
      assertEquals(o.kind, "ok", `${h.kind} ${show(extra)}, execution ${i}: ${show(o)}`);
    }
  }
});

Deno.test("the whole-program harness creates its process once and starts each execution at the read of its input", async () => {
  for (const args of [["@@"], []]) {
    let processes = 0;
    const h = await createUserHarness(
      harnessOptions("bytes", { args, wholeProgram: true, setup: () => processes++ }),
    );
    const runs = [];
    for (const input of ["AAAA", "FUZZ", "FUZ", "FUZZ"]) {
      runs.push(await h.run(enc.encode(input), 1e8));
    }
    assertEquals(runs.map((r) => r.outcome.kind), ["ok", "crash", "ok", "crash"]);
    assertEquals(processes, 1);
    // start-up (the loader, libc init, fopen's path) is not run again: a few hundred instructions are left
    assert(runs[0].insns < 2000, `${args}: ${runs[0].insns} instructions per execution`);
    assert(h.readsInput);
  }
});

Deno.test("tokens from the binary (compare constants, strings it uses) find the magic and string bugs without cmplog", async () => {
  const h = await createUserHarness(harnessOptions("strcmp"));
  await h.run(enc.encode("KEY:open-sesamX......"), 1e7);
  const strings = (h.autoTokens ?? []).map((t) => new TextDecoder().decode(t));
  assert(strings.includes("KEY:") && strings.includes("open-sesame"), show(strings));
  for (const name of ["magic32", "strcmp"]) {
    const { out, fuzzer } = await campaign(name, 1, (f) => f.savedCrashes > 0 || f.execs > 20_000);
    assertEquals(fuzzer.savedCrashes, 1, `${name}: no crash after ${fuzzer.execs} execs`);
    await Deno.remove(out, { recursive: true });
  }
  const magic = await createUserHarness(harnessOptions("magic32"));
  await magic.run(enc.encode("AAAAAAAA"), 1e7);
  assert(
    magic.autoTokens?.some((t) => t.join() === "239,190,173,222"),
    "0xdeadbeef, little-endian",
  );
});

Deno.test("a campaign is exhausted (AFL_EXIT_WHEN_DONE) once every entry is fuzzed and 100 cycles found nothing", async () => {
  // a target with one path whatever the input: nothing is ever new
  const host = new HostMemory(1 << 20);
  const flat: FuzzTarget = {
    trace: { host, address: 0, size: 64 },
    run: () => {
      host.u8.fill(0, 0, 64);
      host.u8[3] = 1;
      return { outcome: { kind: "ok" }, insns: 10 };
    },
    readsInput: true,
  };
  const out = await Deno.makeTempDir();
  const dir = OutputDir.open(out, "default", { resume: false, argv: ["test"], target: [] });
  const opts = {
    seed: 1,
    dictionary: [],
    out: dir,
    banner: "flat",
    commandLine: "t",
    log: () => {},
  };
  const f = new Fuzzer(flat, opts);
  await f.addSeeds([{ name: "seed", data: enc.encode("AAAA") }]);
  assert(!f.exhausted);
  await f.run(() => f.exhausted || f.execs > 2_000_000, () => {});
  const s = f.stats(0);
  assert(f.exhausted, `not exhausted after ${f.execs} executions`);
  assertEquals([s.cyclesWoFinds, s.pendingTotal], [101, 0]);
  await Deno.remove(out, { recursive: true });
});
