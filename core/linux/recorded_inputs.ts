/**
 * Where a Linux process reads the outside world, through its input log
 * (record/replay, `core/replay/input_log.ts`): stdin bytes, whether the
 * standard streams are terminals, and the
 * host files the guest opens for reading or runs (their SHA-256, or their
 * contents and stat with `storeFiles`), and what it sees of the host's file
 * system by path (stat results, directory listings). Each is one function called at the one place
 * the process reads that input; without a log they are not called. Host time
 * (`-realtime`) goes through the log's own `takeTime` in `sys_time.ts`.
 *
 * @module
 */

import { readInputFile, sha256Hex as sha256, statInputFile } from "../host_files.ts";
import { type InputLog, ReplayDivergence } from "../replay/input_log.ts";
import { errnoOf, SysError } from "./errno.ts";
import { type DirEntry, InputStream, type OpenFile, statFromDeno, type StatInfo } from "./fds.ts";
import { isHostError } from "./host_io.ts";
import { MemoryFile } from "./memory_file.ts";
import {
  corruptedEntry,
  dirEntriesFromJson,
  dirEntriesToJson,
  entryArray,
  entryInteger,
  entryObject,
  entryString,
  parseEntryJson,
  statFromJson,
  statToJson,
} from "./recorded_json.ts";

/** Linux's largest errno (a syscall's -errno lies in the last 4095 values). */
const MAX_ERRNO = 4095;

/**
 * Stdin through the log: recording reads `live` and logs what the guest got;
 * replaying never reads it.
 *
 * @example
 * ```ts ignore
 * this.fds.install(recordedStdin(log, stdin, stdin.isTty, () => clock.instructions()), false);
 * ```
 */
export function recordedStdin(
  log: InputLog,
  live: InputStream,
  isTty: boolean,
  icount: () => number,
): InputStream {
  return new InputStream(
    (buf) => {
      const got = log.take("stdin", () => buf.slice(0, live.read(buf)));
      if (got.length > buf.length) {
        throw new ReplayDivergence(
          icount(),
          `the guest read up to ${buf.length} stdin bytes, the log has ${got.length}`,
        );
      }
      buf.set(got);
      return got.length;
    },
    isTty,
    live.info,
  );
}

/** What the guest sees of a standard stream's host side. */
export interface StdStreamInfo {
  isTty: boolean;
  /** its fstat (undefined: a synthetic pipe) */
  info?: StatInfo;
}

/**
 * What stdin, stdout and stderr are on the host (terminals? pipes? the C
 * library buffers by it): as recorded when replaying.
 */
export function recordedStdStreams(log: InputLog, live: StdStreamInfo[]): StdStreamInfo[] {
  const bytes = log.take("tty", () => {
    const json = live.map((s) => ({ isTty: s.isTty, info: s.info && statToJson(s.info) }));
    return new TextEncoder().encode(JSON.stringify(json));
  });
  const saved = entryArray("tty", parseEntryJson("tty", bytes), "the streams");
  if (saved.length !== live.length) throw corruptedEntry("tty", `${saved.length} streams`);
  return saved.map((json) => {
    const s = entryObject("tty", json, "a stream");
    if (typeof s.isTty !== "boolean") throw corruptedEntry("tty", "isTty is not true or false");
    return { isTty: s.isTty, info: s.info === undefined ? undefined : statFromJson("tty", s.info) };
  });
}

/** What a "file" entry holds about a host file the guest opened for reading. */
interface FileRecord {
  path: string;
  sha256: string;
  /** its stat, when the contents are stored */
  stat?: StatInfo;
}

function encodeFileRecord(rec: FileRecord, contents: Uint8Array | null): Uint8Array {
  const saved = { ...rec, stat: rec.stat && statToJson(rec.stat) };
  const json = new TextEncoder().encode(JSON.stringify(saved));
  const out = new Uint8Array(4 + json.length + (contents?.length ?? 0));
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  if (contents) out.set(contents, 4 + json.length);
  return out;
}

