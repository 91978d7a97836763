/**
 * Socket syscalls of AF_UNIX (see `unix_socket.ts`), and the socket table
 * that sends each call to its family: AF_UNIX here, AF_INET and AF_INET6 to
 * `sys_net.ts`.
 *
 * A name is a path or, when `sun_path[0]` is 0, the bytes after it in the
 * abstract namespace. bind on a path creates a socket file there (under
 * `--root`; EADDRINUSE when something is there already), which stays until
 * unlinked; connect looks the file up and finds the socket still bound to
 * it, else ECONNREFUSED, as Linux.
 *
 * @module
 */

import { hostIds } from "./program_load.ts";
import { E, SysError } from "./errno.ts";
import { O } from "./fds.ts";
import type { LinuxProcess } from "./process.ts";
import { AT_FDCWD, resolveAt } from "./sys_fs.ts";
import { orWait, writeAll } from "./sys_files.ts";
import {
  gather,
  MSG,
  msghdr,
  netSyscalls,
  recvmmsg,
  scatter,
  sendmmsg,
  SO,
  SOL_SOCKET,
  unsetOption,
} from "./sys_net.ts";
import { SIG } from "./signals.ts";
import { get, int, len, put, putU32, putU64, StructWriter, type SyscallTable } from "./syscall.ts";
import { Blocking } from "./threads.ts";
import { ControlOut, readAncillary } from "./unix_cmsg.ts";
import {
  abstractKey,
  AF_UNIX,
  type Cred,
  MIN_RCVBUF,
  MIN_SNDBUF,
  type Received,
  SOCKET_BUFFER,
  UNIX_TYPE,
  unixAddress,
  UnixSocket,
} from "./unix_socket.ts";

const SOCK_TYPE_MASK = 0xf;
/** sizeof(struct sockaddr_un): a family and 108 bytes of path. */
const SOCKADDR_UN = 110;
const MAX_MESSAGE = 256 << 10;

/** The credentials of `p` (what SO_PEERCRED and SCM_CREDENTIALS report). */
function credOf(p: LinuxProcess): Cred {
  const { uid, gid } = hostIds();
  return { pid: p.pid, uid, gid };
}

function unixType(type: number): number {
  const kind = type & SOCK_TYPE_MASK;
  if (!(Object.values(UNIX_TYPE) as number[]).includes(kind)) throw new SysError(E.ESOCKTNOSUPPORT);
  return kind;
}

function socket(p: LinuxProcess, a: bigint[]): number {
  if (int(a[0]) !== AF_UNIX) return netSyscalls.socket(p, a) as number;
  const type = int(a[1]), protocol = int(a[2]);
  if (protocol !== 0 && protocol !== AF_UNIX) throw new SysError(E.EPROTONOSUPPORT);
  const s = new UnixSocket(p.world.unixNames, unixType(type), type & O.NONBLOCK, credOf(p));
  return p.fds.install(s, (type & O.CLOEXEC) !== 0);
}

function socketpair(p: LinuxProcess, a: bigint[]): number {
  const domain = int(a[0]), type = int(a[1]);
  if (domain !== AF_UNIX) throw new SysError(E.EAFNOSUPPORT);
  const protocol = int(a[2]);
  if (protocol !== 0 && protocol !== AF_UNIX) throw new SysError(E.EPROTONOSUPPORT);
  const kind = unixType(type);
  const [x, y] = UnixSocket.pair(p.world.unixNames, kind, type & O.NONBLOCK, credOf(p));
  const cloexec = (type & O.CLOEXEC) !== 0;
  const fx = p.fds.install(x, cloexec), fy = p.fds.install(y, cloexec);
  put(p, a[3], new StructWriter(8).u32(0, fx).u32(4, fy).bytes);
  return 0;
}

/** A guest `sockaddr_un`: its `sun_path` bytes (a path up to its NUL, or 0 and a name). */
function sunPath(p: LinuxProcess, addr: bigint, size: bigint): Uint8Array {
  const n = int(size);
  if (n <= 2 || n > SOCKADDR_UN) throw new SysError(E.EINVAL);
  const raw = get(p, addr, n);
  if (raw[0] + (raw[1] << 8) !== AF_UNIX) throw new SysError(E.EINVAL);
  const path = raw.subarray(2);
  if (path[0] === 0) return path.slice();
  const nul = path.indexOf(0);
  return path.slice(0, nul < 0 ? path.length : nul);
}

