/**
 * Novelty detection without scanning the map in JavaScript: one small
 * generated wasm function walks the trace map 8 bytes at a time, skips zero
 * words, turns hit counts into AFL's buckets (1, 2, 3, 4-7, 8-15, 16-31,
 * 32-127, 128+) and compares them with a "virgin" map of the bits never seen
 * (AFL's `classify_counts` + `has_new_bits`, fused into one pass).
 *
 * @module
 */

import type { HostMemory } from "../host_memory.ts";
import { assembleModule, I32, I64, W, WasmCode } from "../jit/wasm_code.ts";

/** What an execution brought: nothing, new hit counts on known edges, or new edges. */
export const Novelty = { NONE: 0, COUNTS: 1, EDGES: 2 } as const;
/** A {@linkcode Novelty} value. */
export type Novelty = typeof Novelty[keyof typeof Novelty];

/** AFL's hit-count bucket of `n` (0 <= n < 256). */
export function bucket(n: number): number {
  if (n <= 2) return n;
  if (n === 3) return 4;
  if (n <= 7) return 8;
  if (n <= 15) return 16;
  if (n <= 31) return 32;
  if (n <= 127) return 64;
  return 128;
}

// Parameters and locals of `judge(trace, virgin, words, classify) -> novelty`.
const P_TRACE = 0, P_VIRGIN = 1, P_WORDS = 2, P_CLASSIFY = 3;
const L_END = 4, L_RET = 5, L_W = 6, L_C = 7, L_V = 8, L_K = 9;
/** Bytes checked for zero at once (four v128 loads OR-ed): most of a map is zero. */
const CHUNK = 64;
/** SIMD opcodes (after the 0xfd prefix). */
const V128_LOAD = 0x00, V128_OR = 0x50, V128_ANY_TRUE = 0x53;

/** Classifies and compares the word at `trace` with the one at `virgin`, then advances both. */
function wordStep(c: WasmCode, table: number): void {
  c.localGet(P_TRACE).mem(W.i64Load, 0).localTee(L_W).op(W.i64Eqz).op(W.i32Eqz).if();
  // classify: c = OR over bytes k of table[(w >> 8k) & 255] << 8k, stored back
  c.localGet(P_CLASSIFY).if();
  c.i64Const(0n).localSet(L_C);
  for (let k = 0; k < 8; k++) {
    c.localGet(L_W).i64Const(BigInt(8 * k)).op(W.i64ShrU).i64Const(0xffn).op(W.i64And)
      .op(W.i32WrapI64).mem(W.i64Load8U, table).i64Const(BigInt(8 * k)).op(W.i64Shl)
      .localGet(L_C).op(W.i64Or).localSet(L_C);
  }
  c.localGet(P_TRACE).localGet(L_C).mem(W.i64Store, 0);
  c.localGet(L_C).localSet(L_W);
  c.op(W.end);
  // compare with the virgin word
  c.localGet(P_VIRGIN).mem(W.i64Load, 0).localTee(L_V).localGet(L_W).op(W.i64And).op(W.i64Eqz)
    .op(W.i32Eqz).if();
  c.i32Const(1).localGet(L_RET).localGet(L_RET).i32Const(1).op(W.i32LtU).op(W.select).localSet(
    L_RET,
  );
  for (let k = 0; k < 8; k++) {
    // a byte hit now whose virgin byte is still 0xff: an edge never seen
    const m = 0xffn << BigInt(8 * k);
    c.localGet(L_W).i64Const(m).op(W.i64And).op(W.i64Eqz).op(W.i32Eqz);
    c.localGet(L_V).i64Const(m).op(W.i64And).i64Const(m).op(W.i64Eq).op(W.i32And).if();
    c.i32Const(2).localSet(L_RET).op(W.end);
  }
  c.localGet(P_VIRGIN).localGet(L_V).localGet(L_W).i64Const(-1n).op(W.i64Xor).op(W.i64And)
    .mem(W.i64Store, 0);
  c.op(W.end); // if new bits
  c.op(W.end); // if non-zero word
  c.localGet(P_TRACE).i32Const(8).op(W.i32Add).localSet(P_TRACE);
  c.localGet(P_VIRGIN).i32Const(8).op(W.i32Add).localSet(P_VIRGIN);
}

