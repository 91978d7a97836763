/**
 * The real-program section of `deno task bench`: programs built from Debian source packages
 * by `deno task realprogs` (tests/real/bin/), each run under Denemu (the `emu user` command,
 * JIT) and under qemu-riscv64 in the same run, interleaved. Both are timed by
 * /usr/bin/time as CPU seconds (user + system) of the whole process, start-up included,
 * with their peak RSS; the outputs must be byte-identical.
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

import type { BenchOutput } from "./bench_fuzz.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BIN = `${ROOT}tests/real/bin/`;
const INPUTS = `${ROOT}tests/real/inputs/`;

/** One real-program workload: a binary and its arguments (smaller ones with `--quick`). */
interface RealCase {
  name: string;
  program: string;
  args: (quick: boolean) => string[];
  /** Output that legitimately differs between runs (timings), blanked before comparing. */
  varying?: RegExp;
}

const CASES: RealCase[] = [
  {
    name: "lua fib.lua",
    program: "lua",
    args: (q) => [`${INPUTS}fib.lua`, q ? "25" : "30"],
  },
  {
    name: "lua mixed.lua",
    program: "lua",
    args: (q) => [`${INPUTS}mixed.lua`, q ? "1" : "2"],
  },
  {
    name: "sqlite speedtest1 --memdb",
    program: "speedtest1",
    args: (q) => ["--size", q ? "1" : "5", "--memdb", "--nosync", "--verify"],
    varying: /\d+\.\d+s$/gm,
  },
  {
    name: "bzip2 -9 Lua's manual.html x3",
    program: "bzip2",
    args: (q) => ["-9", "-c", ...Array(q ? 1 : 3).fill(`${INPUTS}manual.html`)],
  },
];

/** What {@linkcode timed} measured of one process. */
export interface Timed {
  seconds: number;
  rssKiB: number;
  stdout: Uint8Array;
}

/** Runs `cmd` under /usr/bin/time; returns its CPU seconds, peak RSS and stdout. */
export async function timed(cmd: string[]): Promise<Timed> {
  const r = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "@@cpu %U %S %M", ...cmd],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(r.stderr);
  const m = /@@cpu ([\d.]+) ([\d.]+) (\d+)\n?$/.exec(stderr);
  if (!r.success || !m) {
    throw new Error(`${cmd.slice(0, 6).join(" ")} failed: ${stderr.trim().slice(-400)}`);
  }
  return { seconds: Number(m[1]) + Number(m[2]), rssKiB: Number(m[3]), stdout: r.stdout };
}

/** Whether two outputs are the same once `varying` parts are blanked (bytes compared as latin1). */
function sameOutput(a: Uint8Array, b: Uint8Array, varying?: RegExp): boolean {
  const text = (x: Uint8Array) => {
    const s = new TextDecoder("latin1").decode(x);
    return varying ? s.replace(varying, "") : s;
  };
  return text(a) === text(b);
}

/** Runs every real program under both, `rounds` times interleaved, keeping each one's best. */
export async function benchReal(out: BenchOutput, quick: boolean): Promise<void> {
  const rounds = quick ? 1 : 2;
  for (const c of CASES) {
    const program = `${BIN}${c.program}`;
    const args = c.args(quick);
    let qemu: Timed | undefined, emu: Timed | undefined;
    for (let i = 0; i < rounds; i++) {
      const q = await timed(["qemu-riscv64", program, ...args]);
      const e = await timed([
        Deno.execPath(),
        "run",
        "-A",
        `${ROOT}mod.ts`,
        "user",
        program,
        ...args,
      ]);
      if (!sameOutput(q.stdout, e.stdout, c.varying)) {
        throw new Error(`${c.name}: output differs from QEMU's`);
      }
      if (!qemu || q.seconds < qemu.seconds) qemu = q;
      if (!emu || e.seconds < emu.seconds) emu = e;
    }
    const ratio = qemu!.seconds / emu!.seconds;
    out.row(
      `  ${c.name}`,
      `${emu!.seconds.toFixed(2)} s vs qemu ${qemu!.seconds.toFixed(2)} s = ${
        ratio.toFixed(2)
      }x; RSS ${Math.round(emu!.rssKiB / 1024)} / ${Math.round(qemu!.rssKiB / 1024)} MiB`,
    );
    out.results[`real ${c.name}`] = {
      denemuSeconds: emu!.seconds,
      qemuSeconds: qemu!.seconds,
      speedVsQemu: ratio,
      denemuRssKiB: emu!.rssKiB,
      qemuRssKiB: qemu!.rssKiB,
    };
  }
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const row = (name: string, value: string) => console.log(`${name.padEnd(40)} ${value}`);
  await benchReal({ row, results: {} }, quick);
}
