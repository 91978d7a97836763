/**
 * The WebAssembly JIT backend. Cold TBs run on the interpreter; a TB that
 * has run `hotThreshold` times is compiled together with the TBs it was seen
 * to continue to (a region) into one wasm module: its direct jump targets,
 * and the targets its indirect jumps took while it was interpreted (returns,
 * switch tables, an interpreter's dispatch). Every TB of a region is an
 * entry point. A successor that already has compiled code joins only when it
 * is hot (twice the threshold), so lukewarm code is not compiled over and
 * over: the region reaches it through the jump cache instead. At most
 * `maxRegions` modules stay live; the oldest is dropped when full, and a
 * region dies with any of its TBs.
 *
 * @module
 */

import type { Backend, CpuCore } from "../cpu_core.ts";
import { releaseAfterCompiles } from "../host_malloc.ts";
import { interpretBlock } from "../interp.ts";
import { type HelperDef, Op } from "../ir.ts";
import { gotoTargets, lastOp } from "../ir_pack.ts";
import { SoftTlb, tlbTable } from "../soft_tlb.ts";
import { pcKey, type TranslationBlock } from "../tb.ts";
import { trapFrom, type TrapKind } from "../trap.ts";
import { makeHelperShim } from "./helper_shim.ts";
import { compileRegion } from "./region_compiler.ts";
import { slowPathModule } from "./region_imports.ts";
import { MISS_LIMIT, type MissSite, type RepeatedAdd, repeatedAdds } from "./region_miss.ts";
import {
  CTRL,
  JUMP_CACHE_ENTRIES,
  JUMP_CACHE_ENTRY_SIZE,
  jumpCacheSlot,
  MAX_CHAIN_FLAGS,
  Status,
} from "./region_abi.ts";

type RunFn = (entry: number, budget: number) => number;

interface Region {
  run: RunFn;
  tbs: TranslationBlock[];
  live: boolean;
  /** its slot in the shared function table */
  slot: number;
  /** its miss exits, by site number (see region_miss.ts) */
  missSites: MissSite[];
}

/**
 * What the JIT keeps per TB, in `tb.backendData` (a class: one shape, its fields in the
 * object). A cold guest keeps tens of thousands, so it holds the entry's region and index
 * itself and the indirect jumps' targets as numbers, not bigints.
 */
class JitTbData {
  /** the region entered when this TB runs (none: it is interpreted), and its entry index there */
  region: Region | undefined = undefined;
  index = 0;
  /** every live region that compiled this TB in (they die with it); made at the first */
  regions: Region[] | undefined = undefined;
  /**
   * the keys (`pcKey`) of where the indirect jump ending this TB went while interpreted; made
   * at the first (a literal: an empty array grows 17 slots at its first push)
   */
  indirectTargets: number[] | undefined = undefined;
  /** why compiling a region from this TB failed (it stays interpreted), and its miss exits */
  rare: RareTbData | undefined = undefined;
  constructor(readonly jit: JitBackend) {}
}

/** What few TBs need: see {@linkcode JitTbData.rare}. */
interface RareTbData {
  /** why compiling a region from this TB failed: it stays interpreted */
  failed?: string;
  /** the miss exits taken in this TB's code (see region_miss.ts) */
  misses: number;
  /**
   * the rests of this TB the interpreter ran after miss exits, by first instruction, with the
   * inline adds the region made already (region_miss.ts)
   */
  rests?: Map<number, { tb: TranslationBlock; repeated: RepeatedAdd[] }>;
}

/** The pc of a pc key, as TBs hold it (unsigned); past 2^53 a key is inexact and matches no TB. */
const pcOfKey = (key: number): bigint => BigInt.asUintN(64, BigInt(key));

/** JIT statistics, for `deno task bench` and `-d jit`. */
export interface JitStats {
  regionsCompiled: number;
  tbsCompiled: number;
  /** bytes of the region modules compiled (their size is what V8's two tiers compile) */
  wasmBytes: number;
  /** milliseconds spent in IR-to-wasm emission */
  emitMs: number;
  /** milliseconds spent in WebAssembly compilation and instantiation */
  wasmCompileMs: number;
  /** region entries from JS */
  regionCalls: number;
  regionsEvicted: number;
  /**
   * region compiles V8 refused (their TBs stay interpreted): each costs its code's speed, and
   * all of them failing makes a program 10-20 times slower (docs/perf.md, the rare slow run)
   */
  regionsFailed: number;
  /** region exits on a soft-TLB miss, the instruction then interpreted (region_miss.ts) */
  missExits: number;
}