function judgeBody(table: number): WasmCode {
  const c = new WasmCode();
  const v128Load = (offset: number) =>
    c.localGet(P_TRACE).op(0xfd).uleb(V128_LOAD).uleb(0).uleb(offset);
  // end = trace + words * 8
  c.localGet(P_TRACE).localGet(P_WORDS).i32Const(3).op(W.i32Shl).op(W.i32Add).localSet(L_END);
  c.block().loop();
  c.localGet(P_TRACE).localGet(L_END).op(W.i32GeS).brIf(1);
  v128Load(0);
  v128Load(16);
  c.op(0xfd).uleb(V128_OR);
  v128Load(32);
  v128Load(48);
  c.op(0xfd).uleb(V128_OR).op(0xfd).uleb(V128_OR).op(0xfd).uleb(V128_ANY_TRUE);
  c.if();
  c.i32Const(CHUNK / 8).localSet(L_K).loop();
  wordStep(c, table);
  c.localGet(L_K).i32Const(1).op(W.i32Sub).localTee(L_K).brIf(0);
  c.op(W.end); // loop over the chunk's words
  c.op(W.else);
  c.localGet(P_TRACE).i32Const(CHUNK).op(W.i32Add).localSet(P_TRACE);
  c.localGet(P_VIRGIN).i32Const(CHUNK).op(W.i32Add).localSet(P_VIRGIN);
  c.op(W.end);
  c.br(0).op(W.end).op(W.end);
  c.localGet(L_RET);
  return c;
}

type JudgeFn = (trace: number, virgin: number, words: number, classify: number) => number;

/**
 * Judges trace maps against virgin maps, all in one host memory.
 *
 * @example
 * ```ts
 * import { HostMemory } from "../host_memory.ts";
 * import { NoveltyJudge } from "./novelty.ts";
 * const host = new HostMemory(1 << 20);
 * const judge = new NoveltyJudge(host, 64);
 * const trace = host.allocate(64, 64), virgin = judge.virginMap();
 * host.u8[trace + 5] = 3;
 * console.log(judge.judge(trace, virgin), host.u8[trace + 5]); // 2 4
 * ```
 */
export class NoveltyJudge {
  readonly #fn: JudgeFn;
  readonly #table: number;
  /** a virgin map that {@linkcode classify} compares with and nobody reads */
  #scratch: number | undefined;

  constructor(readonly host: HostMemory, readonly size: number) {
    this.#table = host.allocate(256, 64);
    for (let n = 0; n < 256; n++) host.u8[this.#table + n] = bucket(n);
    const bytes = assembleModule(1, [], [{
      name: "judge",
      params: [I32, I32, I32, I32],
      result: I32,
      locals: [I32, I32, I64, I64, I64, I32],
      body: judgeBody(this.#table),
      exported: true,
    }]);
    const table = new WebAssembly.Table({ initial: 0, element: "anyfunc" });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {
      env: { memory: host.memory, table },
    });
    this.#fn = inst.exports.judge as JudgeFn;
  }

  /** Buckets the counts of the trace at `trace` in place. */
  classify(trace: number): void {
    this.#scratch ??= this.virginMap();
    this.#fn(trace, this.#scratch, this.size >> 3, 1);
  }

  /**
   * Buckets the trace at `trace` and hashes it: equal hashes mean the same
   * execution path (trimming and minimisation keep inputs that preserve it).
   */
  pathHash(trace: number): number {
    this.classify(trace);
    const words = new Int32Array(this.host.memory.buffer, trace, this.size >> 2);
    let h = 0x811c9dc5;
    for (let i = 0; i < words.length; i++) {
      if (words[i]) h = Math.imul(h ^ words[i] ^ i, 0x01000193);
    }
    return h >>> 0;
  }

  /** A fresh virgin map (all bits unseen) in host memory; returns its address. */
  virginMap(): number {
    const at = this.host.allocate(this.size, 64);
    this.host.u8.fill(0xff, at, at + this.size);
    return at;
  }

  /**
   * Buckets the counts of the trace at `trace` in place (unless `classified`
   * already), clears the bits it sets in `virgin`, and says what was new.
   */
  judge(trace: number, virgin: number, classified = false): Novelty {
    return this.#fn(trace, virgin, this.size >> 3, classified ? 0 : 1) as Novelty;
  }

  /** Bytes of `virgin` that some execution has touched (for `bitmap_cvg`). */
  touched(virgin: number): number {
    const u8 = this.host.u8;
    let n = 0;
    for (let i = virgin, end = virgin + this.size; i < end; i++) if (u8[i] !== 0xff) n++;
    return n;
  }
}