/** The guest path text of a path name. */
function pathText(path: Uint8Array): string {
  return new TextDecoder().decode(path);
}

/**
 * Makes a socket file at `host`, as bind does: a host socket's inode (a
 * listener's file, linked to its name before the listener goes), or an
 * empty file where the host cannot make one (a host path too long).
 */
function makeSocketFile(host: string, mode: number): number {
  if (lstatSafe(host)) throw new SysError(E.EADDRINUSE);
  const temp = `${host.slice(0, host.lastIndexOf("/") + 1)}.denemu-bind-${Deno.pid}`;
  if (lstatSafe(temp)?.isSocket) Deno.removeSync(temp); // left by a run that was killed
  try {
    const l = Deno.listen({ transport: "unix", path: temp });
    try {
      Deno.linkSync(temp, host);
    } finally {
      l.close();
    }
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof Deno.errors.InvalidData)) throw e;
    Deno.writeFileSync(host, new Uint8Array(), { createNew: true, mode });
  }
  Deno.chmodSync(host, mode);
  return Deno.lstatSync(host).ino ?? 0;
}

function lstatSafe(host: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(host);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

function bind(p: LinuxProcess, s: UnixSocket, a: bigint[]): number {
  if (int(a[2]) === 2) {
    s.autobind();
    return 0;
  }
  const path = sunPath(p, a[1], a[2]);
  if (path[0] === 0) {
    s.bind(unixAddress(path), abstractKey(path), null);
    return 0;
  }
  const host = resolveAt(p, AT_FDCWD, pathText(path), false);
  // Linux makes the node before it looks at the socket: a name in use is EADDRINUSE first
  if (s.address) throw new SysError(lstatSafe(host) ? E.EADDRINUSE : E.EINVAL);
  const ino = makeSocketFile(host, 0o777 & ~p.umask);
  s.bind(unixAddress(new Uint8Array([...path, 0])), host, ino);
  return 0;
}

/** The socket bound to the name at `addr` (null: none is, ECONNREFUSED to a connect). */
function lookup(p: LinuxProcess, addr: bigint, size: bigint): UnixSocket | null {
  const path = sunPath(p, addr, size);
  const names = p.world.unixNames;
  if (path[0] === 0) return names.find(abstractKey(path), null);
  const host = resolveAt(p, AT_FDCWD, pathText(path), true);
  const info = Deno.statSync(host); // ENOENT when it is gone
  return info.isSocket ? names.find(host, info.ino ?? 0) : null;
}

/** Stores the address `bytes` at `addr` (at most *lenp bytes) and its length at `lenp`. */
function addrOut(p: LinuxProcess, bytes: Uint8Array, addr: bigint, lenp: bigint): void {
  if (addr === 0n) return;
  const room = new DataView(get(p, lenp, 4).buffer).getInt32(0, true);
  if (room < 0) throw new SysError(E.EINVAL);
  put(p, addr, bytes.subarray(0, room));
  putU32(p, lenp, bytes.length);
}

const FAMILY_ONLY = new Uint8Array([AF_UNIX, 0]);

function accept4(p: LinuxProcess, s: UnixSocket, a: bigint[]): number | Blocking {
  const flags = int(a[3] ?? 0n);
  if (flags & ~(O.NONBLOCK | O.CLOEXEC)) throw new SysError(E.EINVAL);
  return orWait(p, s, () => {
    const c = s.accept();
    c.statusFlags = O.RDWR | (flags & O.NONBLOCK);
    addrOut(p, c.peer?.address ?? FAMILY_ONLY, a[1], a[2]);
    return p.fds.install(c, (flags & O.CLOEXEC) !== 0);
  });
}

function connect(p: LinuxProcess, s: UnixSocket, a: bigint[]): number {
  const target = lookup(p, a[1], a[2]);
  s.connect(target, credOf(p));
  return 0;
}

/**
 * Sends `data` with the control buffer `control` (sendmsg) to the name at
 * a[4], if any: a blocking socket waits for room in the send buffer (and
 * a stream sends it all), a non-blocking one sends what fits.
 */
function send(
  p: LinuxProcess,
  s: UnixSocket,
  a: bigint[],
  data: Uint8Array,
  control?: [bigint, bigint],
): number | Blocking {
  const flags = int(a[3]), own = credOf(p);
  const to = a[4] ? lookup(p, a[4], a[5]) : undefined;
  const anc = control ? readAncillary(p, control[0], control[1], own) : null;
  let rights = anc?.rights ?? null; // they go with the first bytes sent
  const drop = () => {
    for (const h of rights ?? []) h.release(); // not sent: they close with the call
    rights = null;
  };
  const io = (done: number) => {
    try {
      const n = s.send(data.subarray(done), rights, to, anc?.cred ?? own);
      rights = null;
      return n;
    } catch (e) {
      if (e instanceof SysError && e.errno === E.EAGAIN) throw e; // kept for the next try
      drop();
      if (e instanceof SysError && e.errno === E.EPIPE && !(flags & MSG.NOSIGNAL)) {
        p.sendSignal({ signal: SIG.SIGPIPE, code: 0 });
      }
      throw e;
    }
  };
  let r: number | Blocking;
  try {
    r = writeAll(p, s, data.length, io, (flags & MSG.DONTWAIT) !== 0);
  } catch (e) {
    drop(); // nothing had room
    throw e;
  }
  if (r instanceof Blocking) r.options.cancel = drop; // a signal or a timeout ends the wait
  return r;
}

function sendmsg(p: LinuxProcess, s: UnixSocket, a: bigint[]): number | Blocking {
  const m = msghdr(p, a[1]);
  const data = gather(p, m.iov, MAX_MESSAGE);
  const args = [a[0], 0n, 0n, a[2], m.name, BigInt(m.nameLen)];
  return send(p, s, args, data, [m.control, m.controlLen]);
}

/** recv's count: with MSG_TRUNC, a datagram's whole length. */
function received(r: Received, flags: number): number {
  return flags & MSG.TRUNC ? r.full : r.n;
}

/** Waits as recv does for `io` on `s` (EAGAIN: nothing yet). */
function receiving(p: LinuxProcess, s: UnixSocket, flags: number, io: () => number) {
  return orWait(p, s, io, (flags & MSG.DONTWAIT) !== 0);
}

function recvfrom(p: LinuxProcess, s: UnixSocket, a: bigint[]): number | Blocking {
  const flags = int(a[3]), buf = new Uint8Array(Math.min(len(a[2]), MAX_MESSAGE));
  return receiving(p, s, flags, () => {
    const r = s.recv(buf, (flags & MSG.PEEK) !== 0);
    for (const h of r.rights) h.release();
    if (r.n) put(p, a[1], buf.subarray(0, r.n));
    if (a[4]) addrOut(p, r.from, a[4], a[5]);
    return received(r, flags);
  });
}

/** Receives one message (or run of stream bytes) into the guest msghdr at `hdr`, or EAGAIN. */
function recvOne(p: LinuxProcess, s: UnixSocket, hdr: bigint, flags: number): number {
  const m = msghdr(p, hdr);
  const buf = new Uint8Array(Math.min(m.iov.reduce((n, [, l]) => n + l, 0), MAX_MESSAGE));
  const r = s.recv(buf, (flags & MSG.PEEK) !== 0);
  scatter(p, m.iov, buf.subarray(0, r.n));
  if (m.name) {
    put(p, m.name, r.from.subarray(0, m.nameLen));
    putU32(p, hdr + 8n, r.from.length);
  }
  const control = new ControlOut(p, m.control, Number(m.controlLen));
  if (s.passCred && r.cred) control.credentials(r.cred);
  control.rights(r.rights, (flags & MSG.CMSG_CLOEXEC) !== 0);
  putU64(p, hdr + 40n, BigInt(control.used));
  putU32(p, hdr + 48n, control.flags | (r.full > r.n ? MSG.TRUNC : 0));
  return received(r, flags);
}

/** getsockopt's value for what the socket is; undefined for an option kept as set. */
function fixedOption(s: UnixSocket, name: number): Uint8Array | undefined {
  const int32 = (v: number) => new Uint8Array(new Int32Array([v]).buffer);
  if (name === SO.TYPE) return int32(s.type);
  if (name === SO.ERROR || name === SO.PROTOCOL) return int32(0);
  if (name === SO.DOMAIN) return int32(AF_UNIX);
  if (name === SO.ACCEPTCONN) return int32(s.listening ? 1 : 0);
  if (name === SO.PASSCRED) return int32(s.passCred ? 1 : 0);
  if (name === SO.SNDBUF) return int32(s.sndbuf);
  if (name === SO.RCVBUF) return int32(s.rcvbuf);
  if (name !== SO.PEERCRED) return undefined;
  const c = s.peerCred ?? { pid: 0, uid: 0xffffffff, gid: 0xffffffff };
  return new StructWriter(12).u32(0, c.pid).u32(4, c.uid).u32(8, c.gid).bytes;
}

function getsockopt(p: LinuxProcess, s: UnixSocket, a: bigint[]): number {
  if (int(a[1]) !== SOL_SOCKET) throw new SysError(E.EOPNOTSUPP);
  const name = int(a[2]);
  const value = fixedOption(s, name) ?? s.options.get(name) ?? unsetOption(SOL_SOCKET, name);
  const room = new DataView(get(p, a[4], 4).buffer).getInt32(0, true);
  if (room < 0) throw new SysError(E.EINVAL);
  put(p, a[3], value.subarray(0, room));
  putU32(p, a[4], Math.min(room, value.length));
  return 0;
}

function setsockopt(p: LinuxProcess, s: UnixSocket, a: bigint[]): number {
  if (int(a[1]) !== SOL_SOCKET) throw new SysError(E.EOPNOTSUPP);
  if (len(a[4]) < 4) throw new SysError(E.EINVAL);
  const value = get(p, a[3], Math.min(len(a[4]), 256)), name = int(a[2]);
  const v = new DataView(value.buffer).getUint32(0, true);
  // Linux keeps twice what is asked (for its bookkeeping), within the sysctl limits
  const buffer = (least: number) => Math.max(Math.min(v, SOCKET_BUFFER) * 2, least);
  if (name === SO.PASSCRED) s.passCred = v !== 0;
  else if (name === SO.SNDBUF) s.sndbuf = buffer(MIN_SNDBUF);
  else if (name === SO.RCVBUF) s.rcvbuf = buffer(MIN_RCVBUF);
  else s.options.set(name, value);
  return 0;
}

type UnixHandler = (p: LinuxProcess, s: UnixSocket, a: bigint[]) => number | Blocking;

/** The AF_UNIX handlers of calls on a socket descriptor (a[0]). */
const ON_UNIX: Record<string, UnixHandler> = {
  bind,
  listen: (_p, s) => (s.listen(), 0),
  accept: (p, s, a) => accept4(p, s, [a[0], a[1], a[2], 0n]),
  accept4,
  connect,
  getsockname: (p, s, a) => (addrOut(p, s.address ?? FAMILY_ONLY, a[1], a[2]), 0),
  getpeername: (p, s, a) => {
    if (!s.peer) throw new SysError(E.ENOTCONN);
    addrOut(p, s.peer.address ?? FAMILY_ONLY, a[1], a[2]);
    return 0;
  },
  sendto: (p, s, a) => send(p, s, a, get(p, a[1], Math.min(len(a[2]), MAX_MESSAGE))),
  recvfrom,
  sendmsg,
  recvmsg: (p, s, a) => receiving(p, s, int(a[2]), () => recvOne(p, s, a[1], int(a[2]))),
  sendmmsg: (p, s, a) => {
    const flags = a[3] | BigInt(MSG.DONTWAIT); // sendmmsg waits between the messages
    return sendmmsg(p, a, s, (hdr) => sendmsg(p, s, [a[0], hdr, flags]) as number);
  },
  recvmmsg: (p, s, a) => recvmmsg(p, a, s, (hdr, flags) => recvOne(p, s, hdr, flags)),
  getsockopt,
  setsockopt,
  shutdown: (_p, s, a) => {
    const how = int(a[1]);
    if (how < 0 || how > 2) throw new SysError(E.EINVAL);
    s.shutdown(how);
    return 0;
  },
};

/**
 * Every socket syscall by name: AF_UNIX sockets here, the others on the
 * host network (`sys_net.ts`).
 *
 * @example
 * ```ts
 * import { socketSyscalls } from "./sys_unix.ts";
 * console.log("socketpair" in socketSyscalls); // true
 * ```
 */
export const socketSyscalls: SyscallTable = {
  ...netSyscalls,
  ...Object.fromEntries(
    Object.entries(ON_UNIX).map(([name, unix]) => [name, (p: LinuxProcess, a: bigint[]) => {
      const f = p.fds.get(int(a[0]));
      return f instanceof UnixSocket ? unix(p, f, a) : netSyscalls[name](p, a);
    }]),
  ),
  socket,
  socketpair,
};
