/**
 * Sockets on the host network (`-net host`): socket, bind, listen, accept,
 * accept4, connect, getsockname, getpeername, sendto, recvfrom, sendmsg,
 * recvmsg, sendmmsg, recvmmsg, setsockopt, getsockopt and shutdown for AF_INET/AF_INET6 TCP and UDP (see
 * `net_socket.ts`). Without `-net host`, socket(AF_INET...) fails with
 * EACCES and `-strace` says why. AF_UNIX sockets are in `sys_unix.ts`,
 * which sends the calls of the other families here.
 *
 * A blocking accept or receive parks the guest thread: the scheduler runs
 * the others and looks again, and when every thread waits, sleeps until the
 * network brings something. MSG_DONTWAIT and O_NONBLOCK give EAGAIN instead.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, S_IF, S_IFMT } from "./fds.ts";
import { AF, decodeSockaddr, encodeSockaddr, InetSocket, SOCK } from "./net_socket.ts";
import type { NetAddr } from "./net_protocol.ts";
import type { LinuxProcess } from "./process.ts";
import { SIG } from "./signals.ts";
import { iovecs, orWait, writeAll } from "./sys_files.ts";
import { get, int, len, put, putU32, putU64, StructWriter, type SyscallTable } from "./syscall.ts";
import { readTimespec } from "./sys_time.ts";
import type { Blocking } from "./threads.ts";

const SOCK_TYPE_MASK = 0xf;
const IPPROTO = { IP: 0, TCP: 6, UDP: 17, IPV6: 41 } as const;
/** `SOL_SOCKET`, the level of the socket options every family has. */
export const SOL_SOCKET = 1;
/** SOL_SOCKET option names. */
export const SO = {
  TYPE: 3,
  ERROR: 4,
  SNDBUF: 7,
  RCVBUF: 8,
  PASSCRED: 16,
  PEERCRED: 17,
  LINGER: 13,
  RCVTIMEO: 20,
  SNDTIMEO: 21,
  ACCEPTCONN: 30,
  PROTOCOL: 38,
  DOMAIN: 39,
} as const;
/**
 * The value of a SOL_SOCKET option never set: zeros, as wide as the option (a struct timeval for
 * the timeouts, a struct linger, an int for the rest).
 */
export function unsetOption(level: number, name: number): Uint8Array {
  if (level !== SOL_SOCKET) return new Uint8Array(4);
  if (name === SO.RCVTIMEO || name === SO.SNDTIMEO) return new Uint8Array(16);
  return new Uint8Array(name === SO.LINGER ? 8 : 4);
}
/** send and recv flags. */
export const MSG = {
  PEEK: 2,
  CTRUNC: 8,
  TRUNC: 0x20,
  DONTWAIT: 0x40,
  NOSIGNAL: 0x4000,
  WAITFORONE: 0x10000,
  CMSG_CLOEXEC: 0x40000000,
} as const;
/** The most one send or receive moves (the worker's reply buffer holds a little more). */
const MAX_TRANSFER = 256 << 10;
const MSGHDR_SIZE = 56, MMSGHDR_SIZE = 64, UIO_MAXIOV = 1024, SOCKADDR_STORAGE = 128;

function socket(p: LinuxProcess, a: bigint[]): number {
  const domain = int(a[0]), type = int(a[1]), protocol = int(a[2]);
  if (domain !== AF.INET && domain !== AF.INET6) throw new SysError(E.EAFNOSUPPORT);
  const net = p.world.net;
  if (!net) {
    p.strace?.(`${p.tid} socket: no network for the guest (run with -net host): EACCES`);
    throw new SysError(E.EACCES);
  }
  const kind = type & SOCK_TYPE_MASK;
  const proto = kind === SOCK.STREAM ? IPPROTO.TCP : kind === SOCK.DGRAM ? IPPROTO.UDP : -1;
  if (proto < 0) throw new SysError(E.EINVAL);
  if (protocol !== 0 && protocol !== proto) throw new SysError(E.EPROTONOSUPPORT);
  const s = new InetSocket(net, domain, kind, type & O.NONBLOCK);
  return p.fds.install(s, (type & O.CLOEXEC) !== 0);
}

