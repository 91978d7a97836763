/**
 * Adapters from register files to {@linkcode MmioHandler}s, so devices
 * handle one access width and the adapter splits or merges the others.
 *
 * @module
 */

import type { MmioHandler } from "../guest_memory.ts";

/** A device register file of aligned 32-bit words. */
export interface WordRegisters {
  /** Reads the word at byte offset `offset` (a multiple of 4). */
  read(offset: number): number;
  /** Writes the word at byte offset `offset` (a multiple of 4). */
  write(offset: number, value: number): void;
}

/**
 * Serves a 32-bit register file: 8-byte accesses become two word accesses
 * (low word first), 1- and 2-byte reads take part of a word, and 1- and
 * 2-byte writes read, merge and write back the word.
 *
 * @example
 * ```ts
 * import { wordRegisters } from "./registers.ts";
 * const regs = [0, 0];
 * const mmio = wordRegisters({ read: (o) => regs[o >> 2], write: (o, v) => (regs[o >> 2] = v) });
 * mmio.write(0n, 8, 0x0000000200000001n);
 * console.log(regs, mmio.read(4n, 1)); // [1, 2] 2n
 * ```
 */
export function wordRegisters(regs: WordRegisters): MmioHandler {
  return {
    read(offset, size) {
      const off = Number(offset);
      if (size === 8) {
        return BigInt(regs.read(off) >>> 0) | (BigInt(regs.read(off + 4) >>> 0) << 32n);
      }
      const word = regs.read(off & ~3) >>> 0;
      if (size === 4) return BigInt(word);
      const shift = (off & 3) * 8;
      return BigInt((word >>> shift) & (size === 1 ? 0xff : 0xffff));
    },
    write(offset, size, value) {
      const off = Number(offset);
      if (size === 8) {
        regs.write(off, Number(value & 0xffffffffn));
        regs.write(off + 4, Number((value >> 32n) & 0xffffffffn));
        return;
      }
      if (size === 4) return regs.write(off, Number(value & 0xffffffffn));
      const shift = (off & 3) * 8, mask = (size === 1 ? 0xff : 0xffff) << shift;
      const old = regs.read(off & ~3);
      regs.write(off & ~3, ((old & ~mask) | ((Number(value) << shift) & mask)) >>> 0);
    },
  };
}