function decodeFileRecord(b: Uint8Array): { rec: FileRecord; contents: Uint8Array | null } {
  const n = b.length >= 4 ? new DataView(b.buffer, b.byteOffset).getUint32(0, true) : -1;
  if (n < 0 || 4 + n > b.length) throw corruptedEntry("file", `its record is cut at ${b.length}`);
  const json = entryObject("file", parseEntryJson("file", b.subarray(4, 4 + n)), "the record");
  const rec: FileRecord = {
    path: entryString("file", json.path, "the path"),
    sha256: entryString("file", json.sha256, "the hash"),
  };
  if (json.stat === undefined) return { rec, contents: null };
  rec.stat = statFromJson("file", json.stat);
  return { rec, contents: b.subarray(4 + n) };
}

/**
 * A read-only open of regular file `guest` (host path `host`) through the
 * log. Recording: `open()` opens it, and its hash (and with `storeFiles` its
 * contents and stat) is logged. Where the log has the open already (a
 * replay, or a re-execution from a snapshot): when the file was stored, it
 * is served from the log without touching the host; otherwise the host file
 * is opened and must have the logged hash. `icount` says where the guest
 * is, to know whether the log has an open here.
 *
 * @example
 * ```ts ignore
 * const f = recordedOpen(p.inputLog, p.cpu.icount, guest, host, () => openHostFile(...));
 * ```
 */
export function recordedOpen(
  log: InputLog,
  icount: number,
  guest: string,
  host: string,
  open: () => OpenFile,
): OpenFile {
  if (recordedOpenHere(log, icount)) {
    // the stored file, or the host's, checked against the logged hash
    const { rec, contents } = takeLogged(log, icount, guest);
    if (contents) return new MemoryFile(contents, guest, rec.stat!);
    const f = hostOrDivergence(icount, guest, open);
    checkHash(icount, guest, readInputFile(host), rec, () => f.close());
    return f;
  }
  if (log.mode === "replay") {
    throw new ReplayDivergence(icount, `the guest opened ${guest}, which the recording did not`);
  }
  const f = open();
  logFile(log, guest, readInputFile(host), () => f.stat());
  return f;
}

/** Logs that the guest read `data` from file `guest` (with `storeFiles`, its contents and stat). */
function logFile(log: InputLog, guest: string, data: Uint8Array, stat: () => StatInfo): void {
  log.take("file", () => {
    const store = log.header.storeFiles;
    const rec: FileRecord = { path: guest, sha256: sha256(data) };
    if (store) rec.stat = stat();
    return encodeFileRecord(rec, store ? data : null);
  });
}

/** The "file" entry at `icount`, which must be of `guest`. */
function takeLogged(
  log: InputLog,
  icount: number,
  guest: string,
): { rec: FileRecord; contents: Uint8Array | null } {
  const logged = decodeFileRecord(log.take("file", () => new Uint8Array()));
  if (logged.rec.path !== guest) {
    throw new ReplayDivergence(
      icount,
      `the guest opened ${guest}, the recording ${logged.rec.path}`,
    );
  }
  return logged;
}

function hostOrDivergence<T>(icount: number, guest: string, get: () => T): T {
  try {
    return get();
  } catch (e) {
    const why = (e as Error).message.split("\n")[0];
    throw new ReplayDivergence(icount, `${guest} cannot be opened (${why}); the recording read it`);
  }
}

function checkHash(
  icount: number,
  guest: string,
  data: Uint8Array,
  rec: FileRecord,
  release = () => {},
): void {
  if (sha256(data) === rec.sha256) return;
  release();
  throw new ReplayDivergence(icount, `${guest} differs from the file the recording read`);
}

/**
 * The whole of input file `guest` (host path `host`), read by `read()`,
 * through the log, as {@linkcode recordedOpen} does for an open (a program
 * a guest execs): its hash (and with `storeFiles` its contents) is logged;
 * where the log has it, a stored file is served from the log, else the
 * host's must have the logged hash.
 *
 * @example
 * ```ts ignore
 * const bytes = recordedRead(p.inputLog, icount, "/bin/prog", host, () => readInputFile(host));
 * ```
 */
