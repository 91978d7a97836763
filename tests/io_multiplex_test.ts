// I/O multiplexing in user mode: an epoll echo server over socketpairs to forked clients, an
// eventfd between threads, ppoll timeouts on the virtual clock and O_NONBLOCK, compared with
// qemu-riscv64 on several schedules; the signal masks of pselect6, ppoll and epoll_pwait and the
// time select leaves; socket(AF_INET) refused with EACCES, and -strace says why.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { GUEST_BIN, runGuest, testAgainstQemu } from "./util/guest_runs.ts";

const BIN = GUEST_BIN;
const run = runGuest;

testAgainstQemu(
  "io",
  ["poll.static.O2", "poll.dynamic.O2"],
  [{}, { sched: "random,quantum=100", seed: 9 }],
  (out) => out.startsWith("epoll echo: 75 bytes echoed"),
);

testAgainstQemu(
  "io, signal masks of waits",
  ["sigmask_wait.static.O2", "sigmask_wait.dynamic.O2"],
  [{}, { sched: "random,quantum=100", seed: 2 }],
  (out) => out.includes("epoll_pwait with an empty mask: -1 (Interrupted system call)"),
);

Deno.test("io: the same seed gives the same epoll run", async () => {
  const opts = { sched: "random,quantum=120", seed: 5 };
  const a = await run("poll.static.O2", opts);
  assertEquals(await run("poll.static.O2", opts), a);
  assert(a.strace.some((l) => /^1000 epoll_pwait\(/.test(l)));
});

Deno.test("io: socket(AF_INET) fails with EACCES and -strace says why", async () => {
  const r = await run("poll.static.O2", { args: ["socket"] });
  assertEquals([r.status, r.stdout], [0, "socket(AF_INET): Permission denied\n"]);
  const i = r.strace.findIndex((l) => l.includes("no network for the guest"));
  assert(
    i >= 0 && /^1000 socket\(PF_INET,SOCK_STREAM,IPPROTO_IP\).*errno=13/.test(r.strace[i + 1]),
    r.strace.join("\n"),
  );
});

Deno.test("io: timerfd ticks on the virtual clock, exactly", async () => {
  for (const accel of ["jit", "interp"] as const) {
    const m = await createMachine({ program: BIN + "poll.static.O2", args: ["timer"], accel });
    assertEquals(await m.runToExit(), 0);
    assertEquals(
      m.stdout,
      "timerfd: 5 ticks in 45 ms\nepoll on the timer: 1 ready, 1 tick\n" +
        "next tick in 10 ms\ndisarmed: poll 0\n",
    );
    await m.close();
  }
});
