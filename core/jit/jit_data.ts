/**
 * What the JIT backend (jit_backend.ts) keeps: its compiled regions, the modules they were
 * compiled into, its data per TB, and its statistics.
 *
 * @module
 */

import type { TranslationBlock } from "../tb.ts";
import type { JitBackend } from "./jit_backend.ts";
import type { MissSite, RepeatedAdd } from "./region_miss.ts";

/** A region's function: runs from TB `entry` for at most `budget` instructions; a `Status`. */
export type RunFn = (entry: number, budget: number) => number;

/** A compiled region: its function, its TBs (entry `i` is `tbs[i]`). */
export interface Region {
  run: RunFn;
  tbs: TranslationBlock[];
  live: boolean;
  /** its slot in the shared function table */
  slot: number;
  /** its miss exits, by site number (see region_miss.ts) */
  missSites: MissSite[];
  /** the module it was compiled into, with other regions (see `JitBackend.maxBatch`) */
  module: RegionModule;
}

/** The regions of one wasm module, and how many of them are live. */
export interface RegionModule {
  regions: Region[];
  live: number;
}

/**
 * What the JIT keeps per TB, in `tb.backendData` (a class: one shape, its fields in the
 * object). A cold guest keeps tens of thousands, so it holds the entry's region and index
 * itself and the indirect jumps' targets as numbers, not bigints.
 */
export class JitTbData {
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
export interface RareTbData {
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
export const pcOfKey = (key: number): bigint => BigInt.asUintN(64, BigInt(key));

/** JIT statistics, for `deno task bench` and `-d jit`. */
export interface JitStats {
  regionsCompiled: number;
  /** wasm modules compiled (several regions each: see `JitBackend.maxBatch`) */
  modulesCompiled: number;
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
  /** region exits on a soft-TLB miss, the instruction then interpreted (region_miss.ts) */
  missExits: number;
}
