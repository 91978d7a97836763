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
import type { IrBlock } from "./ir.ts";
import { type Wide, wideBigint } from "./ir_builder.ts";
import { foldConstants } from "./ir_fold.ts";
import { packBuilt, PackedBuilder, type PackedIr, packIr, unpackIr } from "./ir_pack.ts";
import { BlockToInstrument } from "./tb_instrument.ts";
import type { InsnInfo, TargetArch, TranslateContext } from "./target.ts";

/** One translated block of guest code. */
export interface TranslationBlock {
  /** guest pc of the first instruction */
  readonly pc: bigint;
  /** `pcKey(pc)`, without making a bigint (what hot readers of the pc take) */
  readonly pcKey: number;
  /** the low 32 bits of its pc, as an int32 (without making a bigint) */
  readonly pcLow: number;
  /** the high 32 bits of its pc, as an int32 */
  readonly pcHigh: number;
  /** target flags it was translated under */
  readonly flags: number;
  /** its IR, packed once observers instrumented it (what the interpreter runs) */
  readonly code: PackedIr;
  /** its IR as op objects, unpacked afresh at each read (for the JIT and tools) */
  readonly ir: IrBlock;
  /** the guest instructions, in order: one array per TB, made at the first read */
  readonly insns: InsnInfo[];
  /** how many instructions it has (`insns.length`, without making the list) */
  readonly insnCount: number;
  /** the pc of its instruction `index` (`insns[index].pc`, without making the list) */
  insnPc(index: number): bigint;
  /** guest page numbers its code came from (a fresh array at each read) */
  readonly pages: number[];
  /** times it ran (for tiering and hotblocks) */
  execCount: number;
  /**
   * false once invalidated: backends must not run it again. A backend keeps
   * its own data per TB in {@linkcode backendData}.
   */
  valid: boolean;
  /** Set when this TB runs only part of a block (see {@linkcode TbCache.translatePart}). */
  readonly part?: BlockPart;
  /**
   * What the backend running it keeps for it (the JIT's per-TB record), undefined until it
   * makes some: a field costs less than a `WeakMap` entry, in memory and at every TB run.
   */
  backendData?: unknown;
  /**
   * Whether the interpreter tier without bigints (`interp32.ts`) runs it: 1 yes, 2 no (an op it
   * leaves to the reference interpreter), 0 not known yet (it looks at the first run).
   */
  halves?: number;
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
 * The guest code of a TB being made, as {@linkcode TranslationObserver.instrument}
 * sees it: its instructions become objects only when one reads them.
 */
export interface BlockCode {
  /** guest pc of the first instruction */
  readonly pc: bigint;
  /** how many instructions it has */
  readonly insnCount: number;
  /** the instructions, in order (a fresh array at each read) */
  readonly insns: InsnInfo[];
}

/**
 * The IR of a TB being made, as observers instrument it: as op objects
 * (`ops`, made at the first read), or as its builder's words while nobody has
 * read them (`packed`), which an observer may rewrite into a builder of its own
 * (`replace`) without making objects.
 */
export interface BlockToRewrite extends IrBlock {
  /** the builder holding the block, while its ops were not read as objects */
  readonly packed?: PackedBuilder;
  /** Makes `b` (continuing `packed`'s temps and labels) the block; it is released with the TB. */
  replace?(b: PackedBuilder): void;
}

/**
 * Sees every TB as it is translated (QEMU's `tb_trans` callback model) and
 * dropped. `instrument` may rewrite the IR (inject callbacks and inline
 * counters) before any backend sees it. Observers are independent: none may
 * rely on running before or after another.
 */
export interface TranslationObserver {
  /** After the target's translation, before constant folding (`-d op`): `ir` may only be read. */
  translated?(ir: PackedBuilder, code: BlockCode, part?: BlockPart): void;
  /**
   * Before the TB is created: may add ops to `ir` (and raise `ir.numTemps`).
   * `code` says which guest code it is; `part` is set when the TB runs only
   * part of a block.
   */
  instrument?(ir: BlockToRewrite, code: BlockCode, part?: BlockPart): void;
  /** After the TB is built. */
  onBlock?(tb: TranslationBlock): void;
  /** After a cached TB was dropped (its code was written): free what belongs to it. */
  onInvalidate?(tb: TranslationBlock): void;
  /** After every TB was dropped at once (breakpoint and hook changes). */
  onFlush?(): void;
}

/**
 * A {@linkcode TranslationBlock} (a class: its `ir` getter must not hold a
 * translation's scope). It keeps little in the JavaScript heap, since a cold
 * guest keeps tens of thousands of TBs and every byte of theirs that survives
 * a scavenge makes the young generation grow, each fresh page costing a page
 * fault (docs/perf.md): its instructions are words after its packed IR
 * (`code.tail`: bits and size of each), its page is its pc's, and what few
 * TBs have (a part's place, a second page) is kept aside.
 */
class Block implements TranslationBlock {
  backendData: unknown = undefined;
  /** Its fields (`TB_*`) are words before its packed IR's (see {@linkcode packBuilt}). */
  constructor(pc: bigint, readonly code: PackedIr, flags: number, insnCount: number) {
    const words = code.code, at = code.at;
    code.wide[(at + TB_PC) / 2] = BigInt.asIntN(64, pc);
    words[at + TB_FLAGS] = flags;
    words[at + TB_INSNS] = insnCount;
  }

