// A guest process driven event by event, for the tests that save it, load it and compare how the
// rest of its run goes.
// SPDX-License-Identifier: GPL-3.0-or-later
import { LinuxProcess } from "../../core/linux/process.ts";

/** A process of `program` whose stdout bytes collect in `out`. */
export async function startProcess(
  program: string,
  opts: { args?: string[]; accel?: "interp" | "jit" } = {},
): Promise<{ p: LinuxProcess; out: number[] }> {
  const out: number[] = [];
  const p = await LinuxProcess.create({ program, ...opts, stdout: (b) => out.push(...b) });
  return { p, out };
}

/** Runs `p` to its exit: each event's kind and icount, the output since now, the last pc. */
export function runToExit(
  p: LinuxProcess,
  out: number[],
): { kinds: string[]; out: string; pc: bigint } {
  const from = out.length, kinds: string[] = [];
  for (let ev = p.step();; ev = p.step()) {
    kinds.push(`${ev.kind}@${p.cpu.icount}`);
    if (ev.kind === "exit") break;
  }
  return { kinds, out: new TextDecoder().decode(new Uint8Array(out.slice(from))), pc: p.cpu.pc };
}
