/**
 * Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise and the
 * no-op family (msync, mlock...), plus instruction-cache flushes.
 *
 * @module
 */

import { readInputFile, realInputPath } from "../host_files.ts";
import { E, SysError } from "./errno.ts";
import { type ElfFile, parseElf } from "../elf.ts";
import { O, type OpenFile } from "./fds.ts";
import { PAGE_SIZE } from "../host_memory.ts";
import { MAP, PAGE, pageDown, type PageSource, pageUp } from "./mm.ts";
import { SharedRegion } from "./shared_memory.ts";
import { int, put, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { logPageLayout } from "./page_log.ts";

function mmap(p: LinuxProcess, a: bigint[]): bigint {
  const addr = a[0], length = BigInt.asUintN(64, a[1]); // -4096 is a huge length: ENOMEM
  const prot = int(a[2]), flags = int(a[3]), fd = int(a[4]);
  const offset = BigInt.asIntN(64, a[5]);
  if (prot & ~7 || length === 0n) throw new SysError(E.EINVAL);
  if (offset < 0n || (offset & (PAGE - 1n))) throw new SysError(E.EINVAL);
  if (!(flags & (MAP.SHARED | MAP.PRIVATE))) throw new SysError(E.EINVAL);
  if (length > p.as.limit) throw new SysError(E.ENOMEM);
  const shared = (flags & MAP.SHARED) !== 0;
  if (flags & MAP.ANONYMOUS) {
    const region = shared ? new SharedRegion(0n, null) : undefined;
    return p.as.mmap(
      addr,
      length,
      prot,
      flags,
      undefined,
      region ? { ...SHARED_ZERO, region } : null,
    );
  }
  const f = p.fds.get(fd);
  if (!f.pread) throw new SysError(f.entries ? E.ENODEV : E.EACCES);
  if ((f.statusFlags & O.ACCMODE) === O.WRONLY) throw new SysError(E.EACCES);
  if (shared && (prot & PROT_WRITE) && (f.statusFlags & O.ACCMODE) !== O.RDWR) {
    throw new SysError(E.EACCES);
  }
  const st = f.stat();
  const n = st.size > offset ? Number(st.size - offset < length ? st.size - offset : length) : 0;
  let contents = new Uint8Array(n);
  if (n) f.pread(contents, Number(offset));
  const source: PageSource = { name: f.guestPath ?? "", dev: st.dev, ino: st.ino, offset, shared };
  if (shared) {
    source.region = fileRegion(p, f);
    contents = sharedContents(source.region, offset, pageUp(length), contents);
  }
  let at: bigint;
  try {
    at = p.as.mmap(addr, length, prot, flags, contents, source);
  } catch (e) {
    source.region?.releaseIfUnused();
    throw e;
  }
  if (source.region) p.as.aliasShared(at, pageUp(length), source.region);
  const filePages = pageUp(BigInt(n)); // the pages past them lie wholly past the file's end
  if (filePages < pageUp(length)) p.as.hideBeyondEof(at + filePages, pageUp(length) - filePages);
  if (prot & PROT_EXEC && f.guestPath) {
    // a mapping of the whole file (the dynamic loader's first one) is the module's image already
    const whole = !shared && offset === 0n && BigInt(contents.length) === st.size
      ? contents
      : undefined;
    noteExecMapping(p, f.guestPath, at, offset, whole);
  }
  return at;
}

const PROT_WRITE = 2, PROT_EXEC = 4, MADV_DONTNEED = 4;

/**
 * The shared region of file `f` in the guest world: one for every
 * MAP_SHARED mapping of it, in every process, kept open by the first
 * description mapped (or the first writable one, for the write-back).
 */
function fileRegion(p: LinuxProcess, f: OpenFile): SharedRegion {
  const st = f.stat(), key = `${st.dev}:${st.ino}`, files = p.world.sharedFiles;
  const writable = (g: OpenFile) => (g.statusFlags & O.ACCMODE) === O.RDWR;
  let region = files.get(key);
  if (!region) {
    region = new SharedRegion(0n, { file: f, release: p.fds.hold(f) }, () => files.delete(key));
    files.set(key, region);
  } else if (region.backing && !writable(region.backing.file) && writable(f)) {
    region.backing.release();
    region.backing = { file: f, release: p.fds.hold(f) };
  }
  return region;
}

/**
 * What a new shared mapping of `len` bytes at file `offset` holds: the
 * region's pages that some mapping has already, the file's bytes (`file`)
 * elsewhere, which the region takes as its own.
 */
function sharedContents(region: SharedRegion, offset: bigint, len: bigint, file: Uint8Array) {
  const out = new Uint8Array(Number(len)), first = Number(offset / PAGE);
  out.set(file);
  for (let i = 0; i * PAGE_SIZE < out.length; i++) {
    const page = out.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    if (region.has(first + i)) page.set(region.page(first + i));
    else region.fill(first + i, page);
  }
  return out;
}

/** What /proc/self/maps names shared anonymous memory (Linux backs it by a deleted shmem file). */
const SHARED_ZERO = { name: "/dev/zero (deleted)", dev: 1n, ino: 0n, offset: 0n, shared: true };

/**
 * Records the module of an executable file mapping (the dynamic loader
 * mapping a shared library's code): its load bias is where the PT_LOAD
 * segment at file `offset` landed. Files that are not ELF images are no module.
 * `image`, when the mapping read the whole file, spares reading it again
 * (libc is 1.2 MB: a few ms of every dynamic program's start-up).
 */
function noteExecMapping(
  p: LinuxProcess,
  guestPath: string,
  at: bigint,
  offset: bigint,
  image?: Uint8Array,
): void {
  let host: string, elf: ElfFile;
  try {
    host = realInputPath(p.paths.toHost(guestPath));
    if (p.modules.list.some((m) => m.path === host)) return;
    elf = parseElf(image ?? readInputFile(host), guestPath);
  } catch {
    return;
  }
  const seg = elf.loads.find((s) => (BigInt(s.offset) & ~(PAGE - 1n)) === offset);
  if (seg) p.modules.add(host, elf, at - (seg.vaddr & ~(PAGE - 1n)));
}

/**
 * mlock/munlock: nothing to do (guest memory is never paged out), but as on
 * Linux the pages of the range, from `a[0]`'s page on, must all be mapped,
 * and a range that wraps past the top of the address space is EINVAL. mlock
 * also fails on PROT_NONE pages (Linux cannot fault them in: ENOMEM), such as
 * the reserved gaps between an image's segments.
 */
function lockRange(p: LinuxProcess, a: bigint[], lock: boolean): number {
  const start = pageDown(a[0]);
  const len = BigInt.asUintN(64, pageUp(a[1] + (a[0] - start))); // Linux's unsigned long
  if (BigInt.asUintN(64, start + len) < start) throw new SysError(E.EINVAL);
  if (len && !p.mem.isMapped(start, len, lock)) throw new SysError(E.ENOMEM);
  return 0;
}

function flushCode(p: LinuxProcess): number {
  p.cpu.tbs.flush();
  return 0;
}

/**
 * Memory syscalls by name.
 *
 * @example
 * ```ts
 * import { memorySyscalls } from "./sys_memory.ts";
 * console.log("mmap" in memorySyscalls); // true
 * ```
 */
export const memorySyscalls: SyscallTable = {
  brk: (p, a) => {
    const top = p.as.brkTop, brk = p.as.setBrk(a[0]);
    if (p.as.brkTop > top) logPageLayout(p, "mmap"); // QEMU maps the break's new pages by mmap
    return brk;
  },
  mmap: (p, a) => {
    const at = mmap(p, a);
    logPageLayout(p, "mmap");
    return at;
  },
  munmap: (p, a) => (p.as.munmap(a[0], a[1]), 0),
  mprotect: (p, a) => {
    if (int(a[2]) & ~7) throw new SysError(E.EINVAL);
    p.as.mprotect(a[0], a[1], int(a[2]));
    return 0;
  },
  mremap: (p, a) => p.as.mremap(a[0], a[1], a[2], int(a[3]), a[4]),
  madvise: (p, a) => {
    if (a[0] & (PAGE - 1n)) throw new SysError(E.EINVAL);
    if (int(a[2]) === MADV_DONTNEED) p.as.dropPages(a[0], a[1]);
    return 0;
  },
  msync: (p, a) => {
    if ((a[0] & (PAGE - 1n)) || (int(a[2]) & ~7) || (int(a[2]) & 5) === 5) {
      throw new SysError(E.EINVAL);
    }
    if (!p.mem.isMapped(a[0], a[1] || 1n)) throw new SysError(E.ENOMEM);
    p.as.writeBack(a[0], a[1]);
    return 0;
  },
  /** every page of a mapped range is resident: guest memory is never paged out */
  mincore: (p, a) => {
    if (a[0] & (PAGE - 1n)) throw new SysError(E.EINVAL);
    const len = pageUp(a[1]);
    if (len && !p.mem.isMapped(a[0], len)) throw new SysError(E.ENOMEM);
    put(p, a[2], new Uint8Array(Number(len / PAGE)).fill(1));
    return 0;
  },
  mlock: (p, a) => lockRange(p, a, true),
  munlock: (p, a) => lockRange(p, a, false),
  mlockall: () => 0,
  munlockall: () => 0,
  membarrier: () => 0,
  /** flushes all translated code, whatever range is asked for */
  cacheflush: flushCode,
};
