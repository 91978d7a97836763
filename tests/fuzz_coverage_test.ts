// Edge coverage compiled into generated code: both engines fill the same map,
// the byte counters never wrap to 0, and novelty detection buckets like AFL.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { LinuxProcess } from "../core/linux/process.ts";
import { blockId, EdgeCoverage } from "../core/fuzz/coverage.ts";
import { bucket, Novelty, NoveltyJudge } from "../core/fuzz/novelty.ts";
import { HostMemory } from "../core/host_memory.ts";
import type { Accel } from "../core/accel.ts";

const PROG = "tests/guests/bin/sort.static.O2";

async function edgeMap(accel: Accel): Promise<Uint8Array> {
  const p = await LinuxProcess.create({ program: PROG, accel, stdout: () => {} });
  const cov = new EdgeCoverage(p.cpu);
  cov.reset();
  p.runToExit();
  return cov.bytes().slice();
}

Deno.test("the interpreter and the JIT fill the same edge map", async () => {
  const interp = await edgeMap("interp"), jit = await edgeMap("jit");
  const edges = interp.filter((b) => b !== 0).length;
  assert(edges > 200, `few edges: ${edges}`);
  assert(interp.some((b) => b > 1), "loops should count more than once");
  assertEquals(jit, interp);
});

Deno.test("a counter that passes 255 goes to 1, not 0 (NeverZero), on both engines", async () => {
  for (const accel of ["interp", "jit"] as const) {
    const p = await LinuxProcess.create({ program: PROG, accel, stdout: () => {} });
    const cov = new EdgeCoverage(p.cpu, 1 << 16);
    cov.reset();
    p.runToExit();
    const map = cov.bytes();
    // Any edge that ran 256k+r times holds r or r+1 (one per wrap): never 0.
    for (let i = 0; i < map.length; i++) map[i] = map[i] ? 255 : 0;
    const p2 = await LinuxProcess.create({ program: PROG, accel, stdout: () => {} });
    const cov2 = new EdgeCoverage(p2.cpu, 1 << 16);
    cov2.reset();
    p2.cpu.host.u8.set(map, cov2.map);
    p2.runToExit();
    const after = cov2.bytes();
    for (let i = 0; i < map.length; i++) {
      if (map[i]) assert(after[i] !== 0, `${accel}: entry ${i} wrapped to 0`);
    }
  }
});

Deno.test("block ids stay inside the map", () => {
  for (const pc of [0n, 0x10078n, 0xffffffffffffffffn, 0x3fffff0000n]) {
    for (const size of [64, 1 << 16]) {
      const id = blockId(pc, size);
      assert(id >= 0 && id < size);
    }
  }
});

Deno.test("novelty: AFL buckets, new edges, new counts, nothing", () => {
  assertEquals([0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 127, 128, 255].map(bucket), [
    0,
    1,
    2,
    4,
    8,
    8,
    16,
    32,
    32,
    64,
    64,
    128,
    128,
  ]);
  const host = new HostMemory(1 << 20);
  const judge = new NoveltyJudge(host, 256);
  const virgin = judge.virginMap(), trace = host.allocate(256, 64);
  const run = (hits: Record<number, number>) => {
    host.u8.fill(0, trace, trace + 256);
    for (const [i, n] of Object.entries(hits)) host.u8[trace + Number(i)] = n;
    return judge.judge(trace, virgin);
  };
  assertEquals(run({ 3: 1, 200: 5 }), Novelty.EDGES);
  assertEquals(host.u8[trace + 200], 8);
  assertEquals(run({ 3: 1, 200: 6 }), Novelty.NONE); // same bucket
  assertEquals(run({ 3: 2 }), Novelty.COUNTS);
  assertEquals(run({ 255: 1 }), Novelty.EDGES); // last byte of the last word
  assertEquals(judge.touched(virgin), 3);
});

Deno.test("novelty: the generated judge agrees with a plain reference on random maps", () => {
  const size = 1024;
  const host = new HostMemory(1 << 20);
  const judge = new NoveltyJudge(host, size);
  const virgin = judge.virginMap(), trace = host.allocate(size, 64);
  const refVirgin = new Uint8Array(size).fill(0xff);
  let seed = 12345;
  const rand = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  for (let run = 0; run < 200; run++) {
    const hits = new Uint8Array(size);
    for (let k = rand(12); k > 0; k--) hits[rand(size)] = 1 + rand(255);
    host.u8.set(hits, trace);
    let want: number = Novelty.NONE;
    for (let i = 0; i < size; i++) {
      const b = bucket(hits[i]);
      if (b & refVirgin[i]) want = Math.max(want, refVirgin[i] === 0xff ? 2 : 1);
      refVirgin[i] &= ~b;
    }
    assertEquals(judge.judge(trace, virgin), want, `run ${run}`);
    assertEquals(host.u8.slice(trace, trace + size), hits.map(bucket));
    assertEquals(host.u8.slice(virgin, virgin + size), refVirgin);
  }
});
