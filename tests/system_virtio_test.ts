// virtio-mmio transport with virtio-blk and virtio-rng, driven like a guest driver would: a split
// virtqueue built by hand in bus memory.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import {
  type Device,
  EmuError,
  type MachineDevices,
  VIRTIO_VENDOR_QEMU,
  VirtioMmioReg as R,
  VirtioStatus as S,
} from "../plugin.ts";
import { type TestEnv, testEnv, withDevices } from "./system_env.ts";
import { installed, qemuImg } from "./util/qemu_img.ts";
import { RNG_MAX_REQUEST } from "../plugins/devices/virtio_rng.ts";

const PLIC = 0xc000000n, SLOT = 0x10001000n, RAM = 0x80000000n;
const DESC = RAM + 0x1000n, AVAIL = RAM + 0x2000n, USED = RAM + 0x3000n;
const VERSION_1 = 1n << 32n, BLK_F_FLUSH = 1n << 9n;

interface Buf {
  addr: bigint;
  len: number;
  write?: boolean;
}

/** A minimal virtio driver for queue 0 of the device at `base`. */
class Driver {
  #avail = 0;
  constructor(readonly env: TestEnv, readonly base: bigint) {}
  r(reg: number): bigint {
    return this.env.bus.load(this.base + BigInt(reg), 4);
  }
  w(reg: number, v: bigint | number): void {
    this.env.bus.store(this.base + BigInt(reg), 4, BigInt(v));
  }
  features(): bigint {
    this.w(R.DeviceFeaturesSel, 0);
    const lo = this.r(R.DeviceFeatures);
    this.w(R.DeviceFeaturesSel, 1);
    return (this.r(R.DeviceFeatures) << 32n) | lo;
  }
  init(accept: bigint): void {
    this.w(R.Status, 0);
    this.w(R.Status, S.ACKNOWLEDGE | S.DRIVER);
    this.w(R.DriverFeaturesSel, 0);
    this.w(R.DriverFeatures, accept & 0xffffffffn);
    this.w(R.DriverFeaturesSel, 1);
    this.w(R.DriverFeatures, accept >> 32n);
    this.w(R.Status, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
    assert.ok(Number(this.r(R.Status)) & S.FEATURES_OK, "features accepted");
    this.w(R.QueueSel, 0);
    assert.ok(this.r(R.QueueNumMax) >= 8n);
    this.w(R.QueueNum, 8);
    this.w(R.QueueDescLow, DESC & 0xffffffffn);
    this.w(R.QueueDescHigh, DESC >> 32n);
    this.w(R.QueueDriverLow, AVAIL & 0xffffffffn);
    this.w(R.QueueDriverHigh, 0);
    this.w(R.QueueDeviceLow, USED & 0xffffffffn);
    this.w(R.QueueDeviceHigh, 0);
    this.w(R.QueueReady, 1);
    this.w(R.Status, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK | S.DRIVER_OK);
  }
  /** Posts one chain and notifies; returns the used element (id, len). */
  submit(bufs: Buf[]): { id: number; len: number } {
    const bus = this.env.bus;
    bufs.forEach((b, i) => {
      const d = DESC + BigInt(i * 16);
      bus.store(d, 8, b.addr);
      bus.store(d + 8n, 4, BigInt(b.len));
      const flags = (i < bufs.length - 1 ? 1 : 0) | (b.write ? 2 : 0);
      bus.store(d + 12n, 2, BigInt(flags));
      bus.store(d + 14n, 2, BigInt(i + 1));
    });
    bus.store(AVAIL + 4n + BigInt((this.#avail % 8) * 2), 2, 0n);
    this.#avail++;
    bus.store(AVAIL + 2n, 2, BigInt(this.#avail));
    this.w(R.QueueNotify, 0);
    assert.equal(Number(bus.load(USED + 2n, 2)), this.#avail, "used index advanced");
    const e = USED + 4n + BigInt(((this.#avail - 1) % 8) * 8);
    return { id: Number(bus.load(e, 4)), len: Number(bus.load(e + 4n, 4)) };
  }
}

async function machine(devices: [string, Record<string, string | number | bigint>][], seed = 0n) {
  const env = testEnv(seed);
  env.bus.addRam("dram", RAM, 0x10000n);
  // Highest first, as the virt board offers them.
  const slots: [string, Record<string, string | number | bigint>][] = [1, 0].map((
    i,
  ) => ["virtio_mmio", { addr: SLOT + BigInt(i) * 0x1000n, irq: i + 1 }]);
  const built = await withDevices(env, [["plic", { addr: PLIC }], ...slots, ...devices]);
  const pending = () => Number(env.bus.load(PLIC + 0x1000n, 4));
  return { env, ...built, pending };
}

async function diskImage(): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".img" });
  const data = new Uint8Array(8 * 512);
  for (let i = 0; i < data.length; i++) data[i] = i >> 9; // sector n is filled with n
  await Deno.writeFile(path, data);
  return path;
}

function blkHeader(env: TestEnv, type: number, sector: bigint): void {
  env.bus.store(RAM + 0x4000n, 4, BigInt(type));
  env.bus.store(RAM + 0x4004n, 4, 0n);
  env.bus.store(RAM + 0x4008n, 8, sector);
}
const HDR = { addr: RAM + 0x4000n, len: 16 }, DATA = RAM + 0x5000n;
const STATUS = { addr: RAM + 0x6000n, len: 1, write: true };

Deno.test("virtio-mmio: empty slots and the identity registers", async () => {
  const { env } = await machine([]);
  const d = new Driver(env, SLOT);
  assert.equal(d.r(R.MagicValue), 0x74726976n);
  assert.equal(d.r(R.Version), 2n);
  assert.equal(d.r(R.DeviceID), 0n, "no device plugged");
  assert.equal(d.r(R.VendorID), BigInt(VIRTIO_VENDOR_QEMU));
  assert.equal(d.r(R.QueueNumMax), 0n);
});

Deno.test("virtio-blk: read, write (to the file), flush, get-id, errors, interrupt", async () => {
  const path = await diskImage();
  try {
    const { env, devs, pending } = await machine([["virtio_blk", {
      file: path,
      serial: "disk-7",
    }]]);
    const d = new Driver(env, SLOT + 0x1000n); // the first offered (highest) slot is taken first
    assert.equal(new Driver(env, SLOT).r(R.DeviceID), 0n);
    assert.equal(d.r(R.DeviceID), 2n);
    const f = d.features();
    assert.ok(f & VERSION_1 && f & BLK_F_FLUSH);
    d.init(VERSION_1 | BLK_F_FLUSH);
    assert.equal(env.bus.load(SLOT + 0x1100n, 8), 8n, "capacity in sectors");
    assert.equal(env.bus.load(SLOT + 0x1114n, 4), 512n, "blk_size");

    // Write sector 3.
    env.bus.writeBytes(DATA, new Uint8Array(512).fill(0xab));
    blkHeader(env, 1, 3n);
    env.bus.store(STATUS.addr, 1, 0xffn);
    const used = d.submit([HDR, { addr: DATA, len: 512 }, STATUS]);
    assert.deepEqual(used, { id: 0, len: 1 });
    assert.equal(env.bus.load(STATUS.addr, 1), 0n, "VIRTIO_BLK_S_OK");
    const file = await Deno.readFile(path);
    assert.deepEqual([file[3 * 512], file[4 * 512 - 1], file[4 * 512]], [0xab, 0xab, 4]);
    assert.equal(pending() & (1 << 2), 1 << 2, "interrupt on PLIC source 2");
    assert.equal(d.r(R.InterruptStatus), 1n);
    d.w(R.InterruptACK, 1);
    assert.equal(pending() & (1 << 2), 0);

    // Read sectors 2..3 split over two buffers.
    blkHeader(env, 0, 2n);
    const r = d.submit([HDR, { addr: DATA, len: 700, write: true }, {
      addr: DATA + 0x1000n,
      len: 324,
      write: true,
    }, STATUS]);
    assert.equal(r.len, 1025);
    assert.equal(env.bus.load(DATA + 511n, 1), 2n);
    assert.equal(env.bus.load(DATA + 512n, 1), 0xabn);
    assert.equal(env.bus.load(DATA + 0x1000n + 323n, 1), 0xabn);

    blkHeader(env, 8, 0n); // GET_ID
    assert.equal(d.submit([HDR, { addr: DATA, len: 20, write: true }, STATUS]).len, 21);
    assert.equal(new TextDecoder().decode(env.bus.readBytes(DATA, 6)), "disk-7");
    blkHeader(env, 4, 0n); // FLUSH
    assert.equal(d.submit([HDR, STATUS]).len, 1);
    assert.equal(env.bus.load(STATUS.addr, 1), 0n);
    blkHeader(env, 0, 8n); // past the end
    d.submit([HDR, { addr: DATA, len: 512, write: true }, STATUS]);
    assert.equal(env.bus.load(STATUS.addr, 1), 1n, "VIRTIO_BLK_S_IOERR");
    blkHeader(env, 99, 0n);
    d.submit([HDR, STATUS]);
    assert.equal(env.bus.load(STATUS.addr, 1), 2n, "VIRTIO_BLK_S_UNSUPP");
    await devs.close();
  } finally {
    await Deno.remove(path);
  }
});

/** Writes 0x5a to sectors 6..7 and reads 5..7 back through the disk in the last slot. */
function writeThenRead(env: TestEnv): void {
  const d = new Driver(env, SLOT + 0x1000n);
  d.init(VERSION_1);
  env.bus.writeBytes(DATA, new Uint8Array(1024).fill(0x5a));
  blkHeader(env, 1, 6n);
  d.submit([HDR, { addr: DATA, len: 1024 }, STATUS]);
  assert.equal(env.bus.load(STATUS.addr, 1), 0n);
  env.bus.writeBytes(DATA, new Uint8Array(1536));
  blkHeader(env, 0, 5n);
  d.submit([HDR, { addr: DATA, len: 1536, write: true }, STATUS]);
  const got = env.bus.readBytes(DATA, 1536);
  assert.deepEqual([got[0], got[512], got[1535]], [5, 0x5a, 0x5a], "the guest sees its writes");
}

Deno.test("virtio-blk: snapshot=on keeps writes in memory, the file is unchanged", async () => {
  const path = await diskImage();
  try {
    const before = await Deno.readFile(path);
    const { env, devs } = await machine([["virtio_blk", { file: path, snapshot: "on" }]]);
    writeThenRead(env);
    await devs.close();
    assert.deepEqual(await Deno.readFile(path), before);
  } finally {
    await Deno.remove(path);
  }
});

/** The device `name` of a test machine. */
function device(devs: MachineDevices, name: string): Device {
  return devs.created.find((c) => c.id.startsWith(name))!.device;
}

/**
 * One request on sector `sector` through a fresh driver (its ring index starts
 * at 0, as a reset or restored device's does); returns the sector's first byte.
 */
function sectorRequest(env: TestEnv, sector: bigint, write?: number): number {
  if (write !== undefined) env.bus.writeBytes(DATA, new Uint8Array(512).fill(write));
  blkHeader(env, write === undefined ? 0 : 1, sector);
  new Driver(env, SLOT + 0x1000n).submit([HDR, { addr: DATA, len: 512, write: !write }, STATUS]);
  assert.equal(env.bus.load(STATUS.addr, 1), 0n);
  return env.bus.readBytes(DATA, 1)[0];
}

Deno.test("virtio-blk: snapshot=on drives are restored with the machine; writable ones refuse", async () => {
  // Before: the state held the transport only, so a restored guest read the newer writes.
  const path = await diskImage();
  try {
    const { env, devs } = await machine([["virtio_blk", { file: path, snapshot: "on" }]]);
    const blk = device(devs, "virtio_blk");
    writeThenRead(env); // sectors 6..7 hold 0x5a
    new Driver(env, SLOT + 0x1000n).init(VERSION_1);
    const saved = blk.save!();
    sectorRequest(env, 6n, 0x33);
    new Driver(env, SLOT + 0x1000n).init(VERSION_1);
    assert.equal(sectorRequest(env, 6n), 0x33);
    blk.load!(saved);
    assert.equal(sectorRequest(env, 6n), 0x5a);
    blk.load!(saved);
    sectorRequest(env, 6n, 0x44); // writes a copy: the saved page stays as it was
    blk.load!(saved);
    assert.equal(sectorRequest(env, 6n), 0x5a);
    await devs.close();

    const writable = await machine([["virtio_blk", { file: path }]]);
    assert.throws(() => device(writable.devs, "virtio_blk").save!(), (e: unknown) => {
      assert.ok(e instanceof EmuError);
      assert.match(e.message, /^snapshot: drive virtio_blk\S* \(.*\) is writable/);
      assert.match(e.hint!, /snapshot=on/);
      return true;
    });
    await writable.devs.close();
    const readOnly = await machine([["virtio_blk", { file: path, readonly: "on" }]]);
    device(readOnly.devs, "virtio_blk").save!();
    await readOnly.devs.close();
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("virtio-blk: a driver that refuses VERSION_1 is not accepted; a missing file is an error", async () => {
  const path = await diskImage();
  try {
    const { env, devs } = await machine([["virtio_blk", { file: path }]]);
    const d = new Driver(env, SLOT + 0x1000n);
    d.w(R.Status, S.ACKNOWLEDGE | S.DRIVER);
    d.w(R.DriverFeatures, 0);
    d.w(R.Status, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
    assert.equal(Number(d.r(R.Status)) & S.FEATURES_OK, 0);
    await devs.close();
  } finally {
    await Deno.remove(path);
  }
  await assert.rejects(
    machine([["virtio_blk", { file: "/nonexistent/disk.img" }]]),
    /Could not open '\/nonexistent\/disk.img': No such file or directory/,
  );
});

Deno.test("virtio-mmio: a broken descriptor chain sets DEVICE_NEEDS_RESET", async () => {
  const { env } = await machine([["virtio_rng", {}]]);
  const d = new Driver(env, SLOT + 0x1000n);
  d.init(VERSION_1);
  env.bus.store(DESC + 12n, 2, 1n); // NEXT ...
  env.bus.store(DESC + 14n, 2, 100n); // ... to a descriptor past the queue
  env.bus.store(AVAIL + 2n, 2, 1n);
  d.w(R.QueueNotify, 0);
  assert.ok(Number(d.r(R.Status)) & S.DEVICE_NEEDS_RESET);
  assert.equal(d.r(R.InterruptStatus), 2n, "configuration change interrupt");
  d.w(R.Status, 0);
  assert.equal(d.r(R.Status), 0n, "reset clears it");
  assert.equal(d.r(R.InterruptStatus), 0n);
});

async function rngBytes(seed: bigint): Promise<number[]> {
  const { env } = await machine([["virtio_rng", {}]], seed);
  const d = new Driver(env, SLOT + 0x1000n);
  assert.equal(d.r(R.DeviceID), 4n);
  d.init(VERSION_1);
  const used = d.submit([{ addr: DATA, len: 32, write: true }]);
  assert.equal(used.len, 32);
  return [...env.bus.readBytes(DATA, 32)];
}

Deno.test("virtio-rng: bytes are determined by the seed", async () => {
  const a = await rngBytes(1n), b = await rngBytes(1n), c = await rngBytes(2n);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(new Set(a).size > 8, "not constant");
});

Deno.test("virtio-rng: a restored device hands out the same bytes again", async () => {
  // Before: the state held the transport only, so the stream went on after a restore.
  const { env, devs } = await machine([["virtio_rng", {}]]);
  const rng = device(devs, "virtio_rng");
  const base = SLOT + 0x1000n;
  new Driver(env, base).init(VERSION_1);
  const saved = rng.save!();
  const read = () => {
    new Driver(env, base).submit([{ addr: DATA, len: 32, write: true }]);
    return [...env.bus.readBytes(DATA, 32)];
  };
  const first = read();
  rng.load!(saved);
  assert.deepEqual(read(), first);
  rng.load!(saved);
  assert.deepEqual(read(), first, "a second restore too");
});

Deno.test({
  name:
    "virtio-blk: format=qcow2 writes allocate clusters (qemu-img check and compare agree); snapshot=on",
  ignore: !installed("qemu-img"),
  async fn() {
    const raw = await diskImage();
    const path = `${raw}.qcow2`;
    try {
      await qemuImg(["convert", "-f", "raw", "-O", "qcow2", raw, path]);
      for (const snapshot of ["on", "off"]) {
        const before = await Deno.readFile(path);
        const { env, devs } = await machine([["virtio_blk", {
          file: path,
          format: "qcow2",
          snapshot,
        }]]);
        writeThenRead(env);
        await devs.close();
        if (snapshot === "on") assert.deepEqual(await Deno.readFile(path), before);
      }
      const expected = await Deno.readFile(raw);
      expected.fill(0x5a, 6 * 512, 8 * 512);
      await Deno.writeFile(raw, expected);
      assert.match((await qemuImg(["check", path])).stdout, /No errors were found/);
      await qemuImg(["compare", "-f", "qcow2", "-F", "raw", path, raw]);
    } finally {
      await Deno.remove(raw);
      await Deno.remove(path).catch(() => {});
    }
  },
});

Deno.test("virtio-rng: a request gets at most RNG_MAX_REQUEST bytes (selffuzz mmio)", async () => {
  // Before: the device generated as many bytes as the buffers offered, so a
  // 4 GiB buffer stalled the host for minutes.
  const { env } = await machine([["virtio_rng", {}]]);
  const d = new Driver(env, SLOT + 0x1000n);
  d.init(VERSION_1);
  env.bus.writeBytes(DATA, new Uint8Array(2 * RNG_MAX_REQUEST).fill(0xee));
  const used = d.submit([{ addr: DATA, len: 2 * RNG_MAX_REQUEST, write: true }]);
  assert.equal(used.len, RNG_MAX_REQUEST);
  assert.equal(env.bus.readBytes(DATA + BigInt(RNG_MAX_REQUEST), 1)[0], 0xee, "the rest untouched");
});

Deno.test("virtio: an available index moved past the ring size needs a reset (selffuzz mmio)", async () => {
  // Before: the device served up to 65535 chains from an 8-entry ring per notify.
  const { env } = await machine([["virtio_rng", {}]]);
  const d = new Driver(env, SLOT + 0x1000n);
  d.init(VERSION_1);
  env.bus.store(DESC, 8, DATA);
  env.bus.store(DESC + 8n, 4, 16n);
  env.bus.store(DESC + 12n, 2, 2n); // WRITE
  env.bus.store(AVAIL + 2n, 2, 9n); // 9 heads in an 8-entry ring
  d.w(R.QueueNotify, 0);
  assert.equal(Number(env.bus.load(USED + 2n, 2)), 0, "nothing used");
  assert.ok(Number(d.r(R.Status)) & S.DEVICE_NEEDS_RESET);
});
