// The README's performance tables come from a bench run's --json figures (scripts/perf_tables.ts).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  BEGIN_MARKER,
  type BenchResults,
  END_MARKER,
  perfTables,
  replaceTables,
} from "../scripts/perf_tables.ts";

const RUN: BenchResults = {
  machine: {
    date: "2026-12-04T20:30:00.000Z",
    cpu: "Test CPU",
    cores: 2,
    loadAverage: [3.5, 2, 1],
    loadAverageEnd: [4.25, 3, 2],
    deno: "2.9.6",
    qemu: "qemu-riscv64 version 7.2.22",
  },
  jitMips: 1200,
  qemuMips: 2000,
  hookBaseMips: 1000,
  unicornBlockHookMips: 10,
  "hook: TS block hook (regs none)": 300,
  hookCounterRounds: 7,
  "hook: inline counter per instruction": 900,
  "hookRatio: inline counter per instruction": 0.96,
  coldUsPerBlock: 30,
  qemuColdUsPerBlock: 1.5,
  "real lua fib.lua": {
    denemuSeconds: 2,
    qemuSeconds: 0.5,
    speedVsQemu: 0.25,
    denemuRssKiB: 122880,
    qemuRssKiB: 15360,
  },
};

Deno.test("perf tables: every figure comes from the run, with its machine and load", () => {
  const md = perfTables(RUN);
  assert(md.includes("Test CPU (2 logical CPUs)"), md);
  assert(md.includes("3.5 / 2.0 / 1.0 at the start and 4.3 / 3.0 / 2.0 at the end"), md);
  assert(md.includes("| Denemu JIT | 1200 |"), md);
  assert(md.includes("**0.60x**"), md);
  assert(md.includes("| TS block hook (regs none) | 300 | 30 | 30.0x |"), md);
  // A counter's share is its median ratio to the unhooked runs of its rounds, not 900 / 1000.
  assert(md.includes("| inline counter per instruction | 900 | 96 |  |"), md);
  assert(md.includes("inline counters: medians of 7 rounds"), md);
  assert(md.includes("| `lua fib.lua` | 2.00 | 0.50 | **0.25x** | 120 / 15 |"), md);
  assert(md.includes("| 30.00 | 1.50 | 20.0x |"), md);
  // A peer the run did not measure shows as "-", never as NaN.
  assert(md.includes("| Unicorn (python3-unicorn), no hooks | - | - |"), md);
  assert(!md.includes("NaN"), md);
  assert(md.includes("| Linux (tests/linux) to init and poweroff | - | - | - |"), md);
});

Deno.test("perf tables: only the marked section of the README is replaced", () => {
  const doc = `# T\nbefore\n${BEGIN_MARKER}\nold table\n${END_MARKER}\nafter\n`;
  assertEquals(
    replaceTables(doc, "new table\n"),
    `# T\nbefore\n${BEGIN_MARKER}\n\nnew table\n\n${END_MARKER}\nafter\n`,
  );
  throws(() => replaceTables("# no markers\n", "x"), /perf-tables/);
});

Deno.test("perf tables: the README has the generated section", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const begin = readme.indexOf(BEGIN_MARKER), end = readme.indexOf(END_MARKER);
  assert(begin > 0 && end > begin, "README.md lost its perf-tables markers");
});
