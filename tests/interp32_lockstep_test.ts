// The interpreter tier without bigints (core/interp32.ts) against the reference interpreter, TB
// by TB: from the same state, every TB the tier runs must leave the same registers, trap,
// instruction count and stored bytes as the reference's run.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { Backend, CpuCore } from "../core/cpu_core.ts";
import { type GuestAccess, interpretReference } from "../core/interp.ts";
import { interpretHalves, NOT_RUN } from "../core/interp32.ts";
import type { TranslationBlock } from "../core/tb.ts";
import { createMachine } from "../mod.ts";
import { machineDriver } from "../core/machine/machine.ts";

const GUESTS = new URL("./guests/", import.meta.url);
const manifest = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", GUESTS))) as {
  cases: { name: string; binary: string; args: string[]; stdout: string; exitStatus: number }[];
};
const ISA = ["rv64i", "rv64m", "rv64a", "rv64f", "rv64d", "rv64c", "zicsr", "zifencei"];

/** Runs each TB on the reference (its stores logged and then undone), then on the tier. */
class TierLockstep implements Backend {
  readonly name = "interp32-lockstep";
  /** TBs the tier ran and that were compared */
  compared = 0;
  /** set by a test to spoil the tier's results after each TB it runs */
  sabotage: ((cpu: CpuCore) => void) | null = null;

  exec(cpu: CpuCore, tb: TranslationBlock): number {
    const before = cpu.stateBlock().slice();
    const stores: { addr: bigint; size: number; old: bigint }[] = [];
    const logged: GuestAccess = {
      load: (addr, size, signed) => cpu.load(addr, size, signed),
      store: (addr, size, value) => {
        let old = 0n;
        try {
          old = cpu.mem.load(addr, size, false);
        } catch { /* the store faults too */ }
        cpu.store(addr, size, value);
        stores.push({ addr, size, old });
      },
    };
    const ref = interpretReference(cpu, tb, logged), refTrap = cpu.trap;
    const refState = cpu.stateBlock().slice();
    const refBytes = stores.map((s) => cpu.mem.load(s.addr, s.size, false));
    for (const s of stores.toReversed()) cpu.mem.store(s.addr, s.size, s.old);
    cpu.stateBlock().set(before);
    cpu.trap = null;
    cpu.exitRequest = false;
    const done = interpretHalves(cpu, tb);
    if (done === NOT_RUN) return interpretReference(cpu, tb);
    this.sabotage?.(cpu);
    const at = `TB 0x${tb.pc.toString(16)}`;
    assertEquals(done, ref, `${at}: instructions retired`);
    assertEquals(cpu.trap, refTrap, `${at}: trap`);
    assertEquals(cpu.stateBlock(), refState, `${at}: state`);
    assertEquals(stores.map((s) => cpu.mem.load(s.addr, s.size, false)), refBytes, `${at}: stores`);
    this.compared++;
    return done;
  }
}

/** Runs guest `binary` with `args` on a {@linkcode TierLockstep}; returns it and the run. */
async function run(binary: string, args: string[]) {
  const m = await createMachine({ program: new URL(binary, GUESTS).pathname, args });
  const lockstep = new TierLockstep();
  machineDriver(m).cpu.backend = lockstep;
  return { m, lockstep, status: await m.runToExit() };
}

for (const c of manifest.cases.filter((c) => ISA.some((p) => c.name.startsWith(`${p}.`)))) {
  Deno.test(`interp32: ${c.name} runs as on the reference, TB by TB`, async () => {
    const { m, lockstep, status } = await run(c.binary, c.args);
    assertEquals(m.stdout, Deno.readTextFileSync(new URL(c.stdout, GUESTS)));
    assertEquals(status, c.exitStatus);
    assert(lockstep.compared > 0, "the tier ran no TB");
  });
}

Deno.test("interp32: the cold guest runs as on the reference, TB by TB", async () => {
  const { m, lockstep, status } = await run("bin/cold.static.O2", ["1"]);
  assertEquals(status, 0);
  assert(m.stdout.includes("1 passes"), m.stdout);
  assert(lockstep.compared > 20_000, `the tier ran ${lockstep.compared} TBs`);
});

Deno.test("interp32: the TB-by-TB check reports a difference", async () => {
  const m = await createMachine({ program: new URL("bin/hello.static.O2", GUESTS).pathname });
  const lockstep = new TierLockstep();
  lockstep.sabotage = (cpu) => cpu.setGlobal(5, cpu.getGlobal(5) + 1n);
  machineDriver(m).cpu.backend = lockstep;
  await assert.rejects(() => m.runToExit(), /state/);
});

/** A machine of `compute 1` on `accel`. */
const computeOnce = (accel: "interp" | "interp32") =>
  createMachine({ program: new URL("bin/compute.static.O2", GUESTS).pathname, args: ["1"], accel });

Deno.test("interp32: inline counters count as on the reference, carries and negative deltas too", async () => {
  // per block 2^32 - 1 (a carry into the high half at nearly every add), per instruction -3
  const counted = async (accel: "interp" | "interp32") => {
    const m = await computeOnce(accel);
    const blocks = m.hooks.scoreboard(), insns = m.hooks.scoreboard();
    m.hooks.onTranslate((tb) => {
      tb.inlineAdd(blocks, 0xffff_ffffn);
      for (const i of tb.insns) i.inlineAdd(insns, -3n);
    });
    assertEquals(await m.runToExit(), 0);
    const tbs = [...machineDriver(m).cpu.tbs.blocks()];
    return { blocks: blocks.sum(), insns: insns.sum(), icount: m.icount, tbs };
  };
  const ref = await counted("interp"), tier = await counted("interp32");
  assert(tier.tbs.filter((tb) => tb.halves === 1).length > 100, "the tier ran no counted TB");
  assertEquals(tier.blocks, ref.blocks);
  assertEquals(tier.insns, ref.insns);
  assertEquals(tier.icount, ref.icount);
  assert(ref.blocks > 0xffff_ffffn * 10_000n && ref.insns < -3n * 100_000n);
});

Deno.test("interp32: exec callbacks without registers are called as on the reference", async () => {
  // every call's pc, size and icount, and a stop asked for at the 5,000th block
  const calls = async (accel: "interp" | "interp32") => {
    const m = await computeOnce(accel);
    const seen: string[] = [];
    let blocks = 0;
    m.hooks.addBlockHook((v, pc, size) => {
      seen.push(`b ${pc} ${size} ${v.icount}`);
      if (++blocks === 5_000) v.stop();
    }, { regs: "none" });
    m.hooks.addInsnHook((v, pc) => seen.push(`i ${pc} ${v.icount}`), { regs: "none" });
    await m.runToExit();
    const tbs = [...machineDriver(m).cpu.tbs.blocks()];
    return { seen, icount: m.icount, tbs };
  };
  const ref = await calls("interp"), tier = await calls("interp32");
  assert(tier.tbs.filter((tb) => tb.halves === 1).length > 100, "the tier ran no hooked TB");
  assertEquals(tier.icount, ref.icount);
  assertEquals(tier.seen.length, ref.seen.length);
  assertEquals(tier.seen, ref.seen);
  assert(ref.seen.length > 20_000);
});
