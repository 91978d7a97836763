/**
 * `replay`: mutated record/replay logs (`-icount rr=replay,rrfile=FILE`)
 * replayed. Seeds are logs recorded once per process under `--root` (a
 * fresh copy of one small tree each time, so a replay never touches
 * anything else): the world guest reading stdin, host time and a file
 * (hashed, and stored with `rrfiles=store`), and the fsscript guest looking
 * at files and directories (stat and listing entries). Mutations: bit flips
 * and truncation anywhere; the header's JSON mutated; an entry's payload
 * flipped, cut, grown, or its JSON mutated; an entry's kind, length,
 * instruction count or time changed; entries dropped, repeated or swapped.
 *
 * The outcome must be a one-line `EmuError` (a refused log, a divergence), a
 * guest deadlock, or a run to an exit, a fault or the budget; any other
 * exception, a case over {@linkcode SLOW_MS}, or a change to the tree is a
 * failure. A reproducer is the seed recording's number, a newline, the log.
 *
 * @module
 */

import { join } from "node:path";
import { createMachine } from "../../mod.ts";
import type { Rnd } from "../../tests/riscv/random_programs.ts";
import { concatBytes } from "../../core/bytes.ts";
import {
  cpuMs,
  describeError,
  isCleanError,
  mutatedFileFuzzer,
  type SelfFuzzer,
} from "./runner.ts";
import { mutateJson } from "./json_mutation.ts";

const BIN = new URL("../../tests/guests/bin/", import.meta.url).pathname;
const MAGIC = "DENEMU-RR 1\n";
/** kind (u8), payload length (u32), instruction count (u64), virtual time (u64) */
const ENTRY_HEAD = 21;
/** How many entry kinds the format has (an out-of-range kind must be refused). */
const KIND_COUNT = 8;
const BUDGET = 20_000_000, MAX_STEPS = 100_000;
/** CPU time (cpuMs) over which a case counts as a hang (a good one takes well under 1 s). */
const SLOW_MS = 30_000;

/** What the guest looks at with fsscript: a stat, a listing, an access, a read. */
const FS_SCRIPT = [
  "statx -100 data.txt 0",
  "open -100 d1 0200000 0",
  "getdents 0",
  "access -100 d1/f 4 0",
  "open -100 data.txt 0 0",
  "read 1 100",
  "readlink -100 link",
].join("\n") + "\n";

/** One recorded run: a guest, its arguments and stdin, and whether file contents are stored. */
interface Recording {
  program: string;
  args: string[];
  stdin: string;
  storeFiles: boolean;
}

const RECORDINGS: Recording[] = [
  { program: "world.static.O2", args: ["data.txt"], stdin: "hello\n", storeFiles: false },
  { program: "world.static.O2", args: ["data.txt"], stdin: "stored", storeFiles: true },
  { program: "fsscript.static.O2", args: [], stdin: FS_SCRIPT, storeFiles: true },
];

/** The tree every run gets as its root (the same bytes every time, so hashes match). */
function makeTree(): string {
  const root = Deno.makeTempDirSync({ prefix: "denemu-selffuzz-replay-" });
  Deno.writeTextFileSync(join(root, "data.txt"), "the file the guest reads\n");
  Deno.mkdirSync(join(root, "d1"));
  Deno.writeTextFileSync(join(root, "d1/f"), "f");
  Deno.symlinkSync("d1/f", join(root, "link"));
  return root;
}

/** The tree as text (names, sizes, link targets), to see that a replay changed nothing. */
function listTree(dir: string, prefix = ""): string {
  return [...Deno.readDirSync(dir)].sort((a, b) => a.name < b.name ? -1 : 1).map((e) => {
    const p = join(dir, e.name), name = prefix + e.name;
    if (e.isSymlink) return `${name} -> ${Deno.readLinkSync(p)}\n`;
    if (e.isDirectory) return `${name}/\n${listTree(p, `${name}/`)}`;
    return `${name} ${Deno.statSync(p).size}\n`;
  }).join("");
}