function inetOf(p: LinuxProcess, fd: bigint): InetSocket {
  const f = p.fds.get(int(fd));
  if (f instanceof InetSocket) return f;
  const isSocket = (f.stat().mode & S_IFMT) === S_IF.SOCK; // a socketpair's end
  throw new SysError(isSocket ? E.EOPNOTSUPP : E.ENOTSOCK);
}

/** The guest's sockaddr bytes at `addr`, as Linux copies them: EINVAL past sockaddr_storage. */
function sockaddrBytes(p: LinuxProcess, addr: bigint, size: bigint): Uint8Array {
  const n = int(size);
  if (n < 0 || n > SOCKADDR_STORAGE) throw new SysError(E.EINVAL);
  return get(p, addr, n);
}

function addrIn(p: LinuxProcess, s: InetSocket, addr: bigint, size: bigint): NetAddr {
  return decodeSockaddr(sockaddrBytes(p, addr, size), s.family);
}

/** Stores `a` at `addr` (at most *lenp bytes) and its size at `lenp`; nothing when `addr` is 0. */
function addrOut(p: LinuxProcess, s: InetSocket, a: NetAddr, addr: bigint, lenp: bigint): void {
  if (addr === 0n) return;
  const room = new DataView(get(p, lenp, 4).buffer).getInt32(0, true);
  if (room < 0) throw new SysError(E.EINVAL);
  const bytes = encodeSockaddr(a, s.family);
  put(p, addr, bytes.subarray(0, room));
  putU32(p, lenp, bytes.length);
}

function anyAddr(s: InetSocket): NetAddr {
  return { host: s.family === AF.INET ? "0.0.0.0" : "::", port: 0 };
}

/**
 * connect. Again while a non-blocking connect is under way, a socket made
 * blocking since then (fcntl) waits for it and gives its outcome, where a
 * non-blocking one gets EALREADY, as Linux's __inet_stream_connect.
 */
function connect(p: LinuxProcess, a: bigint[]): number | Blocking {
  const s = inetOf(p, a[0]), to = addrIn(p, s, a[1], a[2]);
  if (!s.connecting || (s.statusFlags & O.NONBLOCK)) return (s.connect(to), 0);
  const made = () => {
    try {
      s.connect(to);
      return 0;
    } catch (e) {
      if (e instanceof SysError && e.errno === E.EALREADY) throw new SysError(E.EAGAIN);
      throw e;
    }
  };
  return orWait(p, s, made, false, "a connect");
}

function accept4(p: LinuxProcess, a: bigint[]): number | Blocking {
  const s = inetOf(p, a[0]), flags = int(a[3] ?? 0n);
  if (flags & ~(O.NONBLOCK | O.CLOEXEC)) throw new SysError(E.EINVAL);
  return orWait(p, s, () => {
    const c = s.accept(flags);
    addrOut(p, s, c.peer ?? anyAddr(s), a[1], a[2]);
    return p.fds.install(c, (flags & O.CLOEXEC) !== 0);
  });
}

/**
 * sendto; `data`: the bytes already gathered (sendmsg) instead of those at
 * a[1]. A TCP socket whose connect is under way takes them once it is made
 * (a blocking one waits for that; a non-blocking one gets EAGAIN), as
 * Linux's tcp_sendmsg does.
 */
function sendto(p: LinuxProcess, a: bigint[], data?: Uint8Array): number | Blocking {
  const s = inetOf(p, a[0]), n = Math.min(len(a[2]), MAX_TRANSFER), flags = int(a[3]);
  // Linux copies the address in first, whatever the socket; TCP then ignores it
  const name = a[4] !== 0n ? sockaddrBytes(p, a[4], a[5]) : undefined;
  const to = name?.length && s.type === SOCK.DGRAM ? decodeSockaddr(name, s.family) : undefined;
  const bytes = data ?? get(p, a[1], n);
  const io = () => {
    try {
      return s.send(bytes, to);
    } catch (e) {
      if (e instanceof SysError && e.errno === E.EPIPE && !(flags & MSG.NOSIGNAL)) {
        p.sendSignal({ signal: SIG.SIGPIPE, code: 0 });
      }
      throw e;
    }
  };
  return writeAll(p, s, bytes.length, io, (flags & MSG.DONTWAIT) !== 0);
}

