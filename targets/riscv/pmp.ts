/**
 * Physical memory protection (PMP): 16 entries, as QEMU 7.2's virt CPUs
 * have, with OFF/TOR/NA4/NAPOT matching, R/W/X permissions and the L bit
 * (locked entries also bind M-mode and ignore writes). Granularity is 4
 * bytes for the registers (pmpaddr holds 54 bits on RV64, 32 on RV32).
 *
 * Checks are made per 4 KiB page where one entry decides for the whole page
 * (the MMU and the soft TLB work in pages). A page that an entry starts or
 * ends inside is checked byte by byte on every access, as QEMU checks exact
 * ranges and skips its TLB for such pages (see {@linkcode Pmp.pageAccess}).
 *
 * @module
 */

import type { AccessType } from "../../plugin_target.ts";
import { Priv } from "./csr.ts";

/** Number of PMP entries. */
export const PMP_ENTRIES = 16;

const R = 1, W = 2, X = 4, A_SHIFT = 3, L = 0x80;
const OFF = 0, TOR = 1, NA4 = 2; // 3: NAPOT
const NEED: Record<AccessType, number> = { read: R, write: W, fetch: X };

/** A pmpcfg byte as written: the reserved bits clear, and R=0 W=1 (reserved) with W clear, as QEMU. */
function legalCfg(byte: number): number {
  const b = byte & 0x9f;
  return (b & (R | W)) === W ? b & ~W : b;
}

/**
 * The PMP registers of one hart and the permission check.
 *
 * @example
 * ```ts
 * import { Pmp } from "./pmp.ts";
 * const pmp = new Pmp(64);
 * pmp.writeAddr(0, (0x80000000n >> 2n) | 0x3fffn); // NAPOT 128 KiB at 0x80000000
 * pmp.writeCfg(0, 0x18n); // A=NAPOT, no permissions
 * console.log(pmp.pageAccess(0x80000, "read", 1), pmp.pageAccess(0x80000, "read", 3)); // "deny" "allow"
 * ```
 */
export class Pmp {
  readonly cfg = new Uint8Array(PMP_ENTRIES);
  readonly addr: bigint[] = new Array(PMP_ENTRIES).fill(0n);
  /**
   * Bumped when the permissions the registers describe change (not on every
   * write: firmware probes pmpaddr registers of entries that are off), so
   * translation caches know to flush.
   */
  generation = 0;
  readonly #addrMask: bigint;

  constructor(readonly xlen: 32 | 64) {
    this.#addrMask = xlen === 64 ? (1n << 54n) - 1n : (1n << 32n) - 1n;
    this.#update();
  }

  /** Power-on state: every entry off. */
  reset(): void {
    this.cfg.fill(0);
    this.addr.fill(0n);
    this.#update();
  }

  /**
   * Loads saved entries (a snapshot), legalized as writes of those values
   * would be (a file may hold anything: a negative address made the NAPOT
   * size search loop forever). Entries equal to the current ones (a fuzzer
   * restoring the same snapshot before each input) cost no update.
   */
  load(cfg: ArrayLike<number>, addr: readonly bigint[]): void {
    if (this.#holds(cfg, addr)) return;
    for (let i = 0; i < PMP_ENTRIES; i++) {
      this.cfg[i] = legalCfg(cfg[i] ?? 0);
      this.addr[i] = BigInt.asUintN(64, addr[i] ?? 0n) & this.#addrMask;
    }
    this.#update();
  }

  #holds(cfg: ArrayLike<number>, addr: readonly bigint[]): boolean {
    if (cfg.length !== this.cfg.length || addr.length !== this.addr.length) return false;
    for (let i = 0; i < cfg.length; i++) {
      if (cfg[i] !== this.cfg[i] || addr[i] !== this.addr[i]) return false;
    }
    return true;
  }

  /** pmpcfg`n` (RV64: even `n` only, 8 entries each; RV32: 4 entries each). */
  readCfg(n: number): bigint {
    const per = this.xlen / 8, first = n * 4;
    let v = 0n;
    for (let i = per - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.cfg[first + i] ?? 0);
    return v;
  }

