// Denemu's features on the aarch64 target, unchanged: a snapshot of a running aarch64 process,
// saved to a file and loaded into a fresh process, runs on exactly as the original did, on both
// engines; and a run recorded with `-icount rr=record` (stdin, -realtime host time, a file whose
// contents are stored) replays bit for bit with stdin empty and the file gone; and the insn, bb and
// memtrace tool plugins count what the machine's icount and independent hooks count; and `emu fuzz`
// finds magic32's planted bug (a `cmp` with a 32-bit constant) and writes AFL++'s output directory.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { LinuxProcess } from "../core/linux/process.ts";
import { loadSnapshotFile, saveSnapshotFile } from "../core/snapshot/file.ts";
import { processSnapshotIdentity } from "../core/linux/process_file.ts";
import type { RecordReplayOptions } from "../core/replay/input_log.ts";

const BIN = new URL("./guests/bin/aarch64/", import.meta.url).pathname;
const SIGNALS = BIN + "signals.static.O2";
const WORLD = BIN + "world.static.O2";
const HELLO = BIN + "hello.static.O2";
const MAGIC32 = BIN + "magic32";
const MOD = new URL("../mod.ts", import.meta.url).pathname;

async function start(accel: "interp" | "jit") {
  const out: number[] = [];
  const p = await LinuxProcess.create({ program: SIGNALS, accel, stdout: (b) => out.push(...b) });
  return { p, out };
}

/** Runs `p` to its exit: the events with their instruction counts, the output since, the last pc. */
function finish(p: LinuxProcess, out: number[]) {
  const from = out.length, kinds: string[] = [];
  for (let ev = p.step();; ev = p.step()) {
    kinds.push(`${ev.kind}@${p.cpu.icount}`);
    if (ev.kind === "exit") break;
  }
  return { kinds, out: new TextDecoder().decode(new Uint8Array(out.slice(from))), pc: p.cpu.pc };
}

for (const accel of ["interp", "jit"] as const) {
  Deno.test(`aarch64 ${accel}: a snapshot file of a running process, loaded into a fresh one, runs on identically`, async () => {
    const path = Deno.makeTempFileSync();
    try {
      const first = await start("jit");
      let seen = 0;
      while (seen < 12) if (first.p.step().kind === "syscall") seen++;
      const id = processSnapshotIdentity(first.p);
      assert.match(id.cpu, /./);
      await saveSnapshotFile(path, first.p.snapshot(), id);
      const original = finish(first.p, first.out);
      assert.match(original.out, /./, "the guest printed nothing after the snapshot");
      const { p, out } = await start(accel);
      p.restore(await loadSnapshotFile(path, id));
      assertEquals(finish(p, out), original);
    } finally {
      Deno.removeSync(path);
    }
  });
}

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
