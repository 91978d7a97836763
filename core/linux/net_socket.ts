/**
 * An AF_INET or AF_INET6 socket of the guest on the host network
 * (`-net host`): TCP (SOCK_STREAM) and UDP (SOCK_DGRAM), and the
 * `struct sockaddr_in`/`sockaddr_in6` codec. Its host side is a socket of
 * the network worker, reached through a {@linkcode HostNetwork}.
 *
 * A TCP socket gets its host socket at connect (a connection) or listen (a
 * listener; bind only keeps the address, as Deno binds and listens in one
 * call); a UDP socket at bind, or at its first send. Options are kept as set
 * and read back by getsockopt; they do not change the host socket.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { E, SysError } from "./errno.ts";
import { O, type OpenFile, POLL, S_IF, type StatInfo, syntheticStat } from "./fds.ts";
import type { HostNetwork } from "./net_link.ts";
import type { NetAddr, NetReply, NetRequest } from "./net_protocol.ts";

/** Address families. */
export const AF = { INET: 2, INET6: 10 } as const;
/** Socket types. */
export const SOCK = { STREAM: 1, DGRAM: 2 } as const;

const SOCKADDR_IN = 16, SOCKADDR_IN6 = 28;

/** The IPv6 address text of 16 bytes (full form, lower case: "0:0:0:0:0:0:0:1"). */
function ipv6Text(b: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((b[2 * i] << 8) | b[2 * i + 1]).toString(16));
  return groups.join(":");
}

