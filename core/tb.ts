/**
 * Translation blocks: guest code decoded once into IR, cached by pc, and
 * dropped when the code they came from is written (self-modifying code) or
 * the cache is flushed (breakpoint and hook changes).
 *
 * @module
 */

import { EmuError, GuestFault, hex } from "./errors.ts";
import { type GuestMemory, type Page, pageNumber } from "./guest_memory.ts";
import { PAGE_SIZE } from "./host_memory.ts";
import type { IrBlock, IrOp } from "./ir.ts";
import { foldConstants } from "./ir_fold.ts";
import { packBuilt, PackedBuilder, type PackedIr, packIr, unpackIr } from "./ir_pack.ts";
import type { InsnInfo, TargetArch, TranslateContext } from "./target.ts";

/** One translated block of guest code. */
export interface TranslationBlock {
  /** guest pc of the first instruction */
  readonly pc: bigint;
  /** target flags it was translated under */
  readonly flags: number;
  /** its IR, packed once observers instrumented it (what the interpreter runs) */
  readonly code: PackedIr;
  /** its IR as op objects, unpacked afresh at each read (for the JIT and tools) */
  readonly ir: IrBlock;
  /**
   * the guest instructions, in order: one array per TB, made at the first
   * read (a TB keeps its instructions packed until someone asks)
   */
  readonly insns: InsnInfo[];
  /** how many instructions it has (`insns.length`, without making the list) */
  readonly insnCount: number;
  /** the pc of its instruction `index` (`insns[index].pc`, without making the list) */
  insnPc(index: number): bigint;
  /** guest page numbers its code came from */
  readonly pages: number[];
  /** times it ran (for tiering and hotblocks) */
  execCount: number;
  /**
   * false once invalidated: backends must not run it again. Backends keep
   * their own data per TB (a `WeakMap` keyed by the TB).
   */
  valid: boolean;
  /** Set when this TB runs only part of a block (see {@linkcode TbCache.translatePart}). */
  readonly part?: BlockPart;
}

/**
 * Where a partial TB sits in the whole block it was cut from: the run loop
 * cuts a block where an instruction budget ends and runs the rest later, and
 * instrumentation sees the whole block so that the cut stays invisible.
 */
export interface BlockPart {
  /** the whole (cached) block */
  readonly whole: TranslationBlock;
  /** index in `whole.insns` of the part's first instruction */
  readonly first: number;
}

/**
 * Sees every TB as it is translated (QEMU's `tb_trans` callback model) and
 * dropped. `instrument` may rewrite the IR (inject callbacks and inline
 * counters) before any backend sees it. Observers are independent: none may
 * rely on running before or after another.
 */
export interface TranslationObserver {
  /**
   * Before the TB is created: may add ops to `ir` (and raise `ir.numTemps`).
   * `part` is set when the TB runs only part of a block.
   */
  instrument?(ir: IrBlock, insns: InsnInfo[], pc: bigint, part?: BlockPart): void;
  /** After the TB is built. */
  onBlock?(tb: TranslationBlock): void;
  /** After a cached TB was dropped (its code was written): free what belongs to it. */
  onInvalidate?(tb: TranslationBlock): void;
  /** After every TB was dropped at once (breakpoint and hook changes). */
  onFlush?(): void;
}

/** A packed instruction's size is its number divided by this; its bits, the remainder. */
const SIZE_UNIT = 2 ** 32;

/**
 * A {@linkcode TranslationBlock} (a class: its `ir` getter must not hold a
 * translation's scope). Its instructions follow each other, so it keeps one
 * number per instruction, `bits + size * 2^32` (an array of doubles, 8 bytes
 * each), instead of an object, a bigint pc and a heap number: about 40 bytes
 * per instruction, most of what a cold TB kept.
 */
class Block implements TranslationBlock {
  execCount = 0;
  valid = true;
  readonly insnCount: number;
  readonly #packed: number[];
  #insns: InsnInfo[] | undefined;
  constructor(
    readonly pc: bigint,
    readonly flags: number,
    readonly code: PackedIr,
    insns: InsnInfo[],
    readonly pages: number[],
    readonly part?: BlockPart,
  ) {
    this.insnCount = insns.length;
    this.#packed = insns.map((i) => i.bits + i.size * SIZE_UNIT);
    const last = insns.length - 1;
    if (last > 0 && insns[last].pc !== this.#offsetPc(last)) {
      throw new EmuError(
        `internal: the instructions of the TB at ${hex(pc)} do not follow each other`,
      );
    }
  }

  get ir(): IrBlock {
    return unpackIr(this.code);
  }

