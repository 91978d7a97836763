// Record/replay of what a guest sees of the host's file system besides the files it opens:
// a program it execs (hashed, or stored with rrfiles=store), and path-based stat and
// directory listings. A replay refuses an exec'd program that changed, naming it, or serves
// it from the log; it shows the guest the stat results and listings the recording saw.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine, EmuError } from "../mod.ts";
import { embedFiles } from "../core/host_files.ts";
import type { RecordReplayOptions } from "../core/replay/input_log.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;
const EXEC = `${BIN}exec.static.O2`;
const HELLO = `${BIN}hello.static.O2`;
const FSSCRIPT = `${BIN}fsscript.static.O2`;

interface Outcome {
  stdout: string;
  status: number;
  icount: number;
}

async function run(program: string, args: string[], rr: RecordReplayOptions): Promise<Outcome> {
  const m = await createMachine({ program, args, rr });
  try {
    const status = await m.runToExit();
    return { stdout: m.stdout, status, icount: m.icount };
  } finally {
    await m.close();
  }
}

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "denemu-rrfs-" });
}

Deno.test("exec: a program the guest execs is logged; changed, the replay refuses naming it; stored, it is served from the log", async () => {
  const dir = tempDir();
  try {
    const prog = `${dir}/prog`;
    Deno.copyFileSync(HELLO, prog);
    Deno.chmodSync(prog, 0o755);
    const args = ["run", prog];
    const hashed = { mode: "record", file: `${dir}/hashed.rr` } as const;
    const stored = { mode: "record", file: `${dir}/stored.rr`, storeFiles: true } as const;
    const rec = await run(EXEC, args, hashed);
    assert.equal(rec.stdout, "Hello, world!\n");
    assert.deepEqual(await run(EXEC, args, stored), rec);
    assert.deepEqual(await run(EXEC, args, { mode: "replay", file: hashed.file }), rec);
    // the exec'd program changes: "Hello" becomes "Jello"
    const bytes = Deno.readFileSync(prog);
    bytes[new TextDecoder("latin1").decode(bytes).indexOf("Hello, world")] = 0x4a;
    Deno.writeFileSync(prog, bytes);
    assert.equal((await run(EXEC, args, { mode: "record" })).stdout, "Jello, world!\n");
    await assert.rejects(
      () => run(EXEC, args, { mode: "replay", file: hashed.file }),
      (e: Error) =>
        e instanceof EmuError && !e.message.includes("\n") &&
        e.message.startsWith("replay diverged at instruction ") &&
        e.message.endsWith(`${prog} differs from the file the recording read`),
    );
    // stored: the replay runs the program the recording ran, even with the file gone
    Deno.removeSync(prog);
    assert.deepEqual(await run(EXEC, args, { mode: "replay", file: stored.file }), rec);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("exec: a program the guest execs is served from an experiment bundle's files", async () => {
  const dir = tempDir();
  try {
    const prog = `${dir}/embedded/hello`; // not on the host
    embedFiles(new Map([[prog, Deno.readFileSync(HELLO)]]));
    const m = await createMachine({ program: EXEC, args: ["run", prog] });
    assert.equal(await m.runToExit(), 0);
    assert.equal(m.stdout, "Hello, world!\n");
    await m.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("stat and directory listings by path: a replay sees what the recording saw after the directory changed", async () => {
  const dir = tempDir();
  try {
    const data = `${dir}/data`;
    Deno.mkdirSync(data);
    Deno.writeTextFileSync(`${data}/a.txt`, "first\n");
    const script = [
      `statx -100 ${data}/a.txt 0`,
      `statx -100 ${data}/b.txt 0`,
      `open -100 ${data} 0x10000 0`, // O_DIRECTORY
      "getdents 0",
    ].join("\n") + "\n";
    const file = `${dir}/fs.rr`;
    const session = async (stdin: string, mode: "record" | "replay") => {
      const m = await createMachine({ program: FSSCRIPT, stdin, rr: { mode, file } });
      try {
        return { status: await m.runToExit(), stdout: m.stdout, icount: m.icount };
      } finally {
        await m.close();
      }
    };
    const rec = await session(script, "record");
    assert.match(rec.stdout, /1 statx: ok .*\n2 statx: -1 ENOENT\n.*\n4 getdents: ok .*a\.txt/);
    Deno.removeSync(`${data}/a.txt`);
    Deno.writeTextFileSync(`${data}/b.txt`, "second, longer\n");
    assert.deepEqual(await session("", "replay"), rec);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
