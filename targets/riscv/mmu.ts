/**
 * The RISC-V MMU: Sv32 (RV32), Sv39, Sv48 and Sv57 (RV64) page-table walks over
 * the physical bus, Svnapot's 64 KiB pages, Svpbmt's (ignored) memory types,
 * MPRV/SUM/MXR, PMP (per byte on pages an entry only partly covers), and hardware accessed/dirty bit
 * updates (as QEMU 7.2 does: A on any access, D on writes, written back to
 * the PTE). M-mode accesses (without MPRV) and satp.MODE = Bare are
 * physical.
 *
 * Installed as the CPU memory's resolver: `resolve` walks with side effects
 * and records whether a failure is a page fault or an access fault (PMP, no
 * memory); `probe` never writes and declines pages whose A/D bits would need
 * an update, so the soft TLB only caches what a real access already made
 * valid; `debugLookup` ignores them altogether and writes nothing, as a
 * debugger's look must. Successful translations are cached per privilege level and access
 * type until the rest of the translation regime changes (`flush`), and so are the leaf PTEs of superpages, so that
 * the other pages of a kernel's 2 MiB or 1 GiB mappings need no walk.
 *
 * @module
 */

import type { AccessType, Page, PhysicalBus } from "../../plugin_target.ts";
import { GuestFault, Perm } from "../../plugin_target.ts";
import { Priv } from "./csr.ts";
import type { Pmp } from "./pmp.ts";

/** What the MMU reads from the hart. */
export interface MmuContext {
  readonly xlen: 32 | 64;
  /** the current privilege level */
  readonly priv: number;
  readonly mstatus: bigint;
  readonly satp: bigint;
  readonly bus: PhysicalBus;
  readonly pmp: Pmp;
  /** Svnapot: a level-0 leaf with N and ppn ...1000 maps 64 KiB */
  readonly svnapot: boolean;
  /** Svpbmt: the memory-type bits 62:61 are allowed (and have no effect here) */
  readonly svpbmt: boolean;
}

/** Why a translation failed: a page fault (12/13/15) or an access fault (1/5/7). */
export type FaultKind = "page" | "access";

const PTE_V = 1n, PTE_R = 2n, PTE_W = 4n, PTE_X = 8n, PTE_U = 16n, PTE_A = 64n, PTE_D = 128n;
const PTE_PBMT = 3n << 61n, PTE_N = 1n << 63n;
/** Bits a table pointer must not have (QEMU 7.2 faults on each). */
const NOT_IN_TABLE_POINTER = PTE_D | PTE_A | PTE_U | PTE_PBMT | PTE_N;
const MSTATUS_MPRV = 1n << 17n, MSTATUS_SUM = 1n << 18n, MSTATUS_MXR = 1n << 19n;
const NEED: Record<AccessType, number> = { read: Perm.R, write: Perm.W, fetch: Perm.X };

/** A paging mode: levels, bits per level, PTE size, PPN width. */
interface Scheme {
  levels: number;
  pteSize: number;
  /** width of the VA in bits (canonical check on RV64) */
  vaBits: number;
}

const SCHEMES: Record<string, Scheme> = {
  sv32: { levels: 2, pteSize: 4, vaBits: 32 },
  sv39: { levels: 3, pteSize: 8, vaBits: 39 },
  sv48: { levels: 4, pteSize: 8, vaBits: 48 },
  sv57: { levels: 5, pteSize: 8, vaBits: 57 },
};

/**
 * The paging scheme selected by `satp`, or null for Bare.
 *
 * @example
 * ```ts
 * import { satpScheme } from "./mmu.ts";
 * console.log(satpScheme(8n << 60n, 64), satpScheme(0n, 64)); // "sv39" null
 * ```
 */
export function satpScheme(satp: bigint, xlen: 32 | 64): keyof typeof SCHEMES | null {
  if (xlen === 32) return (satp >> 31n) & 1n ? "sv32" : null;
  const mode = Number((satp >> 60n) & 0xfn);
  return RV64_MODES[mode] ?? null;
}