/** A guest `struct msghdr` (64-bit layout): its name, iovecs and where its fields are. */
export function msghdr(p: LinuxProcess, addr: bigint) {
  const dv = new DataView(get(p, addr, MSGHDR_SIZE).buffer);
  const u64 = (at: number) => dv.getBigUint64(at, true);
  const name = u64(0), nameLen = dv.getInt32(8, true), iovLen = u64(24);
  if (name !== 0n && nameLen < 0) throw new SysError(E.EINVAL);
  if (iovLen > BigInt(UIO_MAXIOV)) throw new SysError(E.EMSGSIZE);
  // a name longer than a sockaddr_storage is cut to one, as Linux does
  const size = name === 0n ? 0 : Math.min(nameLen, SOCKADDR_STORAGE);
  const control = u64(32), controlLen = u64(40);
  return { name, nameLen: size, iov: iovecs(p, u64(16), iovLen), control, controlLen };
}

/** The bytes of the iovecs `iov`, at most `max` of them. */
export function gather(p: LinuxProcess, iov: [bigint, number][], max = MAX_TRANSFER): Uint8Array {
  const total = Math.min(iov.reduce((n, [, l]) => n + l, 0), max);
  const data = new Uint8Array(total);
  let at = 0;
  for (const [base, n] of iov) {
    if (at >= total) break;
    data.set(get(p, base, Math.min(n, total - at)), at);
    at += n;
  }
  return data;
}

/** Copies `data` over the iovecs `iov` (as much as they hold). */
export function scatter(p: LinuxProcess, iov: [bigint, number][], data: Uint8Array): void {
  let at = 0;
  for (const [base, n] of iov) {
    if (at >= data.length) break;
    put(p, base, data.subarray(at, Math.min(data.length, at + n)));
    at += n;
  }
}

/** sendmsg: sendto of the iovecs gathered (ancillary data is ignored). */
function sendmsg(p: LinuxProcess, a: bigint[]): number | Blocking {
  const m = msghdr(p, a[1]);
  const data = gather(p, m.iov), total = data.length;
  return sendto(p, [a[0], 0n, BigInt(total), a[2], m.name, BigInt(m.nameLen)], data);
}

/** Receives one message into the guest msghdr at `hdr`; EAGAIN when none is there yet. */
function recvInet(p: LinuxProcess, s: InetSocket, hdr: bigint, flags: number): number {
  const m = msghdr(p, hdr);
  const buf = new Uint8Array(Math.min(m.iov.reduce((n, [, l]) => n + l, 0), MAX_TRANSFER));
  const r = s.recv(buf, (flags & MSG.PEEK) !== 0);
  scatter(p, m.iov, buf.subarray(0, r.n));
  if (r.from && m.name) addrOut(p, s, r.from, m.name, hdr + 8n);
  else putU32(p, hdr + 8n, 0);
  putU64(p, hdr + 40n, 0n); // msg_controllen: no ancillary data
  putU32(p, hdr + 48n, 0); // msg_flags
  return r.n;
}

/** recvmsg: recvfrom scattered over the iovecs; no ancillary data comes back. */
function recvmsg(p: LinuxProcess, a: bigint[]): number | Blocking {
  const s = inetOf(p, a[0]), flags = int(a[2]);
  return orWait(p, s, () => recvInet(p, s, a[1], flags), (flags & MSG.DONTWAIT) !== 0);
}

/** Writes `ns` as a guest `struct timespec` at `addr`. */
function putTimespec(p: LinuxProcess, addr: bigint, ns: bigint): void {
  put(p, addr, new StructWriter(16).u64(0, ns / 1_000_000_000n).u64(8, ns % 1_000_000_000n).bytes);
}

/** The guest vector of `struct mmsghdr` of sendmmsg/recvmmsg: at most UIO_MAXIOV entries. */
function mmsgCount(vlen: bigint): number {
  return Math.min(len(vlen), UIO_MAXIOV);
}