/** Runs recording `r` in a fresh tree, recording into or replaying from `log`. */
async function run(r: Recording, mode: "record" | "replay", log: string): Promise<string> {
  const root = makeTree(), before = listTree(root);
  try {
    const m = await createMachine({
      program: join(BIN, r.program),
      argv0: r.program,
      args: r.args,
      root,
      stdin: r.stdin,
      realtime: true,
      stdout: () => {},
      rr: { mode, file: log, storeFiles: r.storeFiles },
    });
    try {
      for (let step = 0; step < MAX_STEPS && m.icount < BUDGET; step++) {
        if (m.next(BUDGET - m.icount).type === "exit") break;
      }
    } finally {
      await m.close();
    }
    const after = listTree(root);
    return after === before ? "" : `the tree changed:\n${after}`;
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

let seedLogs: Uint8Array[] | null = null;

/** Records each seed run once per process. */
async function seeds(): Promise<Uint8Array[]> {
  if (seedLogs) return seedLogs;
  const path = Deno.makeTempFileSync({ prefix: "denemu-selffuzz-replay-" });
  try {
    const logs: Uint8Array[] = [];
    for (const r of RECORDINGS) {
      await run(r, "record", path);
      logs.push(Deno.readFileSync(path));
    }
    return seedLogs = logs;
  } finally {
    Deno.removeSync(path);
  }
}

/** One entry of a log taken apart: its head fields and its payload. */
export interface Entry {
  kind: number;
  icount: bigint;
  timeNs: bigint;
  payload: Uint8Array;
  /** the length field, when a mutation made it lie */
  length?: number;
}

function parse(log: Uint8Array): { header: unknown; entries: Entry[] } | null {
  const nl = log.indexOf(10, MAGIC.length);
  if (nl < 0) return null;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(log.subarray(MAGIC.length, nl)));
  } catch {
    return null;
  }
  const v = new DataView(log.buffer, log.byteOffset, log.byteLength), entries: Entry[] = [];
  for (let at = nl + 1; at + ENTRY_HEAD <= log.length;) {
    const length = v.getUint32(at + 1, true);
    entries.push({
      kind: v.getUint8(at),
      icount: v.getBigUint64(at + 5, true),
      timeNs: v.getBigUint64(at + 13, true),
      payload: log.slice(at + ENTRY_HEAD, at + ENTRY_HEAD + length),
    });
    at += ENTRY_HEAD + length;
  }
  return { header, entries };
}

function build(header: unknown, entries: Entry[]): Uint8Array {
  const text = new TextEncoder().encode(`${MAGIC}${JSON.stringify(header)}\n`);
  return concatBytes([
    text,
    ...entries.flatMap((e) => {
      const head = new DataView(new ArrayBuffer(ENTRY_HEAD));
      head.setUint8(0, e.kind);
      head.setUint32(1, e.length ?? e.payload.length, true);
      head.setBigUint64(5, BigInt.asUintN(64, e.icount), true);
      head.setBigUint64(13, BigInt.asUintN(64, e.timeNs), true);
      return [new Uint8Array(head.buffer), e.payload];
    }),
  ]);
}

/**
 * `log` with its header and entries changed by `edit` (lengths follow the
 * payloads unless an entry's `length` says otherwise), as a hostile author
 * would write it.
 *
 * @example
 * ```ts ignore
 * const bad = editLog(good, (_, entries) => entries.pop());
 * ```
 */
export function editLog(
  log: Uint8Array,
  edit: (header: Record<string, unknown>, entries: Entry[]) => void,
): Uint8Array {
  const parts = parse(log);
  if (!parts) throw new Error("not a log");
  edit(parts.header as Record<string, unknown>, parts.entries);
  return build(parts.header, parts.entries);
}

