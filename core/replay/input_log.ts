/**
 * The input log of record/replay (QEMU's `-icount rr=record|replay,rrfile=FILE`).
 *
 * A run is deterministic except where the guest reads the outside world:
 * stdin and serial input, host time (`-realtime`, `-rtc base=utc`), host
 * files, the terminal. Each of those points asks the log for its input with
 * {@linkcode InputLog.take}: a recording log reads the world and appends
 * what the guest saw, with the instruction count (and virtual time) at which
 * it saw it; a replaying log returns the recorded input instead and stops the
 * run with a {@linkcode ReplayDivergence} when the guest asks for something
 * else, or at another instruction. Inputs the world pushes (serial bytes) are
 * scheduled from {@linkcode InputLog.upcoming} during a replay.
 *
 * The interface is mode- and target-independent, so other components (a
 * reverse debugger re-executing from a snapshot) can reuse a log: a
 * {@linkcode LogMark} taken with a snapshot, and given back to
 * {@linkcode InputLog.rewind} with its restore, makes the re-execution take
 * the same inputs again. A recording log without a file keeps its inputs in
 * memory only, for that.
 *
 * File format (all integers little-endian):
 * - the line `DENEMU-RR 1\n`;
 * - one line of JSON: {@linkcode LogHeader} (the Denemu version, what the run
 *   is, which a replay must match, and the command line);
 * - entries: kind (u8), payload length (u32), instruction count (u64),
 *   virtual time in ns (u64), payload.
 *
 * @module
 */

import { EmuError } from "../errors.ts";

/** What kind of input an entry holds. */
export type InputKind =
  | "stdin"
  | "serial"
  | "time"
  | "file"
  | "tty"
  | "end"
  | "stat"
  | "dir"
  | "net";

const KINDS: readonly InputKind[] = [
  "stdin",
  "serial",
  "time",
  "file",
  "tty",
  "end",
  "stat",
  "dir",
  "net",
];
const MAGIC = "DENEMU-RR 1\n";
const ENTRY_HEAD = 1 + 4 + 8 + 8;

/** One recorded input. */
export interface InputEntry {
  kind: InputKind;
  /** the instruction count at which the guest saw it */
  icount: number;
  /** the virtual time (monotonic ns) at which the guest saw it */
  timeNs: bigint;
  bytes: Uint8Array;
}

/** Where the guest is: its instruction count and virtual time (a `VirtualClock` is one). */
export interface LogPosition {
  instructions(): number;
  monotonicNs(): bigint;
}

/**
 * How far the guest has taken a log's inputs, and the state of the host-side
 * input buffers that go back with it ({@linkcode InputTracker}): taken with
 * a snapshot, given back to {@linkcode InputLog.rewind} with its restore.
 */
export interface LogMark {
  /** inputs taken, per kind */
  readonly taken: ReadonlyMap<InputKind, number>;
  /** what each tracker saved, in the order they were added */
  readonly tracked: readonly unknown[];
}

/**
 * Host-side input state that is not machine state but goes back with the
 * log (the serial console's bytes typed and not received yet), and what
 * happens when the log is rewound (a console schedules the logged input).
 */
export interface InputTracker {
  save(): unknown;
  /** The log went back to where `saved` was saved. */
  load(saved: unknown): void;
}

/** The first lines of a log file. */
export interface LogHeader {
  /** Denemu's version: a log of another version is refused */
  denemu: string;
  /** what the run is (mode, program hash, arguments, seed...): a replay must match every field */
  identity: Record<string, string>;
  /** the command line or options the run was started with (informational) */
  commandLine: string[];
  /** whether host files' contents are stored (else only their hashes) */
  storeFiles: boolean;
}

/**
 * A replay that did not go as recorded, at instruction `icount`.
 *
 * @example
 * ```ts
 * import { ReplayDivergence } from "./input_log.ts";
 * console.log(new ReplayDivergence(42, "the guest read stdin").message);
 * // replay diverged at instruction 42: the guest read stdin
 * ```
 */
