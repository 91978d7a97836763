// The small devices: sifive_test finisher codes, Goldfish RTC time and alarm, the example counter
// loaded by path, and the device-plugin loader's errors.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { DEFAULT_EPOCH_NS } from "../core/clock.ts";
import { loadDevicePlugin, PLUGIN_API_VERSION } from "../plugin.ts";
import { testEnv, withDevices } from "./system_env.ts";

const PLIC = 0xc000000n;

Deno.test("sifive_test: pass, fail with code, reset become machine events", async () => {
  const env = testEnv();
  const { devs } = await withDevices(env, [["sifive_test", { addr: 0x100000n }]]);
  const events: unknown[] = [];
  devs.control.onEvent((e) => events.push(e));
  env.bus.store(0x100000n, 4, 0x1234n); // not a command
  assert.equal(devs.control.pending, null);
  env.bus.store(0x100000n, 4, (42n << 16n) | 0x3333n);
  env.bus.store(0x100000n, 4, 0x5555n);
  env.bus.store(0x100000n, 4, 0x7777n);
  assert.deepEqual(events, [
    { kind: "poweroff", status: 42 },
    { kind: "poweroff", status: 0 },
    { kind: "reset" },
  ]);
  assert.deepEqual(devs.control.take(), { kind: "poweroff", status: 42 }, "the first one wins");
  assert.equal(devs.control.take(), null);
  const [test, poweroff, reboot] = devs.descriptions;
  assert.deepEqual(test.compatible, ["sifive,test1", "sifive,test0", "syscon"]);
  assert.deepEqual(poweroff.props?.value, [0x5555]);
  assert.deepEqual(reboot.props?.regmap, [{ phandle: test.label }]);
});

async function rtc(values: Record<string, string | number | bigint> = {}) {
  const env = testEnv();
  await withDevices(env, [["plic", { addr: PLIC }], [
    "goldfish_rtc",
    { addr: 0x101000n, irq: 11, ...values },
  ]]);
  const read = () => {
    const lo = env.bus.load(0x101000n, 4);
    return (env.bus.load(0x101004n, 4) << 32n) | lo;
  };
  return { env, read };
}

Deno.test("goldfish_rtc: time is the virtual clock's realtime, settable, with base=utc", async () => {
  const { env, read } = await rtc();
  assert.equal(read(), DEFAULT_EPOCH_NS);
  env.advanceTo(1_000_000_000n);
  assert.equal(read(), DEFAULT_EPOCH_NS + 1_000_000_000n);
  const set = 2_000_000_000_000_000_000n;
  env.bus.store(0x101004n, 4, set >> 32n);
  env.bus.store(0x101000n, 4, set & 0xffffffffn);
  env.advanceTo(1_000_000_500n);
  assert.equal(read(), set + 500n);
  const utc = await rtc({ base: "utc" });
  assert.equal(utc.read(), 1_800_000_000_000_000_000n, "host time from the environment");
  const fixed = await rtc({ base: "2030-01-01T00:00:00Z" });
  assert.equal(fixed.read(), BigInt(Date.UTC(2030, 0, 1)) * 1_000_000n);
  await assert.rejects(rtc({ base: "someday" }), /neither "utc" nor a date/);
});

Deno.test("goldfish_rtc: the alarm raises interrupt 11 at its time", async () => {
  const { env, read } = await rtc();
  const pending = () => (Number(env.bus.load(PLIC + 0x1000n, 4)) >> 11) & 1;
  env.bus.store(0x101010n, 4, 1n); // IRQ_ENABLED
  const at = read() + 5000n;
  env.bus.store(0x10100cn, 4, at >> 32n);
  env.bus.store(0x101008n, 4, at & 0xffffffffn);
  assert.equal(env.bus.load(0x101018n, 4), 1n, "alarm armed");
  env.advanceTo(4999n);
  assert.equal(pending(), 0);
  env.advanceTo(5000n);
  assert.equal(pending(), 1);
  assert.equal(env.bus.load(0x101018n, 4), 0n);
  env.bus.store(0x10101cn, 4, 1n); // CLEAR_INTERRUPT
  assert.equal(pending(), 0);
});

Deno.test("example_counter: loads by path, counts reads, interrupts at the threshold", async () => {
  const env = testEnv();
  const { devs } = await withDevices(env, [
    ["plic", { addr: PLIC }],
    ["./plugins/devices/example_counter.ts", { addr: 0x10010000n, irq: 9 }],
  ]);
  const pending = () => (Number(env.bus.load(PLIC + 0x1000n, 4)) >> 9) & 1;
  env.bus.store(0x10010004n, 4, 3n);
  assert.deepEqual([0, 1].map(() => env.bus.load(0x10010000n, 4)), [0n, 1n]);
  assert.equal(pending(), 0);
  env.bus.load(0x10010000n, 4);
  assert.equal(pending(), 1);
  env.bus.store(0x10010008n, 4, 1n);
  assert.equal(pending(), 0);
  assert.equal(env.bus.load(0x10010000n, 4), 0n);
  assert.equal(devs.descriptions[1].node, "counter");
});

Deno.test("device plugins: unknown names, bad options and wrong API versions are reported", async () => {
  await assert.rejects(
    loadDevicePlugin("no_such_device"),
    /cannot load device plugin no_such_device: no built-in device plugin of that name$/,
  );
  await assert.rejects(loadDevicePlugin("./no_such_device.ts"), /no_such_device.ts: no such file$/);
  const env = testEnv();
  await assert.rejects(
    withDevices(env, [["plic", { addr: PLIC }], ["ns16550a", { addr: 0x10000000n, bogus: 1 }]]),
    /unknown option bogus/,
  );
  await assert.rejects(
    withDevices(testEnv(), [["ns16550a", { addr: 0x10000000n }]]),
    /no interrupt controller/,
  );
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/old.ts`;
    await Deno.writeTextFile(
      path,
      `export default { kind: "device", name: "old", apiVersion: { min: ${
        PLUGIN_API_VERSION + 1
      }, cur: ${PLUGIN_API_VERSION + 1} } };`,
    );
    await assert.rejects(loadDevicePlugin(path), /supports plugin API \d+, this Denemu implements/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
