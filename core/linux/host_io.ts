/**
 * What a Linux process needs from the host around it: its stdout and stderr
 * as sinks, stat of host paths, the program file's bytes, and telling host
 * errors (a syscall's errno) from bugs.
 *
 * @module
 */

import { readInputFile, statInputFile } from "../host_files.ts";
import { EmuError } from "../errors.ts";
import { type OutputSink, statFromDeno, type StatInfo } from "./fds.ts";

/** A sink writing to the host's stdout (1) or stderr (2). */
export function hostOutput(fd: 1 | 2): OutputSink {
  const w = fd === 1 ? Deno.stdout : Deno.stderr;
  return (b) => {
    let done = 0;
    while (done < b.length) done += w.writeSync(b.subarray(done));
  };
}

/** The stat of a host path, or undefined when it cannot be read. */
export function hostStat(path: string): StatInfo | undefined {
  try {
    return statFromDeno(Deno.statSync(path));
  } catch {
    return undefined;
  }
}

/** Whether `e` is a host OS error (from a Deno API), as opposed to a bug. */
export function isHostError(e: unknown): boolean {
  if (typeof (e as { code?: unknown })?.code === "string") return true;
  return e instanceof Error && e.constructor !== TypeError && e.constructor !== RangeError &&
    e.constructor !== ReferenceError && e.constructor !== SyntaxError;
}

/** The bytes of the program file `name`, or an EmuError saying why not. */
export function readProgram(name: string): Uint8Array {
  try {
    const st = statInputFile(name);
    if (st.isDirectory) throw new EmuError(`${name}: is a directory`);
    return readInputFile(name);
  } catch (e) {
    if (e instanceof EmuError) throw e;
    if (e instanceof Deno.errors.NotFound) throw new EmuError(`${name}: no such file`);
    if (e instanceof Deno.errors.PermissionDenied) throw new EmuError(`${name}: permission denied`);
    throw new EmuError(`${name}: cannot read (${(e as Error).message.split("\n")[0]})`);
  }
}