export class ReplayDivergence extends EmuError {
  /** "ReplayDivergence" */
  override name = "ReplayDivergence";
  constructor(/** where */ readonly icount: number, /** what differed */ what: string) {
    super(
      `replay diverged at instruction ${icount}: ${what}`,
      "replay with the same program, inputs and options, or record again",
    );
  }
}

/**
 * The input log of one run, recording or replaying.
 *
 * @example
 * ```ts ignore
 * // at the one point where a device reads host time:
 * const bytes = log.take("time", () => encodeI64(BigInt(Date.now()) * 1_000_000n));
 * ```
 */
export interface InputLog {
  readonly mode: "record" | "replay";
  /** the file's header (replay: as recorded; record: as written) */
  readonly header: LogHeader;
  /** Sets where the guest is (the machine's clock); inputs are stamped with it. */
  attach(position: LogPosition): void;
  /**
   * The input of `kind` the guest reads now: record reads `live()` and
   * appends it; replay returns the recorded one (throws ReplayDivergence if
   * the next one of `kind` is at another instruction or there is none).
   */
  take(kind: InputKind, live: () => Uint8Array): Uint8Array;
  /** Replay: the next input of `kind` not yet taken (to schedule pushed inputs). */
  upcoming(kind: InputKind): InputEntry | undefined;
  /** Where the guest is in the log now (with a snapshot, to {@linkcode rewind} to it). */
  mark(): LogMark;
  /**
   * The guest went back to `mark` (a snapshot restored to re-execute, as a
   * reverse debugger does): inputs from there on are taken again as they
   * were logged, also while recording (which reads the world again only
   * past what it has logged).
   */
  rewind(mark: LogMark): void;
  /** Makes `tracker`'s state part of every {@linkcode mark}. */
  track(tracker: InputTracker): void;
  /**
   * A log that replays this one's inputs, as they are logged, to a second
   * machine running the same guest behind this one (a lockstep shadow).
   */
  follower(): InputLog;
  /** The guest is over with `status`: record appends it, replay checks it and that nothing is left. */
  end(status: number): void;
  /**
   * Writes what is buffered and releases the file. Recording: a run closed
   * before the guest ended (a session quit, a script's stop) ends with an
   * `end` entry without a status, where a replay can stop too.
   */
  close(): void;
}

/** The options of a log: the file and whether host files are stored. */
export interface RecordReplayOptions {
  /** "record" or "replay" */
  mode: "record" | "replay";
  /** the log file (QEMU's `rrfile`); recording without one keeps the log in memory */
  file?: string;
  /** record: store the contents of the host files the guest reads, not just their hashes */
  storeFiles?: boolean;
  /** record: the command line kept in the header (informational) */
  commandLine?: string[];
}

function positionOf(p: LogPosition | undefined): { icount: number; timeNs: bigint } {
  if (!p) throw new Error("input log used before attach()");
  return { icount: p.instructions(), timeNs: p.monotonicNs() };
}

/** The logged inputs, per kind in order, and how far the guest has taken them. */
class InputHistory {
  readonly #entries: Map<InputKind, InputEntry[]>;
  readonly #taken = new Map<InputKind, number>(KINDS.map((k) => [k, 0]));