  get pc(): bigint {
    return BigInt.asUintN(64, this.code.wide[(this.code.at + TB_PC) / 2]);
  }

  get pcKey(): number {
    return this.pcHigh * 2 ** 32 + (this.pcLow >>> 0);
  }

  get pcLow(): number {
    return this.code.code[this.code.at + TB_PC];
  }

  get pcHigh(): number {
    return this.code.code[this.code.at + TB_PC + 1];
  }

  get flags(): number {
    return this.code.code[this.code.at + TB_FLAGS];
  }

  get insnCount(): number {
    return this.code.code[this.code.at + TB_INSNS];
  }

  /** times it ran, up to 2^31 - 1 */
  get execCount(): number {
    return this.code.code[this.code.at + TB_RUNS];
  }

  set execCount(n: number) {
    this.code.code[this.code.at + TB_RUNS] = n < 0x7fffffff ? n : 0x7fffffff;
  }

  get valid(): boolean {
    return this.code.code[this.code.at + TB_DROPPED] === 0;
  }

  set valid(v: boolean) {
    this.code.code[this.code.at + TB_DROPPED] = v ? 0 : 1;
  }

  get halves(): number {
    return this.code.code[this.code.at + TB_HALVES];
  }

  set halves(h: number) {
    this.code.code[this.code.at + TB_HALVES] = h;
  }

  get part(): BlockPart | undefined {
    return blockParts.get(this);
  }

  /** the other pages its code came from (usually none) */
  get otherPages(): readonly number[] {
    return otherPagesOf.get(this) ?? NO_PAGES;
  }

  get pages(): number[] {
    return [pageNumber(this.pc), ...this.otherPages];
  }

  get ir(): IrBlock {
    return unpackIr(this.code);
  }

  get insns(): InsnInfo[] {
    let insns = insnLists.get(this);
    if (!insns) {
      insns = unpackInsns(this.pc, this.code.code, this.code.tail, this.insnCount);
      insnLists.set(this, insns);
    }
    return insns;
  }

