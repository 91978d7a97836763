/**
 * What the fuzzing engine needs from a harness: run one input within an
 * instruction budget and say how it ended, with the edge map of that run in
 * host memory. The engine never sees a process, a machine or a mode.
 *
 * @module
 */

import type { HostMemory } from "../host_memory.ts";
import type { Compare } from "./cmplog.ts";

/** How one execution ended. */
export type Outcome =
  | { kind: "ok" }
  /** the instruction budget ran out (`-t`) */
  | { kind: "hang" }
  /**
   * a crash: the signal that would have killed the program (0 for a stop the
   * guest requested), where, and a hash of the call stack (for de-duplication)
   */
  | { kind: "crash"; signal: number; pc: bigint; stackHash: number };

/** One execution's result. */
export interface ExecResult {
  outcome: Outcome;
  /** guest instructions it ran */
  insns: number;
}

/** Where a harness leaves the edge map of its last execution. */
export interface TraceArea {
  host: HostMemory;
  /** host address of the map */
  address: number;
  /** map size in bytes */
  size: number;
}

/**
 * A fuzz harness.
 *
 * @example
 * ```ts ignore
 * const r = await target.run(new TextEncoder().encode("seed"), 1_000_000);
 * if (r.outcome.kind === "crash") console.log("signal", r.outcome.signal);
 * ```
 */
export interface FuzzTarget {
  readonly trace: TraceArea;
  /** Runs `input` from the harness's start state, at most `budget` guest instructions. */
  run(input: Uint8Array, budget: number): ExecResult | Promise<ExecResult>;
  /** Whether the program read its input in the runs so far (false: fuzzing it is pointless). */
  readonly readsInput: boolean;
  /** Tokens the harness learnt from the program (a list that grows; see `auto_tokens.ts`). */
  readonly autoTokens?: readonly Uint8Array[];
}

/** A harness that can run an input in a separate pass and log its comparisons (cmplog). */
export interface CmplogTarget {
  log(input: Uint8Array, budget: number): Compare[] | Promise<Compare[]>;
}

/**
 * A 32-bit FNV-1a hash of numbers (crash de-duplication keys).
 *
 * @example
 * ```ts
 * import { hashWords } from "./target.ts";
 * console.log(hashWords([1n, 2n]) === hashWords([1n, 2n])); // true
 * ```
 */
export function hashWords(words: readonly bigint[]): number {
  let h = 0x811c9dc5;
  for (const w of words) {
    for (let k = 0n; k < 64n; k += 8n) {
      h = Math.imul(h ^ Number((w >> k) & 0xffn), 0x01000193);
    }
  }
  return h >>> 0;
}
