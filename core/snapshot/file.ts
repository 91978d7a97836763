/**
 * Snapshot files: a machine's state on disk, for `-loadvm` and the monitor's
 * `savevm`/`loadvm`.
 *
 * Layout (all integers little-endian):
 * - `DENEMU-VM\n` (10 bytes), then the format version (u32);
 * - the header length (u32) and the header, UTF-8 JSON: which machine, target
 *   and options the state belongs to, the state's own data (bigints as
 *   `{"$n": "..."}`, typed arrays as `{"$t": "Uint8Array", "v": [...]}`),
 *   and the name and length of each blob;
 * - the blobs (memory, state blocks), each compressed with `deflate-raw`
 *   (the built-in `CompressionStream`); memory is sparse: zero pages are not
 *   stored at all;
 * - the SHA-256 of everything before it (32 bytes).
 *
 * A file for another machine, a truncated or a corrupted file is refused with
 * a one-line {@linkcode EmuError}.
 *
 * @module
 */

import { concatBytes } from "../bytes.ts";
import { EmuError } from "../errors.ts";

const MAGIC = new TextEncoder().encode("DENEMU-VM\n");
/** The format version this code writes and reads. */
export const SNAPSHOT_FILE_VERSION = 1;
const DIGEST_SIZE = 32;

/** Which machine a snapshot belongs to: a restore needs all fields equal. */
export type SnapshotIdentity = Readonly<Record<string, string>>;

/**
 * A snapshot in a form that outlives the process that took it: plain data
 * (`meta`, JSON with bigints) and named byte blobs.
 */
export interface PortableSnapshot {
  /** what produced it ("linux-process", "system") */
  readonly kind: string;
  /** the state as JSON-able data (bigints and typed arrays allowed) */
  readonly meta: unknown;
  /** large byte data (memory, state blocks), stored compressed */
  readonly blobs: Readonly<Record<string, Uint8Array>>;
}

/** Something that can be written to a snapshot file. */
export interface SavableSnapshot {
  /** The snapshot as plain data. */
  portable(): PortableSnapshot;
}

/**
 * The name ending that marks a snapshot file where a tag is also possible
 * (`savevm NAME`: a path, with a "/" or this suffix, is a file; else a tag).
 */
export const SNAPSHOT_FILE_SUFFIX = ".vmsnap";

/**
 * Whether `arg` of `savevm`/`loadvm`/`-loadvm` names a snapshot file (Denemu's
 * extension) rather than a tag in the machine's qcow2 disk (QEMU's meaning).
 *
 * @example
 * ```ts
 * import { isSnapshotPath } from "./file.ts";
 * console.log(isSnapshotPath("snap1"), isSnapshotPath("./snap1"), isSnapshotPath("a.vmsnap")); // false true true
 * ```
 */
export function isSnapshotPath(arg: string): boolean {
  return arg.includes("/") || arg.endsWith(SNAPSHOT_FILE_SUFFIX);
}

/**
 * Writes `snapshot` to `path`, marked as belonging to `identity`.
 *
 * @example
 * ```ts
 * import { loadSnapshotFile, saveSnapshotFile } from "./file.ts";
 * const path = Deno.makeTempFileSync();
 * const snap = { kind: "demo", meta: { pc: 0x1000n }, blobs: { ram: new Uint8Array(8192) } };
 * await saveSnapshotFile(path, { portable: () => snap }, { machine: "demo" });
 * const back = await loadSnapshotFile(path, { machine: "demo" });
 * console.log((back.meta as { pc: bigint }).pc); // 4096n
 * ```
 */
export async function saveSnapshotFile(
  path: string,
  snapshot: SavableSnapshot,
  identity: SnapshotIdentity,
): Promise<void> {
  const bytes = await encodeSnapshot(snapshot, identity);
  try {
    await Deno.writeFile(path, bytes);
  } catch (e) {
    throw new EmuError(`${path}: cannot write the snapshot (${firstLine(e)})`);
  }
}

/**
 * The bytes of a snapshot file holding `snapshot` (also what a qcow2 disk's
 * VM state area holds after `savevm TAG`).
 */
export async function encodeSnapshot(
  snapshot: SavableSnapshot,
  identity: SnapshotIdentity,
): Promise<Uint8Array> {
  const s = snapshot.portable();
  const names = Object.keys(s.blobs);
  const packed = await Promise.all(names.map((n) => deflate(s.blobs[n])));
  const header = new TextEncoder().encode(JSON.stringify(
    {
      identity,
      kind: s.kind,
      meta: s.meta,
      blobs: names.map((name, i) => ({ name, length: packed[i].length })),
    },
    encodeValue,
  ));
  const body = concatBytes([
    MAGIC,
    u32(SNAPSHOT_FILE_VERSION),
    u32(header.length),
    header,
    ...packed,
  ]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return concatBytes([body, digest]);
}

/**
 * Reads a snapshot file written by {@linkcode saveSnapshotFile}; throws
 * {@linkcode EmuError} when it is not one, is damaged, belongs to another
 * machine than `expected`, or holds a blob that inflates past `maxBlobBytes`
 * (the loading machine's memory).
 */
export async function loadSnapshotFile(
  path: string,
  expected: SnapshotIdentity,
  maxBlobBytes = Number.MAX_SAFE_INTEGER,
): Promise<PortableSnapshot> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new EmuError(`${path}: cannot read the snapshot (${firstLine(e)})`);
  }
  return decodeSnapshot(bytes, path, expected, maxBlobBytes);
}

