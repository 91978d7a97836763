// Snapshot files: a process saved to a file and loaded into a fresh process
// of the same program runs on exactly as the original did; files for another
// machine, truncated and corrupted files are refused with a one-line EmuError. Also on aarch64.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { EmuError } from "../core/errors.ts";
import { runToExit, startProcess } from "./util/process_steps.ts";
import { loadSnapshotFile, saveSnapshotFile } from "../core/snapshot/file.ts";
import { processSnapshotIdentity } from "../core/linux/process_file.ts";
import { EventFd } from "../core/linux/event_files.ts";
import type { OpenFile } from "../core/linux/fds.ts";
import { PipeEnd } from "../core/linux/pipe.ts";
import type { HostNetwork } from "../core/linux/net_link.ts";
import { AF, InetSocket, SOCK } from "../core/linux/net_socket.ts";
import { UnixNames, UnixSocket } from "../core/linux/unix_socket.ts";

const CRED = { pid: 1, uid: 0, gid: 0 };
const PROG = new URL("./guests/bin/signals.static.O2", import.meta.url).pathname;
const ID = { mode: "user", program: PROG, cpu: "rv64" };
const A64_PROG = new URL("./guests/bin/aarch64/signals.static.O2", import.meta.url).pathname;

function start(accel: "interp" | "jit", program = PROG) {
  return startProcess(program, { accel });
}

async function savedAtSyscall(n: number, path: string) {
  const { p, out } = await start("jit");
  let seen = 0;
  while (seen < n) if (p.step().kind === "syscall") seen++;
  await saveSnapshotFile(path, p.snapshot(), ID);
  return runToExit(p, out);
}

for (const accel of ["interp", "jit"] as const) {
  Deno.test(`${accel}: a snapshot file loaded into a fresh process runs on identically`, async () => {
    const path = Deno.makeTempFileSync();
    try {
      const original = await savedAtSyscall(12, path);
      const { p, out } = await start(accel);
      p.restore(await loadSnapshotFile(path, ID));
      assertEquals(runToExit(p, out), original);
    } finally {
      Deno.removeSync(path);
    }
  });
}

// The same on the aarch64 target: the identity (its CPU model) comes from the process.
for (const accel of ["interp", "jit"] as const) {
  Deno.test(`aarch64 ${accel}: a snapshot file loaded into a fresh process runs on identically`, async () => {
    const path = Deno.makeTempFileSync();
    try {
      const first = await start("jit", A64_PROG);
      let seen = 0;
      while (seen < 12) if (first.p.step().kind === "syscall") seen++;
      const id = processSnapshotIdentity(first.p);
      await saveSnapshotFile(path, first.p.snapshot(), id);
      const original = runToExit(first.p, first.out);
      assert.match(original.out, /./, "the guest printed nothing after the snapshot");
      const { p, out } = await start(accel, A64_PROG);
      p.restore(await loadSnapshotFile(path, id));
      assertEquals(runToExit(p, out), original);
    } finally {
      Deno.removeSync(path);
    }
  });
}

Deno.test("snapshot files: wrong machine, truncated, corrupted, not a snapshot", async () => {
  const path = Deno.makeTempFileSync();
  try {
    await savedAtSyscall(3, path);
    const good = Deno.readFileSync(path);
    const oneLine = (re: RegExp) => (e: unknown) =>
      e instanceof EmuError && re.test(e.message) && !e.message.includes("\n");
    await rejects(loadSnapshotFile(path, { ...ID, cpu: "rv32" }), oneLine(/another machine/));
    Deno.writeFileSync(path, good.subarray(0, good.length - 100));
    await rejects(loadSnapshotFile(path, ID), oneLine(/damaged|truncated/));
    Deno.writeFileSync(path, good.subarray(0, 12));
    await rejects(loadSnapshotFile(path, ID), oneLine(/truncated|not a Denemu/));
    const bad = good.slice();
    bad[bad.length >> 1] ^= 0x40;
    Deno.writeFileSync(path, bad);
    await rejects(loadSnapshotFile(path, ID), oneLine(/damaged/));
    Deno.writeFileSync(path, new TextEncoder().encode("hello"));
    await rejects(loadSnapshotFile(path, ID), oneLine(/not a Denemu snapshot/));
    await rejects(loadSnapshotFile(path + ".missing", ID), oneLine(/cannot read/));
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("emu user -loadvm FILE continues the saved process", async () => {
  const path = Deno.makeTempFileSync();
  try {
    const { p, out } = await start("jit");
    let seen = 0;
    while (seen < 12) if (p.step().kind === "syscall") seen++;
    await saveSnapshotFile(path, p.snapshot(), processSnapshotIdentity(p));
    const rest = runToExit(p, out).out;
    const mod = new URL("../mod.ts", import.meta.url).pathname;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", mod, "user", "-loadvm", path, PROG],
      stdin: "null",
    }).output();
    assertEquals(new TextDecoder().decode(r.stdout), rest);
    assertEquals(r.code, p.exitStatus);
    const other = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", mod, "user", "-loadvm", path, PROG.replace("signals", "hello")],
      stdin: "null",
    }).output();
    assertEquals(other.code, 1);
    assertEquals(new TextDecoder().decode(other.stderr).trim().split("\n").length, 1);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("a snapshot file is refused in one line naming the fd of a socket, pipe or eventfd", async () => {
  const { p } = await start("interp");
  while (p.step().kind !== "syscall");
  const net = {} as HostNetwork; // never called: the socket has no host side yet
  const open: [OpenFile, RegExp][] = [
    [new InetSocket(net, AF.INET, SOCK.STREAM, 0), /fd \d+ is a socket on the host network/],
    [new UnixSocket(new UnixNames(), SOCK.STREAM, 0, CRED), /fd \d+ is an AF_UNIX socket/],
    [PipeEnd.pair(0)[0], /fd \d+ is a pipe/],
    [new EventFd(0n, 0, 0), /fd \d+ is an eventfd/],
  ];
  for (const [file, re] of open) {
    const fd = p.fds.install(file, false);
    const path = Deno.makeTempFileSync();
    try {
      await rejects(
        saveSnapshotFile(path, p.snapshot(), ID),
        (e: unknown) =>
          e instanceof EmuError && re.test(e.message) && e.message.includes(`fd ${fd} `) &&
          !e.message.includes("\n"),
      );
    } finally {
      Deno.removeSync(path);
      p.fds.close(fd);
    }
  }
});