/**
 * sendmmsg: `sendOne` (a family's sendmsg with MSG_DONTWAIT, EAGAIN when
 * there is no room; the host network's by default) of each entry of socket
 * `s`, its msg_len set. A blocking socket waits for room as often as it
 * takes to send them all; a non-blocking one (or MSG_DONTWAIT) stops at the
 * first without room. An error after one sent gives the count sent.
 */
export function sendmmsg(
  p: LinuxProcess,
  a: bigint[],
  s: OpenFile = inetOf(p, a[0]),
  sendOne: (hdr: bigint) => number = (hdr) =>
    sendmsg(p, [a[0], hdr, a[3] | BigInt(MSG.DONTWAIT)]) as number,
): number | Blocking {
  const count = mmsgCount(a[2]), dontWait = (int(a[3]) & MSG.DONTWAIT) !== 0;
  const waits = !dontWait && !(s.statusFlags & O.NONBLOCK);
  let done = 0; // kept across the retries of a blocked call
  const io = () => {
    for (; done < count; done++) {
      const hdr = a[1] + BigInt(done * MMSGHDR_SIZE);
      try {
        putU32(p, hdr + BigInt(MSGHDR_SIZE), sendOne(hdr));
      } catch (e) {
        const noRoom = e instanceof SysError && e.errno === E.EAGAIN;
        if (done === 0 || (noRoom && waits)) throw e;
        return done;
      }
    }
    return done;
  };
  try {
    return orWait(p, s, io, dontWait, "room to write");
  } catch (e) {
    if (done && e instanceof SysError && e.errno === E.EAGAIN) return done; // nobody will read
    throw e;
  }
}

/**
 * recvmmsg: `recvOne` (a family's recvmsg, EAGAIN when nothing is there;
 * the host network's by default) into each entry of socket `s`. Blocking, it waits until all came
 * (MSG_WAITFORONE: until one did, then takes what is there). With a
 * timeout it stops once the time has passed after a datagram, and writes
 * the time left back, as Linux; where Linux would go on waiting for one
 * more datagram past the timeout (recvmmsg(2), BUGS), the call returns at
 * the timeout with the datagrams it has. Before the first one, it waits as
 * recvmsg does.
 */
export function recvmmsg(
  p: LinuxProcess,
  a: bigint[],
  s: OpenFile = inetOf(p, a[0]),
  recvOne: (hdr: bigint, flags: number) => number = (hdr, flags) =>
    recvInet(p, s as InetSocket, hdr, flags),
): number | Blocking {
  const count = mmsgCount(a[2]), flags = int(a[3]);
  const dontWait = (flags & MSG.DONTWAIT) !== 0;
  const deadline = a[4] ? p.clock.monotonicNs() + readTimespec(p, a[4]) : undefined;
  const timeLeft = () => {
    const left = deadline! - p.clock.monotonicNs();
    putTimespec(p, a[4], left > 0n ? left : 0n);
  };
  let done = 0; // kept across the retries of a blocked call
  let wait: Blocking | undefined;
  const arm = () => {
    if (!wait || deadline === undefined || done === 0) return;
    Object.assign(wait.options, { deadlineNs: deadline, timeoutResult: done, cancel: timeLeft });
  };
  const io = () => {
    for (; done < count; done++) {
      if (done > 0 && deadline !== undefined && p.clock.monotonicNs() >= deadline) break;
      const hdr = a[1] + BigInt(done * MMSGHDR_SIZE);
      try {
        putU32(p, hdr + BigInt(MSGHDR_SIZE), recvOne(hdr, flags));
        arm();
      } catch (e) {
        const partial = done > 0 && (dontWait || (flags & MSG.WAITFORONE) ||
          (s.statusFlags & O.NONBLOCK));
        if (!partial || !(e instanceof SysError) || e.errno !== E.EAGAIN) throw e;
        break;
      }
    }
    if (deadline !== undefined) timeLeft();
    return done;
  };
  const r = orWait(p, s, io, dontWait);
  if (typeof r !== "number") wait = r;
  arm();
  return r;
}

