// AF_UNIX sockets in the guest world (core/linux/unix_socket.ts, sys_unix.ts, unix_cmsg.ts):
// socketpair of each type, names by path and in the abstract namespace between threads and
// fork'd processes, SCM_RIGHTS, SO_PEERCRED and SCM_CREDENTIALS, compared with qemu-riscv64
// on several schedules; MSG_CTRUNC as Linux gives it (where qemu 7.2 does not); a bound
// socket's file stays inside --root; the same seed gives the same run; a snapshot puts a
// socket's state back.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { E, SysError } from "../core/linux/errno.ts";
import {
  abstractKey,
  UNIX_TYPE,
  unixAddress,
  UnixNames,
  UnixSocket,
} from "../core/linux/unix_socket.ts";
import { GUEST_BIN, runGuest, testAgainstQemu } from "./util/guest_runs.ts";

testAgainstQemu(
  "unix sockets",
  ["unix.static.O2", "unix.dynamic.O2"],
  [{}, { sched: "random,quantum=64", seed: 3 }, { sched: "rr,quantum=64", accel: "interp" }],
  (out) => out.includes('passed descriptor: "through the pipe"') && out.endsWith("pid: yes\n"),
);

Deno.test("unix sockets: a descriptor with no room in the control buffer is MSG_CTRUNC", async () => {
  // unix(7): "If the buffer used to receive the ancillary data containing file descriptors is
  // too small [...] the excess file descriptors are automatically closed in the receiving
  // process" and recvmsg sets MSG_CTRUNC.
  const r = await runGuest("unix.static.O2", { args: ["linux"] });
  assertEquals(r.status, 0);
  assert(r.stdout.includes("rights: with no room for it, fd none, MSG_CTRUNC set\n"), r.stdout);
});

Deno.test("unix sockets: the same seed gives the same run", async () => {
  const opts = { sched: "random,quantum=100", seed: 21 };
  const a = await runGuest("unix.static.O2", opts);
  assertEquals(await runGuest("unix.static.O2", opts), a);
  assert(a.strace.some((l) => /^\d+ accept\(/.test(l)), "the server accepted");
});

Deno.test("unix sockets: a socket file bound under --root is made inside the root", async () => {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "denemu-root-" }));
  try {
    Deno.mkdirSync(`${root}/tmp`);
    const m = await createMachine({ program: GUEST_BIN + "unix.static.O2", root });
    assertEquals(await m.runToExit(), 0);
    assert(m.stdout.includes("path: bound, the file is a socket: yes\n"), m.stdout);
    assert(m.stdout.includes('dgram: 5 "first" from client.sock\n'), m.stdout);
    await m.close();
    assertEquals([...Deno.readDirSync(`${root}/tmp`)], []); // the guest removed what it made
    // its /tmp is the root's: a file where it makes its directory stops it
    Deno.writeFileSync(`${root}/tmp/denemu-unix-1000`, new Uint8Array());
    const again = await createMachine({ program: GUEST_BIN + "unix.static.O2", root });
    assertEquals(await again.runToExit(), 1);
    assertEquals(again.stdout, "mkdir: File exists\n");
    await again.close();
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("unix sockets: a snapshot puts queues, shutdowns and names back", () => {
  const names = new UnixNames(), cred = { pid: 1000, uid: 0, gid: 0 };
  const [a, b] = UnixSocket.pair(names, UNIX_TYPE.STREAM, 0, cred);
  const name = new Uint8Array([0, 120]), key = abstractKey(name);
  const l = new UnixSocket(names, UNIX_TYPE.STREAM, 0, cred);
  l.bind(unixAddress(name), key, null);
  l.listen();
  a.send(new TextEncoder().encode("one"), null);
  const restores = [a, b, l].map((s) => s.capture());
  a.send(new TextEncoder().encode("two"), null);
  a.shutdown(1);
  l.close();
  assertEquals(names.find(key, null), null);
  restores.forEach((restore) => restore());
  const buf = new Uint8Array(8);
  assertEquals(b.recv(buf, false).n, 3);
  assert.throws(() => b.recv(buf, false), (e) => e instanceof SysError && e.errno === E.EAGAIN);
  assertEquals(names.find(key, null), l);
  assertEquals(a.send(new Uint8Array(1), null), 1, "the shutdown was undone");
});
