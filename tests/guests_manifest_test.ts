// Checks tests/guests/manifest.json is consistent and, when qemu-riscv64 is installed, that every
// recorded expectation still matches a fresh run on qemu-riscv64.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { join } from "node:path";
import { GUESTS, type Manifest, runOnQemu, SYSROOT, which } from "../scripts/build_guests.ts";

const manifest: Manifest = JSON.parse(await Deno.readTextFile(join(GUESTS, "manifest.json")));

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

Deno.test("guest manifest: every binary and expectation file exists", async () => {
  assert.ok(manifest.cases.length > 0);
  const names = new Set<string>();
  for (const c of manifest.cases) {
    assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
    names.add(c.name);
    assert.ok(await exists(join(GUESTS, c.binary)), `${c.name}: missing ${c.binary}`);
    assert.ok(await exists(join(GUESTS, c.stdout)), `${c.name}: missing ${c.stdout}`);
    if (c.stderr !== null) {
      assert.ok(await exists(join(GUESTS, c.stderr)), `${c.name}: missing ${c.stderr}`);
    }
    assert.equal(typeof c.exitStatus, "number");
    assert.equal(c.signal === null, c.exitStatus < 128, `${c.name}: signal/exitStatus mismatch`);
    assert.ok(Array.isArray(c.args) && Array.isArray(c.mkdirs));
  }
});

const haveQemu = await which("qemu-riscv64");
const haveSysroot = await exists(join(SYSROOT, "lib/ld-linux-riscv64-lp64d.so.1"));
const reason = !haveQemu
  ? "qemu-riscv64 is not installed"
  : !haveSysroot
  ? `${SYSROOT} (riscv64 glibc) is missing`
  : "";
if (reason) {
  console.log(`guests_manifest_test: SKIPPING the re-run against qemu: ${reason}`);
}

Deno.test({
  name: `guest manifest: recorded results match qemu-riscv64${
    reason ? ` (skipped: ${reason})` : ""
  }`,
  ignore: reason !== "",
  async fn(t) {
    const dec = new TextDecoder();
    for (const c of manifest.cases) {
      await t.step(c.name, async () => {
        const r = await runOnQemu(c);
        const want = await Deno.readFile(join(GUESTS, c.stdout));
        assert.equal(dec.decode(r.stdout), dec.decode(want), `${c.name}: stdout`);
        if (c.stderr !== null) {
          const wantErr = await Deno.readFile(join(GUESTS, c.stderr));
          assert.equal(dec.decode(r.stderr), dec.decode(wantErr), `${c.name}: stderr`);
        }
        assert.equal(r.exitStatus, c.exitStatus, `${c.name}: exit status`);
        assert.equal(r.signal, c.signal, `${c.name}: signal`);
      });
    }
  },
});
