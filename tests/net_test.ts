// User mode on the host network (-net host): a guest TCP client (a thread waiting in recv while
// the main thread sends) against an echo server of the test, a guest TCP server (accepting in a
// second thread) for a client of the test, and UDP, over IPv4 and IPv6, each compared with
// qemu-riscv64 running the same guest against the same peer; the errnos of bad lengths and
// pointers, as qemu-riscv64 gives them; EACCES without the flag or where
// --allow-net does not reach; a recorded run replayed with the peer gone; a non-blocking
// connect (EINPROGRESS, POLLOUT, SO_ERROR) as qemu-riscv64 has it, and a send while it is under
// way (tests/net_connecting_test.ts holds the connect back); recvmmsg's timeout.
// The guest runs in a subprocess: the emulator's thread sleeps in Atomics.wait while the
// network works, so a peer on this test's event loop could not answer an in-process guest.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import dgram from "node:dgram";
import { createMachine, EmuError } from "../mod.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { GUEST_BIN } from "./util/guest_runs.ts";
import { installed } from "./util/installed.ts";

const MOD = new URL("../mod.ts", import.meta.url).pathname;
const SYSROOT = "/usr/riscv64-linux-gnu";
const haveQemu = installed("qemu-riscv64");
type Family = "4" | "6";
const NET = ["-net", "host"];
const LOOPBACK = { "4": "127.0.0.1", "6": "::1" } as const;

/** Whether this host can listen on ::1 (a container may have no IPv6). */
function haveIpv6(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}
const families: Family[] = haveIpv6() ? ["4", "6"] : ["4"];

interface Outcome {
  status: number;
  stdout: string;
}

async function run(cmd: string, args: string[]): Promise<Outcome> {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const stdout = new TextDecoder().decode(o.stdout);
  return { status: o.code, stdout: stdout + new TextDecoder().decode(o.stderr) };
}

/** The guest in Denemu (a subprocess) with `flags`. */
function emu(prog: string, args: string[], flags = NET): Promise<Outcome> {
  return run(Deno.execPath(), ["run", "-A", MOD, "user", ...flags, GUEST_BIN + prog, ...args]);
}

function qemu(prog: string, args: string[]): Promise<Outcome> {
  return run("qemu-riscv64", ["-L", SYSROOT, GUEST_BIN + prog, ...args]);
}

/** A TCP echo server on the loopback address of `family`, until closed. */
function echoServer(family: Family): { port: number; close: () => void } {
  const l = Deno.listen({ hostname: LOOPBACK[family], port: 0 });
  (async () => {
    for await (const c of l) c.readable.pipeTo(c.writable).catch(() => {});
  })().catch(() => {});
  return { port: l.addr.port, close: () => l.close() };
}

/** A UDP server answering each datagram with "pong: " and the datagram. */
async function udpServer(family: Family): Promise<{ port: number; close: () => void }> {
  const s = dgram.createSocket(family === "6" ? "udp6" : "udp4");
  // Each answer waits for the one before, so they leave in the order the pings came.
  let answered = Promise.resolve();
  s.on("message", (m, r) => {
    const pong = new TextEncoder().encode(`pong: ${m}`);
    answered = answered.then(() =>
      new Promise((sent) => s.send(pong, r.port, r.address, () => sent()))
    );
  });
  await new Promise<void>((ok) => s.bind(0, LOOPBACK[family], ok));
  return { port: s.address().port, close: () => s.close() };
}

/** A port nobody listens on now. */
function freePort(family: Family): number {
  const l = Deno.listen({ hostname: LOOPBACK[family], port: 0 });
  l.close();
  return l.addr.port;
}

