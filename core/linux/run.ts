/**
 * Runs a Linux program to completion in-process with captured output, for
 * tests and scripts.
 *
 * @module
 */

import { concatBytes } from "../bytes.ts";
import { LinuxProcess, type LinuxProcessOptions } from "./process.ts";

/** Options for {@linkcode runUserProgram}: the process options, stdin as text or bytes. */
export interface RunUserOptions extends Omit<LinuxProcessOptions, "stdin" | "stdout" | "stderr"> {
  stdin?: string | Uint8Array;
  /** pass output through to the host instead of capturing it */
  passthrough?: boolean;
}

/** The outcome of a run. */
export interface RunUserResult {
  /** exit status as a shell reports it (128+N after a fatal signal N) */
  status: number;
  /** the fatal signal, or null */
  signal: number | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

function collector(): { sink: (b: Uint8Array) => void; bytes: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    sink: (b) => parts.push(b),
    bytes: () => concatBytes(parts),
  };
}

/**
 * Runs `opts.program` to its exit and returns status and output.
 * Throws EmuError when the program cannot be loaded.
 *
 * @example
 * ```ts ignore
 * import { runUserProgram } from "./run.ts";
 * const r = await runUserProgram({ program: "tests/guests/bin/hello.static.O2" });
 * console.log(r.status, new TextDecoder().decode(r.stdout));
 * ```
 */
export async function runUserProgram(opts: RunUserOptions): Promise<RunUserResult> {
  const out = collector(), err = collector();
  const stdin = typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin;
  const p = await LinuxProcess.create({
    ...opts,
    stdin,
    stdout: opts.passthrough ? undefined : out.sink,
    stderr: opts.passthrough ? undefined : err.sink,
  });
  const status = p.runToExit();
  return { status, signal: p.exitSignal, stdout: out.bytes(), stderr: err.bytes() };
}
