// Bounded pipes (core/linux/pipe.ts): 16 pages by default, a non-blocking writer gets EAGAIN, a
// blocking one waits for the reader; F_GETPIPE_SZ/F_SETPIPE_SZ with Linux's rounding and errors;
// POLLOUT only with a free page; FIONREAD. Compared with qemu-riscv64 on several schedules and
// both engines; a snapshot puts a resized, partly filled pipe back.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { E, SysError } from "../core/linux/errno.ts";
import { POLL } from "../core/linux/fds.ts";
import { PIPE_MAX_SIZE, PipeEnd } from "../core/linux/pipe.ts";
import { runGuest, testAgainstQemu } from "./util/guest_runs.ts";

testAgainstQemu(
  "pipe limits",
  ["pipe_limits.static.O2", "pipe_limits.dynamic.O2"],
  [{}, { sched: "random,quantum=64", seed: 5 }, { sched: "rr,quantum=200", accel: "interp" }],
  (out) =>
    out.includes("writes of 1000 stop (Resource temporarily unavailable) at 64000") &&
    out.includes("the writer filled the pipe: 65536 buffered"),
);

const errno = (n: number) => (e: unknown) => e instanceof SysError && e.errno === n;

Deno.test("pipe limits: pipe-max-size and pipe-user-pages-soft bind the guest, whoever runs Denemu", async () => {
  const r = await runGuest("pipe_limits.static.O2");
  assertEquals(r.status, 0);
  const fcntls = r.strace.filter((l) => l.includes("fcntl"));
  const count = (re: RegExp) => fcntls.filter((l) => re.test(l)).length;
  assertEquals(count(/fcntl\(\d+,F_SETPIPE_SZ,1048577\) = -1 errno=1 /), 1, fcntls.join("\n"));
  // 64 pipes of 256 pages, and one more to 1 MiB in the fill check before them
  assertEquals(count(/fcntl\(\d+,F_SETPIPE_SZ,1048576\) = 1048576$/), 65, fcntls.join("\n"));
  assertEquals(count(/fcntl\(\d+,F_SETPIPE_SZ,1048576\) = -1 errno=1 /), 1, fcntls.join("\n"));
  assertEquals(count(/fcntl\(\d+,F_GETPIPE_SZ\) = 8192$/), 1, fcntls.join("\n"));
});

Deno.test("pipe limits: a snapshot puts back the capacity and the buffered bytes", () => {
  const [r, w] = PipeEnd.pair(0);
  assertEquals(w.buffer.resize(8192), 8192);
  w.write(new Uint8Array(5000).fill(7));
  const restore = w.capture();
  r.read(new Uint8Array(5000));
  w.buffer.resize(PIPE_MAX_SIZE);
  w.write(new Uint8Array(100_000));
  restore();
  assertEquals(w.buffer.size, 8192);
  assertEquals(w.buffer.buffered, 5000);
  assertEquals(w.readiness(), 0); // both pages are taken: only what fits in the last one goes
  assert.throws(() => w.write(new Uint8Array(4000)), errno(E.EAGAIN));
  const got = new Uint8Array(6000);
  assertEquals(r.read(got), 5000);
  assert(got.subarray(0, 5000).every((b) => b === 7));
  assertEquals(w.readiness(), POLL.OUT);
});

Deno.test("pipe limits: a write of at most PIPE_BUF bytes goes whole or not at all", () => {
  const [r, w] = PipeEnd.pair(0);
  w.buffer.resize(4096);
  assertEquals(w.write(new Uint8Array(3000)), 3000);
  assert.throws(() => w.write(new Uint8Array(1200)), errno(E.EAGAIN));
  assertEquals(w.write(new Uint8Array(1096)), 1096);
  r.close();
  assert.throws(() => w.write(new Uint8Array(1)), errno(E.EPIPE));
  assertEquals(w.readiness(), POLL.ERR);
});
