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

/**
 * afl-cmin: the names of a subset of `inputs` that reaches every (map
 * entry, bucket) pair the whole set reaches, preferring small inputs.
 */
export async function cmin(
  target: FuzzTarget,
  inputs: { name: string; data: Uint8Array }[],
  budget: number,
): Promise<string[]> {
  const t = target.trace;
  const judge = new NoveltyJudge(t.host, t.size);
  const best = new Map<number, { name: string; size: number }>();
  const tuples = new Map<string, number[]>();
  for (const input of inputs) {
    const o = (await target.run(input.data, budget)).outcome;
    if (o.kind !== "ok") continue;
    judge.classify(t.address);
    const mine: number[] = [];
    for (let i = 0; i < t.size; i++) {
      const b = t.host.u8[t.address + i];
      if (!b) continue;
      const tuple = i * 8 + Math.log2(b);
      mine.push(tuple);
      const cur = best.get(tuple);
      if (!cur || input.data.length < cur.size) {
        best.set(tuple, { name: input.name, size: input.data.length });
      }
    }
    tuples.set(input.name, mine);
  }
  // Greedy: walk the tuples; keep each one's best input unless a kept input covers it already.
  const covered = new Set<number>(), kept: string[] = [];
  for (const [tuple, { name }] of [...best].sort((x, y) => x[0] - y[0])) {
    if (covered.has(tuple)) continue;
    kept.push(name);
    for (const k of tuples.get(name)!) covered.add(k);
  }
  return kept.sort();
}
