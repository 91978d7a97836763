/**
 * Mutations of disk images for the `image` self-fuzzer: bit flips,
 * truncation, and for qcow2 (big-endian, layout from QEMU's
 * docs/interop/qcow2.txt) header fields and table entries (L1, L2, refcount
 * table, refcount block) set to boundary or random values.
 *
 * @module
 */

import type { Rnd } from "../../tests/riscv/random_programs.ts";

/** qcow2 header fields: [offset, size]. */
const HEADER_FIELDS = [
  [4, 4], // version
  [8, 8], // backing_file_offset
  [16, 4], // backing_file_size
  [20, 4], // cluster_bits
  [24, 8], // size
  [32, 4], // crypt_method
  [36, 4], // l1_size
  [40, 8], // l1_table_offset
  [48, 8], // refcount_table_offset
  [56, 4], // refcount_table_clusters
  [60, 4], // nb_snapshots
  [64, 8], // snapshots_offset
  [72, 8], // incompatible_features
  [80, 8], // compatible_features
  [88, 8], // autoclear_features
  [96, 4], // refcount_order
  [100, 4], // header_length
];

const BOUNDARY = [
  0n,
  1n,
  9n,
  21n,
  0x200n,
  0x1000n,
  0x10000n,
  0x7fffffffn,
  0xffffffffn,
  1n << 40n,
  1n << 55n,
  1n << 62n,
  1n << 63n,
  (1n << 64n) - 1n,
];

function get(b: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(b[at + k] ?? 0);
  return v;
}

function set(b: Uint8Array, at: number, size: number, v: bigint) {
  for (let k = size - 1; k >= 0; k--, v >>= 8n) {
    if (at + k < b.length) b[at + k] = Number(v & 0xffn);
  }
}

/** A new value for an 8-byte table entry that was `old`. */
function entry(rnd: Rnd, old: bigint, clusterSize: number): bigint {
  switch (rnd(5)) {
    case 0:
      return BOUNDARY[rnd(BOUNDARY.length)];
    case 1:
      return old ^ (1n << BigInt(rnd(64))); // a flag or an offset bit
    case 2:
      return old + BigInt(rnd(3) - 1) * BigInt(clusterSize); // a neighbouring cluster
    case 3:
      return old + BigInt(1 + rnd(511)); // unaligned
    default:
      return BigInt(rnd(1 << 30)) * BigInt(rnd(1 << 16));
  }
}

/** Entries kept per table level: enough to pick from, bounded whatever the header says. */
const MAX_ENTRIES = 8192;

/** The file offsets of the 8-byte entries of each qcow2 table, as far as they are in the file. */
function tables(b: Uint8Array): number[][] {
  const clusterBits = Number(get(b, 20, 4));
  if (clusterBits < 9 || clusterBits > 21) return [];
  const clusterSize = 1 << clusterBits;
  const mask = (1n << 56n) - BigInt(clusterSize);
  const entries = (offsets: bigint[], count: number) => {
    const out: number[] = [];
    for (const offset of offsets.filter((o) => o !== 0n)) {
      for (let k = 0; k < count && Number(offset) + 8 * k + 8 <= b.length; k++) {
        if (out.length === MAX_ENTRIES) return out;
        out.push(Number(offset) + 8 * k);
      }
    }
    return out;
  };
  const pointed = (table: number[]) => table.map((at) => get(b, at, 8) & mask);
  const l1 = entries([get(b, 40, 8)], Number(get(b, 36, 4)));
  const l2 = entries(pointed(l1), clusterSize / 8);
  const rt = entries([get(b, 48, 8)], Number(get(b, 56, 4)) * clusterSize / 8);
  const rb = entries(pointed(rt), clusterSize / 8);
  return [l1, l2, rt, rb].filter((t) => t.length);
}

/**
 * One mutation of `image` (a copy when it changes length).
 *
 * @example
 * ```ts ignore
 * const mutant = mutateImage(new Uint8Array(seed), "qcow2", prng(1));
 * ```
 */
export function mutateImage(image: Uint8Array, format: "qcow2" | "raw", rnd: Rnd): Uint8Array {
  const kind = format === "raw" ? rnd(2) : rnd(8);
  if (kind === 0 && image.length) {
    for (let n = 1 + rnd(8); n > 0; n--) image[rnd(image.length)] ^= 1 << rnd(8);
  } else if (kind === 1) {
    return rnd(4)
      ? image.slice(0, rnd(image.length + 1))
      : image.slice(0, image.length + 1 + rnd(1000));
  } else if (kind < 4) {
    const [at, size] = HEADER_FIELDS[rnd(HEADER_FIELDS.length)];
    const v = rnd(3) ? BOUNDARY[rnd(BOUNDARY.length)] : get(image, at, size) + BigInt(rnd(3) - 1);
    set(image, at, size, v);
  } else {
    const all = tables(image);
    if (!all.length) return mutateImage(image, format, () => 0);
    const table = all[rnd(all.length)], at = table[rnd(table.length)];
    const clusterSize = 1 << Number(get(image, 20, 4));
    set(image, at, 8, entry(rnd, get(image, at, 8), clusterSize) & ((1n << 64n) - 1n));
  }
  return image;
}