export function recordedRead(
  log: InputLog,
  icount: number,
  guest: string,
  host: string,
  read: () => Uint8Array,
): Uint8Array {
  if (recordedOpenHere(log, icount)) {
    const { rec, contents } = takeLogged(log, icount, guest);
    if (contents) return contents;
    const data = hostOrDivergence(icount, guest, read);
    checkHash(icount, guest, data, rec);
    return data;
  }
  if (log.mode === "replay") {
    throw new ReplayDivergence(icount, `the guest opened ${guest}, which the recording did not`);
  }
  const data = read();
  logFile(log, guest, data, () => statFromDeno(statInputFile(host)));
  return data;
}

/**
 * Whether the log has an open for reading at `icount` (a replay, or a
 * re-execution): then the open goes through {@linkcode recordedOpen} even if
 * the host file is gone.
 */
export function recordedOpenHere(log: InputLog, icount: number): boolean {
  return log.upcoming("file")?.icount === icount;
}

/** How a looked-up value goes into a log entry (JSON) and back. */
interface LookupCodec<T> {
  save(value: T): unknown;
  load(saved: unknown): T;
}

/**
 * A look at the host's file system by path (a stat, a directory listing)
 * through the log: recording runs `live` and logs what it returned, or the
 * errno it failed with; where the log has it (a replay, a re-execution),
 * that is returned or thrown again without touching the host.
 */
function recordedLookup<T>(
  log: InputLog,
  kind: "stat" | "dir",
  live: () => T,
  codec: LookupCodec<T>,
): T {
  const bytes = log.take(kind, () => {
    let saved: { value: unknown } | { errno: number };
    try {
      saved = { value: codec.save(live()) };
    } catch (e) {
      if (!(e instanceof SysError) && !isHostError(e)) throw e;
      saved = { errno: errnoOf(e) };
    }
    return new TextEncoder().encode(JSON.stringify(saved));
  });
  const saved = entryObject(kind, parseEntryJson(kind, bytes), "the result");
  if (saved.errno !== undefined) {
    const errno = entryInteger(kind, saved.errno, "the errno");
    if (errno < 1 || errno > MAX_ERRNO) throw corruptedEntry(kind, `errno ${errno}`);
    throw new SysError(errno);
  }
  return codec.load(saved.value);
}

const STAT_CODEC: LookupCodec<StatInfo> = {
  save: statToJson,
  load: (saved) => statFromJson("stat", saved),
};

/**
 * A stat of the host's file system by path (`live`), through `log` when
 * there is one: a replay sees what the recording saw.
 *
 * @example
 * ```ts ignore
 * const st = recordedStat(p.inputLog, () => statFromDeno(Deno.statSync(host)));
 * ```
 */
export function recordedStat(log: InputLog | undefined, live: () => StatInfo): StatInfo {
  return log ? recordedLookup(log, "stat", live, STAT_CODEC) : live();
}

/** A directory the guest opened: its stat and its entries. */
export interface DirListing {
  stat: StatInfo;
  entries: DirEntry[];
}

const DIR_CODEC: LookupCodec<DirListing> = {
  save: ({ stat, entries }) => ({
    stat: statToJson(stat),
    entries: dirEntriesToJson(entries),
  }),
  load: (saved) => {
    const s = entryObject("dir", saved, "the listing");
    return { stat: statFromJson("dir", s.stat), entries: dirEntriesFromJson("dir", s.entries) };
  },
};

/**
 * A directory the guest opens, listed by `live`, through `log` when there
 * is one: a replay lists what the recording listed, even where the host's
 * directory differs or is gone.
 *
 * @example
 * ```ts ignore
 * const { stat, entries } = recordedListing(p.inputLog, () => listHostDir(host));
 * ```
 */
export function recordedListing(log: InputLog | undefined, live: () => DirListing): DirListing {
  return log ? recordedLookup(log, "dir", live, DIR_CODEC) : live();
}

/** Whether the log has a directory opened at `icount` (a replay, a re-execution). */
export function recordedListingHere(log: InputLog | undefined, icount: number): boolean {
  return log?.upcoming("dir")?.icount === icount;
}