  /** Writes pmpcfg`n`, skipping locked entries; W without R reads back as off (reserved). */
  writeCfg(n: number, value: bigint): void {
    const per = this.xlen / 8, first = n * 4;
    for (let i = 0; i < per && first + i < PMP_ENTRIES; i++) {
      if (this.cfg[first + i] & L) continue;
      this.cfg[first + i] = legalCfg(Number((value >> BigInt(8 * i)) & 0xffn));
    }
    this.#update();
  }

  /** pmpaddr`i`. */
  readAddr(i: number): bigint {
    return this.addr[i];
  }

  /** Writes pmpaddr`i` unless it is locked (its own L, or the next entry's L with TOR). */
  writeAddr(i: number, value: bigint): void {
    if (this.cfg[i] & L) return;
    const next = this.cfg[i + 1];
    if (next !== undefined && (next & L) && ((next >> A_SHIFT) & 3) === TOR) return;
    this.addr[i] = BigInt.asUintN(64, value) & this.#addrMask;
    this.#update();
  }

  /** The byte range `[lo, hi)` entry `i` matches, or null when off. */
  #range(i: number): [bigint, bigint] | null {
    const a = (this.cfg[i] >> A_SHIFT) & 3;
    if (a === OFF) return null;
    const v = this.addr[i];
    if (a === TOR) return [i === 0 ? 0n : this.addr[i - 1] << 2n, v << 2n];
    if (a === NA4) return [v << 2n, (v << 2n) + 4n];
    let ones = 0n;
    while ((v >> ones) & 1n) ones++;
    const size = 1n << (ones + 3n);
    const base = (v & ~((1n << ones) - 1n)) << 2n;
    return [base, base + size];
  }

  /**
   * Recomputes each entry's byte range, and the page numbers `[first, end)`
   * it touches and `[wholeFirst, wholeEnd)` it covers whole (null when off;
   * page numbers fit in a JS number, so the per-page check needs no
   * bigints), and bumps `generation` if they or the permissions changed.
   */
  #update(): void {
    this.#bytes = Array.from(this.cfg, (_, i) => this.#range(i));
    const pages = this.#bytes.map((r) => {
      if (!r) return null;
      // pages it touches, and those it covers whole
      const wholeFirst = Number((r[0] + 4095n) >> 12n), wholeEnd = Number(r[1] >> 12n);
      return {
        first: Number(r[0] >> 12n),
        end: Number((r[1] + 4095n) >> 12n),
        whole: wholeEnd > wholeFirst,
        wholeFirst,
        wholeEnd,
      };
    });
    const key = pages.map((r, i) => r ? `${r.first}-${r.end}:${this.cfg[i]}` : "").join();
    this.#pages = pages;
    if (key !== this.#key) {
      this.#key = key;
      this.generation++;
    }
  }
  #pages: (
    { first: number; end: number; whole: boolean; wholeFirst: number; wholeEnd: number } | null
  )[] = [];
  #bytes: ([bigint, bigint] | null)[] = [];
  #key = "";

  /**
   * Whether `priv` may make `access` accesses to all of physical page `ppn`
   * ("allow"), to none of it ("deny"), or whether it depends on the bytes
   * ("bytes": an entry that decides part of the page starts or ends inside
   * it; see {@linkcode allowsBytes}).
   */
  pageAccess(ppn: number, access: AccessType, priv: number): "allow" | "deny" | "bytes" {
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const r = this.#pages[i];
      if (!r || ppn < r.first || ppn >= r.end) continue;
      if (!r.whole || ppn < r.wholeFirst || ppn >= r.wholeEnd) return "bytes";
      return this.#permits(i, access, priv) ? "allow" : "deny";
    }
    return priv === Priv.M ? "allow" : "deny"; // S/U need a matching entry (QEMU 7.2 too)
  }

  /**
   * Whether `priv` may make an `access` of `size` bytes at physical `addr`:
   * the first entry that matches any of them must match all of them and
   * permit it (a partial match fails, as the privileged spec says).
   */
  allowsBytes(addr: bigint, size: number, access: AccessType, priv: number): boolean {
    const end = addr + BigInt(size);
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const r = this.#bytes[i];
      if (!r || end <= r[0] || addr >= r[1]) continue;
      return addr >= r[0] && end <= r[1] && this.#permits(i, access, priv);
    }
    return priv === Priv.M;
  }

  #permits(i: number, access: AccessType, priv: number): boolean {
    const c = this.cfg[i];
    if (priv === Priv.M && !(c & L)) return true;
    return (c & NEED[access]) !== 0;
  }
}