/** satp.MODE values of RV64's paging schemes. */
const RV64_MODES: Record<number, keyof typeof SCHEMES> = { 8: "sv39", 9: "sv48", 10: "sv57" };
/** The most levels of any scheme (Sv57's). */
const MAX_LEVELS = SCHEMES.sv57.levels;

interface Translation {
  ppn: number;
  page: Page;
}

/** A leaf PTE as a walk read it, and where it is. */
interface LeafPte {
  pte: bigint;
  readonly addr: bigint;
}

/** The key of the superpage at `level` (1: 2 MiB or 4 MiB, 2: 1 GiB, ...) holding page `vpn`. */
function superpageKey(vpn: number, level: number, bitsPerLevel: number): number {
  return Math.floor(vpn / 2 ** (bitsPerLevel * level)) * 8 + level;
}

/**
 * What a walk does with accessed/dirty bits an access needs but the PTE
 * lacks: `set` writes them (a real access), `decline` fails (a cache's
 * probe), `ignore` goes on as if they were set (a debugger's look).
 */
type AdBits = "set" | "decline" | "ignore";

/**
 * One hart's MMU.
 *
 * @example
 * ```ts ignore
 * const mmu = new RiscvMmu(hart);
 * cpu.mem.resolve = (vpn, access) => mmu.resolve(vpn, access);
 * ```
 */
