/**
 * Process snapshots as plain data, for snapshot files (`-loadvm`): the
 * conversion to a {@linkcode PortableSnapshot} and back into a snapshot of a
 * fresh process of the same program.
 *
 * Memory is stored sparsely (zero pages are not stored). Descriptors: the
 * standard streams stay those of the process that loads the file; host files
 * are reopened by their guest path and put at their saved offset. Open
 * directories, pipes, sockets and event files cannot be saved to a file: the
 * refusal names the descriptor and what it is.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { PAGE_SIZE } from "../host_memory.ts";
import type { PortableSnapshot, SnapshotIdentity } from "../snapshot/file.ts";
import { FrameImage } from "../snapshot/frames.ts";
import type { PageTableSnapshot, SavedPage } from "../snapshot/page_table.ts";
import {
  DirFile,
  HostFile,
  InputStream,
  O,
  type OpenFile,
  OutputStream,
  S_IF,
  S_IFMT,
} from "./fds.ts";
import type { LinuxProcess } from "./process.ts";
import { osState, type ProcessSnapshot } from "./process_state.ts";
import { PtyMaster, PtySlave } from "./pty.ts";
import { shapeMismatch } from "../snapshot/shape.ts";

/** The highest descriptor number a snapshot file may hold (Linux's default hard limit). */
const MAX_SAVED_FD = 1 << 20;

/** The highest pid or tid Linux hands out (PID_MAX_LIMIT on 64-bit). */
const PID_MAX_LIMIT = 4 * 1024 * 1024;

/** The kind tag of a process snapshot file. */
export const PROCESS_SNAPSHOT_KIND = "linux-process";

/** A descriptor as a file records it. */
export interface SavedFd {
  /** the descriptor number */
  fd: number;
  /** FD_CLOEXEC */
  cloexec: boolean;
  /** "std": keep the loading process's stream at this fd */
  kind: "std" | "file";
  /** host files: the guest path they were opened by */
  guestPath?: string;
  /** host files: O_ACCMODE, O_APPEND and O_NONBLOCK */
  flags?: number;
  /** host files: the file offset */
  offset?: number;
}

/**
 * Which process a snapshot file belongs to: the same program (by its real
 * path) on the same CPU model.
 *
 * @example
 * ```ts ignore
 * await saveSnapshotFile("vm.snap", p.snapshot(), processSnapshotIdentity(p));
 * ```
 */
export function processSnapshotIdentity(p: LinuxProcess): SnapshotIdentity {
  return { mode: "user", program: p.programPath, cpu: p.cpu.target.name };
}

/** Describes the descriptors of `p` (at snapshot time, for a later file). */
export function describeFds(p: LinuxProcess): SavedFd[] | string {
  const out: SavedFd[] = [];
  for (const { fd, file, cloexec } of p.fds.list()) {
    if (file instanceof InputStream || file instanceof OutputStream) {
      out.push({ fd, cloexec, kind: "std" });
    } else if (file instanceof HostFile) {
      const offset = file.file.seekSync(0, Deno.SeekMode.Current);
      out.push({
        fd,
        cloexec,
        kind: "file",
        guestPath: file.guestPath,
        flags: file.statusFlags,
        offset,
      });
    } else return `fd ${fd} is ${unsavedKind(file)}`;
  }
  return out;
}

/** What an open file that a snapshot file cannot hold is, for the refusal. */
function unsavedKind(file: OpenFile): string {
  if (file instanceof DirFile) return "a directory";
  if (file instanceof PtyMaster || file instanceof PtySlave) return "a pseudo-terminal";
  const type = file.stat().mode & S_IFMT;
  if (type === S_IF.SOCK) {
    return file.outside ? "a socket on the host network (-net host)" : "an AF_UNIX socket";
  }
  return type === S_IF.FIFO ? "a pipe" : "an eventfd, timerfd, signalfd or epoll instance";
}

