// Lockstep mode: interpreter and JIT compared TB by TB on real guests, and it
// does report a difference when there is one.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { InternalError } from "../core/errors.ts";
import type { LockstepBackend } from "../core/jit/lockstep.ts";
import { createMachine } from "../mod.ts";
import { machineDriver } from "../core/machine/machine.ts";

const GUESTS = new URL("./guests/", import.meta.url);
const manifest = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", GUESTS))) as {
  cases: { name: string; binary: string; args: string[]; stdout: string; exitStatus: number }[];
};
const ISA = ["rv64i", "rv64m", "rv64a", "rv64f", "rv64d", "rv64c", "zicsr", "zifencei"];

for (const c of manifest.cases.filter((c) => ISA.some((p) => c.name.startsWith(`${p}.`)))) {
  Deno.test(`lockstep: ${c.name} runs identically on both backends`, async () => {
    const m = await createMachine({
      program: new URL(c.binary, GUESTS).pathname,
      args: c.args,
      accel: "lockstep",
    });
    const status = await m.runToExit();
    assertEquals(m.stdout, Deno.readTextFileSync(new URL(c.stdout, GUESTS)));
    assertEquals(status, c.exitStatus);
  });
}

Deno.test("lockstep reports the first TB where the JIT differs, with both register files", async () => {
  const m = await createMachine({
    program: new URL("bin/hello.static.O2", GUESTS).pathname,
    accel: "lockstep",
  });
  const lockstep = machineDriver(m).cpu.backend as LockstepBackend;
  // Sabotage the JIT: after every TB it runs, x5 is off by one.
  const exec = lockstep.jit.exec.bind(lockstep.jit);
  lockstep.jit.exec = (cpu, tb, budget) => {
    const n = exec(cpu, tb, budget);
    cpu.setGlobal(5, cpu.getGlobal(5) + 1n);
    return n;
  };
  await assert.rejects(() => m.runToExit(), (e: unknown) => {
    assert(e instanceof InternalError);
    assert(/lockstep: TB 0x[0-9a-f]+ differs: state differs/.test(e.message), e.message);
    assert(e.message.includes("interp:\n") && e.message.includes("jit:\n"));
    return true;
  });
});
