/**
 * The fuzzer's input as a guest file that lives in memory (AFL's `@@`): the
 * guest opens a path, and `openat` of exactly that path gets a read-only,
 * seekable regular file over the current input. No host file is written per
 * execution.
 *
 * @module
 */

import { O } from "./fds.ts";
import { MemoryFile } from "./memory_file.ts";
import type { LinuxProcess } from "./process.ts";
import { readString } from "./syscall.ts";

/**
 * Serves `input()` at absolute guest path `guestPath` in process `p`: an
 * `openat` of that path opens a {@linkcode MemoryFile}; `onOpen` is told.
 *
 * @example
 * ```ts ignore
 * serveInputFile(p, "/tmp/.cur_input", () => bytes, () => opened = true);
 * ```
 */
export function serveInputFile(
  p: LinuxProcess,
  guestPath: string,
  input: () => Uint8Array,
  onOpen: () => void,
): void {
  const openat = p.syscalls.openat;
  p.syscalls.openat = (proc, a) => {
    const path = readString(proc, a[1]);
    if (proc.paths.absolute(path, proc.paths.cwd) !== guestPath) return openat(proc, a);
    onOpen();
    const cloexec = (Number(a[2]) & O.CLOEXEC) !== 0;
    return proc.fds.install(new MemoryFile(input(), guestPath), cloexec);
  };
}