  get insns(): InsnInfo[] {
    if (this.#insns) return this.#insns;
    let pc = this.pc;
    return this.#insns = this.#packed.map((n) => {
      const size = Math.floor(n / SIZE_UNIT), info = { pc, size, bits: n % SIZE_UNIT };
      pc += BigInt(size);
      return info;
    });
  }

  insnPc(index: number): bigint {
    return this.#insns ? this.#insns[index].pc : this.#offsetPc(index);
  }

  /** The pc of instruction `index` as the sum of the sizes before it. */
  #offsetPc(index: number): bigint {
    let offset = 0;
    for (let i = 0; i < index; i++) offset += Math.floor(this.#packed[i] / SIZE_UNIT);
    return this.pc + BigInt(offset);
  }
}

/**
 * The block observers may instrument: its ops become objects only when one
 * reads them (most blocks go from the builder to their packed form as words).
 */
class BlockToInstrument implements IrBlock {
  #ops: IrOp[] | undefined;
  numTemps: number;
  numLabels: number;
  constructor(readonly built: PackedBuilder) {
    this.numTemps = built.numTemps;
    this.numLabels = built.numLabels;
  }

  get ops(): IrOp[] {
    return this.#ops ??= this.built.finish().ops;
  }

  set ops(ops: IrOp[]) {
    this.#ops = ops;
  }

  /** Whether an observer read (and so may have changed) the block. */
  get changed(): boolean {
    return this.#ops !== undefined || this.numTemps !== this.built.numTemps ||
      this.numLabels !== this.built.numLabels;
  }
}

const PAGE_BYTES = BigInt(PAGE_SIZE);

/**
 * What a target's translator gets for one TB (a class: no closures per TB).
 * Fetches compare the address with the page last fetched from as bigints,
 * which allocates nothing, and resolve a page once.
 */
class Translation implements TranslateContext {
  readonly insns: InsnInfo[] = [];
  /** guest page numbers the code came from */
  readonly pages: number[];
  /** the TB's first page: [start, end) */
  readonly #start: bigint;
  readonly #end: bigint;
  /** the page last fetched from: [start, end) (canonical addresses) */
  #fetchStart = 1n;
  #fetchEnd = 0n;
  /** its start as a number, where numbers hold its addresses exactly (else -1) */
  #fetchBase = -1;
  #fetchPage: Page | undefined;

  constructor(
    readonly pc: bigint,
    readonly flags: number,
    readonly ir: PackedBuilder,
    readonly maxInsns: number,
    readonly memory: GuestMemory,
  ) {
    const first = pageNumber(pc);
    this.pages = [first];
    this.#start = BigInt(first) * PAGE_BYTES;
    this.#end = this.#start + PAGE_BYTES;
  }