function recvfrom(p: LinuxProcess, a: bigint[]): number | Blocking {
  const s = inetOf(p, a[0]), flags = int(a[3]);
  const buf = new Uint8Array(Math.min(len(a[2]), MAX_TRANSFER));
  return orWait(p, s, () => {
    const r = s.recv(buf, (flags & MSG.PEEK) !== 0);
    if (r.n) put(p, a[1], buf.subarray(0, r.n));
    if (r.from) addrOut(p, s, r.from, a[4], a[5]);
    return r.n;
  }, (flags & MSG.DONTWAIT) !== 0);
}

/** getsockopt's answer for what the socket is rather than what was set. */
function fixedOption(s: InetSocket, level: number, name: number): number | undefined {
  if (level !== SOL_SOCKET) return undefined;
  if (name === SO.TYPE) return s.type;
  if (name === SO.ERROR) return s.takeError();
  if (name === SO.DOMAIN) return s.family;
  if (name === SO.ACCEPTCONN) return s.listening ? 1 : 0;
  if (name === SO.PROTOCOL) return s.type === SOCK.STREAM ? IPPROTO.TCP : IPPROTO.UDP;
  return undefined;
}

const OPTION_LEVELS: number[] = [SOL_SOCKET, IPPROTO.IP, IPPROTO.TCP, IPPROTO.UDP, IPPROTO.IPV6];

function getsockopt(p: LinuxProcess, a: bigint[]): number {
  const s = inetOf(p, a[0]), level = int(a[1]), name = int(a[2]);
  const fixed = fixedOption(s, level, name);
  let value = s.options.get(`${level}:${name}`);
  if (fixed !== undefined) value = new Uint8Array(new Int32Array([fixed]).buffer);
  if (!value && !OPTION_LEVELS.includes(level)) throw new SysError(E.ENOPROTOOPT);
  value ??= unsetOption(level, name);
  const room = new DataView(get(p, a[4], 4).buffer).getInt32(0, true);
  if (room < 0) throw new SysError(E.EINVAL);
  put(p, a[3], value.subarray(0, room));
  putU32(p, a[4], Math.min(room, value.length));
  return 0;
}

function setsockopt(p: LinuxProcess, a: bigint[]): number {
  const s = inetOf(p, a[0]), level = int(a[1]), name = int(a[2]);
  if (!OPTION_LEVELS.includes(level)) throw new SysError(E.ENOPROTOOPT);
  // every option but some of IPPROTO_IP's takes an int at least
  if (level !== IPPROTO.IP && int(a[4]) < 4) throw new SysError(E.EINVAL);
  s.options.set(`${level}:${name}`, get(p, a[3], Math.min(len(a[4]), 256)));
  return 0;
}

/**
 * Host-network socket syscalls by name.
 *
 * @example
 * ```ts
 * import { netSyscalls } from "./sys_net.ts";
 * console.log("recvfrom" in netSyscalls); // true
 * ```
 */
export const netSyscalls: SyscallTable = {
  socket,
  bind: (p, a) => {
    const s = inetOf(p, a[0]);
    s.bind(addrIn(p, s, a[1], a[2]));
    return 0;
  },
  listen: (p, a) => {
    inetOf(p, a[0]).listen();
    return 0;
  },
  accept: (p, a) => accept4(p, [a[0], a[1], a[2], 0n]),
  accept4,
  connect,
  getsockname: (p, a) => {
    const s = inetOf(p, a[0]);
    addrOut(p, s, s.local ?? anyAddr(s), a[1], a[2]);
    return 0;
  },
  getpeername: (p, a) => {
    const s = inetOf(p, a[0]);
    if (!s.peer) throw new SysError(E.ENOTCONN);
    addrOut(p, s, s.peer, a[1], a[2]);
    return 0;
  },
  sendto: (p, a) => sendto(p, a),
  recvfrom,
  sendmsg,
  recvmsg,
  sendmmsg: (p, a) => sendmmsg(p, a),
  recvmmsg: (p, a) => recvmmsg(p, a),
  getsockopt,
  setsockopt,
  shutdown: (p, a) => {
    const how = int(a[1]);
    if (how < 0 || how > 2) throw new SysError(E.EINVAL);
    inetOf(p, a[0]).shutdown(how);
    return 0;
  },
};
