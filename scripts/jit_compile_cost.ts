/**
 * What V8's optimising tier (TurboFan) costs on a program's region modules, the method of
 * docs/perf.md's sixteenth and seventeenth sessions: runs the program in-process on the JIT,
 * keeps every `--every`-th region module it compiles (the default 4), then compiles each of
 * them alone in child processes started with
 * `--no-liftoff --no-wasm-lazy-compilation --single-threaded`, timing the process's CPU around
 * each `new WebAssembly.Module`. Each child compiles every module once: V8 caches a module it
 * has compiled in the same process, so a second compile would time the cache. Prints the
 * modules, their bytes and the TurboFan milliseconds of each child (`--rounds`, default 2).
 * `--keep DIR` leaves the modules in DIR, to compare two trees' sets in alternation with
 * `--compile DIR`.
 *
 * ```sh
 * deno run -A scripts/jit_compile_cost.ts tests/real/bin/lua tests/real/inputs/mixed.lua 2
 * ```
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

import { parseArgs } from "node:util";
import process from "node:process";
import { createMachine } from "../mod.ts";

const { values: flags, positionals } = parseArgs({
  args: Deno.args,
  options: {
    every: { type: "string", default: "4" },
    rounds: { type: "string", default: "2" },
    keep: { type: "string" },
    compile: { type: "string" },
  },
  allowPositionals: true,
});

/** The modules of `dir`, in name order. */
function modulesOf(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).filter((f) =>
    f.endsWith(".wasm")
  ).sort();
}

/** Compiles each module of `dir` once; prints `modules bytes ms` (CPU ms of the compiles). */
function compileAll(dir: string): void {
  let bytes = 0, micros = 0;
  const files = modulesOf(dir);
  for (const f of files) {
    const b = Deno.readFileSync(f);
    const before = process.cpuUsage();
    new WebAssembly.Module(b);
    const d = process.cpuUsage(before);
    micros += d.user + d.system;
    bytes += b.length;
  }
  console.log(`${files.length} ${bytes} ${(micros / 1000).toFixed(0)}`);
}

/** Runs the program, writing every `every`-th region module (those exporting `run`) to `dir`. */
async function sampleRegions(program: string, args: string[], every: number, dir: string) {
  const Original = WebAssembly.Module;
  let seen = 0, kept = 0;
  const sampling = function (bytes: BufferSource) {
    const m = new Original(bytes);
    if (WebAssembly.Module.exports(m).some((e) => e.name === "run") && seen++ % every === 0) {
      const view = ArrayBuffer.isView(bytes)
        ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        : new Uint8Array(bytes);
      Deno.writeFileSync(`${dir}/${String(kept++).padStart(6, "0")}.wasm`, view);
    }
    return m;
  };
  sampling.exports = Original.exports;
  sampling.imports = Original.imports;
  sampling.customSections = Original.customSections;
  WebAssembly.Module = sampling as unknown as typeof WebAssembly.Module;
  try {
    const m = await createMachine({ program, args, accel: "jit", stdout: "capture" });
    const status = await m.runToExit();
    await m.close();
    console.log(`exit ${status}: ${seen} region modules, ${kept} kept in ${dir}`);
  } finally {
    WebAssembly.Module = Original;
  }
}

/** Compiles the modules of `dir` in a child process with Liftoff and lazy compilation off. */
async function timeInChild(dir: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--no-liftoff,--no-wasm-lazy-compilation,--single-threaded",
      new URL(import.meta.url).pathname,
      "--compile",
      dir,
    ],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`compiling the modules of ${dir} failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

if (flags.compile) compileAll(flags.compile);
else {
  const [program, ...args] = positionals;
  if (!program) {
    console.error(
      "usage: jit_compile_cost.ts [--every N] [--rounds R] [--keep DIR] PROGRAM [ARGS...]\n" +
        "       jit_compile_cost.ts --compile DIR   (under the flags above)",
    );
    Deno.exit(1);
  }
  const dir = flags.keep ?? Deno.makeTempDirSync({ prefix: "jit_compile_cost" });
  Deno.mkdirSync(dir, { recursive: true });
  await sampleRegions(program, args, Number(flags.every), dir);
  for (let r = 0; r < Number(flags.rounds); r++) {
    const [modules, bytes, ms] = (await timeInChild(dir)).split(" ");
    console.log(`round ${r + 1}: ${modules} modules, ${bytes} bytes, TurboFan ${ms} ms`);
  }
  if (!flags.keep) Deno.removeSync(dir, { recursive: true });
}
