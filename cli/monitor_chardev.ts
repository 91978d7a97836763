/**
 * The monitor's `info chardev`: each character device as `label: filename=KIND`,
 * in the order QEMU 7.2 lists them. QEMU keeps them as the children of one
 * object, in a GLib hash table of their names, and lists them by walking that
 * table backwards; so the order here is that table's: `g_str_hash`, the index
 * `(hash * 11) % prime`, quadratic probing, in 8 slots (GLib's smallest
 * table, which holds up to 7 names; more double it).
 *
 * @module
 */

/** One character device: its label (`serial0`, a `-chardev` id) and kind (`stdio`, `mux`...). */
export interface ChardevEntry {
  label: string;
  filename: string;
}

/** GLib's `g_hash_table` sizes' moduli, by log2 of the size. */
const PRIMES = [1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093];
const MIN_SHIFT = 3;

/** GLib's `g_str_hash` (djb2 on the bytes), 0 and 1 made 2 as its tables keep them for marks. */
function strHash(s: string): number {
  let h = 5381;
  for (const byte of new TextEncoder().encode(s)) h = (Math.imul(h, 33) + byte) >>> 0;
  return h < 2 ? 2 : h;
}

/** `names` (in the order they were added) as a GLib hash table of them holds them. */
function tableOrder(names: readonly string[]): string[] {
  let shift = MIN_SHIFT;
  // GLib grows a table once its slots are 15/16 full
  while (names.length + (names.length >> 4) >= 1 << shift) shift++;
  const size = 1 << shift, mask = size - 1, slots: (string | undefined)[] = new Array(size);
  for (const name of names) {
    let i = Number((BigInt(strHash(name)) * 11n) & 0xffffffffn) % PRIMES[shift];
    for (let step = 1; slots[i] !== undefined; step++) i = (i + step) & mask;
    slots[i] = name;
  }
  return slots.filter((n) => n !== undefined);
}

/**
 * `info chardev`'s lines for `chardevs`, given in the order QEMU creates them
 * (`-chardev`s and `-monitor`'s on the command line, then the serial port's,
 * then the parallel port's).
 *
 * @example
 * ```ts
 * import { infoChardev } from "./monitor_chardev.ts";
 * console.log(infoChardev([
 *   { label: "compat_monitor0", filename: "stdio" },
 *   { label: "serial0", filename: "null" },
 *   { label: "parallel0", filename: "null" },
 * ]));
 * // parallel0: filename=null
 * // compat_monitor0: filename=stdio
 * // serial0: filename=null
 * ```
 */
export function infoChardev(chardevs: readonly ChardevEntry[]): string {
  const byLabel = new Map(chardevs.map((c) => [c.label, c.filename]));
  return tableOrder(chardevs.map((c) => c.label)).reverse()
    .map((label) => `${label}: filename=${byLabel.get(label)}`).join("\r\n");
}