  fetch(addr: bigint, size: number): number | null {
    const mem = this.memory;
    try {
      if (!(addr >= this.#fetchStart && addr < this.#fetchEnd)) {
        addr = BigInt.asUintN(64, addr);
        this.#fetchFrom(addr);
      }
      const base = this.#fetchBase, page = this.#fetchPage!;
      const off = base >= 0 ? Number(addr) - base : Number(addr - this.#fetchStart);
      if (page.mmio || off + size > PAGE_SIZE) {
        const v = Number(mem.load(addr, size, false, "fetch"));
        const last = pageNumber(addr + BigInt(size - 1));
        if (!this.pages.includes(last)) this.pages.push(last);
        return v;
      }
      const u8 = mem.host.u8, h = page.frame + off;
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + u8[h + i];
      return v;
    } catch (e) {
      if (e instanceof GuestFault) return null;
      throw e;
    }
  }

  /** Resolves the page of `addr` for fetches (throws a GuestFault where it is not mapped). */
  #fetchFrom(addr: bigint): void {
    const pn = pageNumber(addr);
    this.#fetchPage = this.memory.page(addr, "fetch");
    this.#fetchStart = BigInt(pn) * PAGE_BYTES;
    this.#fetchEnd = this.#fetchStart + PAGE_BYTES;
    this.#fetchBase = (pn + 1) * PAGE_SIZE <= Number.MAX_SAFE_INTEGER ? pn * PAGE_SIZE : -1;
    if (!this.pages.includes(pn)) this.pages.push(pn);
  }

  beginInsn(pc: bigint, size: number, bits: number): void {
    this.ir.insnStart(pc, this.insns.length);
    this.insns.push({ pc, size, bits });
  }

  samePage(addr: bigint): boolean {
    return (addr >= this.#start && addr < this.#end) || pageNumber(addr) === this.pages[0];
  }
}

/** Default cap on instructions per TB. */
export const MAX_TB_INSNS = 128;

/** The cache key of `pc`: its signed 64-bit value as a number (exact below 2^53). */
function pcKey(pc: bigint): number {
  return Number(BigInt.asIntN(64, pc));
}

/**
 * Translates guest code and caches the result.
 *
 * @example
 * ```ts ignore
 * const cache = new TbCache(target, memory);
 * const tb = cache.get(0x10000n, 0);
 * ```
 */
export class TbCache {
  #byPc = new Map<number, TranslationBlock>();
  #byPage = new Map<number, Set<TranslationBlock>>();
  /** Instrumentation and backends: see every TB made and dropped. */
  readonly observers: TranslationObserver[] = [];
  /** Max instructions per TB (1 makes single-stepping exact). */
  maxInsns = MAX_TB_INSNS;
  /** Counts translations, for statistics. */
  translated = 0;
  /** Bumped whenever TBs are dropped, so running code can notice. */
  generation = 0;

  constructor(readonly target: TargetArch, readonly memory: GuestMemory) {
    memory.observers.push({ onCodeWrite: (pn) => this.invalidatePage(pn) });
  }

  /** The cached TB for `pc` under `flags`, translating it if needed. */
  get(pc: bigint, flags: number): TranslationBlock {
    const tb = this.#byPc.get(pcKey(pc));
    if (tb && tb.flags === flags && tb.pc === pc) return tb;
    return this.#translate(pc, flags);
  }

  /**
   * The cached TB whose pc has key `key` (the pc's signed 64-bit value as a
   * number) under `flags`, or undefined. A fast path that needs no bigint:
   * keys past 2^53 are not exact, so those always miss (use {@linkcode get}).
   */
  lookup(key: number, flags: number): TranslationBlock | undefined {
    if (!Number.isSafeInteger(key)) return undefined;
    const tb = this.#byPc.get(key);
    return tb && tb.flags === flags ? tb : undefined;
  }

  /** Whether `tb` is the cached, valid TB of its pc (not a one-off from {@linkcode translateOnce}). */
  isCached(tb: TranslationBlock): boolean {
    return this.#byPc.get(pcKey(tb.pc)) === tb;
  }

  /** The cached TB for `pc`, if any (no translation). */
  peek(pc: bigint): TranslationBlock | undefined {
    return this.#byPc.get(pcKey(pc));
  }

  /** All cached TBs. */
  blocks(): IterableIterator<TranslationBlock> {
    return this.#byPc.values();
  }

  /**
   * Translates `count` instructions of `whole` from its instruction `first`
   * without caching them (exact instruction budgets, single steps).
   */
  translatePart(whole: TranslationBlock, first: number, count: number): TranslationBlock {
    return this.#build(whole.insnPc(first), whole.flags, count, { whole, first });
  }

  #translate(pc: bigint, flags: number): TranslationBlock {
    const tb = this.#build(pc, flags, this.maxInsns);
    // No instruction: the first fetch faulted, and the TB only raises that fault. It is not
    // kept (QEMU makes no TB there either): nothing would drop it once the page is mapped,
    // which a guest kernel may do without any TLB or instruction-cache flush.
    if (tb.insnCount === 0) return tb;
    const old = this.#byPc.get(pcKey(pc));
    if (old) this.#drop(old);
    this.#byPc.set(pcKey(pc), tb);
    for (const pn of tb.pages) {
      let set = this.#byPage.get(pn);
      if (!set) this.#byPage.set(pn, set = new Set());
      set.add(tb);
      this.memory.markCode(BigInt(pn) << 12n);
    }
    return tb;
  }

  #build(pc: bigint, flags: number, maxInsns: number, part?: BlockPart): TranslationBlock {
    const numGlobals = this.target.state.globals.length;
    const ir = new PackedBuilder(numGlobals);
    const ctx = new Translation(pc, flags, ir, maxInsns, this.memory);
    const { insns, pages } = ctx, observers = this.observers;
    let code: PackedIr;
    try {
      this.target.translate(ctx);
      foldConstants(ir, numGlobals);
      const block = new BlockToInstrument(ir);
      for (const o of observers) o.instrument?.(block, insns, pc, part);
      code = block.changed ? packIr(block, numGlobals) : packBuilt(ir, numGlobals);
    } finally {
      ir.release();
    }
    const tb = new Block(pc, flags, code, insns, pages, part);
    this.translated++;
    for (const o of observers) o.onBlock?.(tb);
    return tb;
  }

  #drop(tb: TranslationBlock): void {
    if (!tb.valid) return;
    tb.valid = false;
    this.generation++;
    if (this.#byPc.get(pcKey(tb.pc)) === tb) this.#byPc.delete(pcKey(tb.pc));
    for (const pn of tb.pages) this.#byPage.get(pn)?.delete(tb);
    for (const o of this.observers) o.onInvalidate?.(tb);
  }

  /** Drops every TB made from guest page `pn`. */
  invalidatePage(pn: number): void {
    const set = this.#byPage.get(pn);
    if (set) { for (const tb of [...set]) this.#drop(tb); }
    this.#byPage.delete(pn);
    this.memory.clearCode(pn);
  }

  /** Drops every TB (breakpoint changes, hook changes). */
  flush(): void {
    for (const tb of this.#byPc.values()) tb.valid = false;
    this.generation++;
    for (const pn of this.#byPage.keys()) this.memory.clearCode(pn);
    this.#byPc.clear();
    this.#byPage.clear();
    for (const o of this.observers) o.onFlush?.();
  }
}