const MAX_RUN = 1 << 30;
/** Indirect-jump targets remembered per TB. */
const MAX_INDIRECT_TARGETS = 16;
/** Bytes per WebAssembly page. */
const WASM_PAGE = 65536;
/** Entries of the trace buffer of deferred callbacks. */
const TRACE_ENTRIES = 4096;

/**
 * The JIT. Create one per CPU and assign it to `cpu.backend`.
 *
 * @example
 * ```ts ignore
 * cpu.backend = new JitBackend(cpu);
 * cpu.run(1e9);
 * ```
 */
export class JitBackend implements Backend {
  readonly name = "jit";
  /** Executions after which a TB gets compiled. */
  hotThreshold = 32;
  /**
   * TBs per region at most. V8 compiles each region as one function, and its
   * optimising tier's cost grows with the function: 32 spends less CPU than 96
   * on every real program measured (bzip2 -7 %, Lua fib -15 %, Lua mixed -16 %,
   * speedtest1 -11 %; docs/perf.md), with about as few region exits.
   */
  maxRegionTbs = 32;
  /** Live compiled regions at most. */
  maxRegions = 2048;
  readonly stats: JitStats = {
    regionsCompiled: 0,
    tbsCompiled: 0,
    wasmBytes: 0,
    emitMs: 0,
    wasmCompileMs: 0,
    regionCalls: 0,
    regionsEvicted: 0,
    regionsFailed: 0,
    missExits: 0,
  };
  /**
   * Whether a guest access whose TLB probe misses may leave the region, to be run on the
   * interpreter, instead of calling the slow path (region_miss.ts): V8's optimising tier
   * spends about half of a region's compile time on those calls.
   */
  missExits = true;
  readonly tlb: SoftTlb;
  /** The last interpreted TB, when it ended with an indirect jump. */
  #lastIndirect: TranslationBlock | undefined;
  readonly #ctrl: number;
  readonly #jumpCache: number;
  readonly #traceStart: number;
  readonly #table = new WebAssembly.Table({ initial: 256, element: "anyfunc" });
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;
  readonly #regions: Region[] = [];
  /** the live regions by their function-table slot */
  readonly #bySlot: (Region | undefined)[] = [];
  /** the JS functions behind the support module's imports */
  readonly #js: { memory: WebAssembly.Memory; table: WebAssembly.Table; drain: () => void };
  #imports: Record<string, unknown> | undefined;
  /** the budget the running region was entered with */
  #allowed = 0;
  /** Publishes how far the running region got (see CpuCore.inFlight). */
  readonly #progress = (): void => {
    const dv = this.cpu.host.dv, ctrl = this.#ctrl;
    this.cpu.inFlight = this.#allowed - dv.getInt32(ctrl + CTRL.remaining, true) -
      dv.getInt32(ctrl + CTRL.refund, true);
  };
  /** the helper imports, by helper and arity (see {@linkcode #helperShim}) */
  readonly #shims = new WeakMap<HelperDef, ((...args: (bigint | number)[]) => bigint)[]>();

  constructor(readonly cpu: CpuCore) {
    this.tlb = new SoftTlb(cpu.mem);
    this.#ctrl = cpu.host.allocate(CTRL.size, 8);
    this.#traceStart = cpu.host.allocate(TRACE_ENTRIES * 4, 8);
    cpu.host.dv.setInt32(this.#ctrl + CTRL.tracePtr, this.#traceStart, true);
    // Freshly allocated host memory is zeroed: an empty jump cache (see #publish).
    this.#jumpCache = cpu.host.allocate(JUMP_CACHE_ENTRIES * JUMP_CACHE_ENTRY_SIZE, 16);
    const tbs = cpu.tbs;
    tbs.observers.push({
      onInvalidate: (tb) => this.#onTbDropped(tb),
      onFlush: () => this.#dropAll(),
    });
    const ctrl = this.#ctrl;
    const mem = cpu.mem, tlb = this.tlb;
    const progress = this.#progress;
    // A callout's exit request leaves generated code at the next instruction boundary.
    cpu.onExitRequest = () => this.#leaveRunningCode();
    const fail = (e: unknown): bigint => {
      const trap = trapFrom(e, cpu.pc, cpu);
      if (!trap) throw e;
      cpu.trap = trap;
      cpu.host.dv.setInt32(ctrl + CTRL.fault, 1, true);
      return 0n;
    };
    const js = {
      memory: cpu.host.memory,
      table: this.#table,
      load: (addr: bigint, how: number): bigint => {
        progress();
        try {
          const v = mem.load(addr, how & 15, (how & 16) !== 0);
          tlb.fill(addr);
          return v;
        } catch (e) {
          return fail(e);
        }
      },
      drain: (): void => this.#drainTrace(),
      store: (addr: bigint, value: bigint, size: number): void => {
        const before = tbs.generation;
        progress();
        try {
          mem.store(addr, size, value);
          tlb.fill(addr);
        } catch (e) {
          fail(e);
        }
        if (tbs.generation !== before) cpu.host.dv.setInt32(ctrl + CTRL.invalidated, 1, true);
      },
    };
    this.#js = js;
  }

  /**
   * The imports every region takes: the slow paths around load and store live in a support
   * module (region_imports.ts), compiled at the first region compile, not at start-up.
   */
  #fixedImports(): Record<string, unknown> {
    if (this.#imports) return this.#imports;
    const js = this.#js, pcOffset = this.cpu.target.state.pcOffset;
    const support = new WebAssembly.Instance(
      new WebAssembly.Module(slowPathModule({ pcOffset, ctrl: this.#ctrl }, 1) as BufferSource),
      { env: js as WebAssembly.ModuleImports },
    );
    this.#imports = {
      memory: js.memory,
      table: js.table,
      drain: js.drain,
      slow_load: support.exports.slow_load,
      slow_store: support.exports.slow_store,
    };
    return this.#imports;
  }

  /** Runs `tb` (and whatever its region chains to) for at most `budget` instructions. */
  exec(cpu: CpuCore, tb: TranslationBlock, budget: number): number {
    // An exit requested between runs (a hook registered, a stop) leaves before the TB, as the
    // interpreter leaves at its first instruction boundary: a region would leave only at its first
    // check, after the TB's first instruction and its instrumentation.
    if (cpu.exitRequest) return 0;
    this.#noteIndirectTarget(tb);
    let entry = this.#get(tb);
    if (!entry?.region) {
      // One-off TBs (budget-shortened, single steps) are never compiled: the
      // cache does not track their pages, so nothing would drop their code.
      if (tb.execCount < this.hotThreshold || !cpu.tbs.isCached(tb) || entry?.rare?.failed) {
        return this.#interpret(cpu, tb);
      }
      entry = this.#compile(tb);
      if (!entry) return this.#interpret(cpu, tb);
    }
    const region = entry.region!;
    // Refill the jump cache, as QEMU's tb_jmp_cache fills on lookup: a colliding TB may have
    // taken this TB's slot, and regions then exit to JS at every jump here.
    this.#publish(tb, region.slot, entry.index);
    // Regions chain only to TBs of their own flags: the mode stays until the region returns.
    this.tlb.select(this.#mmuIndex(tb.flags));
    const dv = cpu.host.dv, ctrl = this.#ctrl;
    dv.setInt32(ctrl + CTRL.fault, 0, true);
    dv.setInt32(ctrl + CTRL.invalidated, 0, true);
    const gen = cpu.tbs.generation;
    const allowed = Math.min(budget, MAX_RUN);
    this.#allowed = allowed;
    this.stats.regionCalls++;
    const status = region.run(entry.index, allowed);
    const remaining = dv.getInt32(ctrl + CTRL.remaining, true);
    let done = allowed - remaining;
    const missed = status === Status.MISS ? this.#missedInsn() : undefined;
    if (status !== Status.CONTINUE && !missed) done -= dv.getInt32(ctrl + CTRL.refund, true);
    if (status === Status.RAISE) {
      cpu.trap = {
        kind: dv.getInt32(ctrl + CTRL.trapKind, true) as TrapKind,
        cause: dv.getInt32(ctrl + CTRL.trapCause, true),
        pc: cpu.pc,
        data: BigInt.asUintN(64, dv.getBigInt64(ctrl + CTRL.trapData, true)),
      };
    }
    this.#drainTrace();
    if (missed) done += this.#rerun(cpu, missed.tb, missed.insn);
    if (cpu.tbs.generation !== gen) this.#sweep();
    return done;
  }

  /** The TB and the instruction in it where the region that just returned took a miss exit. */
  #missedInsn(): { tb: TranslationBlock; insn: number } {
    const dv = this.cpu.host.dv, ctrl = this.#ctrl;
    const region = this.#bySlot[dv.getInt32(ctrl + CTRL.missSlot, true)]!;
    const site = region.missSites[dv.getInt32(ctrl + CTRL.missSite, true)];
    return { tb: region.tbs[site.tb], insn: site.insn };
  }

  /**
   * After a miss exit: runs instruction `insn` of `tb` and the rest of `tb` on the interpreter
   * (the region did the ones before), fills the TLB for the missed address, and returns the
   * instructions retired less those the region did not do. The inline adds the region made
   * already are taken back first (see region_miss.ts). A TB that misses often gets its
   * regions compiled again with slow-path calls.
   */
  #rerun(cpu: CpuCore, tb: TranslationBlock, insn: number): number {
    this.stats.missExits++;
    const d = this.#dataOf(tb), left = tb.insnCount - insn;
    const rare = d.rare ??= { misses: 0 };
    if (++rare.misses === MISS_LIMIT) {
      for (const r of d.regions ?? []) this.#kill(r);
      this.#sweep();
    }
    cpu.pc = tb.insnPc(insn);
    const rests = rare.rests ??= new Map();
    let rest = rests.get(insn);
    if (!rest) {
      const part = cpu.tbs.translatePart(tb, insn, left);
      rests.set(insn, rest = { tb: part, repeated: repeatedAdds(part.code) });
    }
    const dv = cpu.host.dv;
    for (const { host, delta } of rest.repeated) {
      dv.setBigInt64(host, BigInt.asIntN(64, dv.getBigInt64(host, true) - delta), true);
    }
    const done = this.#interpret(cpu, rest.tb);
    // The table selected is the region's MMU mode's: fill it only if the rest stayed there.
    if (!cpu.trap && cpu.target.tbFlags(cpu) === tb.flags) {
      this.tlb.fill(cpu.host.dv.getBigInt64(this.#ctrl + CTRL.missAddr, true));
    }
    return done - left;
  }

  /** Interprets `tb`, remembering it when it ends with an indirect jump (see below). */
  #interpret(cpu: CpuCore, tb: TranslationBlock): number {
    const done = interpretBlock(cpu, tb);
    if (!cpu.trap && lastOp(tb.code) === Op.GOTO_PTR) this.#lastIndirect = tb;
    return done;
  }

  /**
   * Records `next` as a target of the indirect jump that the previous
   * interpreted TB ended with (returns, switch tables, interpreter dispatch),
   * so that regions can take those targets in like direct successors.
   */
  #noteIndirectTarget(next: TranslationBlock): void {
    const from = this.#lastIndirect;
    if (!from) return;
    this.#lastIndirect = undefined;
    const d = this.#dataOf(from), seen = d.indirectTargets, key = next.pcKey;
    if (!seen) d.indirectTargets = [key];
    else if (seen.length < MAX_INDIRECT_TARGETS && !seen.includes(key)) seen.push(key);
  }

  /** The keys (`pcKey`) of the TBs `tb` was seen to continue to. */
  #successors(tb: TranslationBlock): number[] {
    const keys = gotoTargets(tb.code).map(pcKey);
    const indirect = this.#get(tb)?.indirectTargets;
    return indirect ? keys.concat(indirect) : keys;
  }

  /** This JIT's data for `tb`, if it has made some. */
  #get(tb: TranslationBlock): JitTbData | undefined {
    const d = tb.backendData as JitTbData | undefined;
    return d?.jit === this ? d : undefined;
  }

  #dataOf(tb: TranslationBlock): JitTbData {
    let d = this.#get(tb);
    if (!d) tb.backendData = d = new JitTbData(this);
    return d;
  }

  /**
   * The TBs compiled into the region that `tb` enters, in region order
   * (empty while `tb` runs on the interpreter).
   */
  regionOf(tb: TranslationBlock): readonly TranslationBlock[] {
    return this.#get(tb)?.region?.tbs ?? [];
  }

  /** The compiled regions alive now (at most {@linkcode maxRegions}). */
  get liveRegions(): number {
    return this.#regions.length;
  }

  /** Whether successor `tb` is worth compiling into the region being formed. */
  #joins(tb: TranslationBlock): boolean {
    return tb.execCount >= (this.#get(tb)?.region ? 2 * this.hotThreshold : 1);
  }

  /** The TBs of the region compiled from `hot`: it first, then its successors worth joining. */
  #members(hot: TranslationBlock): TranslationBlock[] {
    const tbs = this.cpu.tbs, members: TranslationBlock[] = [hot];
    const seen = new Set<number>([hot.pcKey]);
    for (let i = 0; i < members.length && members.length < this.maxRegionTbs; i++) {
      for (const key of this.#successors(members[i])) {
        if (seen.has(key)) continue;
        seen.add(key);
        const next = tbs.lookup(key, hot.flags);
        if (next && next.valid && this.#joins(next)) {
          members.push(next);
          if (members.length >= this.maxRegionTbs) break;
        }
      }
    }
    return members;
  }

  #compile(hot: TranslationBlock): JitTbData | undefined {
    const cpu = this.cpu, members = this.#members(hot);
    const helpers = [...cpu.target.helpers, ...cpu.extraHelpers];
    const t0 = performance.now();
    let region: Region, compiledBytes = 0;
    const slot = this.#freeSlots.pop() ?? this.#nextSlot++;
    try {
      const compiled = compileRegion(members, {
        numGlobals: cpu.target.state.globals.length,
        globalOffsets: cpu.target.state.globals.map((g) => g.offset),
        pcOffset: cpu.target.state.pcOffset,
        helpers,
        ctrl: this.#ctrl,
        memoryPages: this.#memoryPages(),
        jumpCache: this.#jumpCache,
        selfSlot: slot,
        traceEnd: this.#traceStart + TRACE_ENTRIES * 4,
        tlbTable: tlbTable(this.#mmuIndex(hot.flags)),
        indirectTargets: members.map((tb) => this.#get(tb)?.indirectTargets?.map(pcOfKey)),
        missExits: {
          tbs: members.map((tb) =>
            this.missExits && (this.#get(tb)?.rare?.misses ?? 0) < MISS_LIMIT
          ),
        },
      });
      const t1 = performance.now();
      compiledBytes = compiled.bytes.length;
      const imports: Record<string, unknown> = { ...this.#fixedImports() };
      for (const { name, helper, arity, bound } of compiled.helperImports) {
        const h = helpers[helper];
        imports[name] = bound ? h.bind!(...bound) : this.#helperShim(h, arity);
      }
      const inst = new WebAssembly.Instance(
        new WebAssembly.Module(compiled.bytes as BufferSource),
        {
          env: imports as WebAssembly.ModuleImports,
        },
      );
      this.stats.emitMs += t1 - t0;
      this.stats.wasmCompileMs += performance.now() - t1;
      if (slot >= this.#table.length) this.#table.grow(this.#table.length);
      this.#table.set(slot, inst.exports.run as RunFn);
      const missSites = compiled.missSites;
      region = { run: inst.exports.run as RunFn, tbs: members, live: true, slot, missSites };
      this.#bySlot[slot] = region;
    } catch (e) {
      this.#freeSlots.push(slot);
      const d = this.#dataOf(hot);
      (d.rare ??= { misses: 0 }).failed = String(e);
      this.stats.regionsFailed++;
      return undefined;
    }
    const compiles = ++this.stats.regionsCompiled;
    releaseAfterCompiles(compiles);
    this.stats.tbsCompiled += members.length;
    this.stats.wasmBytes += compiledBytes;
    this.#regions.push(region);
    if (this.#regions.length > this.maxRegions) {
      this.#kill(this.#regions.shift()!);
      this.stats.regionsEvicted++;
    }
    members.forEach((tb, index) => {
      const d = this.#dataOf(tb);
      if (!d.region || tb === hot) {
        d.region = region;
        d.index = index;
        this.#publish(tb, region.slot, index);
      }
      if (d.regions) d.regions.push(region);
      else d.regions = [region];
    });
    return this.#get(hot);
  }

  /** The soft-TLB table (MMU mode) of TBs made under `flags`. */
  #mmuIndex(flags: number): number {
    return this.cpu.target.mmuIndex?.(flags) ?? 0;
  }

  /**
   * The memory size a region declares it imports, in wasm pages: the host memory's size now
   * (it only grows). Deno's V8 checks the bounds of every access explicitly (no guard pages),
   * except at constant addresses below the declared size: the state block, the control block
   * and the scoreboards' counters, which regions read and write around every exit and call.
   */
  #memoryPages(): number {
    return this.cpu.host.memory.buffer.byteLength / WASM_PAGE;
  }

  /** The import that calls `helper` with `arity` arguments, made once per helper and arity. */
  #helperShim(helper: HelperDef, arity: number): (...args: (bigint | number)[]) => bigint {
    let byArity = this.#shims.get(helper);
    if (!byArity) this.#shims.set(helper, byArity = []);
    return byArity[arity] ??= makeHelperShim(this.cpu, this.#ctrl, this.#progress, helper, arity);
  }

  /** Runs the deferred callbacks recorded by TRACE ops, in order, and empties the buffer. */
  #drainTrace(): void {
    const dv = this.cpu.host.dv, at = this.#ctrl + CTRL.tracePtr;
    const end = dv.getInt32(at, true);
    if (end === this.#traceStart) return;
    dv.setInt32(at, this.#traceStart, true);
    const run = this.cpu.traceCallback;
    for (let p = this.#traceStart; p < end; p += 4) run?.(dv.getInt32(p, true));
  }

  /**
   * Lets generated code jump straight to `tb` (entry `index` of the region in `slot`), if its
   * flags take part in chaining. Its tag is `jumpCacheKey(tb.pc, flags)` written as two words
   * from the pc's: this runs at every region entry from the run loop, and bigints would cost.
   */
  #publish(tb: TranslationBlock, slot: number, index: number): void {
    const flags = tb.flags;
    if (flags > MAX_CHAIN_FLAGS) return;
    const at = this.#jumpCache + jumpCacheSlot(tb.pcLow), dv = this.cpu.host.dv;
    dv.setInt32(at, ~tb.pcLow, true);
    dv.setInt32(at + 4, ~(tb.pcHigh ^ (flags << 24)), true);
    dv.setInt32(at + 8, slot, true);
    dv.setInt32(at + 12, index, true);
  }

  /** Empties the jump cache: a zero tag matches no pc (see jumpCacheKey). */
  #clearJumpCache(): void {
    const start = this.#jumpCache;
    this.cpu.host.u8.fill(0, start, start + JUMP_CACHE_ENTRIES * JUMP_CACHE_ENTRY_SIZE);
  }

  /** Drops `region`; its jump-cache entries too unless the whole cache is being cleared. */
  #kill(region: Region, clearEntries = true): void {
    if (!region.live) return;
    region.live = false;
    if (clearEntries) {
      // Only the region's own TBs can have entries pointing at it.
      const dv = this.cpu.host.dv;
      for (const tb of region.tbs) {
        const at = this.#jumpCache + jumpCacheSlot(tb.pcLow);
        if (dv.getInt32(at + 8, true) !== region.slot) continue;
        dv.setBigInt64(at, 0n, true);
      }
    }
    this.#table.set(region.slot, null);
    this.#bySlot[region.slot] = undefined;
    this.#freeSlots.push(region.slot);
    for (const tb of region.tbs) {
      const d = this.#get(tb);
      if (!d) continue;
      if (d.region === region) d.region = undefined;
      d.regions = d.regions?.filter((r) => r !== region);
    }
  }

  /** Generated code that is running must leave at its next check: it may be stale now. */
  #leaveRunningCode(): void {
    this.cpu.host.dv.setInt32(this.#ctrl + CTRL.invalidated, 1, true);
  }

  #onTbDropped(tb: TranslationBlock): void {
    this.#leaveRunningCode();
    const d = this.#get(tb);
    if (!d) return;
    for (const r of d.regions ?? []) this.#kill(r);
    tb.backendData = undefined;
  }

  #sweep(): void {
    for (let i = this.#regions.length - 1; i >= 0; i--) {
      if (!this.#regions[i].live) this.#regions.splice(i, 1);
    }
  }

  #dropAll(): void {
    this.#leaveRunningCode();
    for (const r of this.#regions) this.#kill(r, false);
    this.#regions.length = 0;
    this.#clearJumpCache();
  }
}