/** Connects to the guest server (retrying while it starts), sends a line, reads the answer. */
async function talkTo(family: Family, port: number): Promise<string> {
  for (let tries = 0;; tries++) {
    let c: Deno.TcpConn;
    try {
      c = await Deno.connect({ hostname: LOOPBACK[family], port });
    } catch (e) {
      if (tries > 400) throw e;
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    await c.write(new TextEncoder().encode("make me loud\n"));
    const buf = new Uint8Array(64);
    const n = await c.read(buf);
    await c.closeWrite();
    while (await c.read(buf) !== null);
    c.close();
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  }
}

/** Runs `mode` of the net guest with `runner` against a peer of the test made for it. */
async function withPeer(
  mode: "client" | "server" | "udp",
  family: Family,
  runner: (args: string[]) => Promise<Outcome>,
): Promise<Outcome & { peer?: string; args: string[] }> {
  if (mode === "server") {
    const args = [mode, family, `${freePort(family)}`];
    const [r, heard] = await Promise.all([runner(args), talkTo(family, Number(args[2]))]);
    return { ...r, peer: heard, args };
  }
  const server = mode === "client" ? echoServer(family) : await udpServer(family);
  const args = [mode, family, `${server.port}`];
  try {
    return { ...await runner(args), args };
  } finally {
    server.close();
  }
}

for (const prog of ["net.static.O2", "net.dynamic.O2"]) {
  for (const mode of ["client", "server", "udp"] as const) {
    Deno.test({
      name: `net: ${prog} ${mode} prints what qemu-riscv64 prints (IPv${
        families.join(", IPv")
      }, jit and interp)`,
      ignore: !haveQemu,
      async fn() {
        for (const family of families) {
          const peer = await withPeer(mode, family, (a) => qemu(prog, a));
          assertEquals(peer.status, 0, peer.stdout);
          for (const accel of ["jit", "interp"]) {
            const ours = await withPeer(
              mode,
              family,
              (a) => emu(prog, a, [...NET, "-accel", accel]),
            );
            assertEquals({ ...ours, args: [] }, { ...peer, args: [] }, `IPv${family} ${accel}`);
          }
        }
      },
    });
  }
}

Deno.test({
  name:
    "net: bad socket lengths and pointers give qemu-riscv64's errnos (EINVAL, EMSGSIZE, EFAULT)",
  ignore: !haveQemu,
  async fn() {
    for (const family of families) {
      const args = ["errnos", family, "0"];
      const peer = await qemu("net.static.O2", args);
      assertEquals(peer.stdout.split("\n").length, 15, peer.stdout);
      for (const accel of ["jit", "interp"]) {
        const ours = await emu("net.static.O2", args, [...NET, "-accel", accel]);
        assertEquals(ours, peer, `IPv${family} ${accel}`);
      }
    }
  },
});

Deno.test("net: qemu-riscv64 is installed, and IPv6 on loopback", () => {
  if (!haveQemu) console.warn("skipped: qemu-riscv64 is not installed (apt-get install qemu-user)");
  if (!families.includes("6")) console.warn("IPv6 cases skipped: this host cannot listen on ::1");
});

Deno.test("net: without -net host the guest's socket() fails with EACCES", async () => {
  const strace: string[] = [];
  const m = await createMachine({
    program: GUEST_BIN + "net.static.O2",
    args: ["client", "4", "9"],
    strace: (l) => strace.push(l),
  });
  assertEquals([await m.runToExit(), m.stdout], [1, "socket: Permission denied\n"]);
  assertEquals(strace.filter((l) => l.includes("run with -net host")).length, 1);
  await m.close();
});

Deno.test("net: a recorded run replays without the network (client, and server in a thread)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const mode of ["client", "server"] as const) {
      const file = `${dir}/${mode}.rr`;
      const rr = (how: string) => ["-net", "host", "-icount", `rr=${how},rrfile=${file}`];
      const recorded = await withPeer(mode, "4", (a) => emu("net.static.O2", a, rr("record")));
      assertEquals(recorded.status, 0, recorded.stdout);
      // The peer is gone and the port closed: every answer comes from the log.
      const replayed = await emu("net.static.O2", recorded.args, rr("replay"));
      assertEquals(replayed, { status: 0, stdout: recorded.stdout });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("net: what Deno's --allow-net does not permit is EACCES in the guest", async () => {
  const server = echoServer("4");
  try {
    const prog = GUEST_BIN + "net.static.O2";
    const args = ["client", "4", `${server.port}`];
    const user = ["run", "--allow-read", MOD, "user", "-net", "host", prog, ...args];
    assertEquals(await run(Deno.execPath(), user), {
      status: 1,
      stdout: "connect: Permission denied\n",
    });
  } finally {
    server.close();
  }
});

Deno.test({
  name: "net: a non-blocking connect is EINPROGRESS, then POLLOUT and SO_ERROR, as qemu-riscv64",
  ignore: !haveQemu,
  async fn() {
    const listener = Deno.listen({ hostname: LOOPBACK["4"], port: 0 });
    const accepting = (async () => {
      for await (const c of listener) c.readable.cancel().catch(() => {});
    })().catch(() => {});
    try {
      const args = ["connect", `${listener.addr.port}`, `${freePort("4")}`];
      const peer = await qemu("net_async.static.O2", args);
      assert(peer.stdout.includes("closed port: SO_ERROR Connection refused"), peer.stdout);
      assertEquals(await emu("net_async.static.O2", args), peer);
    } finally {
      listener.close();
      await accepting;
    }
  },
});

Deno.test({
  name:
    "net: a send during a non-blocking connect waits for it once O_NONBLOCK is off, as qemu-riscv64",
  ignore: !haveQemu,
  async fn() {
    const server = echoServer("4");
    try {
      const args = ["send", `${server.port}`];
      const peer = await qemu("net_async.static.O2", args);
      assert(peer.stdout.includes("echoed: hello world\n"), peer.stdout);
      assertEquals(await emu("net_async.static.O2", args), peer);
    } finally {
      server.close();
    }
  },
});

Deno.test("net: recvmmsg returns at its timeout with the datagrams that came", async () => {
  // Linux checks the timeout only after each datagram (recvmmsg(2), BUGS): with a third that
  // never comes it would wait forever, so there is no qemu-riscv64 run to compare with.
  const server = await udpServer("4");
  try {
    const r = await emu("net_async.static.O2", ["mmsg", `${server.port}`]);
    assertEquals(r, {
      status: 0,
      stdout: "recvmmsg with a 200 ms timeout: 2 datagrams\n  pong: one\n  pong: two\n" +
        "time left: less\n",
    });
  } finally {
    server.close();
  }
});

Deno.test("net: a snapshot while a host socket is open is refused in one line", async () => {
  const m = await createMachine({
    program: GUEST_BIN + "net.static.O2",
    args: ["udp", "4", `${freePort("4")}`],
    net: "host",
  });
  const refused = (e: unknown) =>
    e instanceof EmuError && !e.message.includes("\n") &&
    /^snapshot: fd 3 is a socket on the host network \(-net host\), which a restore cannot/
      .test(e.message);
  const events = m.run();
  for await (const ev of events) {
    if (ev.type !== "syscall") continue;
    if (ev.name === "sendto") m.snapshot(); // the socket has no host side yet
    if (ev.name === "recvfrom") break; // the sendto bound it on the host
  }
  assert.throws(() => m.snapshot(), refused);
  const file = await Deno.makeTempFile();
  await assert.rejects(async () => await m.save(file), refused);
  await Deno.remove(file);
  await m.close();
});

Deno.test("net: a replay's snapshot with a socket open restores, the log rewound with it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/udp.rr`;
    const rr = ["-net", "host", "-icount", `rr=record,rrfile=${file}`];
    const recorded = await withPeer("udp", "4", (a) => emu("net.static.O2", a, rr));
    assertEquals(recorded.status, 0, recorded.stdout);
    const m = await createMachine({
      program: GUEST_BIN + "net.static.O2",
      args: recorded.args,
      net: "host",
      rr: { mode: "replay", file },
    });
    for await (const ev of m.run()) if (ev.type === "syscall" && ev.name === "recvfrom") break;
    // as reverse debugging does: a snapshot (the socket answers from the log: allowed) and a mark
    const s = m.snapshot(), log = machineDriver(m).inputLog!, mark = log.mark();
    const before = m.stdout.length;
    assertEquals(await m.runToExit(), 0);
    m.restore(s);
    log.rewind(mark);
    assertEquals(await m.runToExit(), 0);
    // the captured output is outside the machine: the rest of the run comes twice
    assertEquals(m.stdout, recorded.stdout + recorded.stdout.slice(before));
    await m.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