  /** `shared`: the entries of another history, seen as they grow (a follower's). */
  constructor(entries: InputEntry[], taken: boolean, shared?: Map<InputKind, InputEntry[]>) {
    this.#entries = shared ?? new Map(KINDS.map((k) => [k, []]));
    for (const e of entries) this.#entries.get(e.kind)!.push(e);
    if (taken) { for (const [k, q] of this.#entries) this.#taken.set(k, q.length); }
  }

  /** A history over the same entries, none taken yet. */
  follower(): InputHistory {
    return new InputHistory([], false, this.#entries);
  }

  /** The next logged input of `kind` not taken yet. */
  peek(kind: InputKind): InputEntry | undefined {
    return this.#entries.get(kind)![this.#taken.get(kind)!];
  }

  /** Takes the next input of `kind`, which must be logged at `icount`. */
  take(kind: InputKind, icount: number): Uint8Array {
    const e = this.peek(kind);
    if (!e) throw new ReplayDivergence(icount, `the guest read ${kind}, the log has no more`);
    if (e.icount !== icount) {
      throw new ReplayDivergence(
        icount,
        `the guest read ${kind}, the log has its next ${kind} input at instruction ${e.icount}`,
      );
    }
    this.#taken.set(kind, this.#taken.get(kind)! + 1);
    return e.bytes;
  }

  /** Logs a new input, taken. */
  push(e: InputEntry): void {
    this.#entries.get(e.kind)!.push(e);
    this.#taken.set(e.kind, this.#entries.get(e.kind)!.length);
  }

  readonly #trackers: InputTracker[] = [];

  mark(): LogMark {
    return { taken: new Map(this.#taken), tracked: this.#trackers.map((t) => t.save()) };
  }

  rewind(mark: LogMark): void {
    for (const [k, n] of mark.taken) this.#taken.set(k, n);
    this.#trackers.forEach((t, i) => t.load(mark.tracked[i]));
  }

  track(tracker: InputTracker): void {
    this.#trackers.push(tracker);
  }

  /** The first kind with inputs not taken: [kind, how many, the next]. */
  left(): [InputKind, number, InputEntry] | undefined {
    for (const [k, q] of this.#entries) {
      const n = q.length - this.#taken.get(k)!;
      if (n > 0) return [k, n, this.peek(k)!];
    }
    return undefined;
  }
}

/**
 * What both logs do with their inputs' history: where the guest is, what
 * comes next, marks and rewinds, followers.
 */
abstract class LogWithHistory {
  protected position?: LogPosition;

  constructor(readonly header: LogHeader, protected readonly history: InputHistory) {}

  attach(position: LogPosition): void {
    this.position = position;
  }

  upcoming(kind: InputKind): InputEntry | undefined {
    return this.history.peek(kind);
  }

  mark(): LogMark {
    return this.history.mark();
  }

  rewind(mark: LogMark): void {
    this.history.rewind(mark);
  }

  track(tracker: InputTracker): void {
    this.history.track(tracker);
  }

  follower(): InputLog {
    return ReplayLog.following(this.header, this.history);
  }
}

/**
 * Records inputs to a file: entries are buffered and written in chunks, and
 * at {@linkcode end} and {@linkcode close}. Without a file it keeps them in
 * memory only (what a reverse debugger re-executes with).
 *
 * @example
 * ```ts ignore
 * const log = RecordLog.create("run.rr", header);
 * log.attach(clock);
 * log.append("stdin", clock.instructions(), bytes);
 * ```
 */
export class RecordLog extends LogWithHistory implements InputLog {
  readonly mode = "record";
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #file: Deno.FsFile | null;

  private constructor(header: LogHeader, file: Deno.FsFile | null) {
    super(header, new InputHistory([], true));
    this.#file = file;
  }

  /** A log kept in memory only. */
  static inMemory(header: LogHeader): RecordLog {
    return new RecordLog(header, null);
  }

  /** Creates (truncates) `path` and writes the header. */
  static create(path: string, header: LogHeader): RecordLog {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { write: true, create: true, truncate: true });
    } catch (e) {
      throw new EmuError(`rrfile=${path}: cannot create (${(e as Error).message.split("\n")[0]})`);
    }
    const log = new RecordLog(header, file);
    log.#push(new TextEncoder().encode(MAGIC + JSON.stringify(header) + "\n"));
    return log;
  }

  take(kind: InputKind, live: () => Uint8Array): Uint8Array {
    const { icount, timeNs } = positionOf(this.position);
    if (this.history.peek(kind)) return this.history.take(kind, icount); // re-executing
    const bytes = live();
    this.append(kind, icount, bytes, timeNs);
    return bytes;
  }

  /** Appends one input seen at `icount` (and virtual time `timeNs`). */
  append(kind: InputKind, icount: number, bytes: Uint8Array, timeNs = 0n): void {
    const copy = bytes.slice(); // the caller may reuse its buffer
    this.history.push({ kind, icount, timeNs, bytes: copy });
    const head = new DataView(new ArrayBuffer(ENTRY_HEAD));
    head.setUint8(0, KINDS.indexOf(kind));
    head.setUint32(1, bytes.length, true);
    head.setBigUint64(5, BigInt(icount), true);
    head.setBigUint64(13, timeNs, true);
    this.#push(new Uint8Array(head.buffer));
    this.#push(copy);
    if (this.#buffered >= 1 << 20) this.#flush();
  }

  end(status: number): void {
    this.take("end", () => encodeI64(BigInt(status)));
    this.#ended = true;
    this.#flush();
  }

  close(): void {
    if (!this.#ended) this.take("end", () => new Uint8Array());
    this.#ended = true;
    this.#flush();
    this.#file?.close();
    this.#file = null;
  }

  #push(b: Uint8Array): void {
    if (!this.#file) return;
    this.#chunks.push(b);
    this.#buffered += b.length;
  }

  #flush(): void {
    if (!this.#file) return;
    for (const c of this.#chunks) {
      let done = 0;
      while (done < c.length) done += this.#file.writeSync(c.subarray(done));
    }
    this.#chunks = [];
    this.#buffered = 0;
  }
}

/**
 * Replays a recorded file: inputs come from it, in order per kind.
 *
 * @example
 * ```ts ignore
 * const log = ReplayLog.open("run.rr", "0.3.0", identity);
 * log.attach(clock);
 * const bytes = log.next("stdin", clock.instructions());
 * ```
 */
export class ReplayLog extends LogWithHistory implements InputLog {
  readonly mode = "replay";
  private constructor(header: LogHeader, history: InputHistory) {
    super(header, history);
  }

  /** @internal a replay of `history`'s entries (a follower) */
  static following(header: LogHeader, history: InputHistory): ReplayLog {
    return new ReplayLog(header, history.follower());
  }

  /**
   * Reads `path`; refuses a file that is not a log, was written by another
   * Denemu version, or records another run than `identity` describes.
   */
  static open(path: string, version: string, identity: Record<string, string>): ReplayLog {
    let data: Uint8Array;
    try {
      data = Deno.readFileSync(path);
    } catch (e) {
      throw new EmuError(`rrfile=${path}: cannot read (${(e as Error).message.split("\n")[0]})`);
    }
    const { header, entries } = parseLog(path, data);
    if (header.denemu !== version) {
      throw new EmuError(
        `rrfile=${path}: recorded by Denemu ${header.denemu}, this is ${version}`,
        "replay with the version that recorded it, or record again",
      );
    }
    for (const key of new Set([...Object.keys(identity), ...Object.keys(header.identity)])) {
      if (header.identity[key] !== identity[key]) {
        throw new EmuError(
          `rrfile=${path}: recorded with ${key} ${header.identity[key] ?? "(none)"}, ` +
            `this run has ${identity[key] ?? "(none)"}`,
          "replay the same program with the same options, or record again",
        );
      }
    }
    return new ReplayLog(header, new InputHistory(entries(), false));
  }

  take(kind: InputKind): Uint8Array {
    return this.next(kind, positionOf(this.position).icount);
  }

  /** The recorded input of `kind` the guest reads now, at `icount`. */
  next(kind: InputKind, icount: number): Uint8Array {
    return this.history.take(kind, icount);
  }

  end(status: number): void {
    const icount = positionOf(this.position).icount;
    const recorded = this.history.peek("end");
    if (!recorded) {
      throw new ReplayDivergence(
        icount,
        `the guest ended (status ${status}), the recording did not`,
      );
    }
    if (recorded.bytes.length === 0) {
      throw new ReplayDivergence(
        icount,
        `the guest ended (status ${status}); the recording was stopped at instruction ${recorded.icount}`,
      );
    }
    const was = Number(decodeI64(recorded.bytes));
    if (recorded.icount !== icount || was !== status) {
      throw new ReplayDivergence(
        icount,
        `the guest ended with status ${status}; recorded: status ${was} at instruction ${recorded.icount}`,
      );
    }
    this.history.take("end", icount);
    const left = this.history.left();
    if (left) {
      throw new ReplayDivergence(
        icount,
        `the guest ended, but the log has ${left[1]} more ${
          left[0]
        } input(s) (the next at instruction ${left[2].icount})`,
      );
    }
  }

  close(): void {}
}

function parseLog(
  path: string,
  data: Uint8Array,
): { header: LogHeader; entries: () => InputEntry[] } {
  const bad = (why: string) =>
    new EmuError(`rrfile=${path}: not a Denemu record/replay log (${why})`, "record it again");
  const magic = new TextEncoder().encode(MAGIC);
  if (data.length < magic.length || magic.some((b, i) => data[i] !== b)) throw bad("bad magic");
  const nl = data.indexOf(10, magic.length);
  if (nl < 0) throw bad("no header");
  let header: LogHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(data.subarray(magic.length, nl)));
  } catch {
    throw bad("bad header");
  }
  if (typeof header?.denemu !== "string" || !isStringRecord(header.identity)) {
    throw bad("bad header");
  }
  return { header, entries: () => parseEntries(data, nl + 1, bad) };
}

/** Whether `v` is an object whose values are all strings (a run's identity). */
function isStringRecord(v: unknown): v is Record<string, string> {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string");
}

function parseEntries(data: Uint8Array, from: number, bad: (why: string) => Error): InputEntry[] {
  const entries: InputEntry[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let at = from; at < data.length;) {
    if (at + ENTRY_HEAD > data.length) throw bad(`truncated at byte ${at}`);
    const kind = KINDS[view.getUint8(at)];
    const length = view.getUint32(at + 1, true);
    if (!kind || at + ENTRY_HEAD + length > data.length) throw bad(`bad entry at byte ${at}`);
    entries.push({
      kind,
      icount: Number(view.getBigUint64(at + 5, true)),
      timeNs: view.getBigUint64(at + 13, true),
      bytes: data.subarray(at + ENTRY_HEAD, at + ENTRY_HEAD + length),
    });
    at += ENTRY_HEAD + length;
  }
  return entries;
}

/**
 * Opens the log `opts` describes for a run whose identity is `identity`.
 *
 * @example
 * ```ts ignore
 * const log = openInputLog({ mode: "replay", file: "run.rr" }, "0.3.0", { program: sha });
 * ```
 */
export function openInputLog(
  opts: RecordReplayOptions,
  version: string,
  identity: Record<string, string>,
): InputLog {
  const header = {
    denemu: version,
    identity,
    commandLine: opts.commandLine ?? [],
    storeFiles: opts.storeFiles ?? false,
  };
  if (opts.mode === "record") {
    return opts.file === undefined
      ? RecordLog.inMemory(header)
      : RecordLog.create(opts.file, header);
  }
  if (opts.file === undefined) {
    throw new EmuError(
      "record/replay: a replay needs its log file",
      "e.g. rr=replay,rrfile=run.rr",
    );
  }
  return ReplayLog.open(opts.file, version, identity);
}

/**
 * Host time in ns (e.g. `Date.now()` scaled) read through `log`: as
 * recorded when replaying.
 *
 * @example
 * ```ts ignore
 * const ns = takeTime(log, () => BigInt(Date.now()) * 1_000_000n);
 * ```
 */
export function takeTime(log: InputLog, live: () => bigint): bigint {
  return decodeI64(log.take("time", () => encodeI64(live())));
}

/** `v` as 8 little-endian bytes (a time or a status in the log). */
export function encodeI64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, true);
  return b;
}

/** The inverse of {@linkcode encodeI64}. */
export function decodeI64(b: Uint8Array): bigint {
  if (b.length !== 8) throw new EmuError("rrfile: a time entry is not 8 bytes", "record it again");
  return new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true);
}
