// Bounded AF_UNIX queues (core/linux/unix_socket.ts): a stream writer fills about SO_SNDBUF and
// gets EAGAIN or, blocking, waits for the reader; a datagram receiver not connected back to its
// sender holds max_dgram_qlen + 1 datagrams; POLLOUT follows; SO_SNDBUF/SO_RCVBUF read back as
// Linux reports them; writev's pieces are one datagram; a blocking sendmmsg waits for room; a
// blocked sendmsg ended by a signal closes the descriptors it carried. getdents64 gives each kind
// of file its DT_ type. Compared with qemu-riscv64 on several schedules and both engines; the same
// seed gives the same run.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { E, SysError } from "../core/linux/errno.ts";
import { SOCKET_BUFFER, UNIX_TYPE, UnixNames, UnixSocket } from "../core/linux/unix_socket.ts";
import { runGuest, testAgainstQemu } from "./util/guest_runs.ts";

testAgainstQemu(
  "unix limits",
  ["unix_limits.static.O2", "unix_limits.dynamic.O2"],
  [{}, { sched: "random,quantum=64", seed: 5 }, { sched: "rr,quantum=200", accel: "interp" }],
  (out) =>
    out.includes("11 sent, then Resource temporarily unavailable") &&
    out.includes("sock is DT_SOCK") && out.includes("null is DT_CHR"),
);

Deno.test("unix limits: the same seed gives the same run, blocked writers and all", async () => {
  const opts = { sched: "random,quantum=100", seed: 11 };
  const a = await runGuest("unix_limits.static.O2", opts);
  assertEquals(await runGuest("unix_limits.static.O2", opts), a);
  assert(
    a.strace.some((l) => /^\d+ write\(3,.*= 1048576$/.test(l)),
    "the child wrote 1 MiB in one call",
  );
});

Deno.test("unix limits: getdents64 gives a FIFO DT_FIFO", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "denemu-fifo-" });
  try {
    // the guest cannot make one: Denemu has no mknodat
    const made = new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).outputSync();
    assert(made.success, "mkfifo");
    const r = await runGuest("unix_limits.static.O2", { args: [dir] });
    assertEquals(r.status, 0);
    assert(r.stdout.endsWith("getdents64: fifo is DT_FIFO\n"), r.stdout);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("unix limits: a stream send stops at the buffer; what the reader takes frees it", () => {
  const cred = { pid: 1000, uid: 0, gid: 0 };
  const [a, b] = UnixSocket.pair(new UnixNames(), UNIX_TYPE.STREAM, 0, cred);
  const sent = a.send(new Uint8Array(1 << 20), null);
  assert(sent > SOCKET_BUFFER && sent < 2 * SOCKET_BUFFER, `${sent}`);
  assert.throws(
    () => a.send(new Uint8Array(1), null),
    (e) => e instanceof SysError && e.errno === E.EAGAIN,
  );
  const buf = new Uint8Array(1 << 20);
  let got = 0;
  while (got < sent) got += b.recv(buf, false).n;
  assertEquals(a.sendQueued, 0);
  assertEquals(a.send(new Uint8Array(10), null), 10);
});
