// Record/replay (`-icount rr=record|replay,rrfile=FILE`, createMachine's `rr`):
// a user-mode program whose output depends on stdin, -realtime host time
// and a file is recorded, then replayed with stdin empty, the file changed
// or gone, at another time of day: stdout, the exit status, the instruction
// count and the script's event stream are the same. Divergences and logs of
// another run are refused in one line. System mode: a U-Boot session typed
// over the serial port (with -rtc base=utc) replays without typing.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine, EmuError, type RunEvent } from "../mod.ts";
import { parseIcount } from "../cli/options.ts";
import { FW_JUMP, UBOOT } from "../scripts/record_uboot_qemu.ts";
import { RecordLog, type RecordReplayOptions, ReplayLog } from "../core/replay/input_log.ts";

const WORLD = new URL("./guests/bin/world.dynamic.O2", import.meta.url).pathname;
const WORLD_STATIC = new URL("./guests/bin/world.static.O2", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).pathname;

interface Outcome {
  stdout: string;
  status: number;
  icount: number;
  events: string[];
}

/** Runs the world guest on `file` with `stdin`, recording or replaying through `rr`. */
async function runWorld(
  program: string,
  file: string,
  stdin: string,
  rr: RecordReplayOptions,
): Promise<Outcome> {
  const m = await createMachine({ program, args: [file], realtime: true, stdin, rr });
  const events: string[] = [];
  let status = -1;
  try {
    for await (const ev of m.run()) {
      events.push(describe(ev, m.icount));
      if (ev.type === "exit") status = ev.status;
    }
    return { stdout: m.stdout, status, icount: m.icount, events };
  } finally {
    await m.close();
  }
}

function describe(ev: RunEvent, icount: number): string {
  return ev.type === "syscall"
    ? `${icount} ${ev.name}(${ev.args.join(",")})`
    : `${icount} ${ev.type}`;
}

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "denemu-rr-" });
}

