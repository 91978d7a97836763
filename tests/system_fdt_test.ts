// Device tree encoder/decoder round trip, dtc cross-check, and option parsing.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { decodeFdt, encodeFdt, fdtCells, FdtNode, fdtString, fdtStrings } from "../plugin.ts";
import { parseDeviceSpec, parseOptionList, parseSize } from "../core/system/options.ts";
import { which } from "./system_env.ts";

function sample(): FdtNode {
  const root = new FdtNode("").set("#address-cells", [2]).set("#size-cells", [2]);
  root.set("model", "denemu,test").set("compatible", ["a,b", "c"]);
  const intc = root.add("intc@0").set("interrupt-controller", true).set("#interrupt-cells", [1]);
  intc.label = "intc";
  const soc = root.add("soc");
  soc.add("dev@10000000")
    .set("reg", [0, 0x10000000, 0, 0x100])
    .set("interrupt-parent", [{ phandle: "intc" }])
    .set("big", 0x0123456789abcdefn)
    .set("raw", new Uint8Array([1, 2, 3]));
  return root;
}

Deno.test("fdt: encode -> decode round trip keeps every node, property and value", () => {
  const blob = encodeFdt(sample(), {
    reservations: [{ address: 0x80000000n, size: 0x1000n }],
    bootCpuId: 0,
  });
  const dv = new DataView(blob.buffer);
  assert.equal(dv.getUint32(0), 0xd00dfeed);
  assert.equal(dv.getUint32(4), blob.length);
  assert.equal(dv.getUint32(20), 17);
  assert.equal(dv.getUint32(24), 16);
  const d = decodeFdt(blob);
  assert.deepEqual(d.reservations, [{ address: 0x80000000n, size: 0x1000n }]);
  const root = d.root;
  assert.equal(fdtString(root.props.get("model") as Uint8Array), "denemu,test");
  assert.deepEqual(fdtStrings(root.props.get("compatible") as Uint8Array), ["a,b", "c"]);
  const intc = root.find("/intc@0")!;
  assert.deepEqual(intc.props.get("interrupt-controller"), new Uint8Array(0));
  const phandle = fdtCells(intc.props.get("phandle") as Uint8Array)[0];
  assert.equal(phandle, 1);
  const dev = root.find("/soc/dev@10000000")!;
  assert.deepEqual(fdtCells(dev.props.get("reg") as Uint8Array), [0, 0x10000000, 0, 0x100]);
  assert.deepEqual(fdtCells(dev.props.get("interrupt-parent") as Uint8Array), [phandle]);
  assert.deepEqual(fdtCells(dev.props.get("big") as Uint8Array), [0x01234567, 0x89abcdef]);
  assert.deepEqual(dev.props.get("raw"), new Uint8Array([1, 2, 3]));
  // Re-encoding the decoded tree gives the same blob.
  assert.deepEqual(encodeFdt(root, { reservations: d.reservations }), blob);
});

Deno.test("fdt: property names are shared in the strings block; bad input is rejected", () => {
  const root = new FdtNode("");
  for (let i = 0; i < 10; i++) root.add(`n${i}`).set("compatible", "x");
  const blob = encodeFdt(root);
  const dv = new DataView(blob.buffer);
  assert.equal(dv.getUint32(32), "compatible\0".length, "one copy of the name");
  assert.throws(() => decodeFdt(blob.slice(0, 20)), /shorter than its header/);
  const bad = blob.slice();
  bad[0] = 0;
  assert.throws(() => decodeFdt(bad), /bad magic/);
  const r = new FdtNode("");
  r.add("a").set("x", [{ phandle: "nope" }]);
  assert.throws(() => encodeFdt(r), /unknown node label "nope"/);
  assert.throws(() => r.add("a"), /duplicate node/);
});

const haveDtc = await which("dtc");
Deno.test({
  name: `fdt: dtc parses our blob${haveDtc ? "" : " (skipped: dtc is not installed)"}`,
  ignore: !haveDtc,
  async fn() {
    const path = await Deno.makeTempFile({ suffix: ".dtb" });
    try {
      await Deno.writeFile(path, encodeFdt(sample()));
      const out = await new Deno.Command("dtc", { args: ["-I", "dtb", "-O", "dts", path] })
        .output();
      const dts = new TextDecoder().decode(out.stdout);
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      assert.match(dts, /model = "denemu,test";/);
      assert.match(dts, /compatible = "a,b\\0c";/);
      assert.match(dts, /dev@10000000 \{[^}]*interrupt-parent = <0x01>;/s);
      assert.match(dts, /big = <0x1234567 0x89abcdef>;/);
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test("options: QEMU-style lists, sizes and typed getters", () => {
  assert.deepEqual(parseOptionList("virt,dumpdtb=a,,b.dtb,aclint", true), {
    name: "virt",
    values: { dumpdtb: "a,b.dtb", aclint: "on" },
  });
  assert.equal(parseSize("256M", "-m"), 256n << 20n);
  assert.equal(parseSize("1.5G", "-m"), 3n << 29n);
  assert.equal(parseSize("512", "-m", 1n << 20n), 512n << 20n);
  assert.throws(() => parseSize("lots", "-m"), /not a size/);
  const d = parseDeviceSpec("./dev.ts,addr=0x10010000,irq=9,snapshot=on,name=x,bogus=1");
  assert.equal(d.name, "./dev.ts");
  assert.equal(d.options.address("addr"), 0x10010000n);
  assert.equal(d.options.int("irq"), 9);
  assert.equal(d.options.bool("snapshot"), true);
  assert.throws(() => d.options.int("name"), /name=x is not an unsigned number/);
  assert.throws(() => d.options.string("file"), /option "file" is required/);
  assert.throws(() => d.options.rejectUnused(), /unknown option bogus/);
  assert.throws(() => parseDeviceSpec("addr=1"), /no device name/);
});
