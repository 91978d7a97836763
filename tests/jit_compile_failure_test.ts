// A region compile V8 refuses (a `WebAssembly.Module` that throws, as when V8 runs out of code
// space) leaves its TBs on the interpreter tier: the program still prints what qemu-riscv64 prints,
// and `jit.stats.regionsFailed` counts every refusal, so a run that is slow for this reason shows
// it (docs/perf.md, the rare slow run).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { JitBackend } from "../core/jit/jit_backend.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { installed } from "./util/installed.ts";

const GUEST = new URL("./guests/bin/compute.static.O2", import.meta.url).pathname;
const ARGS = ["5"];

/** Runs the guest with every `WebAssembly.Module` from the `firstFailing`-th on throwing. */
async function runRefusing(firstFailing: number): Promise<{ stdout: string; jit: JitBackend }> {
  const m = await createMachine({ program: GUEST, args: ARGS, stdout: "capture" });
  const real = WebAssembly.Module;
  let made = 0;
  WebAssembly.Module = new Proxy(real, {
    construct(target, args) {
      if (++made >= firstFailing) throw new RangeError("WebAssembly.Module(): refused");
      return Reflect.construct(target, args);
    },
  });
  try {
    assertEquals(await m.runToExit(), 0);
    const jit = machineDriver(m).cpu.backend;
    assert.ok(jit instanceof JitBackend);
    return { stdout: m.stdout, jit };
  } finally {
    WebAssembly.Module = real;
    await m.close();
  }
}

Deno.test("jit: refused region compiles are counted and the program's output is qemu's", async () => {
  if (!installed("qemu-riscv64")) throw new Error("qemu-riscv64 is not installed (qemu-user)");
  const qemu = await new Deno.Command("qemu-riscv64", { args: [GUEST, ...ARGS], stdout: "piped" })
    .output();
  assert.ok(qemu.success, "qemu-riscv64 failed on the guest");
  const expected = new TextDecoder().decode(qemu.stdout);
  const none = await runRefusing(Infinity);
  assertEquals(none.stdout, expected);
  assertEquals(none.jit.stats.regionsFailed, 0);
  assert.ok(none.jit.stats.regionsCompiled > 10, `${none.jit.stats.regionsCompiled} compiled`);
  const some = await runRefusing(4);
  assertEquals(some.stdout, expected);
  assert.ok(some.jit.stats.regionsCompiled >= 2, `${some.jit.stats.regionsCompiled} compiled`);
  assert.ok(some.jit.stats.regionsFailed > 5, `${some.jit.stats.regionsFailed} failed`);
});
