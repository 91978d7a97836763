/**
 * `deno task perftables FILE`: writes the README's performance tables from the figures of one
 * `deno task bench --json FILE` run, so that they are never edited by hand and always say which
 * machine, which load and which peers they came from.
 *
 * The tables replace whatever stands between the two `perf-tables` markers of README.md; the
 * prose around them is kept. Figures the run did not produce (a peer not installed) show as "-".
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

import type { BenchMachine } from "./bench_machine.ts";

/** The line before the generated tables in README.md. */
export const BEGIN_MARKER =
  "<!-- perf-tables: written by scripts/perf_tables.ts from `deno task bench --json`; do not edit -->";
/** The line after them. */
export const END_MARKER = "<!-- /perf-tables -->";

/** The part of the bench's `--json` figures the tables use (see scripts/bench.ts). */
export type BenchResults = Record<string, unknown> & { machine?: BenchMachine };

/** A real-program row of the bench (scripts/bench_real.ts). */
interface RealFigures {
  denemuSeconds: number;
  qemuSeconds: number;
  speedVsQemu: number;
  denemuRssKiB: number;
  qemuRssKiB: number;
}

const num = (r: BenchResults, key: string): number => {
  const v = r[key];
  return typeof v === "number" && Number.isFinite(v) ? v : NaN;
};
const fixed = (v: number, digits = 0) => Number.isFinite(v) ? v.toFixed(digits) : "-";
const times = (v: number, digits = 2) => Number.isFinite(v) ? `${v.toFixed(digits)}x` : "-";

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => " --- |").join("")}`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
  ];
}

function provenance(m: BenchMachine | undefined): string[] {
  if (!m) return ["Figures from a bench run that did not record its machine.", ""];
  const load = (l: number[] | undefined) => l ? l.map((x) => x.toFixed(1)).join(" / ") : "-";
  return [
    `From one \`deno task bench --json\` run started ${m.date.slice(0, 16).replace("T", " ")} UTC` +
    ` on ${m.cpu} (${m.cores} logical CPUs), Deno ${m.deno}, ${m.qemu ?? "no qemu-riscv64"}.` +
    ` Load average (1/5/15 min) ${load(m.loadAverage)} at the start and` +
    ` ${load(m.loadAverageEnd)} at the end: a load above the CPU count means other jobs shared` +
    " the machine, and single figures then vary by 10-20 %. Guest speeds are computed from CPU" +
    " time (best of two), Denemu and each peer in the same run.",
    "",
  ];
}

function computeTable(r: BenchResults): string[] {
  const jit = num(r, "jitMips");
  return [
    "Compute guest (`tests/guests/bin/compute.static.O2 700`: integer, memory, branchy, call-heavy" +
    " and FP code with a bytecode interpreter loop):",
    "",
    ...table(["Engine", "MIPS", "Denemu JIT relative to it"], [
      [
        "Denemu JIT",
        fixed(jit),
        `translation ${fixed(num(r, "jitTranslationPercent"), 1)} % of the run`,
      ],
      ["qemu-riscv64", fixed(num(r, "qemuMips")), `**${times(jit / num(r, "qemuMips"))}**`],
      [
        "Unicorn (python3-unicorn), no hooks",
        fixed(num(r, "unicornMips")),
        times(
          jit / num(r, "unicornMips"),
          1,
        ),
      ],
      ["Denemu interpreter", fixed(num(r, "interpMips"), 1), "the reference"],
    ]),
  ];
}

