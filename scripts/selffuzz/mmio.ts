/**
 * `mmio`: random MMIO and virtqueue traffic against the virt board's devices
 * (PLIC, UART, RTC, fw_cfg (whose DMA reads and writes RAM), virtio-mmio with virtio-blk and virtio-rng, and a PCIe
 * host bridge with virtio-blk-pci and virtio-rng-pci: see mmio_pci.ts),
 * issued on the physical bus as a bare-metal driver would: random loads and
 * stores of every size in the device windows, and driver-like virtqueue
 * set-ups with random descriptor chains (addresses in and out of RAM, huge
 * lengths, loops, indirect flags) and block requests (any type, any sector).
 * Afterwards the disk images must have their size, and nothing beside them in
 * their directory may have changed. A guest fault (an access to nothing) is
 * fine; any other exception is a failure.
 *
 * @module
 */

import { join } from "node:path";
import { GuestFault } from "../../mod.ts";
import { VirtioMmioReg as R, VirtioStatus as S } from "../../plugin.ts";
import { type TestEnv, testEnv, withDevices } from "../../tests/system_env.ts";
import { prng, type Rnd } from "../../tests/riscv/random_programs.ts";
import { describeError, type SelfFuzzer } from "./runner.ts";
import { postChains, RAM, RAM_SIZE, value } from "./mmio_dma.ts";
import { pciDevices, pciOp } from "./mmio_pci.ts";

const UART = 0x10000000n, RTC = 0x101000n, PLIC = 0xc000000n, SLOT = 0x10001000n;
const FW_CFG = 0x10100000n;
const WINDOWS: [bigint, number][] = [
  [UART, 0x100],
  [RTC, 0x1000],
  [PLIC, 0x4000],
  [SLOT, 0x2000],
  [FW_CFG, 0x18],
];
const OPS = 300;
const IMAGE_SIZE = 16 * 512;
/** The images of the virtio-mmio and the virtio-pci disk, and a file beside them. */
const IMAGES = ["disk.img", "disk-pci.img"], NEIGHBOUR = "neighbour.bin";

/** Brings queue `q` of the slot at `base` up, with random twists, and posts random chains. */
function virtqueueTraffic(env: TestEnv, rnd: Rnd, base: bigint) {
  const w = (reg: number, v: bigint | number) => env.bus.store(base + BigInt(reg), 4, BigInt(v));
  const desc = RAM + BigInt(rnd(8)) * 0x1000n, avail = desc + 0x800n, used = desc + 0xc00n;
  w(R.Status, 0);
  w(R.Status, S.ACKNOWLEDGE | S.DRIVER);
  w(R.DriverFeaturesSel, 1);
  w(R.DriverFeatures, rnd(4) ? 1 : rnd(1 << 16)); // VERSION_1, or nonsense
  w(R.Status, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
  w(R.QueueSel, rnd(8) ? 0 : rnd(4));
  const num = [1, 2, 8, 0, 3, 0x8000][rnd(6)];
  w(R.QueueNum, num);
  w(R.QueueDescLow, rnd(8) ? desc & 0xffffffffn : value(rnd, 4));
  w(R.QueueDescHigh, rnd(8) ? 0 : value(rnd, 4));
  w(R.QueueDriverLow, avail & 0xffffffffn);
  w(R.QueueDeviceLow, rnd(8) ? used & 0xffffffffn : value(rnd, 4));
  w(R.QueueReady, 1);
  w(R.Status, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK | S.DRIVER_OK);
  postChains(env, rnd, desc, avail, () => w(R.QueueNotify, rnd(8) ? 0 : rnd(8)));
}

/** One random access in a device window. */
function mmioAccess(env: TestEnv, rnd: Rnd) {
  const [base, size] = WINDOWS[rnd(WINDOWS.length)];
  const width = 1 << rnd(4);
  const addr = base + BigInt(rnd(size) & ~(rnd(2) ? width - 1 : 0));
  if (rnd(2)) env.bus.store(addr, width, value(rnd, width));
  else env.bus.load(addr, width);
}

async function board(rnd: Rnd, dir: string): Promise<{ env: TestEnv; close(): Promise<void> }> {
  const env = testEnv(BigInt(rnd(1 << 30)));
  env.bus.addRam("dram", RAM, RAM_SIZE);
  const { devs } = await withDevices(env, [
    ["plic", { addr: PLIC }],
    ["ns16550a", { addr: UART }],
    ["goldfish_rtc", { addr: RTC }],
    ["fw_cfg", { addr: FW_CFG }],
    ["virtio_mmio", { addr: SLOT, irq: 1 }],
    ["virtio_mmio", { addr: SLOT + 0x1000n, irq: 2 }],
    ["virtio_blk", { file: join(dir, IMAGES[0]), format: "raw" }],
    ["virtio_rng", {}],
    ...pciDevices(join(dir, IMAGES[1])),
  ]);
  return { env, close: () => devs.close() };
}

/** Runs the traffic of `seed`; null when it ends cleanly and the disk directory is intact. */
async function check(seed: number): Promise<string | null> {
  const rnd = prng(seed);
  const dir = await Deno.makeTempDir({ prefix: "denemu-selffuzz-mmio-" });
  for (const image of IMAGES) {
    await Deno.writeFile(join(dir, image), new Uint8Array(IMAGE_SIZE).fill(0x5a));
  }
  await Deno.writeFile(join(dir, NEIGHBOUR), new Uint8Array(512).fill(0xa5));
  try {
    const { env, close } = await board(rnd, dir);
    try {
      const failure = traffic(env, rnd);
      if (failure) return failure;
    } finally {
      await close();
    }
    return await diskIntact(dir);
  } catch (e) {
    return describeError(e);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The random accesses of one case; the first failure, or null. */
function traffic(env: TestEnv, rnd: Rnd): string | null {
  for (let k = 0; k < OPS; k++) {
    try {
      const pick = rnd(16);
      if (pick === 0) virtqueueTraffic(env, rnd, SLOT + 0x1000n * BigInt(rnd(2)));
      else if (pick < 6) pciOp(env, rnd);
      else mmioAccess(env, rnd);
      if (rnd(32) === 0) env.advanceTo(BigInt(k) * 1_000_000n);
    } catch (e) {
      if (!(e instanceof GuestFault)) return `op ${k}: ${describeError(e)}`;
    }
  }
  return null;
}

async function diskIntact(dir: string): Promise<string | null> {
  for (const image of IMAGES) {
    const size = (await Deno.stat(join(dir, image))).size;
    if (size !== IMAGE_SIZE) return `${image} grew or shrank: ${size} bytes`;
  }
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  const expected = [...IMAGES, NEIGHBOUR].sort();
  if (names.join() !== expected.join()) return `files beside the images: ${names}`;
  const n = await Deno.readFile(join(dir, NEIGHBOUR));
  return n.every((b) => b === 0xa5) ? null : "the file beside the image changed";
}

/** The `mmio` self-fuzzer (the reproducer is the seed: `--seed S --cases 1`). */
export const mmioFuzzer: SelfFuzzer = {
  name: "mmio",
  ciCases: 600,
  extension: "seed",
  description: "random MMIO, PCI and virtqueue traffic on the virt devices; disk images checked",
  async runCase(seed) {
    return { input: new TextEncoder().encode(`${seed}\n`), failure: await check(seed) };
  },
  replay: (input) => check(Number(new TextDecoder().decode(input))),
};
