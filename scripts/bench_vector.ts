/**
 * The vector section of `deno task bench`: the RVV benchmark guest
 * (`tests/guests/bin/vcompute.static.O2`: strip-mined saxpy, dot product,
 * FP multiply-add with an ordered sum, compare-and-count) on both engines
 * beside qemu-riscv64 with the same `-cpu`, CPU seconds of the same
 * iterations, and the checksums compared.
 *
 * `deno run -A scripts/bench_vector.ts [--quick]` runs it alone.
 *
 * @module
 */

import type { BenchOutput } from "./bench_fuzz.ts";
import { benchBesidePeer } from "./bench_peer.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * Runs the section and records `results.vector`.
 *
 * @example
 * ```ts ignore
 * await benchVector({ row: (n, v) => console.log(n, v), results: {} }, true);
 * ```
 */
export async function benchVector(out: BenchOutput, quick: boolean): Promise<void> {
  const iterations = quick ? "5" : "40";
  console.log(`\nVector (RVV) compute loop, vcompute ${iterations}, CPU seconds, VLEN 128`);
  await benchBesidePeer(out, {
    name: "vcompute",
    key: "vector",
    guest: `${ROOT}tests/guests/bin/vcompute.static.O2`,
    args: [iterations],
    peer: "qemu-riscv64",
    cpu: "rv64,v=true,vlen=128,elen=64,vext_spec=v1.0",
  });
}

if (import.meta.main) {
  await benchVector({
    row: (name, value) => console.log(`${name.padEnd(52)} ${value}`),
    results: {},
  }, Deno.args.includes("--quick"));
}
