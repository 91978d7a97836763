/**
 * Flattened device tree (DTB, version 17): a tree builder, an encoder and a
 * decoder, written from the Devicetree Specification.
 *
 * A blob is a 40-byte big-endian header, the memory reservation block (pairs
 * of u64 address/size ending with a zero pair), the structure block (tokens
 * BEGIN_NODE, PROP, END_NODE, END, each 4-byte aligned) and the strings block
 * (NUL-terminated property names, shared by offset).
 *
 * Properties are given as JS values and encoded by type: a string or string
 * list, u32 cells (numbers, or `{ phandle: label }` references resolved at
 * encode time), a bigint (one u64), `true` (an empty property) or raw bytes.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { concatBytes } from "../bytes.ts";

/** A u32 cell: a number, or a reference to the phandle of the node labelled `phandle`. */
export type FdtCell = number | { phandle: string };

/** A property value; see the module documentation for the encoding of each type. */
export type FdtPropValue = string | string[] | FdtCell[] | bigint | true | Uint8Array;

/** One memory reservation entry. */
export interface FdtReservation {
  /** physical address of the reserved range */
  address: bigint;
  /** its size in bytes */
  size: bigint;
}

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_NOP = 4, FDT_END = 9;
const HEADER_SIZE = 40;
const VERSION = 17, LAST_COMPATIBLE_VERSION = 16;

/**
 * A device tree node: ordered properties and children.
 *
 * @example
 * ```ts
 * import { FdtNode } from "./fdt.ts";
 * const root = new FdtNode("");
 * root.set("#address-cells", [2]).set("model", "toy");
 * root.add("chosen").set("stdout-path", "/soc/serial@10000000");
 * console.log(root.find("/chosen")?.props.get("stdout-path")); // "/soc/serial@10000000"
 * ```
 */
export class FdtNode {
  /** its properties by name, in insertion order (the blob's order) */
  readonly props: Map<string, FdtPropValue> = new Map();
  /** its child nodes, in insertion order */
  readonly children: FdtNode[] = [];
  /** a name other nodes use to refer to this node's phandle (`{ phandle: label }`) */
  label?: string;

  /** Makes an empty node named `name` ("" for the root, "serial@10000000" for others). */
  constructor(readonly name: string) {}

  /** Sets (or replaces) property `name`; returns this node for chaining. */
  set(name: string, value: FdtPropValue): this {
    this.props.set(name, value);
    return this;
  }

  /** Appends a new child node; throws if a child of that name exists. */
  add(name: string): FdtNode {
    if (this.child(name)) {
      throw new EmuError(`device tree: duplicate node "${name}" under "${this.name || "/"}"`);
    }
    const n = new FdtNode(name);
    this.children.push(n);
    return n;
  }

  /** The direct child named `name`. */
  child(name: string): FdtNode | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** The node at absolute `path` ("/soc/serial@10000000") below this root. */
  find(path: string): FdtNode | undefined {
    const parts = path.split("/").filter((p) => p !== "");
    return parts.reduce<FdtNode | undefined>((n, part) => n?.child(part), this);
  }

  /** Calls `visit` on this node and every descendant in document order, with its path. */
  walk(visit: (node: FdtNode, path: string) => void, path = "/"): void {
    visit(this, path);
    for (const c of this.children) c.walk(visit, path === "/" ? `/${c.name}` : `${path}/${c.name}`);
  }
}

/**
 * The two cells of a 64-bit value (high, low), for `reg` and `ranges`.
 *
 * @example
 * ```ts
 * import { u64Cells } from "./fdt.ts";
 * console.log(u64Cells(0x80000000n)); // [0, 2147483648]
 * ```
 */
export function u64Cells(v: bigint): [number, number] {
  return [Number(BigInt.asUintN(64, v) >> 32n), Number(v & 0xffffffffn)];
}

const utf8 = new TextEncoder();

function encodeValue(v: FdtPropValue, phandles: Map<string, number>, where: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v === true) return new Uint8Array(0);
  if (typeof v === "string") v = [v];
  if (typeof v === "bigint") {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, v));
    return out;
  }
  if (v.length > 0 && typeof v[0] === "string") {
    return concatBytes((v as string[]).map((s) => utf8.encode(s + "\0")));
  }
  const cells = v as FdtCell[];
  const out = new Uint8Array(cells.length * 4);
  const dv = new DataView(out.buffer);
  cells.forEach((c, i) => {
    let n: number;
    if (typeof c === "number") n = c;
    else {
      const p = phandles.get(c.phandle);
      if (p === undefined) {
        throw new EmuError(`device tree: ${where} refers to unknown node label "${c.phandle}"`);
      }
      n = p;
    }
    dv.setUint32(i * 4, n >>> 0);
  });
  return out;
}