  insnPc(index: number): bigint {
    const words = this.code.code, tail = this.code.tail;
    let offset = 0;
    for (let i = 0; i < index; i++) offset += words[tail + 2 * i + 1];
    return this.pc + BigInt(offset);
  }
}

/**
 * A TB's fields as words before its packed IR (offsets from `code.at`): its
 * pc (a 64-bit word), flags, instruction count, runs, `halves`, and 1 once
 * dropped. Fields of its object would cost 8 bytes each in the JavaScript
 * heap (and its pc a bigint of 24), copied by the scavenges (docs/perf.md,
 * seventeenth session). The pc's low word comes first (a little-endian host).
 */
const TB_PC = -8, TB_FLAGS = -6, TB_INSNS = -5, TB_RUNS = -4, TB_HALVES = -3, TB_DROPPED = -2;
/** Words before a TB's packed IR (even: its wide values stay 8-byte aligned). */
const TB_WORDS = 8;

/*
 * What few TBs have, kept aside: a field of every TB costs 8 bytes in each,
 * copied by the scavenges (docs/perf.md, seventeenth session).
 */
/** the instruction lists of the TBs someone asked for them (tools and hooks) */
const insnLists = new WeakMap<Block, InsnInfo[]>();
/** where the TBs that run part of a block sit in it */
const blockParts = new WeakMap<Block, BlockPart>();
/** the other pages of the TBs whose code spans two */
const otherPagesOf = new WeakMap<Block, readonly number[]>();

/** The page number of guest address `addr`, a number read as a signed 64-bit value (exact). */
function pageOfNumber(addr: number): number {
  const pn = Math.floor(addr / PAGE_SIZE);
  return pn < 0 ? pn + 2 ** 64 / PAGE_SIZE : pn;
}

/**
 * What a target's translator gets for one TB (a class: no closures per TB;
 * the TB cache reuses one, see {@linkcode Translation.start}). An address a
 * translator passes as a number (see {@linkcode Wide}) stays a number:
 * fetches compare it with the page last fetched from, and resolve a page
 * once. The instructions are kept as two words each (bits and size) until
 * someone asks for them as objects.
 */
class Translation implements TranslateContext, BlockCode {
  pc = 0n;
  flags = 0;
  maxInsns = 0;
  memory: GuestMemory;
  /**
   * each instruction's bits (as an int32) and size, `2 * insnCount` words: what
   * its TB keeps (`PackedIr.tail`); the array is longer, reused from TB to TB
   */
  readonly insnWords: number[] = [];
  insnCount = 0;
  /** the page number of `pc` */
  firstPage = 0;
  /** the other pages the code came from (a fresh array when there are some) */
  otherPages: number[] = [];
  /** bytes from `pc` to the next instruction */
  #offset = 0;
  /** `pc` as a signed number where that is exact, else NaN */
  #pcNumber = NaN;
  /** the start of the page last fetched from as a signed number (exact), NaN before a fetch */
  #fetchLow = NaN;
  #fetchPage: Page | undefined;

  constructor(readonly ir: PackedBuilder, memory: GuestMemory) {
    this.memory = memory;
  }

  /** Starts the translation of the TB at `pc` (resolving its pages afresh). */
  start(pc: bigint, flags: number, maxInsns: number, memory: GuestMemory): void {
    this.pc = pc;
    this.flags = flags;
    this.maxInsns = maxInsns;
    this.memory = memory;
    this.insnCount = 0;
    this.firstPage = pageNumber(pc);
    if (this.otherPages.length) this.otherPages = [];
    this.#offset = 0;
    const signed = Number(BigInt.asIntN(64, pc));
    this.#pcNumber = Number.isSafeInteger(signed) ? signed : NaN;
    this.#fetchLow = NaN;
    this.#fetchPage = undefined;
  }

  get insns(): InsnInfo[] {
    return unpackInsns(this.pc, this.insnWords, 0, this.insnCount);
  }

  fetch(at: Wide, size: number): number | null {
    // A bigint address becomes a number where that is exact; the others take the slow path.
    const addr = typeof at === "number" ? at : Number(BigInt.asIntN(64, at));
    try {
      if (!Number.isSafeInteger(addr)) return this.#fetchSlow(at, size);
      let off = addr - this.#fetchLow;
      if (!(off >= 0 && off < PAGE_SIZE)) {
        this.#fetchFrom(addr);
        off = addr - this.#fetchLow;
      }
      const page = this.#fetchPage!;
      if (page.mmio || off + size > PAGE_SIZE) return this.#fetchSlow(at, size);
      const u8 = this.memory.host.u8, h = page.frame + off;
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + u8[h + i];
      return v;
    } catch (e) {
      if (e instanceof GuestFault) return null;
      throw e;
    }
  }

  /** A fetch from MMIO or across a page: through the memory's loads. */
  #fetchSlow(at: Wide, size: number): number {
    const addr = BigInt.asUintN(64, wideBigint(at));
    const v = Number(this.memory.load(addr, size, false, "fetch"));
    this.#notePage(pageNumber(addr));
    this.#notePage(pageNumber(addr + BigInt(size - 1)));
    return v;
  }

