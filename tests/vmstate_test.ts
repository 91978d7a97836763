// Device state (core/system/vmstate.ts): arrays load in place, and what was
// saved stays as saved whatever the device does after a load.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { EmuError } from "../core/errors.ts";
import { loadVmState, saveVmState, type VmStateDescription } from "../core/system/vmstate.ts";

class Device {
  level = new Uint8Array(4);
  enable = [new Uint32Array(2)];
  counts = new BigUint64Array(2);
  mode = 0;
}
const VM: VmStateDescription<Device> = {
  name: "device",
  version: 1,
  fields: ["level", "enable", "counts", "mode"],
};

Deno.test("vmstate: typed arrays load in place, and loading again after writes gives the saved values", () => {
  const d = new Device();
  d.level.set([1, 2, 3, 4]);
  d.enable[0].set([5, 6]);
  d.counts.set([7n, 8n]);
  d.mode = 9;
  const saved = saveVmState(VM, d);
  const level = d.level, enabled = d.enable[0];
  for (let run = 0; run < 2; run++) {
    d.level.fill(0xff);
    d.enable[0].fill(0);
    d.counts.fill(0n);
    d.mode = 0;
    loadVmState(VM, d, saved);
    assert(d.level === level && d.enable[0] === enabled, "live arrays are filled in place");
    assertEquals([...d.level], [1, 2, 3, 4]);
    assertEquals([...d.enable[0]], [5, 6]);
    assertEquals([...d.counts], [7n, 8n]);
    assertEquals(d.mode, 9);
  }
  const short = { ...saved, fields: { ...saved.fields, level: new Uint8Array(3) } };
  assert.throws(() => loadVmState(VM, d, short), EmuError);
});