/** `s` as plain data; throws EmuError when it holds what a file cannot (pipes, sockets...). */
export function portableProcess(s: ProcessSnapshot, fds: SavedFd[] | string): PortableSnapshot {
  if (typeof fds === "string") {
    throw new EmuError(`cannot save the process to a file: ${fds}`, "close it before saving");
  }
  const pages: [number, number, number][] = [];
  const stored: Uint8Array[] = [];
  for (const [pn, page] of s.memory.pages) {
    if (page.mmio) throw new EmuError("cannot save the process to a file: it maps MMIO");
    const data = s.memory.image.contents(page.frame)!;
    const zero = data.every((b) => b === 0);
    pages.push([pn, page.perms, zero ? -1 : stored.length]);
    if (!zero) stored.push(data);
  }
  const memory = new Uint8Array(stored.length * PAGE_SIZE);
  stored.forEach((d, i) => memory.set(d, i * PAGE_SIZE));
  const { cpu, memory: _m, restoreFds: _f, portable: _p, ...rest } = s;
  return {
    kind: PROCESS_SNAPSHOT_KIND,
    meta: { ...rest, icount: cpu.icount, skippedNs: cpu.skippedNs, pages, fds },
    blobs: { state: cpu.state, memory },
  };
}

type ProcessMeta = Omit<ProcessSnapshot, "cpu" | "memory" | "restoreFds" | "portable"> & {
  icount: number;
  skippedNs: bigint;
  pages: [number, number, number][];
  fds: SavedFd[];
};

/** A snapshot of `p` made from a file's data (frames allocated in `p`). */
export function materializeProcess(p: LinuxProcess, f: PortableSnapshot): ProcessSnapshot {
  if (f.kind !== PROCESS_SNAPSHOT_KIND) {
    throw new EmuError(`a ${f.kind} snapshot cannot be loaded into a user-mode process`);
  }
  const meta = checkedMeta(p, f);
  const host = p.mem.host;
  const pages = new Map<number, SavedPage>(), pageOfFrame = new Map<number, number>();
  const frames: number[] = [];
  const data = new Uint8Array(meta.pages.length * PAGE_SIZE);
  meta.pages.forEach(([pn, perms, at], i) => {
    const frame = host.allocFrame();
    pages.set(pn, { frame, perms });
    pageOfFrame.set(frame, pn);
    frames.push(frame);
    if (at >= 0) {
      data.set(f.blobs.memory.subarray(at * PAGE_SIZE, (at + 1) * PAGE_SIZE), i * PAGE_SIZE);
    }
  });
  const memory: PageTableSnapshot = {
    pages,
    pageOfFrame,
    image: FrameImage.fromData(frames, data),
    cleanLayout: -1,
  };
  const { icount, skippedNs, pages: _p, fds, ...rest } = meta;
  return {
    ...rest,
    cpu: { state: f.blobs.state, icount, skippedNs },
    memory,
    restoreFds: () => reopenFds(p, fds),
    portable: () => portableProcess(materializeProcess(p, f), fds),
  };
}

/** The file's state, once it has this process's shape and fits in it (else EmuError). */
function checkedMeta(p: LinuxProcess, f: PortableSnapshot): ProcessMeta {
  const like = { ...osState(p), run: null, icount: 0, skippedNs: 0n, pages: [[0, 0, 0]], fds: [] };
  // Files written before threads (or timers) existed lack their fields (restoreProcess fills
  // them in).
  const old = f.meta as
    | {
      thread?: { nextId?: unknown };
      timers?: unknown;
      posixTimers?: unknown;
      signals?: { threadPending?: unknown };
      brk?: { top?: unknown };
    }
    | null;
  const optional = like as {
    thread?: { nextId?: unknown };
    timers?: unknown;
    posixTimers?: unknown;
    signals: { threadPending?: unknown };
    brk: { top?: unknown; mmapNext?: unknown; movedFrom?: unknown };
  };
  if (old?.thread === undefined) delete optional.thread;
  else if (old.thread?.nextId === undefined) delete optional.thread!.nextId;
  if (old?.timers === undefined) delete optional.timers;
  if (old?.posixTimers === undefined) delete optional.posixTimers;
  if (old?.signals?.threadPending === undefined) delete optional.signals.threadPending;
  if (old?.brk?.top === undefined) { // written before mmap placed memory as qemu-user
    delete optional.brk.top;
    delete optional.brk.mmapNext;
    delete optional.brk.movedFrom;
  }
  const blobs = { state: new Uint8Array(p.cpu.target.state.size), memory: null };
  const bad = (what: string) => new EmuError(`snapshot: damaged state (${what})`);
  const mismatch = shapeMismatch(f.meta, like, "meta") ?? shapeMismatch(f.blobs, blobs, "blobs");
  if (mismatch) throw bad(mismatch);
  const meta = f.meta as ProcessMeta;
  const stored = f.blobs.memory.length / PAGE_SIZE, seen = new Set<number>();
  const lastPage = Number(p.as.limit / BigInt(PAGE_SIZE));
  if (meta.pages.length > Number(p.as.memoryLimit / BigInt(PAGE_SIZE))) {
    throw bad("more pages than the memory ceiling");
  }
  for (const [pn, perms, at] of meta.pages) {
    if (pn < 0 || pn >= lastPage || seen.has(pn)) throw bad(`page ${pn}`);
    if (perms < 0 || perms > 7 || at < -1 || at >= stored) throw bad(`page ${pn}`);
    seen.add(pn);
  }
  if (!Number.isInteger(stored)) throw bad("memory data not in whole pages");
  const moved = meta.brk.movedFrom ?? [];
  if (moved.some((m) => !Array.isArray(m) || m.length !== 2 || !m.every(Number.isInteger))) {
    throw bad("moved pages");
  }
  for (const s of meta.fds) if (!validFd(s)) throw bad(`fd ${JSON.stringify(s)}`);
  const timers = meta.timers ?? [];
  if (meta.timers && (timers.length !== 3 || timers.some(([at, i]) => at < 0n || i < 0n))) {
    throw bad("interval timers");
  }
  const posix = meta.posixTimers ?? { nextId: 0, timers: [] };
  if (!validPosixTimers(posix)) throw bad("POSIX timers");
  const ids = meta.thread;
  if (ids?.nextId !== undefined && !(ids.nextId > ids.tid && ids.nextId <= PID_MAX_LIMIT)) {
    throw bad("the next thread id");
  }
  return meta;
}