  /** Resolves the page of `addr` for fetches (throws a GuestFault where it is not mapped). */
  #fetchFrom(addr: number): void {
    const pn = pageOfNumber(addr);
    const page = this.memory.resolve(pn, "fetch");
    if (typeof page === "string") {
      throw new GuestFault(BigInt.asUintN(64, BigInt(addr)), "fetch", page);
    }
    this.#fetchPage = page;
    this.#fetchLow = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
    this.#notePage(pn);
  }

  #notePage(pn: number): void {
    if (pn !== this.firstPage && !this.otherPages.includes(pn)) this.otherPages.push(pn);
  }

  beginInsn(pc: Wide, size: number, bits: number): void {
    const offset = this.#offset;
    if (typeof pc === "number" ? pc !== this.#pcNumber + offset : pc !== this.pc + BigInt(offset)) {
      throw new EmuError(
        `internal: the instructions of the TB at ${hex(this.pc)} do not follow each other`,
      );
    }
    const n = this.insnCount;
    this.ir.insnStart(pc, n);
    this.insnWords[2 * n] = bits | 0;
    this.insnWords[2 * n + 1] = size;
    this.insnCount = n + 1;
    this.#offset = offset + size;
  }

  samePage(addr: Wide): boolean {
    return (typeof addr === "number" ? pageOfNumber(addr) : pageNumber(addr)) === this.firstPage;
  }
}

/** The `count` instructions of a TB at `pc` kept as words from `words[at]` (bits, size), as objects. */
function unpackInsns(
  pc: bigint,
  words: ArrayLike<number>,
  at: number,
  count: number,
): InsnInfo[] {
  const out: InsnInfo[] = [];
  for (let i = 0; i < count; i++) {
    const bits = words[at + 2 * i] >>> 0, size = words[at + 2 * i + 1];
    out.push({ pc, size, bits });
    pc += BigInt(size);
  }
  return out;
}

/** A TB's other pages when its code is on one page. */
const NO_PAGES: readonly number[] = Object.freeze([]);

/** Default cap on instructions per TB. */
export const MAX_TB_INSNS = 128;

/** The TB cache's default size, bytes (`-accel tcg,tb-size=N`); full, it is flushed as QEMU's is. */
export const TB_CACHE_BYTES = 256 * 2 ** 20;

/** A cached TB's heap share besides its IR, bytes (338 measured interpreted, 657 in regions). */
const TB_HEAP_BYTES = 768;

/** The bytes a cached TB counts for in the cache's size: its packed words and heap share. */
function cacheBytes(tb: TranslationBlock): number {
  return 4 * (TB_WORDS + tb.code.tail - tb.code.at + 2 * tb.insnCount) + TB_HEAP_BYTES;
}

/**
 * The cache key of `pc`: its signed 64-bit value as a number (exact below 2^53 in magnitude,
 * which covers user code and a kernel's top half), as {@linkcode TbCache.lookup} takes it.
 *
 * @example
 * ```ts
 * import { pcKey } from "./tb.ts";
 * console.log(pcKey(0xffffffff80000000n)); // -2147483648
 * ```
 */
