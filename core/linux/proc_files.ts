/**
 * The guest's `/proc`: what a program reads about itself is made from the
 * emulated process, never from the host's `/proc` (which describes Deno):
 * `/proc/self/{maps,auxv,cmdline,status,stat,fd/}`, `/proc/cpuinfo`,
 * `/proc/meminfo`, and the magic links `exe`, `cwd`, `root` and `fd/N`; the
 * same of every other guest process at `/proc/<pid>`, and `/proc` lists them
 * (as `pidof` and `ps` look for processes).
 *
 * `/proc/self/root` is the guest's `/`, so a lookup through it stays under
 * `--root`. Other `/proc` paths resolve as any path does (the host's `/proc`
 * without `--root`, nothing under it).
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { type DirEntry, DirFile, O, type OpenFile, S_IF, S_IFMT, syntheticStat } from "./fds.ts";
import { MemoryFile } from "./memory_file.ts";
import { PAGE } from "./mm.ts";
import type { LinuxProcess } from "./process.ts";
import { parentPid } from "./sys_children.ts";
import { hostIds } from "./program_load.ts";

/** What `sysinfo` and `/proc/meminfo` report: 4 GiB of RAM, 2 GiB free. */
export const TOTAL_RAM = 4n << 30n, FREE_RAM = 2n << 30n;

/** What a `/proc/<pid>/...` path names: the process, how it was named, the part after the pid. */
interface PidPath {
  q: LinuxProcess;
  /** `self`, `thread-self` (the two symlinks) or the pid */
  via: string;
  part: string;
}

/**
 * The guest process `/proc/<pid>/...` names (`self`: `p`) and the part after the pid, or null.
 * A thread's `/proc/<pid>/task/<tid>/...` (where `thread-self` leads) is its process's.
 */
function pidPart(p: LinuxProcess, abs: string): PidPath | null {
  const m = /^\/+proc\/+(self|thread-self|\d+)(?:\/+task\/+\d+(?=\/|$))?(\/.*)?$/.exec(abs);
  if (!m) return null;
  const q = /^\d+$/.test(m[1]) ? p.world.processes.find((x) => x.pid === Number(m[1])) : p;
  if (!q) return null;
  return { q, via: m[1], part: (m[2] ?? "").replace(/\/+/g, "/").replace(/^\/|\/$/g, "") };
}

/** Whether `at` is `/proc/self` or `/proc/thread-self` itself: a symlink, as on Linux. */
const isSelfLink = (at: PidPath) => at.part === "" && !/^\d/.test(at.via);

/**
 * Rewrites a guest path through the magic links of `/proc/self`: `root/X`
 * is `/X`, `cwd/X` is the cwd's `X`, `exe` is the program, `fd/N` the file
 * of descriptor N (when it has a path). Other paths come back unchanged.
 *
 * @example
 * ```ts ignore
 * procAlias(p, "/proc/self/root/etc/passwd"); // "/etc/passwd", inside --root
 * ```
 */
export function procAlias(p: LinuxProcess, abs: string, followLast = true): string {
  const at = pidPart(p, abs);
  if (at === null || (!followLast && procLinkNames.test(at.part))) return abs;
  const { q, part } = at;
  const [head, ...rest] = part.split("/");
  const tail = rest.length ? "/" + rest.join("/") : "";
  if (head === "root") return "/" + rest.join("/");
  if (head === "cwd") return q.paths.cwd + tail;
  if (head === "exe" && !tail) return q.exePath;
  const fd = /^fd\/(\d+)$/.exec(part);
  if (fd && q.fds.has(Number(fd[1]))) return q.fds.get(Number(fd[1])).guestPath ?? abs;
  return abs;
}

const procLinkNames = /^(exe|root|cwd|fd\/\d+)$/;

/** The target of a `/proc/self` magic link (readlink), or null when `abs` is none. */
export function procLink(p: LinuxProcess, abs: string): string | null {
  const at = pidPart(p, abs);
  if (!at) return null;
  const { q, part } = at;
  if (isSelfLink(at)) return at.via === "self" ? `${q.pid}` : `${q.pid}/task/${q.tid}`;
  if (part === "exe") return q.exePath;
  if (part === "root") return "/";
  if (part === "cwd") return q.paths.cwd;
  const fd = part && /^fd\/(\d+)$/.exec(part);
  if (!fd) return null;
  if (!q.fds.has(Number(fd[1]))) throw new SysError(E.ENOENT);
  const f = q.fds.get(Number(fd[1]));
  const socket = !f.entries && (f.stat().mode & S_IFMT) === S_IF.SOCK;
  return f.guestPath ?? `${f.entries ? "anon_inode" : socket ? "socket" : "pipe"}:[${fd[1]}]`;
}

