/**
 * The JSON payloads of record/replay log entries (what the standard streams
 * are, stat results, directory listings, file records), read back with
 * their shape checked. A log is a file the user hands Denemu, so it may
 * have been cut or changed: anything that is not what the entry's kind
 * holds is a one-line {@linkcode EmuError} naming the entry, never a host
 * exception.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import type { DirEntry, StatInfo } from "./fds.ts";

/** The error for an entry of `kind` whose payload is not what that kind holds. */
export function corruptedEntry(kind: string, why: string): EmuError {
  return new EmuError(`rrfile: a corrupted ${kind} entry (${why})`, "record it again");
}

/** `bytes` parsed as JSON, or the corrupted-entry error. */
export function parseEntryJson(kind: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw corruptedEntry(kind, (e as Error).message.split("\n")[0]);
  }
}

/** `value` as an object with string keys, or the corrupted-entry error. */
export function entryObject(kind: string, value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw corruptedEntry(kind, `${what} is not an object`);
  }
  return value as Record<string, unknown>;
}

/** `value` as an array, or the corrupted-entry error. */
export function entryArray(kind: string, value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw corruptedEntry(kind, `${what} is not a list`);
  return value;
}

/** `value` as a string, or the corrupted-entry error. */
export function entryString(kind: string, value: unknown, what: string): string {
  if (typeof value !== "string") throw corruptedEntry(kind, `${what} is not a string`);
  return value;
}

const INTEGER = /^-?\d{1,30}$/;

/** `value` (a number or a decimal string) as a bigint, or the corrupted-entry error. */
function entryBigInt(kind: string, value: unknown, what: string): bigint {
  if (Number.isSafeInteger(value) || (typeof value === "string" && INTEGER.test(value))) {
    return BigInt(value as number | string);
  }
  throw corruptedEntry(kind, `${what} is not an integer`);
}

/** `value` as a safe integer, or the corrupted-entry error. */
export function entryInteger(kind: string, value: unknown, what: string): number {
  if (!Number.isSafeInteger(value)) throw corruptedEntry(kind, `${what} is not an integer`);
  return value as number;
}

const BIG_FIELDS = ["dev", "ino", "rdev", "size", "blocks", "atimeNs", "mtimeNs", "ctimeNs"];
const NUMBER_FIELDS = ["mode", "nlink", "uid", "gid", "blksize"];

/** A stat as log JSON (bigints as decimal strings). */
export function statToJson(s: StatInfo): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(s).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]),
  );
}

/**
 * The inverse of {@linkcode statToJson}, for an entry of `kind`; every field
 * must be there and be an integer.
 *
 * @example
 * ```ts ignore
 * const st = statFromJson("stat", { dev: "1", ino: "2", mode: 33188, ... });
 * ```
 */
export function statFromJson(kind: string, json: unknown): StatInfo {
  const j = entryObject(kind, json, "the stat");
  const out: Record<string, bigint | number> = {};
  for (const k of BIG_FIELDS) out[k] = entryBigInt(kind, j[k], `the stat's ${k}`);
  for (const k of NUMBER_FIELDS) out[k] = entryInteger(kind, j[k], `the stat's ${k}`);
  return out as unknown as StatInfo;
}

/** A directory listing's entries as log JSON: [name, inode, type] each. */
export function dirEntriesToJson(entries: DirEntry[]): [string, string, number][] {
  return entries.map((e) => [e.name, e.ino.toString(), e.type]);
}

/** The inverse of {@linkcode dirEntriesToJson}, for an entry of `kind`. */
export function dirEntriesFromJson(kind: string, json: unknown): DirEntry[] {
  return entryArray(kind, json, "the listing").map((e) => {
    const [name, ino, type] = entryArray(kind, e, "a listing entry");
    return {
      name: entryString(kind, name, "a listed name"),
      ino: entryBigInt(kind, ino, "a listed inode"),
      type: entryInteger(kind, type, "a listed type"),
    };
  });
}
