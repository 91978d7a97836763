// A write, send or second connect on a TCP socket whose non-blocking connect is under way,
// against a host network that holds the connect back until the test lets it through: a blocking
// socket (after fcntl cleared O_NONBLOCK) waits and then sends all, or connects; a non-blocking
// one gets EAGAIN (EALREADY), as Linux's tcp_sendmsg (sk_stream_wait_connect) and
// __inet_stream_connect do. tests/net_test.ts runs the same on the real network
// against qemu-riscv64, where the loopback connect is usually made before the send.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { E, SysError } from "../core/linux/errno.ts";
import { O } from "../core/linux/fds.ts";
import type { HostNetwork, NetAnswer } from "../core/linux/net_link.ts";
import type { NetReply, NetRequest } from "../core/linux/net_protocol.ts";
import { AF, InetSocket, SOCK } from "../core/linux/net_socket.ts";
import type { LinuxProcess } from "../core/linux/process.ts";
import { fileSyscalls } from "../core/linux/sys_files.ts";
import { socketSyscalls } from "../core/linux/sys_unix.ts";
import { Blocking } from "../core/linux/threads.ts";

/** A host network whose one connection is made when `made` is set; what it sent. */
class HeldConnect implements HostNetwork {
  readonly replaying = false;
  made = false;
  sent: string[] = [];
  call(r: NetRequest, payload?: Uint8Array): NetAnswer {
    const answer = (reply: NetReply) => ({ reply, payload: new Uint8Array() });
    if (r.op === "connect") return answer({ id: 1 });
    if (r.op === "status") return answer({ bits: this.made ? 4 : 0 });
    if (r.op !== "send") return answer({});
    if (!this.made) return answer({ error: "EAGAIN" });
    this.sent.push(new TextDecoder().decode(payload));
    return answer({ size: payload!.length });
  }
  close(): void {}
}

/** 127.0.0.1 port 7, a guest `struct sockaddr_in`. */
const ECHO_ADDRESS = new Uint8Array([2, 0, 0, 7, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);

/**
 * A process of one thread with `s` as fd 3, "hello" at guest address 0x100 and
 * {@linkcode ECHO_ADDRESS} at 0x200.
 */
function processWith(s: InetSocket): LinuxProcess {
  const hello = new TextEncoder().encode("hello");
  return {
    fds: { get: (fd: number) => (fd === 3 ? s : assert.fail(`fd ${fd}`)) },
    mem: { readBytes: (addr: bigint) => (addr === 0x200n ? ECHO_ADDRESS : hello) },
    world: { liveThreads: () => 1 },
  } as unknown as LinuxProcess;
}

function connecting(net: HeldConnect): InetSocket {
  const s = new InetSocket(net, AF.INET, SOCK.STREAM, O.NONBLOCK);
  assert.throws(
    () => s.connect({ host: "127.0.0.1", port: 7 }),
    (e) => e instanceof SysError && e.errno === E.EINPROGRESS,
  );
  return s;
}

for (const call of ["write", "sendto"]) {
  const syscall = call === "write" ? fileSyscalls.write : socketSyscalls.sendto;
  const args = [3n, 0x100n, 5n, 0n, 0n, 0n];

  Deno.test(`net connecting: a blocking ${call} waits for the connect, then sends`, () => {
    const net = new HeldConnect(), s = connecting(net);
    s.statusFlags &= ~O.NONBLOCK; // fcntl(F_SETFL) after the connect started
    const r = syscall(processWith(s), args);
    assert(r instanceof Blocking, `${call} returned ${String(r)}`);
    assertEquals(r.poll(), null);
    net.made = true;
    assertEquals(r.poll(), 5);
    assertEquals(net.sent, ["hello"]);
  });

  Deno.test(`net connecting: a non-blocking ${call} gives EAGAIN`, () => {
    const net = new HeldConnect(), s = connecting(net);
    assert.throws(
      () => syscall(processWith(s), args),
      (e) => e instanceof SysError && e.errno === E.EAGAIN,
    );
    assertEquals(net.sent, []);
  });
}

Deno.test("net connecting: a blocking connect again waits for the one under way, then gives 0", () => {
  const net = new HeldConnect(), s = connecting(net), args = [3n, 0x200n, 16n];
  const p = processWith(s);
  assert.throws(
    () => socketSyscalls.connect(p, args),
    (e) => e instanceof SysError && e.errno === E.EALREADY,
    "non-blocking: EALREADY",
  );
  s.statusFlags &= ~O.NONBLOCK;
  const r = socketSyscalls.connect(p, args);
  assert(r instanceof Blocking, `connect returned ${String(r)}`);
  assertEquals(r.poll(), null);
  net.made = true;
  assertEquals(r.poll(), 0);
});