export class RiscvMmu {
  /** what the last failed `resolve` ran into */
  lastFault: FaultKind = "page";
  /** Successful translations by privilege level (U, S, reserved, M), then by access type. */
  readonly #caches: Record<AccessType, Map<number, Translation>>[] = [0, 1, 2, 3].map(() => ({
    read: new Map(),
    write: new Map(),
    fetch: new Map(),
  }));
  /** the cache of the current privilege level (see {@linkcode selectPriv}) */
  #cache;

  /** Leaf PTEs of superpages walked since the last flush, by {@linkcode superpageKey}. */
  readonly #superpages = new Map<number, LeafPte>();

  constructor(readonly ctx: MmuContext) {
    this.#cache = this.#caches[ctx.priv];
  }

  /** Drops cached translations (satp, MPRV/MPP/SUM/MXR or PMP changed; sfence.vma). */
  flush(): void {
    this.#superpages.clear();
    for (const c of this.#caches) {
      c.read.clear();
      c.write.clear();
      c.fetch.clear();
    }
  }

  /** Drops the cached translations of page `vpn` (not those of a superpage mapping it). */
  flushPage(vpn: number): void {
    for (const c of this.#caches) {
      c.read.delete(vpn);
      c.write.delete(vpn);
      c.fetch.delete(vpn);
    }
  }

  /** Whether a cached superpage maps `vpn` (its other pages' translations came from it too). */
  inSuperpage(vpn: number): boolean {
    if (this.#superpages.size === 0) return false;
    const bitsPerLevel = this.ctx.xlen === 32 ? 10 : 9;
    for (let level = 1; level < MAX_LEVELS; level++) {
      if (this.#superpages.has(superpageKey(vpn, level, bitsPerLevel))) return true;
    }
    return false;
  }

  /**
   * The hart switched to privilege level `priv`: the translations cached at that level
   * apply again (each level keeps its own, as each checks the PTEs' U bit and PMP its way).
   */
  selectPriv(priv: number): void {
    this.#cache = this.#caches[priv];
  }

  /** The privilege level `access` is checked at (MPRV makes M-mode loads/stores use MPP). */
  effectivePriv(access: AccessType): number {
    const { priv, mstatus } = this.ctx;
    if (access !== "fetch" && priv === Priv.M && (mstatus & MSTATUS_MPRV)) {
      return Number((mstatus >> 11n) & 3n);
    }
    return priv;
  }

  /** The page resolver: translation with A/D updates; failures recorded in `lastFault`. */
  resolve(vpn: number, access: AccessType): Page | "unmapped" | "protection" {
    const hit = this.#cache[access].get(vpn);
    if (hit) return hit.page;
    const t = this.#translate(vpn, access, "set");
    if (typeof t === "string") {
      this.lastFault = t;
      return t === "page" ? "unmapped" : "protection";
    }
    this.#cache[access].set(vpn, t);
    return t.page;
  }

  /** Side-effect-free lookup for the soft TLB. */
  probe(vpn: number, access: AccessType): Page | "unmapped" | "protection" {
    const hit = this.#declining(vpn, access);
    return typeof hit === "string" ? "unmapped" : hit.page;
  }

  /** The physical page behind `vpn` for `access`, without side effects. */
  physicalPage(vpn: number, access: AccessType): number | undefined {
    const hit = this.#declining(vpn, access);
    return typeof hit === "string" ? undefined : hit.ppn;
  }

  /**
   * A translation that writes nothing. One that succeeds is cached like
   * {@linkcode resolve}'s: the PTE already has the accessed (and dirty) bits
   * the access needs, so a real access would find it as it is.
   */
  #declining(vpn: number, access: AccessType): Translation | FaultKind {
    const cache = this.#cache[access];
    const hit = cache.get(vpn);
    if (hit) return hit;
    const t = this.#translate(vpn, access, "decline");
    if (typeof t !== "string") cache.set(vpn, t);
    return t;
  }

  /**
   * A debugger's lookup (QEMU's debug page walk): the page an access would
   * reach, with accessed/dirty bits taken as set and never written, and
   * nothing cached.
   */
  debugLookup(vpn: number, access: AccessType): Page | "unmapped" | "protection" {
    const hit = this.#cache[access].get(vpn) ?? this.#translate(vpn, access, "ignore");
    return typeof hit === "string" ? (hit === "page" ? "unmapped" : "protection") : hit.page;
  }

  #translate(vpn: number, access: AccessType, ad: AdBits): Translation | FaultKind {
    const priv = this.effectivePriv(access);
    const scheme = priv === Priv.M ? null : satpScheme(this.ctx.satp, this.ctx.xlen);
    let ppn = vpn;
    if (scheme) {
      const r = this.#walk(SCHEMES[scheme], vpn, access, priv, ad);
      if (typeof r === "string") return r;
      ppn = r;
    }
    const pmp = this.ctx.pmp.pageAccess(ppn, access, priv);
    if (pmp === "deny") return "access";
    const page = this.ctx.bus.page(ppn);
    if (!page || !(page.perms & NEED[access])) return "access";
    return {
      ppn,
      page: pmp === "allow" ? page : this.#pmpCheckedPage(vpn, ppn, page, access, priv),
    };
  }

  /**
   * Page `ppn` as seen through a PMP entry that starts or ends inside it:
   * each access goes through a handler that checks its bytes (QEMU 7.2's
   * 4-byte granularity) and faults with an access fault, or reaches the bus.
   */
  #pmpCheckedPage(vpn: number, ppn: number, page: Page, access: AccessType, priv: number): Page {
    const { bus, pmp } = this.ctx;
    const physical = BigInt(ppn) << 12n, virtual = BigInt(vpn) << 12n;
    const check = (offset: bigint, size: number) => {
      if (pmp.allowsBytes(physical + offset, size, access, priv)) return;
      this.lastFault = "access";
      throw new GuestFault(virtual + offset, access, "protection");
    };
    const mmio = {
      read: (
        offset: bigint,
        size: number,
      ) => (check(offset, size), bus.load(physical + offset, size)),
      write: (offset: bigint, size: number, value: bigint) => {
        check(offset, size);
        bus.store(physical + offset, size, value);
      },
    };
    return { frame: -1, perms: page.perms, mmio, mmioPageOffset: 0n, hasCode: false };
  }

  /** Walks the page table; returns the physical page number or the fault. */
  #walk(
    s: Scheme,
    vpn: number,
    access: AccessType,
    priv: number,
    ad: AdBits,
  ): number | FaultKind {
    const { bus, pmp, satp, xlen } = this.ctx;
    if (xlen === 64) {
      // Bits above the VA must copy its top bit.
      const high = Math.floor(vpn / 2 ** (s.vaBits - 13));
      if (high !== 0 && high !== 2 ** (64 - s.vaBits + 1) - 1) return "page";
    }
    const bitsPerLevel = s.pteSize === 4 ? 10 : 9;
    for (let level = 1; level < s.levels; level++) {
      const leaf = this.#superpages.get(superpageKey(vpn, level, bitsPerLevel));
      if (leaf) return this.#leaf(s, leaf, level, vpn, access, priv, ad);
    }
    const ppnBits = xlen === 32 ? 22n : 44n;
    let table = (satp & ((1n << ppnBits) - 1n)) << 12n;
    for (let level = s.levels - 1; level >= 0; level--) {
      const index = Math.floor(vpn / 2 ** (bitsPerLevel * level)) % 2 ** bitsPerLevel;
      const pteAddr = table + BigInt(index * s.pteSize);
      if (!pmp.allowsBytes(pteAddr, s.pteSize, "read", Priv.S) || !bus.findRegion(pteAddr)) {
        return "access";
      }
      const pte = bus.load(pteAddr, s.pteSize);
      if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W))) return "page";
      if (xlen === 64 && this.#reservedHighBits(pte)) return "page";
      const ptePpn = (pte >> 10n) & ((1n << ppnBits) - 1n);
      if (!(pte & (PTE_R | PTE_X))) {
        if (level === 0 || (pte & NOT_IN_TABLE_POINTER)) return "page";
        table = ptePpn << 12n;
        continue;
      }
      const entry = { pte, addr: pteAddr };
      const r = this.#leaf(s, entry, level, vpn, access, priv, ad);
      // A superpage's other pages need no walk until the next flush (QEMU's TLB holds
      // superpages whole too); its PTE as it is now, accessed and dirty bits included. A
      // debugger's look caches nothing.
      if (level > 0 && ad !== "ignore" && typeof r === "number") {
        this.#superpages.set(superpageKey(vpn, level, bitsPerLevel), entry);
      }
      return r;
    }
    return "page";
  }

  /**
   * The physical page of `vpn` under leaf PTE `leaf` found at `level`: the
   * permission checks, Svnapot, and the accessed/dirty bits (written back to
   * the PTE, and to `leaf`, when `ad` is "set").
   */
  #leaf(
    s: Scheme,
    leaf: LeafPte,
    level: number,
    vpn: number,
    access: AccessType,
    priv: number,
    ad: AdBits,
  ): number | FaultKind {
    const { pte } = leaf, mstatus = this.ctx.mstatus;
    if (priv === Priv.U && !(pte & PTE_U)) return "page";
    if (priv === Priv.S && (pte & PTE_U) && (access === "fetch" || !(mstatus & MSTATUS_SUM))) {
      return "page";
    }
    const readable = (pte & PTE_R) || ((mstatus & MSTATUS_MXR) && (pte & PTE_X));
    if (access === "fetch" ? !(pte & PTE_X) : access === "write" ? !(pte & PTE_W) : !readable) {
      return "page";
    }
    const bitsPerLevel = s.pteSize === 4 ? 10 : 9;
    let span = 2 ** (bitsPerLevel * level);
    let base = Number((pte >> 10n) & ((1n << (this.ctx.xlen === 32 ? 22n : 44n)) - 1n));
    if (this.ctx.svnapot && (pte & PTE_N)) {
      // Svnapot's only size: 64 KiB, a level-0 leaf whose ppn ends in 1000
      if (level !== 0 || (base & 0xf) !== 8) return "page";
      base &= ~0xf;
      span = 16;
    }
    if (base % span !== 0) return "page"; // misaligned superpage
    const want = PTE_A | (access === "write" ? PTE_D : 0n);
    if ((pte & want) !== want) {
      if (ad === "decline") return "page";
      if (ad === "set") {
        this.ctx.bus.store(leaf.addr, s.pteSize, pte | want);
        leaf.pte = pte | want;
      }
    }
    return base + (vpn % span);
  }

  /**
   * Bits 54-63 of an RV64 PTE that fault, as QEMU 7.2 treats them: all of
   * them without Svnapot and Svpbmt; with either, only PBMT when Svpbmt is
   * off (the other bits are then ignored).
   */
  #reservedHighBits(pte: bigint): boolean {
    const { svnapot, svpbmt } = this.ctx;
    if (!svnapot && !svpbmt) return (pte >> 54n) !== 0n;
    return !svpbmt && (pte & PTE_PBMT) !== 0n;
  }
}
