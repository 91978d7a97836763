// Denemu's features on the aarch64 target, unchanged (snapshot files: tests/snapshot_file_test.ts):
// a run recorded with `-icount rr=record` (stdin, -realtime host time, a file whose
// contents are stored) replays bit for bit with stdin empty and the file gone; and the insn, bb and
// memtrace tool plugins count what the machine's icount and independent hooks count; and `emu fuzz`
// finds magic32's planted bug (a `cmp` with a 32-bit constant) and writes AFL++'s output directory;
// race.c's planted race is lost under `-sched random` and its compare-and-swap loop is not.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import type { RecordReplayOptions } from "../core/replay/input_log.ts";

const BIN = new URL("./guests/bin/aarch64/", import.meta.url).pathname;
const WORLD = BIN + "world.static.O2";
const HELLO = BIN + "hello.static.O2";
const MAGIC32 = BIN + "magic32";
const RACE = BIN + "race.static.O2";
const MOD = new URL("../mod.ts", import.meta.url).pathname;

/** Runs the world guest on `file` with `stdin`, recording or replaying through `rr`. */
async function runWorld(file: string, stdin: string, rr: RecordReplayOptions) {
  const m = await createMachine({ program: WORLD, args: [file], realtime: true, stdin, rr });
  const events: string[] = [];
  let status = -1;
  try {
    for await (const ev of m.run()) {
      events.push(ev.type === "syscall" ? `${m.icount} ${ev.name}` : `${m.icount} ${ev.type}`);
      if (ev.type === "exit") status = ev.status;
    }
    return { stdout: m.stdout, status, icount: m.icount, events };
  } finally {
    await m.close();
  }
}

Deno.test("aarch64: a replay with stdin empty, the file gone and later host time is bit for bit the recording", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "denemu-a64-rr-" });
  try {
    const data = `${dir}/data.txt`, file = `${dir}/run.rr`;
    Deno.writeTextFileSync(data, "the file's contents\n");
    const rec = await runWorld(data, "one\ntwo\n", { mode: "record", file, storeFiles: true });
    assert.match(rec.stdout, /stdin 1: one\nstdin 2: two\ntime: \d+\.\d+\nfile: 20 bytes/);
    const again = await runWorld(data, "one\ntwo\n", { mode: "record", file: `${file}2` });
    assert.notEqual(again.stdout, rec.stdout, "host time did not reach the guest");
    Deno.removeSync(data);
    const rep = await runWorld(data, "", { mode: "replay", file });
    assertEquals(rep, rec);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** The number after `label` in the plugins' output. */
function num(out: string, label: RegExp): number {
  const m = out.match(label);
  assert(m, `no ${label} in:\n${out}`);
  return Number(m[1]);
}

for (const accel of ["interp", "jit"] as const) {
  Deno.test(`aarch64 ${accel}: the insn, bb and memtrace plugins agree with icount and memory hooks`, async () => {
    let out = "";
    const plugins = ["insn", "bb,inline=on", "memtrace"];
    const m = await createMachine({
      program: HELLO,
      accel,
      plugins,
      pluginOutput: (t) => out += t,
    });
    let accesses = 0, syscalls = 0, status = -1;
    m.hooks.addMemHook(() => accesses++, { regs: "none" });
    for await (const ev of m.run()) {
      if (ev.type === "syscall") syscalls++;
      if (ev.type === "exit") status = ev.status;
    }
    assertEquals(status, 0);
    assert.match(m.stdout, /hello/i);
    // svc traps, so the core does not retire it; the plugin saw it start
    const total = num(out, /total insns: (\d+)/);
    assertEquals(total, m.icount + syscalls);
    assertEquals(num(out, /Total: bb's: \d+, insns: (\d+)/), total);
    assertEquals(num(out, /mem accesses: (\d+)/), accesses);
    const trace = out.split("\n").filter((l) => /^0x[0-9a-f]+,[^,]*,0x/.test(l));
    assertEquals(trace.length, accesses);
    assert(accesses > 1000, `only ${accesses} accesses`);
  });
}

Deno.test("aarch64: emu fuzz finds the 32-bit magic from the cmp's constant, in AFL++'s output layout", async () => {
  const seeds = Deno.makeTempDirSync(), out = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${seeds}/seed`, "AAAAAAAA");
    const args = ["run", "-A", MOD, "fuzz", "-i", seeds, "-o", out, "-V", "6", "-s", "1"];
    const r = await new Deno.Command(Deno.execPath(), {
      args: [...args, "--", MAGIC32, "@@"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    assertEquals(r.code, 0, text);
    assert.match(text, /emu fuzz: .* execs .* 1 crashes/);
    for (const f of ["fuzzer_stats", "plot_data", "cmdline", "crashes/README.txt", "queue"]) {
      Deno.statSync(`${out}/default/${f}`);
    }
    const crash = [...Deno.readDirSync(`${out}/default/crashes`)].find((e) =>
      e.name !== "README.txt"
    );
    assert(crash, "no crash file");
    const bytes = Deno.readFileSync(`${out}/default/crashes/${crash.name}`);
    assertEquals(new DataView(bytes.buffer).getUint32(4, true), 0xdeadbeef);
  } finally {
    Deno.removeSync(seeds, { recursive: true });
    Deno.removeSync(out, { recursive: true });
  }
});

Deno.test("aarch64: race.c loses updates under -sched random; its compare-and-swap loop does not", async () => {
  const runRace = async (seed: number, args: string[]) => {
    const m = await createMachine({ program: RACE, args, sched: "random,quantum=200", seed });
    const r = { status: await m.runToExit(), stdout: m.stdout };
    await m.close();
    return r;
  };
  const lost = await runRace(1, []);
  assertEquals(lost.status, 1, lost.stdout);
  assertEquals(await runRace(1, []), lost, "the same seed gives the same run");
  assertEquals(await runRace(1, ["cas"]), { status: 0, stdout: "counter 600 of 600\n" });
});