/** A payload flipped, cut, grown, or (when it holds JSON, after a length for files) mutated. */
function mutatePayload(p: Uint8Array, rnd: Rnd): Uint8Array {
  const kind = rnd(4);
  if (kind === 0 && p.length) {
    const b = p.slice();
    for (let n = 1 + rnd(4); n > 0; n--) b[rnd(b.length)] ^= 1 << rnd(8);
    return b;
  }
  if (kind === 1) return p.slice(0, rnd(p.length + 1));
  if (kind === 2) return concatBytes([p, new Uint8Array(1 + rnd(64)).fill(rnd(256))]);
  const text = new TextDecoder().decode(p), start = text.indexOf("{") >= 0 ? text.indexOf("{") : 0;
  try {
    const json = mutateJson(JSON.parse(text.slice(start)), rnd);
    return new TextEncoder().encode(text.slice(0, start) + JSON.stringify(json));
  } catch {
    return p.slice(0, rnd(p.length + 1));
  }
}

/** An entry's head changed: its kind, its length field, its instruction count or its time. */
function mutateHead(e: Entry, rnd: Rnd): void {
  const big = [0n, 1n, -1n, 1n << 63n, 1n << 53n, e.icount + 1n, e.icount - 1n];
  switch (rnd(4)) {
    case 0:
      e.kind = rnd(3) ? rnd(KIND_COUNT) : rnd(256);
      return;
    case 1:
      e.length = [0, e.payload.length + 1, 0xffffffff, rnd(64)][rnd(4)];
      return;
    case 2:
      e.icount = big[rnd(big.length)];
      return;
    default:
      e.timeNs = big[rnd(big.length)];
  }
}

/** One mutant of `log`. */
function mutate(log: Uint8Array, rnd: Rnd): Uint8Array {
  const kind = rnd(10);
  if (kind === 0) {
    const b = log.slice();
    for (let n = 1 + rnd(8); n > 0; n--) b[rnd(b.length)] ^= 1 << rnd(8);
    return b;
  }
  if (kind === 1) return log.slice(0, rnd(log.length));
  const parts = parse(log);
  if (!parts) return log.slice(0, rnd(log.length));
  const { entries } = parts;
  const k = rnd(Math.max(entries.length, 1));
  if (kind === 2) parts.header = mutateJson(parts.header, rnd);
  else if (kind < 6 && entries[k]) entries[k].payload = mutatePayload(entries[k].payload, rnd);
  else if (kind < 8 && entries[k]) mutateHead(entries[k], rnd);
  else if (kind === 8) entries.splice(k, 1);
  else if (entries[k]) {
    const other = rnd(entries.length);
    if (rnd(2)) entries.splice(other, 0, { ...entries[k] });
    else [entries[k], entries[other]] = [entries[other], entries[k]];
  }
  return build(parts.header, entries);
}

/** Replays `log` as recording `which`; null when that went cleanly. */
async function replayLog(which: number, log: Uint8Array): Promise<string | null> {
  const r = RECORDINGS[which];
  if (!r) return `no seed recording ${which}`;
  const path = Deno.makeTempFileSync({ prefix: "denemu-selffuzz-replay-" });
  const started = cpuMs();
  try {
    Deno.writeFileSync(path, log);
    const changed = await run(r, "replay", path);
    if (changed) return changed;
  } catch (e) {
    if (!isCleanError(e)) return describeError(e);
  } finally {
    Deno.removeSync(path);
  }
  const ms = cpuMs() - started;
  return ms > SLOW_MS ? `slow: ${Math.round(ms)} ms of CPU` : null;
}

/** The `replay` self-fuzzer. */
export const replayFuzzer: SelfFuzzer = mutatedFileFuzzer({
  name: "replay",
  ciCases: 40,
  extension: "rr",
  description: "mutated record/replay logs through rr=replay: a one-line EmuError or a clean run",
  seeds,
  mutate,
  check: replayLog,
});