function hookTable(r: BenchResults): string[] {
  const base = num(r, "hookBaseMips"), uc = num(r, "unicornBlockHookMips");
  const hooks = Object.keys(r).filter((k) => k.startsWith("hook: "));
  const rounds = num(r, "hookCounterRounds");
  // Inline counters: the median of rounds that alternate them with unhooked runs, and their
  // median ratio to the unhooked run of the same round (bench.ts, counterRounds).
  const counters = Number.isFinite(rounds)
    ? `; inline counters: medians of ${rounds} rounds, each an unhooked run and one run of each ` +
      "counter, as MIPS and as a share of the same round's unhooked run"
    : "";
  return [
    `Instrumentation on the JIT (300 iterations, best of two, against ${
      fixed(base)
    } MIPS unhooked${counters}; Unicorn's Python block hook: ${fixed(uc, 1)} MIPS):`,
    "",
    ...table(
      ["Hook", "MIPS", "% of unhooked", "vs Unicorn's Python block hook"],
      hooks.map((k) => {
        const m = num(r, k), ratio = num(r, `hookRatio: ${k.slice(6)}`);
        const block = k.includes("block hook");
        return [
          k.slice(6),
          fixed(m),
          fixed((Number.isFinite(ratio) ? ratio : m / base) * 100),
          block ? times(m / uc, 1) : "",
        ];
      }),
    ),
  ];
}

function startupAndSystemTable(r: BenchResults): string[] {
  const empty = num(r, "startupEmptyMs");
  const ms = (key: string) => [fixed(num(r, key)), times(num(r, key) / empty, 1)];
  const secs = (key: string) => Number.isFinite(num(r, key)) ? `${fixed(num(r, key), 2)} s` : "-";
  const peer = (ours: string, theirs: string) => [
    secs(ours),
    secs(theirs),
    times(num(r, ours) / num(r, theirs), 1),
  ];
  const mips = (ours: string, theirs: string) => [
    fixed(num(r, ours)),
    fixed(num(r, theirs)),
    times(num(r, ours) / num(r, theirs)),
  ];
  return [
    "Start-up (wall time, median of 11 alternating runs):",
    "",
    ...table(["Command", "ms", "x empty `deno run`"], [
      ["`deno run` of an empty script", fixed(empty), "1"],
      ["`emu --help` (Denemu's modules load)", ...ms("startupModulesMs")],
      ["`emu user -cpu help` (and the RISC-V target)", ...ms("startupTargetMs")],
      ["`emu user hello.static.O2`", ...ms("startupHelloMs")],
      ["`emu user hello.dynamic.O2`", ...ms("startupDynamicHelloMs")],
    ]),
    "Cold code (`cold.static.O2`: about 21,000 blocks, each run a few times; CPU time per executed" +
    " block):",
    "",
    ...table(["Denemu µs", "qemu-riscv64 µs", "Denemu time / QEMU's"], [[
      fixed(num(r, "coldUsPerBlock"), 2),
      fixed(num(r, "qemuColdUsPerBlock"), 2),
      times(num(r, "coldUsPerBlock") / num(r, "qemuColdUsPerBlock"), 1),
    ]]),
    "System mode (wall time):",
    "",
    ...table(["Boot", "Denemu", "qemu-system-riscv64", "Denemu time / QEMU's"], [
      ["OpenSBI + U-Boot to the prompt", ...peer("ubootPromptSeconds", "qemuUbootPromptSeconds")],
      [
        "Linux (tests/linux) to init and poweroff",
        ...peer("linuxBootSeconds", "qemuLinuxBootSeconds"),
      ],
    ]),
    "System mode, a bare-metal compute loop (`paging_bench.elf`; MIPS, best of 3):",
    "",
    ...table(["Addressing", "Denemu", "qemu-system-riscv64", "Denemu speed / QEMU's"], [
      ["M-mode, physical", ...mips("systemBareMips", "qemuSystemBareMips")],
      ["S-mode, Sv39 paging on", ...mips("systemSv39Mips", "qemuSystemSv39Mips")],
    ]),
  ];
}

/** A run of the code-generation bench (scripts/bench_codegen.ts). */
interface CodegenFigures {
  generations: number;
  denemuSeconds: number;
  denemuRssMiB: number;
  qemuSeconds?: number;
  qemuRssMiB?: number;
}

