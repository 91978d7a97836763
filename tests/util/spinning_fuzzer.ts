// A self-fuzzer whose seed 2 never ends (a busy loop, as the mmio hang of seed 17705 was), for
// the campaign watchdog's test; the other seeds pass.
import type { SelfFuzzer } from "../../scripts/selffuzz/runner.ts";

/** Passes every seed but 2, which spins forever. */
export const spinningFuzzer: SelfFuzzer = {
  name: "spinning",
  extension: "bin",
  description: "spins on seed 2",
  ciCases: 0,
  runCase(seed) {
    let spins = 0;
    while (seed === 2) spins++;
    return { input: new Uint8Array([seed, spins]), failure: null };
  },
  replay: () => null,
};
