/**
 * Reverse execution figures for `deno task bench`: what recording the
 * history costs a forward run, and what `reverse-stepi` costs after a long
 * run (one restore and at most one checkpoint interval re-executed, however
 * long the run was).
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { createMachine, ExecutionHistory, type Machine } from "../mod.ts";
import { DEFAULT_INTERVAL } from "../core/machine/history.ts";

/** Prints a row (the bench's table writer). */
export type RowWriter = (name: string, value: string) => void;

/** Instructions per call of a plain run: the history's checkpoint interval, so only checkpoints differ. */
const CHUNK = DEFAULT_INTERVAL;

/** Runs `m` (through `h` when given) for `n` instructions; returns the CPU ms it took. */
function runFor(m: Machine, n: number, h?: ExecutionHistory): number {
  const c0 = cpuUsage();
  while (m.icount < n) {
    const budget = Math.min(CHUNK, n - m.icount);
    const ev = h ? h.next(budget) : m.next(budget);
    if (ev.type === "exit") throw new Error(`the guest exited after ${m.icount} instructions`);
  }
  const c = cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** A run of `program` for `n` instructions, with or without a history. */
async function timedRun(program: string, args: string[], n: number, recorded: boolean) {
  const m = await createMachine({ program, args });
  const h = recorded ? new ExecutionHistory(m) : undefined;
  return { ms: runFor(m, n, h), m, h };
}

/**
 * Runs `program args` for `instructions` with and without a history (CPU
 * time, the better of two runs each, after a warm-up), then times reverse
 * steps from there; returns the figures.
 *
 * @example
 * ```ts ignore
 * await benchReverse("tests/guests/bin/compute.static.O2", ["5000"], console.log, 1e8);
 * ```
 */
export async function benchReverse(
  program: string,
  args: string[],
  row: RowWriter,
  instructions: number,
): Promise<Record<string, number>> {
  await (await timedRun(program, args, instructions, false)).m.close(); // warm-up
  const plainMs: number[] = [], recordedMs: number[] = [];
  for (let i = 0; i < 2; i++) {
    const plain = await timedRun(program, args, instructions, false);
    plainMs.push(plain.ms);
    await plain.m.close();
    const recorded = await timedRun(program, args, instructions, true);
    recordedMs.push(recorded.ms);
    await recorded.m.close();
  }
  const { m, h } = await timedRun(program, args, instructions, true);
  const steps: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    h!.reverseStep();
    steps.push(performance.now() - t);
  }
  const later = steps.slice(1).sort((a, b) => a - b);
  const figures = {
    recordingOverheadPct: (Math.min(...recordedMs) / Math.min(...plainMs) - 1) * 100,
    checkpoints: h!.checkpoints.length,
    firstReverseStepMs: steps[0],
    medianReverseStepMs: later[later.length >> 1],
  };
  const n = instructions.toExponential(0).replace("+", "");
  row(`history recording overhead (${n} insns)`, `${figures.recordingOverheadPct.toFixed(1)} %`);
  row(`reverse-stepi after ${n} insns: first`, `${figures.firstReverseStepMs.toFixed(1)} ms`);
  row(`reverse-stepi after ${n} insns: next 19`, `${figures.medianReverseStepMs.toFixed(2)} ms`);
  row(`checkpoints kept`, `${figures.checkpoints}`);
  await m.close();
  return figures;
}

if (import.meta.main) {
  const program = new URL("../tests/guests/bin/compute.static.O2", import.meta.url).pathname;
  await benchReverse(program, ["5000"], (k, v) => console.log(k.padEnd(48), v), 1e8);
}