/** Whether saved POSIX timers are whole: distinct ids below the next one, sane fields. */
function validPosixTimers(s: ProcessMeta["posixTimers"]): boolean {
  const count = (n: unknown, max: number) =>
    Number.isSafeInteger(n) && 0 <= (n as number) && (n as number) <= max;
  if (!count(s.nextId, 0x7fffffff) || !Array.isArray(s.timers)) return false;
  const ids = new Set(s.timers.map((t) => t?.id));
  return ids.size === s.timers.length &&
    s.timers.every((t) =>
      t !== null && typeof t === "object" && count(t.id, s.nextId - 1) && count(t.clock, 11) &&
      [0, 1, 4].includes(t.notify) && count(t.signal, 64) && count(t.tid, 0x7fffffff) &&
      typeof t.value === "bigint" && typeof t.at === "bigint" && t.at >= 0n &&
      typeof t.interval === "bigint" && t.interval >= 0n && count(t.overrun, 0x7fffffff)
    );
}

function validFd(s: SavedFd): boolean {
  const int = (n: unknown, max: number) =>
    Number.isSafeInteger(n) && 0 <= (n as number) && (n as number) <= max;
  if (!s || !int(s.fd, MAX_SAVED_FD) || typeof s.cloexec !== "boolean") return false;
  if (s.kind === "std") return true;
  return s.kind === "file" && typeof s.guestPath === "string" && int(s.flags, 0xffffffff) &&
    int(s.offset, Number.MAX_SAFE_INTEGER);
}

function reopenFds(p: LinuxProcess, fds: SavedFd[]): void {
  const keep = new Map(p.fds.list().map((e) => [e.fd, e.file]));
  for (const { fd } of p.fds.list()) if (fds.every((s) => s.fd !== fd)) p.fds.close(fd);
  for (const s of fds) {
    if (s.kind === "std") {
      const file = keep.get(s.fd);
      if (!file) throw new EmuError(`snapshot: fd ${s.fd} is a standard stream this process lacks`);
      p.fds.installAt(s.fd, file, s.cloexec);
      continue;
    }
    const host = p.paths.toHost(s.guestPath!);
    try {
      const acc = s.flags! & O.ACCMODE;
      const file = Deno.openSync(host, { read: acc !== O.WRONLY, write: acc !== O.RDONLY });
      file.seekSync(s.offset!, Deno.SeekMode.Start);
      p.fds.installAt(s.fd, new HostFile(file, s.flags!, s.guestPath!), s.cloexec);
    } catch (e) {
      if (e instanceof EmuError) throw e;
      throw new EmuError(
        `snapshot: cannot reopen ${s.guestPath} as fd ${s.fd} (${
          (e as Error).message.split("\n")[0]
        })`,
        "a snapshot holds host files' offsets, not their contents: the file must be there, " +
          "under the same --root, when the snapshot is loaded",
      );
    }
  }
}
