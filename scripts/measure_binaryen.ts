/**
 * Measures binaryen's optimiser (`npm:binaryen`, `-O2` / `-O3`) on the JIT's region modules:
 * whether V8 runs the optimised code faster, and what the optimisation costs.
 *
 * Each measurement is a fresh process running a real program (tests/real) in-process under
 * the JIT. In the optimising modes every region module passes through binaryen
 * (`readBinary`, all features, `optimize()`, `emitBinary`) before V8 compiles it, which bounds
 * from above what re-optimising only the hottest regions could gain. The guest's CPU time is
 * reported without the optimiser's own time, next to that cost per module. Modes alternate
 * round by round so that they see the same machine load.
 *
 * binaryen is not a dependency of Denemu: this script alone loads it, by a specifier the type
 * checker does not follow, and runs with `--no-lock`.
 *
 * Usage: `deno run -A --no-lock scripts/measure_binaryen.ts [--rounds N] [WORKLOAD...]`
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

import { cpuUsage } from "node:process";
import { createMachine } from "../mod.ts";

const BINARYEN = "npm:binaryen@123.0.0";
const ROOT = new URL("../", import.meta.url).pathname;
const REAL = `${ROOT}tests/real/`;
const MODES = ["plain", "O2", "O3"] as const;
type Mode = typeof MODES[number];

/** The workloads: hot loops of an interpreter, a database and a compressor. */
const WORKLOADS: Record<string, string[]> = {
  fib: [`${REAL}bin/lua`, `${REAL}inputs/fib.lua`, "28"],
  mixed: [`${REAL}bin/lua`, `${REAL}inputs/mixed.lua`, "1"],
  speedtest1: [`${REAL}bin/speedtest1`, "--size", "1", "--memdb", "--nosync"],
  bzip2: [`${REAL}bin/bzip2`, "-9", "-c", `${REAL}inputs/manual.html`],
};

/** What one child run reports. */
interface Measure {
  /** guest run CPU ms, the optimiser's time taken out */
  runMs: number;
  /** CPU ms inside binaryen */
  optimiseMs: number;
  modules: number;
  /** bytes of the modules after / before optimisation */
  sizeRatio: number;
}

/** The subset of binaryen.js's API used here. */
interface Binaryen {
  Features: { All: number };
  setOptimizeLevel(level: number): void;
  setShrinkLevel(level: number): void;
  readBinary(bytes: Uint8Array): {
    setFeatures(f: number): void;
    optimize(): void;
    emitBinary(): Uint8Array;
    dispose(): void;
  };
}

/** Routes every wasm module V8 compiles through binaryen's optimiser at `level`. */
async function optimiseModules(level: number, m: Omit<Measure, "runMs">): Promise<void> {
  const b = (await import(BINARYEN)).default as Binaryen;
  b.setOptimizeLevel(level);
  b.setShrinkLevel(0);
  let before = 0, after = 0;
  const optimise = (bytes: Uint8Array): Uint8Array => {
    const t0 = cpuUsage();
    const mod = b.readBinary(bytes);
    mod.setFeatures(b.Features.All);
    mod.optimize();
    const out = mod.emitBinary();
    mod.dispose();
    const t = cpuUsage(t0);
    m.optimiseMs += (t.user + t.system) / 1000;
    m.modules++;
    before += bytes.length;
    after += out.length;
    m.sizeRatio = after / before;
    return out;
  };
  // The measurement harness wraps the host's compiler; Denemu's code is unchanged.
  WebAssembly.Module = class extends WebAssembly.Module {
    constructor(bytes: BufferSource) {
      super(optimise(new Uint8Array(bytes as ArrayBuffer)) as BufferSource);
    }
  };
}

/** Runs one workload in this process in `mode`; prints its Measure as JSON. */
async function child(mode: Mode, workload: string): Promise<void> {
  const m: Measure = { runMs: 0, optimiseMs: 0, modules: 0, sizeRatio: 1 };
  if (mode !== "plain") await optimiseModules(mode === "O2" ? 2 : 3, m);
  const [program, ...args] = WORKLOADS[workload];
  const machine = await createMachine({ program, args, accel: "jit" });
  const t0 = cpuUsage();
  const status = await machine.runToExit();
  const t = cpuUsage(t0);
  if (status !== 0) throw new Error(`${workload} exited with ${status}`);
  m.runMs = (t.user + t.system) / 1000 - m.optimiseMs;
  console.log(JSON.stringify(m));
}

async function spawn(mode: Mode, workload: string): Promise<Measure> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", import.meta.filename!, "--child", mode, workload],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!r.success) throw new Error(`${mode} ${workload} failed`);
  return JSON.parse(new TextDecoder().decode(r.stdout).trim().split("\n").at(-1)!);
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--child");
  if (at >= 0) await child(Deno.args[at + 1] as Mode, Deno.args[at + 2]);
  else {
    const r = Deno.args.indexOf("--rounds");
    const rounds = r >= 0 ? Number(Deno.args[r + 1]) : 2;
    const picked = Deno.args.filter((a, i) => a in WORKLOADS && Deno.args[i - 1] !== "--rounds");
    console.log(
      `| Workload | Modules | Size after | plain run ms | -O2 run ms | -O3 run ms |` +
        ` optimiser ms/module -O2 / -O3 |`,
    );
    for (const w of picked.length ? picked : Object.keys(WORKLOADS)) {
      const runs: Record<Mode, Measure[]> = { plain: [], O2: [], O3: [] };
      for (let i = 0; i < rounds; i++) {
        for (const mode of MODES) runs[mode].push(await spawn(mode, w));
      }
      const ms = (mode: Mode) => runs[mode].map((x) => x.runMs.toFixed(0)).join(", ");
      const perModule = (mode: Mode) => {
        const x = runs[mode][0];
        return (x.optimiseMs / x.modules).toFixed(0);
      };
      const o2 = runs.O2[0];
      console.log(
        `| ${w} | ${o2.modules} | ${(o2.sizeRatio * 100).toFixed(0)} % | ${ms("plain")} | ` +
          `${ms("O2")} | ${ms("O3")} | ${perModule("O2")} / ${perModule("O3")} |`,
      );
    }
  }
}