for (const [name, program] of [["dynamic", WORLD], ["static", WORLD_STATIC]]) {
  Deno.test(`${name}: a replay with stdin empty, the file changed and later host time is bit for bit the recording`, async () => {
    const dir = tempDir();
    try {
      const data = `${dir}/data.txt`, file = `${dir}/run.rr`;
      Deno.writeTextFileSync(data, "the file's contents\n");
      const rec = await runWorld(program, data, "one\ntwo\n", { mode: "record", file });
      assert.match(rec.stdout, /stdin 1: one\nstdin 2: two\ntime: \d+\.\d+\nfile: 20 bytes/);
      assert.equal(rec.status, 2);
      await new Promise((r) => setTimeout(r, 20)); // another time of day
      const again = await runWorld(program, data, "one\ntwo\n", {
        mode: "record",
        file: `${file}2`,
      });
      assert.notEqual(again.stdout, rec.stdout, "the output must depend on host time");
      const rep = await runWorld(program, data, "", { mode: "replay", file });
      assert.deepEqual(rep, rec);
      // the contents stored: the file may change or go
      await runWorld(program, data, "one\ntwo\n", { mode: "record", file, storeFiles: true });
      const stored = await runWorld(program, data, "", { mode: "replay", file });
      Deno.removeSync(data);
      assert.deepEqual(await runWorld(program, data, "", { mode: "replay", file }), stored);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("a replay that diverges stops with one line naming the instruction and what differed", async () => {
  const dir = tempDir();
  try {
    const data = `${dir}/data.txt`, file = `${dir}/run.rr`;
    Deno.writeTextFileSync(data, "contents\n");
    await runWorld(WORLD_STATIC, data, "x\n", { mode: "record", file });
    Deno.writeTextFileSync(data, "changed!\n"); // only hashed: a replay must notice
    await assert.rejects(
      () => runWorld(WORLD_STATIC, data, "", { mode: "replay", file }),
      (e: Error) =>
        e instanceof EmuError && !e.message.includes("\n") &&
        /^replay diverged at instruction \d+: .*data\.txt differs from the file the recording read$/
          .test(e.message),
    );
    // another program, other arguments, another seed: refused before the run
    const other = `${dir}/other.txt`;
    Deno.writeTextFileSync(other, "contents\n");
    await assert.rejects(
      () => runWorld(WORLD, data, "", { mode: "replay", file }),
      /recorded with program sha256:\w+, this run has sha256:\w+/,
    );
    await assert.rejects(
      () => runWorld(WORLD_STATIC, other, "", { mode: "replay", file }),
      /recorded with args .*data\.txt.*, this run has .*other\.txt/,
    );
    await assert.rejects(
      () => createMachine({ program: WORLD_STATIC, rr: { mode: "replay", file: data } }),
      /not a Denemu record\/replay log \(bad magic\)/,
    );
    const log = Deno.readFileSync(file);
    Deno.writeFileSync(file, log.subarray(0, log.length - 3));
    await assert.rejects(
      () => runWorld(WORLD_STATIC, data, "", { mode: "replay", file }),
      /not a Denemu record\/replay log \(bad entry at byte \d+\)/,
    );
    const at = log.indexOf(10) + 1, end = log.indexOf(10, at); // the header line
    const header = new TextDecoder().decode(log.subarray(at, end));
    const older = new TextEncoder().encode(header.replace(/"denemu":"[^"]*"/, '"denemu":"0.0.1"'));
    Deno.writeFileSync(
      file,
      new Uint8Array([...log.subarray(0, at), ...older, ...log.subarray(end)]),
    );
    await assert.rejects(
      () => runWorld(WORLD_STATIC, data, "", { mode: "replay", file }),
      /recorded by Denemu 0\.0\.1, this is/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("emu user -icount rr=record then rr=replay with another stdin: the same output and status", async () => {
  const dir = tempDir();
  try {
    Deno.writeTextFileSync(`${dir}/data.txt`, "data\n");
    const run = async (rr: string, stdin: string) => {
      const p = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MOD, "user", "-realtime", "-icount", rr, WORLD, "data.txt"],
        cwd: dir,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = p.stdin.getWriter();
      await w.write(new TextEncoder().encode(stdin));
      await w.close();
      const o = await p.output();
      return {
        code: o.code,
        out: new TextDecoder().decode(o.stdout),
        err: new TextDecoder().decode(o.stderr),
      };
    };
    const rec = await run("rr=record,rrfile=run.rr", "typed\n");
    assert.equal(rec.code, 1, rec.err);
    assert.match(rec.out, /^stdin 1: typed\n/);
    const rep = await run("rr=replay,rrfile=run.rr", "something else\nentirely\n");
    assert.deepEqual(rep, rec);
    const bad = await run("rr=replay,rrfile=missing.rr", "");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^emu: rrfile=missing\.rr: cannot read .*\n$/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("-icount: QEMU's syntax, shift only in system mode", () => {
  assert.deepEqual(parseIcount("shift=4,rr=replay,rrfile=a.rr", true), {
    shift: 4,
    rr: { mode: "replay", file: "a.rr", storeFiles: false },
  });
  assert.deepEqual(parseIcount("rr=record,rrfile=a.rr,rrfiles=store", false), {
    rr: { mode: "record", file: "a.rr", storeFiles: true },
  });
  assert.deepEqual(parseIcount("3", true), { shift: 3 });
  assert.throws(() => parseIcount("shift=3", false), /user mode runs at 1 ns per instruction/);
  assert.throws(() => parseIcount("rr=record", true), /rr= and rrfile= go together/);
  assert.throws(() => parseIcount("rr=play,rrfile=x", true), /expected rr=record or rr=replay/);
  assert.throws(() => parseIcount("sleep=on", true), /sleep=on: virtual time never waits/);
  assert.throws(() => parseIcount("bogus=1", true), /unknown option bogus/);
  // auto: the default shift, fixed, so virtual time does not depend on the host's speed
  assert.deepEqual(parseIcount("shift=auto,sleep=off,align=off", true), {});
  assert.throws(() => parseIcount("shift=auto", false), /user mode runs at 1 ns/);
});

const present = await Promise.all(
  [FW_JUMP, UBOOT].map((f) => Deno.stat(f).then(() => true, () => false)),
);
const missing = present.includes(false);
if (missing) console.log("opensbi or u-boot-qemu not installed: system record/replay test skipped");

/** A U-Boot session typed over serial, recorded or replayed on `accel`; its output and length. */
async function ubootSession(
  file: string,
  mode: "record" | "replay",
  accel: "jit" | "lockstep",
  commands: string[],
): Promise<{ stdout: string; icount: number }> {
  const m = await createMachine({
    system: { memory: "256M", bios: FW_JUMP, kernel: UBOOT, rtc: "base=utc" },
    accel,
    rr: { mode, file },
  });
  const type = (text: string) => mode === "record" && m.serial.write(text);
  const running = m.runToExit();
  await m.serial.expect(/Hit any key/);
  type("x");
  await m.serial.expect(/=> /);
  for (const c of commands) {
    type(`${c}\r`);
    await m.serial.expect(/\r\n=> /);
  }
  m.stop();
  await running;
  const out = { stdout: m.stdout, icount: m.icount };
  await m.close();
  return out;
}

Deno.test({
  name: "system: a U-Boot session over serial (-rtc base=utc) replays without typing",
  ignore: missing,
  fn: async () => {
    const dir = tempDir();
    try {
      const commands = ["version", "echo typed"];
      const rec = await ubootSession(`${dir}/uboot.rr`, "record", "jit", commands);
      assert.match(rec.stdout, /=> version\r\nU-Boot[^]*GNU ld[^]*=> echo typed\r\ntyped\r\n=> $/);
      assert.deepEqual(await ubootSession(`${dir}/uboot.rr`, "replay", "jit", commands), rec);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "system: record/replay under -accel lockstep: the shadow machine takes the logged input",
  ignore: missing,
  fn: async () => {
    // before: refused; a shadow machine reading serial input and host time itself diverges
    const dir = tempDir();
    try {
      const rec = await ubootSession(`${dir}/uboot.rr`, "record", "lockstep", []);
      assert.match(rec.stdout, /Hit any key to stop autoboot:[^]*=> $/);
      assert.deepEqual(await ubootSession(`${dir}/uboot.rr`, "replay", "lockstep", []), rec);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("input log: after a rewind (re-execution from a snapshot) inputs are taken again as logged", () => {
  const dir = tempDir();
  try {
    const file = `${dir}/unit.rr`;
    let icount = 0, reads = 0;
    const at = { instructions: () => icount, monotonicNs: () => BigInt(icount) };
    const live = () => new Uint8Array([++reads]);
    const rec = RecordLog.create(file, {
      denemu: "t",
      identity: {},
      commandLine: [],
      storeFiles: false,
    });
    rec.attach(at);
    icount = 10;
    assert.deepEqual(rec.take("stdin", live), new Uint8Array([1]));
    const beforeSecond = rec.mark();
    icount = 20;
    assert.deepEqual(rec.take("stdin", live), new Uint8Array([2]));
    rec.rewind(beforeSecond); // back before the second read: it comes from the log, not the world
    assert.deepEqual(rec.take("stdin", live), new Uint8Array([2]));
    icount = 30;
    assert.deepEqual(rec.take("stdin", live), new Uint8Array([3]));
    assert.equal(reads, 3);
    rec.end(0);
    rec.close();
    const rep = ReplayLog.open(file, "t", {});
    rep.attach(at);
    const start = rep.mark();
    icount = 10;
    assert.deepEqual(rep.take("stdin"), new Uint8Array([1]));
    assert.throws(
      () => rep.take("stdin"),
      /^ReplayDivergence: replay diverged at instruction 10: the guest read stdin, the log has its next stdin input at instruction 20$/,
    );
    rep.rewind(start);
    assert.deepEqual(rep.take("stdin"), new Uint8Array([1]));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