/** Gives every labelled node a phandle (keeping explicit ones), in document order. */
function assignPhandles(root: FdtNode): Map<string, number> {
  const map = new Map<string, number>();
  const used = new Set<number>();
  root.walk((n) => {
    const p = n.props.get("phandle");
    if (Array.isArray(p) && typeof p[0] === "number") used.add(p[0]);
  });
  let next = 1;
  root.walk((n, path) => {
    if (n.label === undefined) return;
    if (map.has(n.label)) {
      throw new EmuError(`device tree: label "${n.label}" used twice (${path})`);
    }
    const p = n.props.get("phandle");
    if (Array.isArray(p) && typeof p[0] === "number") map.set(n.label, p[0]);
    else {
      while (used.has(next)) next++;
      used.add(next);
      map.set(n.label, next);
    }
  });
  return map;
}

/**
 * Options of {@linkcode encodeFdt}.
 *
 * @example
 * ```ts
 * import { decodeFdt, encodeFdt, FdtNode } from "./fdt.ts";
 * const blob = encodeFdt(new FdtNode(""), { bootCpuId: 1 });
 * console.log(decodeFdt(blob).bootCpuId); // 1
 * ```
 */
export interface FdtEncodeOptions {
  /** the memory reservation block's entries (none by default) */
  reservations?: FdtReservation[];
  /** physical id of the boot CPU (header field boot_cpuid_phys) */
  bootCpuId?: number;
}

/**
 * Encodes a tree into a DTB (version 17). Labelled nodes get `phandle`
 * properties; `{ phandle: label }` cells become their numbers.
 *
 * @example
 * ```ts
 * import { decodeFdt, encodeFdt, FdtNode } from "./fdt.ts";
 * const root = new FdtNode("");
 * const intc = root.add("intc");
 * intc.label = "intc";
 * root.add("dev").set("interrupt-parent", [{ phandle: "intc" }]);
 * const blob = encodeFdt(root);
 * console.log(decodeFdt(blob).root.find("/intc")?.props.get("phandle")); // Uint8Array [0, 0, 0, 1]
 * ```
 */