/** The 16 bytes of an IPv6 address text ("::1", "::ffff:1.2.3.4"...). */
function ipv6Bytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let t = text.replace(/%.*$/, "");
  if (v4) {
    const [a, b, c, d] = v4[1].split(".").map(Number);
    t = t.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = t.includes("::") ? t.split("::") : [t, undefined];
  const h = head ? head.split(":") : [], tl = tail ? tail.split(":") : [];
  const groups = tail === undefined
    ? h
    : [...h, ...Array(8 - h.length - tl.length).fill("0"), ...tl];
  groups.slice(0, 8).forEach((g, i) => {
    const v = parseInt(g, 16) || 0;
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/**
 * Reads a guest `struct sockaddr_in` or `sockaddr_in6` of `family`.
 *
 * @example
 * ```ts
 * import { decodeSockaddr } from "./net_socket.ts";
 * const sa = new Uint8Array([2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
 * console.log(decodeSockaddr(sa, 2)); // { host: "127.0.0.1", port: 8080 }
 * ```
 */
export function decodeSockaddr(raw: Uint8Array, family: number): NetAddr {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const need = family === AF.INET ? SOCKADDR_IN - 8 : SOCKADDR_IN6 - 4;
  if (raw.length < need) throw new SysError(E.EINVAL);
  if (dv.getUint16(0, true) !== family) throw new SysError(E.EAFNOSUPPORT);
  const port = dv.getUint16(2, false);
  if (family === AF.INET) return { host: Array.from(raw.subarray(4, 8)).join("."), port };
  return { host: ipv6Text(raw.subarray(8, 24)), port };
}

/**
 * Writes `a` as a guest `struct sockaddr_in` or `sockaddr_in6` of `family`
 * (an IPv4 host address seen by an IPv6 socket becomes `::ffff:a.b.c.d`).
 *
 * @example
 * ```ts
 * import { encodeSockaddr } from "./net_socket.ts";
 * console.log(encodeSockaddr({ host: "::1", port: 80 }, 10).length); // 28
 * ```
 */
export function encodeSockaddr(a: NetAddr, family: number): Uint8Array {
  const out = new Uint8Array(family === AF.INET ? SOCKADDR_IN : SOCKADDR_IN6);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, family, true);
  dv.setUint16(2, a.port, false);
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(a.host);
  if (family === AF.INET) {
    if (v4) out.set(v4.slice(1).map(Number), 4);
  } else {out.set(
      v4 && !a.host.includes(":") ? ipv6Bytes(`::ffff:${a.host}`) : ipv6Bytes(a.host),
      8,
    );}
  return out;
}

/** The result of a socket's call: its reply, the errno of an error thrown. */
function checked(reply: NetReply): NetReply {
  if (reply.error === undefined) return reply;
  const named = (E as Record<string, number>)[reply.error];
  if (named !== undefined) throw new SysError(named);
  if (reply.error === "NotCapable" || reply.error === "PermissionDenied") {
    throw new SysError(E.EACCES);
  }
  throw new SysError(E.EIO);
}

/**
 * A guest TCP or UDP socket on the host network.
 *
 * @example
 * ```ts ignore
 * const s = new InetSocket(net, AF.INET, SOCK.STREAM, 0);
 * s.connect({ host: "127.0.0.1", port: 7 });
 * ```
 */
export class InetSocket implements OpenFile {
  isTty = false;
  /** the host network may make it ready at any time */
  readonly outside = true;
  /** the worker's socket, once there is one */
  hostId: number | null = null;
  listening = false;
  local: NetAddr | null = null;
  peer: NetAddr | null = null;
  /** setsockopt values by "level:name", returned by getsockopt */
  readonly options = new Map<string, Uint8Array>();
  #writeShut = false;
  /** a non-blocking connect is under way (or ended, not yet asked about) */
  #connecting = false;

  /** Whether a non-blocking connect was started and no connect since asked how it went. */
  get connecting(): boolean {
    return this.#connecting;
  }

  constructor(
    readonly net: HostNetwork,
    readonly family: number,
    readonly type: number,
    public statusFlags: number,
  ) {
    this.statusFlags |= O.RDWR;
  }

  #call(request: NetRequest, payload?: Uint8Array): { reply: NetReply; payload: Uint8Array } {
    const a = this.net.call(request, payload);
    return { reply: checked(a.reply), payload: a.payload };
  }

  #id(): number {
    if (this.hostId === null) throw new SysError(E.ENOTCONN);
    return this.hostId;
  }

  #any(): NetAddr {
    return { host: this.family === AF.INET ? "0.0.0.0" : "::", port: 0 };
  }

  #adopt(r: NetReply): void {
    this.hostId = r.id!;
    this.local = r.local ?? null;
    if (r.remote) this.peer = r.remote;
  }

  /** bind: TCP keeps the address for listen; UDP binds the host socket now. */
  bind(at: NetAddr): void {
    if (this.hostId !== null || this.local) throw new SysError(E.EINVAL);
    if (this.type === SOCK.STREAM) this.local = at;
    else this.#adopt(this.#call({ op: "udp", family: this.#v(), at }).reply);
  }

  #v(): 4 | 6 {
    return this.family === AF.INET ? 4 : 6;
  }

  /** listen: the host listener on the bound address (any address, any port without bind). */
  listen(): void {
    if (this.type !== SOCK.STREAM) throw new SysError(E.EOPNOTSUPP);
    if (this.listening) return;
    if (this.hostId !== null) throw new SysError(E.EINVAL);
    this.#adopt(this.#call({ op: "listen", at: this.local ?? this.#any() }).reply);
    this.listening = true;
  }

  /** accept: a connection already made, or EAGAIN. */
  accept(flags: number): InetSocket {
    if (!this.listening) throw new SysError(E.EINVAL);
    const r = this.#call({ op: "accept", id: this.#id() }).reply;
    const s = new InetSocket(this.net, this.family, this.type, flags & O.NONBLOCK);
    s.#adopt(r);
    return s;
  }

  /**
   * connect: TCP connects now (waiting for the host), or, non-blocking,
   * starts to and fails with EINPROGRESS (poll then says POLLOUT, and
   * SO_ERROR how it went); UDP sets the default peer.
   */
  connect(to: NetAddr): void {
    if (this.type === SOCK.DGRAM) {
      this.peer = to;
      return;
    }
    if (this.#connecting && this.#connectAgain() === "made") return;
    if (this.hostId !== null) throw new SysError(this.listening ? E.EINVAL : E.EISCONN);
    if (!(this.statusFlags & O.NONBLOCK)) {
      this.#adopt(this.#call({ op: "connect", to }).reply);
      return;
    }
    this.#adopt(this.#call({ op: "connect", to, start: true }).reply);
    this.peer = to;
    this.#connecting = true;
    throw new SysError(E.EINPROGRESS);
  }

  /**
   * A connect after a non-blocking one: EALREADY while it is under way; once
   * it is made, 0 (and EISCONN from then on); a failed one gives its error
   * and leaves the socket free to try again, as Linux.
   */
  #connectAgain(): "made" | "retry" {
    const bits = this.readiness();
    if (!bits) throw new SysError(E.EALREADY);
    this.#connecting = false;
    if (!(bits & POLL.ERR)) return "made";
    const errno = this.takeError();
    this.close();
    if (errno) throw new SysError(errno);
    return "retry";
  }

  /** SO_ERROR: the socket's pending error (then cleared), 0 when there is none. */
  takeError(): number {
    if (this.hostId === null) return 0;
    const { error } = this.net.call({ op: "soerror", id: this.hostId }).reply;
    if (error === undefined) return 0;
    try {
      checked({ error });
    } catch (e) {
      return (e as SysError).errno;
    }
    return E.EIO;
  }

  /** Sends `data` (to `to`, for UDP without a peer); the bytes taken. */
  send(data: Uint8Array, to?: NetAddr): number {
    if (this.#writeShut) throw new SysError(E.EPIPE);
    if (this.type === SOCK.DGRAM) {
      to ??= this.peer ?? undefined;
      if (!to) throw new SysError(E.EDESTADDRREQ);
      if (this.hostId === null) this.bind(this.#any());
    } else to = undefined;
    return this.#call({ op: "send", id: this.#id(), to }, data).reply.size!;
  }

  /** Receives into `buf`: its length and the sender (UDP); EAGAIN when nothing came yet. */
  recv(buf: Uint8Array, peek: boolean): { n: number; from?: NetAddr } {
    const id = this.#id();
    const { reply, payload } = this.#call({ op: "recv", id, max: buf.length, peek });
    if (reply.eof) return { n: 0 };
    buf.set(payload);
    return { n: payload.length, from: reply.from };
  }

  /** shutdown(SHUT_WR or SHUT_RDWR): the host side's write end closes after what is queued. */
  shutdown(how: number): void {
    if (this.hostId === null || this.listening) throw new SysError(E.ENOTCONN);
    if (how === 0) return;
    this.#writeShut = true;
    if (this.type === SOCK.STREAM) this.#call({ op: "shutdown", id: this.hostId });
  }

  read(buf: Uint8Array): number {
    return this.recv(buf, false).n;
  }
  write(buf: Uint8Array): number {
    return this.send(buf);
  }
  seek(): number {
    throw new SysError(E.ESPIPE);
  }
  stat(): StatInfo {
    return syntheticStat(S_IF.SOCK | 0o777);
  }
  readiness(): number {
    if (this.hostId === null) return this.type === SOCK.DGRAM ? POLL.OUT : POLL.OUT | POLL.HUP;
    const r = this.#call({ op: "status", id: this.hostId }).reply;
    this.local ??= r.local ?? null; // a non-blocking connect made
    return r.bits!;
  }
  close(): void {
    if (this.hostId !== null) this.net.call({ op: "close", id: this.hostId });
    this.hostId = null;
  }

  /**
   * Saves the guest side for a snapshot of a replay (whose log rewinds with
   * it); a live host socket is refused before that (see
   * {@linkcode refuseLiveHostSockets}).
   */
  capture(): () => void {
    const fields = { ...this }, options = new Map(this.options);
    const writeShut = this.#writeShut, connecting = this.#connecting;
    return () => {
      Object.assign(this, fields);
      this.options.clear();
      for (const [k, v] of options) this.options.set(k, v);
      this.#writeShut = writeShut;
      this.#connecting = connecting;
    };
  }
}

/**
 * Throws EmuError, naming the descriptor, when one of `fds` is a live host
 * socket, which a snapshot could not put back (the host's side goes on, or
 * is gone); a replay's sockets answer from the log, and pass.
 *
 * @example
 * ```ts
 * import { refuseLiveHostSockets } from "./net_socket.ts";
 * refuseLiveHostSockets([]); // nothing open: no error
 * ```
 */
export function refuseLiveHostSockets(fds: { fd: number; file: OpenFile }[]): void {
  const live = fds.find(({ file }) =>
    file instanceof InetSocket && file.hostId !== null && !file.net.replaying
  );
  if (!live) return;
  throw new EmuError(
    `snapshot: fd ${live.fd} is a socket on the host network (-net host), which a restore ` +
      "cannot put back",
    "close it before the snapshot, or snapshot a replay (-icount rr=replay)",
  );
}