/**
 * Reads the bytes of a snapshot file (from a file or a qcow2 VM state area),
 * as {@linkcode loadSnapshotFile} does; `label` starts each error message.
 */
export async function decodeSnapshot(
  bytes: Uint8Array<ArrayBuffer>,
  label: string,
  expected: SnapshotIdentity,
  maxBlobBytes = Number.MAX_SAFE_INTEGER,
): Promise<PortableSnapshot> {
  const bad = (what: string) => new EmuError(`${label}: ${what}`, "take the snapshot again");
  const fixed = MAGIC.length + 8;
  if (bytes.length < fixed || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw bad("not a Denemu snapshot");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(MAGIC.length, true);
  if (version !== SNAPSHOT_FILE_VERSION) {
    throw bad(`snapshot format version ${version}, this Denemu reads ${SNAPSHOT_FILE_VERSION}`);
  }
  if (bytes.length < fixed + DIGEST_SIZE) throw bad("truncated snapshot file");
  const body = bytes.subarray(0, bytes.length - DIGEST_SIZE);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const stored = bytes.subarray(bytes.length - DIGEST_SIZE);
  if (!digest.every((b, i) => b === stored[i])) {
    throw bad("damaged snapshot file (checksum mismatch: truncated or corrupted)");
  }
  const headerLength = dv.getUint32(MAGIC.length + 4, true);
  const header = parseHeader(body.subarray(fixed, fixed + headerLength), bad);
  checkIdentity(header.identity, expected, label);
  const blobs: Record<string, Uint8Array> = {};
  let at = fixed + headerLength;
  for (const b of header.blobs) {
    if (at + b.length > body.length) throw bad("truncated snapshot file");
    blobs[b.name] = await inflate(body.subarray(at, at + b.length), maxBlobBytes, bad);
    at += b.length;
  }
  return { kind: header.kind, meta: header.meta, blobs };
}

interface Header {
  identity: Record<string, string>;
  kind: string;
  meta: unknown;
  blobs: { name: string; length: number }[];
}

function parseHeader(bytes: Uint8Array, bad: (what: string) => EmuError): Header {
  try {
    const h = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes),
      decodeValue,
    );
    if (typeof h?.kind !== "string" || !Array.isArray(h.blobs) || typeof h.identity !== "object") {
      throw new Error("fields");
    }
    const blob = (b: { name?: unknown; length?: unknown } | null) =>
      typeof b?.name === "string" && Number.isSafeInteger(b.length) && (b.length as number) >= 0;
    if (!h.blobs.every(blob)) throw new Error("blob list");
    return h;
  } catch {
    throw bad("damaged snapshot header");
  }
}

const TYPED_ARRAYS = {
  Uint8Array,
  Uint16Array,
  Uint32Array,
  Int32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;

/** JSON for bigints (`{"$n": "12"}`) and typed arrays (`{"$t": "Uint8Array", "v": [...]}`). */
function encodeValue(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return { $n: v.toString() };
  if (ArrayBuffer.isView(v) && v.constructor.name in TYPED_ARRAYS) {
    return { $t: v.constructor.name, v: Array.from(v as unknown as ArrayLike<unknown>) };
  }
  return v;
}

function decodeValue(_key: string, v: unknown): unknown {
  if (!v || typeof v !== "object") return v;
  const o = v as { $n?: unknown; $t?: unknown; v?: unknown };
  if (typeof o.$n === "string") return BigInt(o.$n);
  if (typeof o.$t === "string" && Object.hasOwn(TYPED_ARRAYS, o.$t) && Array.isArray(o.v)) {
    const make = TYPED_ARRAYS[o.$t as TypedArrayName] as unknown as { from(a: unknown[]): unknown };
    return make.from(o.v);
  }
  return v;
}

function checkIdentity(got: Record<string, string>, want: SnapshotIdentity, path: string): void {
  const show = (id: Readonly<Record<string, string>>) =>
    Object.entries(id).map(([k, v]) => `${k}=${v}`).join(",");
  const keys = new Set([...Object.keys(got), ...Object.keys(want)]);
  if ([...keys].some((k) => got[k] !== want[k])) {
    throw new EmuError(
      `${path}: snapshot of another machine (${show(got)}; this one is ${show(want)})`,
      "load it with the options it was taken with",
    );
  }
}

async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([new Uint8Array(data)]).stream().pipeThrough(
    new CompressionStream("deflate-raw"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflates `data`, stopping as soon as it grows past `max` bytes (a compression bomb). */
async function inflate(
  data: Uint8Array<ArrayBuffer>,
  max: number,
  bad: (what: string) => EmuError,
): Promise<Uint8Array> {
  const reader = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"))
    .getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      size += r.value.length;
      if (size > max) throw bad(`damaged snapshot data (larger than this machine's ${max} bytes)`);
      chunks.push(r.value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e instanceof EmuError ? e : bad("damaged snapshot data");
  }
  return concatBytes(chunks);
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}
