/**
 * What the `mmio` self-fuzzer's bus-master traffic is made of: values biased
 * toward boundaries, DMA addresses in and out of RAM, and random virtqueue
 * chains with block request headers, shared by its virtio-mmio and
 * virtio-pci drivers.
 *
 * @module
 */

import type { TestEnv } from "../../tests/system_env.ts";
import type { Rnd } from "../../tests/riscv/random_programs.ts";

/** The RAM the fuzzed board has, where rings and buffers go. */
export const RAM = 0x80000000n, RAM_SIZE = 0x10000n;

/** A value of `size` bytes, biased toward boundaries. */
export function value(rnd: Rnd, size: number): bigint {
  const bits = BigInt(8 * size);
  const pick = rnd(4);
  if (pick === 0) return (1n << bits) - 1n;
  if (pick === 1) return BigInt(rnd(16));
  const v = (BigInt(rnd(1 << 30)) << 32n) | BigInt(rnd(1 << 30));
  return BigInt.asUintN(Number(bits), v);
}

/** An address for a descriptor: mostly RAM, sometimes off its end or nowhere. */
export function dmaAddress(rnd: Rnd): bigint {
  const pick = rnd(8);
  if (pick === 0) return BigInt(rnd(1 << 30)) << BigInt(rnd(34));
  if (pick === 1) return RAM + RAM_SIZE - BigInt(rnd(64));
  return RAM + BigInt(rnd(Number(RAM_SIZE)));
}

/**
 * Writes a ring of 8 random descriptors at `desc` (the first pointing at a
 * block request header of any type and sector) and posts random entries in
 * the available ring at `avail`, calling `notify` after each.
 */
export function postChains(
  env: TestEnv,
  rnd: Rnd,
  desc: bigint,
  avail: bigint,
  notify: () => void,
): void {
  for (let k = 0; k < 8; k++) {
    const d = desc + BigInt(16 * k);
    env.bus.store(d, 8, dmaAddress(rnd));
    env.bus.store(d + 8n, 4, rnd(4) ? BigInt(rnd(1024)) : value(rnd, 4));
    env.bus.store(d + 12n, 2, BigInt(rnd(8))); // NEXT, WRITE, INDIRECT in any mix
    env.bus.store(d + 14n, 2, BigInt(rnd(4) ? (k + 1) % 8 : rnd(1 << 16)));
  }
  // a block request header in RAM where descriptors may point: any type, any sector
  const hdr = RAM + 0x9000n;
  env.bus.store(hdr, 4, BigInt([0, 1, 4, 8, 11, 13, rnd(1 << 16)][rnd(7)]));
  env.bus.store(hdr + 8n, 8, rnd(2) ? BigInt(rnd(20)) : value(rnd, 8));
  env.bus.store(desc, 8, hdr);
  for (let n = 1 + rnd(4); n > 0; n--) {
    env.bus.store(avail + 4n + BigInt(2 * rnd(8)), 2, BigInt(rnd(8)));
    env.bus.store(avail + 2n, 2, value(rnd, 2));
    notify();
  }
}
