/**
 * cache: simulates L1 instruction and data caches (and optionally a unified
 * L2) and reports accesses, misses and the instructions that miss most
 * (QEMU's contrib/plugins/cache.c).
 *
 * Arguments (QEMU's): `dcachesize`, `dassoc`, `dblksize`, `icachesize`,
 * `iassoc`, `iblksize` (defaults 16 KiB, 8-way, 64-byte blocks),
 * `l2cachesize`, `l2assoc`, `l2blksize`, `l2=on` (default off; 2 MiB,
 * 16-way), `evict=lru|fifo|rand`, `limit=N` (rows of each top list, 32).
 * Denemu adds `seed=N` for `evict=rand`, so runs repeat exactly.
 *
 * @module
 */

import { EmuError, type ToolContext, type ToolPlugin } from "../../plugin.ts";
import { boolArg, checkArgs, functionName, intArg } from "./_util.ts";

/** Eviction policies. */
type Policy = "lru" | "fifo" | "rand";

/** A set-associative cache model: tags only, no data (QEMU's Cache). */
class CacheModel {
  accesses = 0;
  misses = 0;
  readonly #sets: number;
  readonly #tags: Float64Array;
  readonly #valid: Uint8Array;
  /** LRU: last-use generation per block; FIFO: insertion generation */
  readonly #stamp: Float64Array;
  readonly #gen: Float64Array;

  constructor(
    readonly blksize: number,
    readonly assoc: number,
    size: number,
    readonly policy: Policy,
    readonly random: () => number,
  ) {
    this.#sets = size / (blksize * assoc);
    const n = this.#sets * assoc;
    this.#tags = new Float64Array(n);
    this.#valid = new Uint8Array(n);
    this.#stamp = new Float64Array(n);
    this.#gen = new Float64Array(this.#sets);
  }

  /** Simulates an access; true on a hit. */
  access(addr: number): boolean {
    this.accesses++;
    const block = Math.floor(addr / this.blksize);
    const set = block % this.#sets, tag = Math.floor(block / this.#sets);
    const base = set * this.assoc;
    let free = -1;
    for (let i = base; i < base + this.assoc; i++) {
      if (!this.#valid[i]) {
        if (free < 0) free = i;
      } else if (this.#tags[i] === tag) {
        if (this.policy === "lru") this.#stamp[i] = this.#gen[set]++;
        return true;
      }
    }
    this.misses++;
    const victim = free >= 0 ? free : this.#victim(base, set);
    this.#tags[victim] = tag;
    this.#valid[victim] = 1;
    if (this.policy !== "rand") this.#stamp[victim] = this.#gen[set]++;
    return false;
  }

  #victim(base: number, _set: number): number {
    if (this.policy === "rand") return base + Math.floor(this.random() * this.assoc);
    let best = base; // LRU and FIFO both evict the smallest stamp (last use / insertion)
    for (let i = base + 1; i < base + this.assoc; i++) {
      if (this.#stamp[i] < this.#stamp[best]) best = i;
    }
    return best;
  }
}

/** Misses charged to one instruction (QEMU's InsnData). */
interface InsnMisses {
  pc: bigint;
  disas: string;
  symbol?: string;
  dmisses: number;
  imisses: number;
  l2misses: number;
}