export function pcKey(pc: bigint): number {
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
  /** the context of the next translation (see {@linkcode Translation.start}) */
  #spare: Translation | undefined;
  /** The block observers see, reused like the context (a nested translation makes its own). */
  #spareBlock: BlockToInstrument | undefined;
  #byPage = new Map<number, Set<TranslationBlock>>();
  /** Instrumentation and backends: see every TB made and dropped. */
  readonly observers: TranslationObserver[] = [];
  /** Max instructions per TB (1 makes single-stepping exact). */
  maxInsns = MAX_TB_INSNS;
  /** The cache's size in bytes (see {@linkcode TB_CACHE_BYTES}); full, it is flushed. */
  maxBytes = TB_CACHE_BYTES;
  /** Counts translations, for statistics. */
  translated = 0;
  /** Counts the flushes of a full cache, for statistics. */
  fullFlushes = 0;
  #bytes = 0;
  /** Bumped whenever TBs are dropped, so running code can notice. */
  generation = 0;

  constructor(readonly target: TargetArch, readonly memory: GuestMemory) {
    memory.observers.push({ onCodeWrite: (pn) => this.invalidatePage(pn) });
  }

  /** The cached TB for `pc` under `flags`, translating it if needed. */
  get(pc: bigint, flags: number): TranslationBlock {
    const key = pcKey(pc), tb = this.#byPc.get(key);
    // Keys are exact below 2^53 in magnitude: past that, the pcs must be compared.
    if (tb && tb.flags === flags && (Number.isSafeInteger(key) || tb.pc === pc)) return tb;
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
    return this.#byPc.get(tb.pcKey) === tb;
  }

  /** The cached TB for `pc`, if any (no translation). */
  peek(pc: bigint): TranslationBlock | undefined {
    return this.#byPc.get(pcKey(pc));
  }

  /** The bytes the cached TBs count for: their packed IR and a share of the heap each. */
  get bytes(): number {
    return this.#bytes;
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
    // Before the build: a flush drops what observers keep for the TBs, the new one's included.
    if (this.#bytes >= this.maxBytes) {
      this.fullFlushes++;
      this.flush();
    }
    const tb = this.#build(pc, flags, this.maxInsns);
    // No instruction: the first fetch faulted, and the TB only raises that fault. It is not
    // kept (QEMU makes no TB there either): nothing would drop it once the page is mapped,
    // which a guest kernel may do without any TLB or instruction-cache flush.
    if (tb.insnCount === 0) return tb;
    const old = this.#byPc.get(pcKey(pc));
    if (old) this.#drop(old);
    this.#byPc.set(pcKey(pc), tb);
    this.#bytes += cacheBytes(tb);
    this.#addToPage(pageNumber(pc), tb);
    for (const pn of tb.otherPages) this.#addToPage(pn, tb);
    return tb;
  }

  #addToPage(pn: number, tb: TranslationBlock): void {
    let set = this.#byPage.get(pn);
    if (!set) this.#byPage.set(pn, set = new Set());
    set.add(tb);
    this.memory.markCode(pn);
  }

  #build(pc: bigint, flags: number, maxInsns: number, part?: BlockPart): Block {
    const numGlobals = this.target.state.globals.length;
    // One builder and one context serve every TB (a nested translation makes its own).
    let ctx = this.#spare;
    this.#spare = undefined;
    if (ctx) ctx.ir.restart();
    else ctx = new Translation(new PackedBuilder(numGlobals), this.memory);
    ctx.start(pc, flags, maxInsns, this.memory);
    const ir = ctx.ir, observers = this.observers;
    let code: PackedIr, block: BlockToInstrument | undefined;
    try {
      this.target.translate(ctx);
      for (let i = 0; i < observers.length; i++) observers[i].translated?.(ir, ctx, part);
      foldConstants(ir, numGlobals);
      block = this.#spareBlock?.start(ir) ?? new BlockToInstrument(ir);
      this.#spareBlock = undefined;
      for (let i = 0; i < observers.length; i++) observers[i].instrument?.(block, ctx, part);
      const tail = ctx.insnWords, words = 2 * ctx.insnCount, packed = block.packed;
      code = packed
        ? packBuilt(packed, numGlobals, tail, words, TB_WORDS)
        : packIr(block, numGlobals, tail, words, TB_WORDS);
    } finally {
      ir.release();
      block?.replaced?.release();
    }
    this.#spareBlock = block;
    const tb = new Block(pc, code, flags, ctx.insnCount);
    if (ctx.otherPages.length) otherPagesOf.set(tb, ctx.otherPages);
    if (part) blockParts.set(tb, part);
    this.#spare = ctx;
    this.translated++;
    for (let i = 0; i < observers.length; i++) observers[i].onBlock?.(tb);
    return tb;
  }

  #drop(tb: TranslationBlock): void {
    if (!tb.valid) return;
    tb.valid = false;
    this.generation++;
    const key = tb.pcKey;
    if (this.#byPc.get(key) === tb) {
      this.#byPc.delete(key);
      this.#bytes -= cacheBytes(tb);
    }
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
    this.#bytes = 0;
    for (const o of this.observers) o.onFlush?.();
  }
}
