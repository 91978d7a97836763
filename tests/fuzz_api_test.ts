// The fuzz() scripting API on a Machine: a bare-metal routine on the virt
// board (system mode) and a function of a Linux program (user mode), each
// with its planted bug found, a seeded campaign replayed exactly, and a
// bug behind a checksum and a 32-bit magic found only with cmplog.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine, fuzz, type Machine } from "../mod.ts";

const enc = new TextEncoder();

/** An inject function: the input at `buffer` (at most `max` bytes), its length in a1. */
function injectAt(buffer: bigint, max: number) {
  return (m: Machine, data: Uint8Array) => {
    m.writeMemory(buffer, data.subarray(0, max));
    m.writeReg("a1", BigInt(Math.min(data.length, max)));
  };
}

async function bareMetal(seed: number, maxExecs: number) {
  const m = await createMachine({
    system: { memory: "16M", bios: "none", kernel: "tests/baremetal/bin/fuzzme.elf" },
  });
  m.runUntil(m.symbol("parse")!);
  const input = m.symbol("input")!;
  const report = await fuzz(m, {
    inject: injectAt(input, 256),
    seeds: [enc.encode("AAAA")],
    endAt: [m.readReg("ra")],
    crashAt: [m.symbol("m_trap_entry")!],
    seed,
    seconds: 60,
    until: (p) => p.crashes > 0 || p.execs >= maxExecs,
  });
  await m.close();
  const queue = [...Deno.readDirSync(`${report.output}/default/queue`)].map((e) => e.name)
    .filter((n) => n.startsWith("id:")).map((n) => n.replace(/time:\d+,/, "")).sort();
  await Deno.remove(report.output, { recursive: true });
  return { report, queue };
}

Deno.test("fuzz(): a bare-metal routine on the virt board; its store fault is found, and a seed replays the campaign", async () => {
  const found = await bareMetal(1, 300_000);
  assertEquals(found.report.crashes, 1, `${found.report.execs} execs`);
  const [crash] = [...found.report.crashInputs.values()];
  assertEquals(new TextDecoder().decode(crash.subarray(0, 4)), "FUZZ");
  const a = await bareMetal(2, 3000), b = await bareMetal(2, 3000);
  assert(a.queue.length > 1, `${a.queue}`);
  assertEquals(b.queue, a.queue);
});

/** fuzz() on LLVMFuzzerTestOneInput of fuzz target `name`, the input injected at its call. */
async function userFunction(name: string, seed: string, maxExecs: number, cmplog = false) {
  const m = await createMachine({ program: `tests/fuzz/bin/${name}` });
  m.runUntil(m.symbol("LLVMFuzzerTestOneInput")!); // main read an empty stdin
  const buffer = m.readReg("a0");
  const report = await fuzz(m, {
    inject: injectAt(buffer, 4096),
    seeds: [enc.encode(seed)],
    endAt: [m.readReg("ra")],
    seed: 1,
    seconds: 60,
    cmplog,
    until: (p) => p.crashes > 0 || p.execs >= maxExecs,
  });
  await m.close();
  await Deno.remove(report.output, { recursive: true });
  return report;
}

Deno.test("fuzz(): a function of a Linux program, the input injected at its call", async () => {
  const report = await userFunction("bytes", "AAAAAAAA", 200_000);
  assertEquals(report.crashes, 1, `${report.execs} execs`);
  const [name] = report.crashInputs.keys();
  assert(name.startsWith("id:000000,sig:06,"), name);
});

Deno.test("fuzz(): cmplog solves a checksum guarding a 32-bit magic that havoc alone does not", async () => {
  const seed = "A".repeat(20), execs = 30_000;
  const without = await userFunction("checksum", seed, execs);
  assertEquals(without.crashes, 0, `found without cmplog in ${without.execs} execs`);
  const withLog = await userFunction("checksum", seed, execs, true);
  assertEquals(withLog.crashes, 1, `${withLog.execs} execs`);
  const [name] = withLog.crashInputs.keys();
  assert(/^id:000000,sig:04,.*op:its$/.test(name), name); // SIGILL, from the cmplog stage (afl-fuzz's "its")
});
