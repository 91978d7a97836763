// AF_UNIX sockets in the guest world (core/linux/unix_socket.ts, sys_unix.ts, unix_cmsg.ts):
// socketpair of each type, names by path and in the abstract namespace between threads and
// fork'd processes, SCM_RIGHTS, SO_PEERCRED and SCM_CREDENTIALS, compared with qemu-riscv64
// on several schedules; MSG_CTRUNC as Linux gives it (where qemu 7.2 does not); a bound
// socket's file stays inside --root; the same seed gives the same run.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
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