/** A small deterministic PRNG (xorshift32) in [0, 1). */
function seededRandom(seed: number): () => number {
  let s = (seed >>> 0) || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function makeCache(
  args: Record<string, string>,
  prefix: string,
  what: string,
  defaults: [number, number, number],
  policy: Policy,
  random: () => number,
): CacheModel {
  const blk = Number(intArg(args, `${prefix}blksize`, BigInt(defaults[0])));
  const assoc = Number(intArg(args, `${prefix}assoc`, BigInt(defaults[1])));
  const size = Number(intArg(args, `${prefix}cachesize`, BigInt(defaults[2])));
  const why = !blk || !assoc || (blk & (blk - 1))
    ? "block size must be a power of two and assoc positive"
    : size % blk
    ? "cache size must be divisible by block size"
    : size % (blk * assoc)
    ? "cache size must be divisible by set size (assoc * block size)"
    : null;
  if (why) throw new EmuError(`${what} cannot be constructed from given parameters`, why);
  return new CacheModel(blk, assoc, size, policy, random);
}

function statsLine(d: CacheModel, i: CacheModel, l2: CacheModel | null): string {
  const rate = (m: number, a: number, w: number) =>
    `${(a ? (m / a) * 100 : 0).toFixed(4).padStart(w)}%`;
  let s = `${String(d.accesses).padEnd(14)} ${String(d.misses).padEnd(12)} ` +
    `${rate(d.misses, d.accesses, 9)}  ${String(i.accesses).padEnd(14)} ` +
    `${String(i.misses).padEnd(12)} ${rate(i.misses, i.accesses, 9)}`;
  if (l2 && l2.accesses && l2.misses) {
    s += `  ${String(l2.accesses).padEnd(12)} ${String(l2.misses).padEnd(11)} ` +
      rate(l2.misses, l2.accesses, 10);
  }
  return s + "\n";
}

function topList(rows: InsnMisses[], title: string, key: keyof InsnMisses, limit: number) {
  const sorted = [...rows].sort((a, b) =>
    (b[key] as number) - (a[key] as number) || (a.pc < b.pc ? -1 : 1)
  );
  let s = `address, ${title}, instruction\n`;
  for (const r of sorted.slice(0, limit)) {
    s += `0x${r.pc.toString(16)}${r.symbol ? ` (${r.symbol})` : ""}, ${r[key]}, ${r.disas}\n`;
  }
  return s;
}

function install(ctx: ToolContext, args: Record<string, string>): void {
  const known = ["evict", "limit", "seed", "l2"];
  for (const p of ["i", "d", "l2"]) known.push(`${p}blksize`, `${p}assoc`, `${p}cachesize`);
  checkArgs(args, known);
  const policy = (args.evict ?? "lru") as Policy;
  if (!["lru", "fifo", "rand"].includes(policy)) {
    throw new EmuError(`invalid eviction policy: evict=${args.evict}`, "use lru, fifo or rand");
  }
  const random = seededRandom(Number(intArg(args, "seed", 1n)));
  const limit = Number(intArg(args, "limit", 32n));
  const dcache = makeCache(args, "d", "dcache", [64, 8, 64 * 8 * 32], policy, random);
  const icache = makeCache(args, "i", "icache", [64, 8, 64 * 8 * 32], policy, random);
  const useL2 = boolArg(args, "l2") ||
    ["l2cachesize", "l2blksize", "l2assoc"].some((k) => k in args);
  const l2 = useL2
    ? makeCache(args, "l2", "L2 cache", [64, 16, 16 * 64 * 2048], policy, random)
    : null;
  const insns = new Map<bigint, InsnMisses>();

  ctx.hooks.onTranslate((tb) => {
    for (const insn of tb.insns) {
      let rec = insns.get(insn.pc);
      if (!rec) {
        const symbol = functionName(ctx, insn.pc);
        rec = { pc: insn.pc, disas: insn.disassembly, symbol, dmisses: 0, imisses: 0, l2misses: 0 };
        insns.set(insn.pc, rec);
      }
      const r = rec, pc = Number(insn.pc);
      insn.onExec(() => {
        if (icache.access(pc)) return;
        r.imisses++;
        if (l2 && !l2.access(pc)) r.l2misses++;
      }, { regs: "none" });
      insn.onMem((_v, a) => {
        const addr = Number(a.address);
        if (dcache.access(addr)) return;
        r.dmisses++;
        if (l2 && !l2.access(addr)) r.l2misses++;
      }, { regs: "none" });
    }
  });

  ctx.onExit(() => {
    let text = "core #, data accesses, data misses, dmiss rate, insn accesses, insn misses, " +
      `imiss rate${l2 ? ", l2 accesses, l2 misses, l2 miss rate" : ""}\n`;
    text += "0".padEnd(8) + statsLine(dcache, icache, l2) + "\n";
    const rows = [...insns.values()];
    text += topList(rows, "data misses", "dmisses", limit);
    text += "\n" + topList(rows, "fetch misses", "imisses", limit);
    if (l2) text += "\n" + topList(rows, "L2 misses", "l2misses", limit);
    ctx.out(text);
  });
}

/**
 * The cache tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["cache,dcachesize=8192,evict=fifo"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "cache",
  apiVersion: { min: 2, cur: 2 },
  description: "L1 I/D (and L2) cache simulation: totals and top missing instructions",
  install,
};
export default plugin;