export function encodeFdt(root: FdtNode, options: FdtEncodeOptions = {}): Uint8Array {
  const phandles = assignPhandles(root);
  const strings = new Map<string, number>();
  const stringBytes: number[] = [];
  const struct: number[] = [];
  const pushU32 = (v: number) => struct.push(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  const pushBytes = (b: Uint8Array) => {
    for (const x of b) struct.push(x);
    while (struct.length % 4) struct.push(0);
  };
  const nameOffset = (name: string) => {
    let off = strings.get(name);
    if (off === undefined) {
      off = stringBytes.length;
      strings.set(name, off);
      for (const x of utf8.encode(name)) stringBytes.push(x);
      stringBytes.push(0);
    }
    return off;
  };
  const emit = (node: FdtNode, path: string) => {
    pushU32(FDT_BEGIN_NODE);
    pushBytes(utf8.encode(node.name + "\0"));
    const props = new Map(node.props);
    if (node.label !== undefined) props.set("phandle", [phandles.get(node.label)!]);
    for (const [name, value] of props) {
      const bytes = encodeValue(value, phandles, `${path} property "${name}"`);
      pushU32(FDT_PROP);
      pushU32(bytes.length);
      pushU32(nameOffset(name));
      pushBytes(bytes);
    }
    for (const c of node.children) emit(c, path === "/" ? `/${c.name}` : `${path}/${c.name}`);
    pushU32(FDT_END_NODE);
  };
  emit(root, "/");
  pushU32(FDT_END);

  const reservations = options.reservations ?? [];
  const rsvOffset = HEADER_SIZE; // already 8-aligned
  const structOffset = rsvOffset + (reservations.length + 1) * 16;
  const stringsOffset = structOffset + struct.length;
  const total = stringsOffset + stringBytes.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const header = [
    FDT_MAGIC,
    total,
    structOffset,
    stringsOffset,
    rsvOffset,
    VERSION,
    LAST_COMPATIBLE_VERSION,
    options.bootCpuId ?? 0,
    stringBytes.length,
    struct.length,
  ];
  header.forEach((v, i) => dv.setUint32(i * 4, v));
  reservations.forEach((r, i) => {
    dv.setBigUint64(rsvOffset + i * 16, r.address);
    dv.setBigUint64(rsvOffset + i * 16 + 8, r.size);
  });
  out.set(struct, structOffset);
  out.set(stringBytes, stringsOffset);
  return out;
}

/**
 * A decoded blob: property values are raw bytes (see {@linkcode fdtString} and friends).
 *
 * @example
 * ```ts
 * import { decodeFdt, encodeFdt, FdtNode } from "./fdt.ts";
 * const reservations = [{ address: 0x80000000n, size: 0x1000n }];
 * const blob = encodeFdt(new FdtNode(""), { reservations });
 * const fdt = decodeFdt(blob);
 * console.log(fdt.version, fdt.reservations[0].size, fdt.totalSize === blob.length);
 * // 17 4096n true
 * ```
 */
export interface DecodedFdt {
  /** the root node */
  root: FdtNode;
  /** the memory reservation block's entries */
  reservations: FdtReservation[];
  /** the header's boot_cpuid_phys */
  bootCpuId: number;
  /** the header's version (17 for current blobs) */
  version: number;
  /** the header's totalsize: bytes of the whole blob */
  totalSize: number;
}

/**
 * Decodes a DTB (version 16 or later). Throws {@linkcode EmuError} naming the
 * problem when the blob is malformed.
 *
 * @example
 * ```ts
 * import { decodeFdt, encodeFdt, fdtString, FdtNode } from "./fdt.ts";
 * const blob = encodeFdt(new FdtNode("").set("model", "toy"));
 * console.log(fdtString(decodeFdt(blob).root.props.get("model") as Uint8Array)); // "toy"
 * ```
 */
export function decodeFdt(blob: Uint8Array, name = "device tree blob"): DecodedFdt {
  const fail = (what: string): never => {
    throw new EmuError(
      `${name}: invalid DTB: ${what}`,
      "pass a blob made by dtc or -M virt,dumpdtb",
    );
  };
  if (blob.length < HEADER_SIZE) fail("shorter than its header");
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const h = (i: number) => dv.getUint32(i * 4);
  if (h(0) !== FDT_MAGIC) fail("bad magic");
  const [total, structOff, stringsOff, rsvOff, version, , bootCpuId, stringsSize, structSize] = [
    h(1),
    h(2),
    h(3),
    h(4),
    h(5),
    h(6),
    h(7),
    h(8),
    h(9),
  ];
  if (total > blob.length) fail(`totalsize ${total} exceeds the ${blob.length} bytes given`);
  if (version < 16) fail(`version ${version} is older than 16`);
  if (structOff + structSize > total || stringsOff + stringsSize > total) {
    fail("a block lies outside totalsize");
  }
  const reservations: FdtReservation[] = [];
  for (let o = rsvOff;; o += 16) {
    if (o + 16 > total) fail("unterminated memory reservation block");
    const address = dv.getBigUint64(o), size = dv.getBigUint64(o + 8);
    if (address === 0n && size === 0n) break;
    reservations.push({ address, size });
  }
  const dec = new TextDecoder();
  const cstring = (start: number, end: number): [string, number] => {
    let e = start;
    while (e < end && blob[e] !== 0) e++;
    if (e >= end) fail("unterminated string");
    return [dec.decode(blob.subarray(start, e)), e + 1];
  };
  const structEnd = structOff + structSize;
  let p = structOff;
  const word = () => {
    if (p + 4 > structEnd) fail("structure block ends early");
    const v = dv.getUint32(p);
    p += 4;
    return v;
  };
  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  for (;;) {
    const token = word();
    if (token === FDT_BEGIN_NODE) {
      const [nodeName, after] = cstring(p, structEnd);
      p = (after + 3) & ~3;
      const node = new FdtNode(nodeName);
      if (stack.length === 0) {
        if (root) fail("more than one root node");
        root = node;
      } else stack[stack.length - 1].children.push(node);
      stack.push(node);
    } else if (token === FDT_PROP) {
      const len = word(), nameOff = word();
      if (stack.length === 0) fail("property outside any node");
      if (p + len > structEnd) fail("property value runs past the structure block");
      const [propName] = cstring(stringsOff + nameOff, stringsOff + stringsSize);
      stack[stack.length - 1].props.set(propName, blob.slice(p, p + len));
      p = (p + len + 3) & ~3;
    } else if (token === FDT_END_NODE) {
      if (!stack.pop()) fail("END_NODE without BEGIN_NODE");
    } else if (token === FDT_END) {
      break;
    } else if (token !== FDT_NOP) fail(`unknown token ${token} at offset ${p - 4}`);
  }
  if (!root || stack.length) fail("unbalanced nodes");
  return { root: root!, reservations, bootCpuId, version, totalSize: total };
}

/**
 * The string of a decoded string property.
 *
 * @example
 * ```ts
 * import { fdtString } from "./fdt.ts";
 * console.log(fdtString(new Uint8Array([104, 105, 0]))); // "hi"
 * ```
 */
export function fdtString(bytes: Uint8Array): string {
  return fdtStrings(bytes)[0] ?? "";
}

/**
 * The strings of a decoded string-list property ("compatible").
 *
 * @example
 * ```ts
 * import { fdtStrings } from "./fdt.ts";
 * console.log(fdtStrings(new Uint8Array([97, 0, 98, 0]))); // ["a", "b"]
 * ```
 */
export function fdtStrings(bytes: Uint8Array): string[] {
  const s = new TextDecoder().decode(bytes);
  return (s.endsWith("\0") ? s.slice(0, -1) : s).split("\0");
}

/**
 * The u32 cells of a decoded property.
 *
 * @example
 * ```ts
 * import { fdtCells } from "./fdt.ts";
 * console.log(fdtCells(new Uint8Array([0, 0, 0, 10]))); // [10]
 * ```
 */
export function fdtCells(bytes: Uint8Array): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length >> 2 }, (_, i) => dv.getUint32(i * 4));
}
