/**
 * Minimisation: `tmin` shrinks one input while it keeps crashing the same
 * way (same signal and pc) or, for an input that does not crash, while it
 * keeps the same execution path (afl-tmin's two modes); `cmin` keeps the
 * smallest inputs of a corpus that together reach every map entry and hit
 * count bucket the whole corpus reaches (afl-cmin).
 *
 * @module
 */

import { NoveltyJudge } from "./novelty.ts";
import type { FuzzTarget } from "./target.ts";
import { trimInput } from "./trim.ts";

/** The byte afl-tmin normalises to. */
const NORMAL_BYTE = 0x30; // '0'

/** A run's identity for minimisation: crash signal and pc, or the hash of the path. */
async function identity(
  target: FuzzTarget,
  judge: NoveltyJudge,
  input: Uint8Array,
  budget: number,
): Promise<string> {
  const o = (await target.run(input, budget)).outcome;
  if (o.kind === "crash") return `crash:${o.signal}:${o.pc}`;
  if (o.kind === "hang") return "hang";
  return `path:${judge.pathHash(target.trace.address)}`;
}

/**
 * afl-tmin: the smallest input found that runs like `input` (see the module
 * doc), with as many bytes as possible replaced by '0'.
 *
 * @example
 * ```ts ignore
 * const small = await tmin(harness, crashInput, 1_000_000);
 * ```
 */
export async function tmin(
  target: FuzzTarget,
  input: Uint8Array,
  budget: number,
): Promise<{ data: Uint8Array; kind: string }> {
  const judge = new NoveltyJudge(target.trace.host, target.trace.size);
  const want = await identity(target, judge, input, budget);
  const same = async (c: Uint8Array) => await identity(target, judge, c, budget) === want;
  let data = await trimInput(input, async (c) => (await same(c)) ? 1 : 0, 1);
  for (let i = 0; i < data.length; i++) {
    if (data[i] === NORMAL_BYTE) continue;
    const c = data.slice();
    c[i] = NORMAL_BYTE;
    if (await same(c)) data = c;
  }
  return { data, kind: want.split(":")[0] };
}

/** Which runs `cmin` keeps: afl-cmin's default (crashes and timeouts dropped), -C, -A. */
export type CminRuns = "ok" | "crashes" | "any";

/** `cmin`'s options beside the corpus: afl-cmin's -C/-A and -e. */
export interface CminOptions {
  budget: number;
  runs: CminRuns;
  /** `-e`: map entries only, hit counts ignored */
  edgesOnly: boolean;
}

/**
 * afl-cmin: the names of a subset of `inputs` that reaches every (map
 * entry, bucket) pair the whole set reaches. As afl-cmin does: the inputs
 * are taken smallest first (same size: the later name first), empty ones
 * left out; each pair's input is the first that reaches it, and the pairs
 * are walked from the rarest (fewest inputs) to the most common, keeping
 * the input of each pair no kept input reaches yet.
 */
export async function cmin(
  target: FuzzTarget,
  inputs: { name: string; data: Uint8Array }[],
  opts: CminOptions,
): Promise<string[]> {
  const bySize = inputs.filter((x) => x.data.length > 0).sort((x, y) =>
    x.data.length - y.data.length || (x.name < y.name ? 1 : x.name > y.name ? -1 : 0)
  );
  const judge = new NoveltyJudge(target.trace.host, target.trace.size);
  const best = new Map<number, string>(), count = new Map<number, number>();
  const tuples = new Map<string, number[]>();
  for (const input of bySize) {
    const mine = await cminTuples(target, judge, input.data, opts);
    if (!mine) continue;
    for (const tuple of mine) {
      if (!best.has(tuple)) best.set(tuple, input.name);
      count.set(tuple, (count.get(tuple) ?? 0) + 1);
    }
    tuples.set(input.name, mine);
  }
  const covered = new Set<number>(), kept = new Set<string>();
  const rareFirst = [...count].sort((x, y) => x[1] - y[1] || x[0] - y[0]);
  for (const [tuple] of rareFirst) {
    if (covered.has(tuple)) continue;
    const name = best.get(tuple)!;
    kept.add(name);
    for (const k of tuples.get(name)!) covered.add(k);
  }
  return [...kept].sort();
}

/** The (map entry, bucket) pairs of one run, or null when `opts.runs` leaves the run out. */
async function cminTuples(
  target: FuzzTarget,
  judge: NoveltyJudge,
  input: Uint8Array,
  opts: CminOptions,
): Promise<number[] | null> {
  const kind = (await target.run(input, opts.budget)).outcome.kind;
  if (opts.runs === "ok" && kind !== "ok" || opts.runs === "crashes" && kind !== "crash") {
    return null;
  }
  const t = target.trace;
  judge.classify(t.address);
  const mine: number[] = [];
  for (let i = 0; i < t.size; i++) {
    const b = t.host.u8[t.address + i];
    if (b) mine.push(i * 8 + (opts.edgesOnly ? 0 : Math.log2(b)));
  }
  return mine;
}