function memoryTable(r: BenchResults): string[] {
  const goal = 2 * num(r, "qemuLinuxBootRssMiB") + num(r, "denoBaselineRssMiB");
  const codegen = (Array.isArray(r.codegen) ? r.codegen : []) as CodegenFigures[];
  return [
    "Peak RSS of whole processes (MiB; the goal for Linux is twice QEMU's plus an empty" +
    " `deno run`'s):",
    "",
    ...table(["Run", "Denemu", "QEMU", "goal"], [
      [
        "Linux (tests/linux) to init and poweroff",
        fixed(num(r, "linuxBootRssMiB")),
        fixed(num(r, "qemuLinuxBootRssMiB")),
        fixed(goal),
      ],
      ...codegen.map((f) => [
        `\`jitloop\`, a JIT in the guest: ${f.generations} generations of code` +
        ` (CPU ${fixed(f.denemuSeconds, 2)} s / ${fixed(f.qemuSeconds ?? NaN, 2)} s)`,
        fixed(f.denemuRssMiB),
        fixed(f.qemuRssMiB ?? NaN),
        "no growth",
      ]),
    ]),
  ];
}

function realTable(r: BenchResults): string[] {
  const rows = Object.entries(r).filter(([k]) => k.startsWith("real ")).map(([k, v]) => {
    const f = v as RealFigures;
    return [
      `\`${k.slice(5)}\``,
      fixed(f.denemuSeconds, 2),
      fixed(f.qemuSeconds, 2),
      `**${times(f.speedVsQemu)}**`,
      `${fixed(f.denemuRssKiB / 1024)} / ${fixed(f.qemuRssKiB / 1024)}`,
    ];
  });
  return [
    "Real programs built from Debian's source packages (`tests/real`; CPU seconds of the whole" +
    " process, start-up included, best of two; outputs identical to QEMU's):",
    "",
    ...table(
      [
        "Workload",
        "Denemu CPU s",
        "qemu-riscv64 CPU s",
        "speed vs QEMU",
        "peak RSS MiB Denemu / QEMU",
      ],
      rows,
    ),
  ];
}

/**
 * The markdown of the performance tables for one bench run's figures.
 *
 * @example
 * ```ts
 * import { perfTables } from "./perf_tables.ts";
 * const md = perfTables({ jitMips: 1200, qemuMips: 2000 });
 * console.assert(md.includes("0.60x"));
 * ```
 */
export function perfTables(r: BenchResults): string {
  return [
    ...provenance(r.machine),
    ...computeTable(r),
    ...hookTable(r),
    ...startupAndSystemTable(r),
    ...memoryTable(r),
    ...realTable(r),
  ].join("\n");
}

/**
 * `readme` with the text between the markers replaced by `tables`.
 *
 * @example
 * ```ts
 * import { BEGIN_MARKER, END_MARKER, replaceTables } from "./perf_tables.ts";
 * const doc = `# P\n${BEGIN_MARKER}\nold\n${END_MARKER}\n`;
 * console.assert(replaceTables(doc, "new\n").includes("\nnew\n"));
 * ```
 */
export function replaceTables(readme: string, tables: string): string {
  const begin = readme.indexOf(BEGIN_MARKER), end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin) {
    throw new Error(`README.md has no "${BEGIN_MARKER}" ... "${END_MARKER}" section`);
  }
  return readme.slice(0, begin + BEGIN_MARKER.length) + "\n\n" + tables.trimEnd() + "\n\n" +
    readme.slice(end);
}

if (import.meta.main) {
  const file = Deno.args[0];
  if (!file) {
    console.error(
      "usage: deno task perftables BENCH.json   (from deno task bench --json BENCH.json)",
    );
    Deno.exit(2);
  }
  const readmePath = new URL("../README.md", import.meta.url).pathname;
  const results = JSON.parse(await Deno.readTextFile(file)) as BenchResults;
  await Deno.writeTextFile(
    readmePath,
    replaceTables(await Deno.readTextFile(readmePath), perfTables(results)),
  );
  // The tables are written unaligned; deno fmt aligns them as `deno task check` expects.
  const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", readmePath] }).output();
  if (!fmt.success) throw new Error("deno fmt README.md failed");
}