/**
 * Opens a file of the guest's `/proc`; null when `abs` is not one (the
 * caller opens it as any path). Writing to one fails with EACCES.
 */
export function openProc(p: LinuxProcess, abs: string, flags: number): OpenFile | null {
  const at = pidPart(p, abs);
  if (!at && /^\/+proc\/*$/.test(abs)) return procDirectory(p, abs);
  if (at && isSelfLink(at) && (flags & (O.NOFOLLOW | O.PATH)) === O.NOFOLLOW) {
    throw new SysError(E.ELOOP);
  }
  if (at?.part === "") return directory(abs, PID_ENTRIES);
  const text = at === null ? globalFile(p, abs) : selfFile(at.q, at.part);
  if (text === null && at?.part === "fd") return fdDirectory(at.q, abs);
  if (text === null) return null;
  if (flags & 3) throw new SysError(E.EACCES);
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const info = { ...syntheticStat(S_IF.REG | 0o444), ino: 1n };
  return new MemoryFile(bytes, abs, info);
}

function globalFile(p: LinuxProcess, abs: string): string | null {
  const path = abs.replace(/\/+/g, "/");
  if (path === "/proc/cpuinfo") return p.abi.cpuinfo?.(p.cpu.target.isa ?? "") ?? null;
  if (path === "/proc/meminfo") return meminfo();
  return null;
}

function selfFile(p: LinuxProcess, part: string): string | Uint8Array | null {
  switch (part) {
    case "maps":
      return maps(p);
    case "auxv":
      return p.auxv;
    case "cmdline":
      return p.cmdline;
    case "status":
      return status(p);
    case "stat":
      return stat(p);
    case "comm":
      return commOf(p) + "\n";
    default:
      return null;
  }
}

function commOf(p: LinuxProcess): string {
  return (p.comm || p.exePath.slice(p.exePath.lastIndexOf("/") + 1)).slice(0, 15);
}

const DT_DIR = 4, DT_REG = 8, DT_LNK = 10;
/** What a `/proc/<pid>` directory lists: the files and links this module makes. */
const PID_ENTRIES: [string, number][] = [
  ...["auxv", "cmdline", "comm", "maps", "stat", "status"].map((n) =>
    [n, DT_REG] as [string, number]
  ),
  ["fd", DT_DIR],
];

/** A directory of the guest's /proc listing `entries` (name, DT_* type) after `.` and `..`. */
function directory(abs: string, entries: [string, number][], mode = 0o555): DirFile {
  const all = [[".", DT_DIR], ["..", DT_DIR], ...entries] as [string, number][];
  const list: DirEntry[] = all.map(([name, type]) => ({ name, ino: 1n, type }));
  return new DirFile(abs, "", list, { ...syntheticStat(S_IF.DIR | mode), ino: 1n });
}

/** `/proc` itself: its files, then a directory per guest process (what `pidof`, `ps` scan). */
function procDirectory(p: LinuxProcess, abs: string): DirFile {
  const pids = p.world.processes.map((q) => q.pid).sort((a, b) => a - b);
  return directory(abs, [
    ["cpuinfo", DT_REG],
    ["meminfo", DT_REG],
    ["self", DT_LNK],
    ["thread-self", DT_LNK],
    ...pids.map((pid) => [String(pid), DT_DIR] as [string, number]),
  ]);
}

/** `/proc/<pid>/fd` as a directory: one symlink entry per open descriptor. */
function fdDirectory(p: LinuxProcess, abs: string): DirFile {
  return directory(abs, p.fds.list().map(({ fd }) => [String(fd), DT_LNK]), 0o500);
}

const PERM_CHARS = ["r", "w", "x"];

/**
 * One line of /proc/self/maps as qemu-user 7.2 writes it: addresses unpadded, the name at
 * column 73 and spaces up to there when there is none.
 */
function mapsLine(lo: bigint, hi: bigint, perms: string, src: MapsSource): string {
  const dev = src.dev;
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const hex = (v: bigint, w: number) => v.toString(16).padStart(w, "0");
  const head = `${hex(lo, 1)}-${hex(hi, 1)} ${perms} ${hex(src.offset, 8)} ` +
    `${hex(major, 2)}:${hex(minor, 2)} ${src.ino}`;
  return `${head.padEnd(73)}${src.name}\n`;
}

interface MapsSource {
  name: string;
  dev: bigint;
  ino: bigint;
  offset: bigint;
  shared: boolean;
}

/**
 * The name and file of page `pn` as /proc/self/maps shows it. QEMU names only the stack: its
 * break and signal trampoline are mmaps like the program's own.
 */
function sourceOf(p: LinuxProcess, pn: number): MapsSource {
  const file = p.as.sources.get(pn);
  if (file) return file;
  const a = BigInt(pn) * PAGE, { stack } = p.as;
  const name = a >= stack.lo && a < stack.hi ? "[stack]" : "";
  return { name, dev: 0n, ino: 0n, offset: 0n, shared: false };
}

/** `/proc/self/maps`: runs of pages with the same permissions and source, in address order. */
function maps(p: LinuxProcess): string {
  const pns = [...p.mem.pages.keys()].sort((x, y) => x - y);
  const out: string[] = [];
  let i = 0;
  while (i < pns.length) {
    const first = pns[i], perms = p.as.permsOf(first), src = sourceOf(p, first);
    let j = i + 1;
    while (j < pns.length && pns[j] === pns[j - 1] + 1) {
      const next = sourceOf(p, pns[j]);
      const sameFile = next.name === src.name && next.ino === src.ino &&
        next.shared === src.shared &&
        (src.ino
          ? next.offset === src.offset + BigInt(j - i) * PAGE
          : p.as.originOf(pns[j]) === p.as.originOf(first) + (j - i));
      if (p.as.permsOf(pns[j]) !== perms || !sameFile) break;
      j++;
    }
    const rwx = PERM_CHARS.map((c, b) => perms & (1 << b) ? c : "-").join("");
    const lo = BigInt(first) * PAGE, hi = BigInt(pns[j - 1] + 1) * PAGE;
    out.push(mapsLine(lo, hi, rwx + (src.shared ? "s" : "p"), src));
    i = j;
  }
  return out.join("");
}

function kb(bytes: bigint): string {
  return `${String(bytes / 1024n).padStart(8)} kB`;
}

function status(p: LinuxProcess): string {
  const sig = (v: bigint) => v.toString(16).padStart(16, "0");
  const vm = p.as.mappedBytes;
  const stack = p.as.stack.hi - p.as.stack.lo, { uid, gid } = hostIds();
  return [
    `Name:\t${commOf(p)}`,
    `Umask:\t${p.umask.toString(8).padStart(4, "0")}`,
    "State:\tR (running)",
    `Tgid:\t${p.pid}`,
    "Ngid:\t0",
    `Pid:\t${p.pid}`,
    `PPid:\t${parentPid(p)}`,
    "TracerPid:\t0",
    `Uid:\t${uid}\t${uid}\t${uid}\t${uid}`,
    `Gid:\t${gid}\t${gid}\t${gid}\t${gid}`,
    `FDSize:\t${p.fds.list().length <= 64 ? 64 : 1024}`,
    `VmPeak:\t${kb(vm)}`,
    `VmSize:\t${kb(vm)}`,
    `VmRSS:\t${kb(vm)}`,
    `VmStk:\t${kb(stack)}`,
    `Threads:\t${p.threads.all.length}`,
    `SigBlk:\t${sig(p.signals.blocked)}`,
    "Cpus_allowed:\t1",
    "Cpus_allowed_list:\t0",
    "",
  ].join("\n");
}

/** `/proc/self/stat`: the fields up to `vsize`, which programs parse most. */
/** `/proc/<pid>/stat`: Linux's 52 fields (BusyBox's ps and pidof skip a shorter line). */
function stat(p: LinuxProcess): string {
  const fields = [p.pid, `(${commOf(p)})`, "R", parentPid(p), p.pgid, p.sid, 0, -1, 0];
  fields.push(0, 0, 0, 0, 0, 0, 0, 0, 20, 0, p.threads.all.length, 0, 0);
  const vsize = p.as.mappedBytes;
  fields.push(`${vsize} ${vsize / BigInt(PAGE)} 18446744073709551615`); // vsize, rss, rsslim
  fields.push(...Array(13).fill(0), 17, ...Array(13).fill(0)); // ... exit_signal ... exit_code
  return fields.join(" ") + "\n";
}

function meminfo(): string {
  const line = (k: string, v: bigint) => `${(k + ":").padEnd(16)}${kb(v)}`;
  return [
    line("MemTotal", TOTAL_RAM),
    line("MemFree", FREE_RAM),
    line("MemAvailable", FREE_RAM),
    line("Buffers", 0n),
    line("Cached", 0n),
    line("SwapTotal", 0n),
    line("SwapFree", 0n),
    "",
  ].join("\n");
}
