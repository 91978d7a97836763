/**
 * execve: the calling process runs another riscv ELF program, found through
 * the process's path resolver (so `--root` and `-L` hold), directly or
 * through `#!` interpreter lines (up to 4 deep, as Linux allows). Everything
 * is checked before the old image goes: a missing file, a non-executable
 * one, a foreign ELF or a bad interpreter fails the call and the caller goes
 * on. Then, as in Linux: the other threads end, the address space is
 * emptied, caught signals return to their default (ignored ones stay),
 * close-on-exec descriptors close, and the new program starts with a fresh
 * stack.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { type ElfFile, parseElf } from "../elf.ts";
import { readInputFile, statInputFile } from "../host_files.ts";
import { E, SysError } from "./errno.ts";
import { mmapBaseFor } from "./loader.ts";
import type { LinuxProcess } from "./process.ts";
import { loadProgram } from "./program_load.ts";
import { recordedOpenHere, recordedRead } from "./recorded_inputs.ts";
import { SIG, SIG_DFL, SIG_IGN, SS_DISABLE } from "./signals.ts";
import { PosixTimers } from "./posix_timers.ts";
import { procAlias } from "./proc_files.ts";
import { get, NO_RETURN, readPath, readString, type SyscallTable } from "./syscall.ts";

/** Nested `#!` interpreters followed at most (Linux's BINPRM_MAX_RECURSION). */
const MAX_INTERPRETERS = 4;
/** Longest `#!` line read (Linux's BINPRM_BUF_SIZE). */
const SHEBANG_MAX = 256;
/** Most argv or envp strings taken. */
const MAX_STRINGS = 4096;

/** A program ready to replace the caller: its ELF, host path and the argv it gets. */
interface ExecImage {
  elf: ElfFile;
  hostPath: string;
  guestPath: string;
  argv: string[];
  /** its interpreter's file (ld.so), if it has one */
  interp?: Uint8Array;
}

/** Reads a NULL-terminated array of guest strings. */
function strings(p: LinuxProcess, addr: bigint): string[] {
  const out: string[] = [];
  if (addr === 0n) return out;
  for (let i = 0;; i++) {
    if (i >= MAX_STRINGS) throw new SysError(E.E2BIG);
    const ptr = new DataView(get(p, addr + BigInt(i * 8), 8).buffer).getBigUint64(0, true);
    if (ptr === 0n) return out;
    out.push(readString(p, ptr, 1 << 17));
  }
}

/**
 * The file of guest path `path`, readable and executable, as bytes: read
 * through the host-files point (so a bundle serves it) and the process's
 * input log (so a replay reproduces it, or refuses a file that changed).
 */
function readExecutable(
  p: LinuxProcess,
  path: string,
): { host: string; guest: string; bytes: Uint8Array } {
  // through /proc/self's magic links (BusyBox's shell runs its applets as /proc/self/exe)
  const given = p.paths.absolute(path), guest = procAlias(p, given);
  const host = p.paths.toHost(guest === given ? path : guest);
  const log = p.inputLog, icount = p.clock.instructions();
  const read = () => {
    try {
      return readInputFile(host);
    } catch {
      throw new SysError(E.EACCES);
    }
  };
  // the log has this read (a replay, a re-execution): the recording checked the file
  if (log && recordedOpenHere(log, icount)) {
    return { host, guest, bytes: recordedRead(log, icount, guest, host, read) };
  }
  let st: Deno.FileInfo;
  try {
    st = statInputFile(host);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new SysError(E.ENOENT);
    throw new SysError(E.EACCES);
  }
  if (st.isDirectory || !((st.mode ?? 0o755) & 0o111)) throw new SysError(E.EACCES);
  return { host, guest, bytes: log ? recordedRead(log, icount, guest, host, read) : read() };
}

/** Follows `#!` lines from `path` to an ELF of this machine; argv as the kernel rewrites it. */
function resolveImage(p: LinuxProcess, path: string, argv: string[]): ExecImage {
  for (let depth = 0; depth <= MAX_INTERPRETERS; depth++) {
    const { host, guest, bytes } = readExecutable(p, path);
    if (bytes[0] === 0x23 && bytes[1] === 0x21) { // "#!"
      const end = bytes.subarray(0, SHEBANG_MAX).indexOf(10);
      const line = new TextDecoder().decode(bytes.subarray(2, end < 0 ? SHEBANG_MAX : end)).trim();
      const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) throw new SysError(E.ENOEXEC);
      argv = [m[1], ...(m[2] ? [m[2]] : []), path, ...argv.slice(1)];
      path = m[1];
      continue;
    }
    let elf: ElfFile;
    try {
      elf = parseElf(bytes, path);
    } catch {
      throw new SysError(E.ENOEXEC);
    }
    const t = p.cpu.target;
    if (elf.machine !== t.elfMachine || elf.elfClass !== t.elfClass) throw new SysError(E.ENOEXEC);
    const interp = elf.interp === null ? undefined : readExecutable(p, elf.interp).bytes;
    // the path as given (AT_EXECFN), unless it named the program through /proc/self
    const guestPath = guest === p.paths.absolute(path) ? path : guest;
    return { elf, hostPath: host, guestPath, argv, interp };
  }
  throw new SysError(E.ELOOP);
}

/** Empties the caller's image: other threads, memory, caught signals, close-on-exec fds. */
function dropImage(p: LinuxProcess): void {
  p.threads.reset(p.pid);
  const target = p.cpu.target;
  p.as.clear(mmapBaseFor(target.elfClass === 2 ? 2 : 1, target.linux?.mmapBase));
  for (const a of p.signals.actions) {
    if (a.handler !== SIG_IGN) Object.assign(a, { handler: SIG_DFL, flags: 0, mask: 0n });
  }
  p.signals.altStack = { sp: 0n, flags: SS_DISABLE, size: 0n };
  p.timers.posix = new PosixTimers(); // POSIX timers end with the image; interval timers stay
  for (const { fd, cloexec } of p.fds.list()) if (cloexec) p.fds.close(fd);
  p.cpu.target.reset(p.cpu);
}

function execve(p: LinuxProcess, a: bigint[]): typeof NO_RETURN {
  const path = readPath(p, a[0]);
  const img = resolveImage(p, path, strings(p, a[1]));
  const env = strings(p, a[2]);
  dropImage(p);
  try {
    loadProgram(p, img.elf, img.hostPath, {
      program: img.guestPath,
      argv0: img.argv[0] ?? img.guestPath,
      args: img.argv.slice(1),
      env,
    }, img.interp);
  } catch (e) {
    if (!(e instanceof EmuError || e instanceof SysError)) throw e;
    // Past the point of no return: the kernel kills the process.
    p.exit(128 + SIG.SIGSEGV, SIG.SIGSEGV);
    return NO_RETURN;
  }
  p.exePath = p.paths.absolute(img.guestPath);
  p.comm = path.slice(path.lastIndexOf("/") + 1);
  p.programPath = img.hostPath;
  p.elf = img.elf;
  return NO_RETURN;
}

/**
 * execve by name.
 *
 * @example
 * ```ts
 * import { execSyscalls } from "./sys_exec.ts";
 * console.log("execve" in execSyscalls); // true
 * ```
 */
export const execSyscalls: SyscallTable = { execve };
