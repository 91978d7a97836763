/**
 * AF_UNIX sockets inside the guest world: socketpair's, and sockets bound
 * to a name, either a path (a socket file under `--root`) or a name in the
 * abstract namespace (`sun_path[0] == 0`), connected between the threads and
 * processes of one run. SOCK_STREAM carries bytes; SOCK_DGRAM and
 * SOCK_SEQPACKET keep message boundaries. A message may carry descriptors
 * (SCM_RIGHTS), held open while in flight.
 *
 * Semantics follow Linux's `net/unix/af_unix.c`: the shutdown bits of a
 * connected pair mirror each other and a close shuts both of the peer's; a
 * stream read never glues bytes of two writers, nor reads past a message
 * that carried descriptors; poll's bits come from the same state.
 *
 * Queues are bounded as Linux bounds them. A message charges its sender's
 * send buffer (SO_SNDBUF, 212992 bytes by default) with its bytes and an
 * skb's overhead until the receiver takes it: a sender whose buffer is full
 * gets EAGAIN (the syscall layer makes a blocking one wait), and POLLOUT
 * comes back once a quarter of it is left, as `unix_writable` has it. A
 * stream send is cut into skbs of at most {@linkcode STREAM_SKB_MAX} bytes
 * and stops at the first that finds the buffer full (a partial send). A
 * datagram sent to a socket that is not connected back to its sender also
 * waits while that receiver holds more than net.unix.max_dgram_qlen (10)
 * datagrams; a socketpair's or a connected pair's do not (af_unix.c's
 * `unix_peer(other) != sk && unix_recvq_full(other)`).
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, POLL, S_IF, type StatInfo, syntheticStat } from "./fds.ts";

/** Socket types of AF_UNIX. */
export const UNIX_TYPE = { STREAM: 1, DGRAM: 2, SEQPACKET: 5 } as const;
/** `struct sockaddr_un`'s family. */
export const AF_UNIX = 1;
const RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2, SHUTDOWN_MASK = 3;
/** SO_SNDBUF and SO_RCVBUF by default, and the most a setsockopt asks for (net.core.wmem_default, wmem_max, rmem_*). */
export const SOCKET_BUFFER = 212992;
/** The least SO_SNDBUF and SO_RCVBUF (Linux's SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF). */
export const MIN_SNDBUF = 4608, MIN_RCVBUF = 2304;
/** net.unix.max_dgram_qlen: a receiver holding more datagrams than this makes senders wait. */
const MAX_DGRAM_QLEN = 10;
/** What a queued message costs its sender beyond its bytes: an skb's sk_buff and shared info. */
const SKB_OVERHEAD = 576;
/** The most bytes of one stream skb: a page's linear part and 32 KiB of fragments. */
export const STREAM_SKB_MAX = 4096 - 320 + 32768;

/** The credentials of a process (SO_PEERCRED, SCM_CREDENTIALS). */
export interface Cred {
  pid: number;
  uid: number;
  gid: number;
}

/** A file sent with SCM_RIGHTS: kept open until it is received or dropped. */
export interface HeldFile {
  file: OpenFile;
  release(): void;
}

/** One message (or, on a stream, one writer's chunk) waiting in a socket's queue. */
export interface UnixMessage {
  data: Uint8Array;
  rights: HeldFile[] | null;
  /** the sender's address (`sockaddr_un` bytes; empty when it had none) */
  from: Uint8Array;
  cred: Cred;
  /** the socket whose send buffer it is charged to, and how much */
  sender: UnixSocket;
  charge: number;
}

/** What a receive got: the bytes copied, the message's full length, its sender and rights. */
export interface Received {
  n: number;
  /** the whole message's length (a datagram longer than the buffer is cut: MSG_TRUNC) */
  full: number;
  from: Uint8Array;
  cred: Cred | null;
  rights: HeldFile[];
}

/**
 * The names sockets are bound to in one guest world: an abstract name
 * (key `@` and its bytes in hex) or a socket file's host path, with the
 * file's inode so that a file unlinked and bound again is a new name.
 */
export class UnixNames {
  readonly #bound = new Map<string, { socket: UnixSocket; ino: number | null }>();
  #autobind = 0;

  /**
   * Binds `s` to `key`; EADDRINUSE when an abstract name is taken (`again`:
   * a snapshot puts a binding back).
   */
  add(key: string, s: UnixSocket, ino: number | null, again = false): void {
    if (ino === null && !again && this.#bound.has(key)) throw new SysError(E.EADDRINUSE);
    this.#bound.set(key, { socket: s, ino });
  }

  /** The socket bound to `key` (a path's: only while `ino` is still the file's). */
  find(key: string, ino: number | null): UnixSocket | null {
    const e = this.#bound.get(key);
    return e && e.ino === ino ? e.socket : null;
  }

  remove(key: string, s: UnixSocket): void {
    if (this.#bound.get(key)?.socket === s) this.#bound.delete(key);
  }

  /** An unused abstract name of five hex digits, as Linux's autobind gives. */
  autoName(): Uint8Array {
    for (;;) {
      const text = (this.#autobind++ & 0xfffff).toString(16).padStart(5, "0");
      const name = new Uint8Array([0, ...new TextEncoder().encode(text)]);
      if (!this.#bound.has(abstractKey(name))) return name;
    }
  }
}

/** The key of an abstract name (`sun_path` bytes starting with 0). */
export function abstractKey(path: Uint8Array): string {
  return "@" + Array.from(path, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The address bytes of a socket bound to `path` (a `sockaddr_un` without its padding). */
export function unixAddress(path: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + path.length);
  out[0] = AF_UNIX;
  out.set(path, 2);
  return out;
}

function dropRights(m: UnixMessage): void {
  for (const h of m.rights ?? []) h.release();
  m.rights = null;
}

/** A message leaves its receiver's queue: its sender's buffer has that room again. */
function taken(m: UnixMessage): void {
  m.sender.sendQueued -= m.charge;
}

/** Whether `s`'s send buffer is full (Linux's sock_wmalloc test: charged up to SO_SNDBUF). */
function sendBufferFull(s: UnixSocket): boolean {
  return s.sendQueued >= s.sndbuf;
}

/**
 * A guest AF_UNIX socket.
 *
 * @example
 * ```ts
 * import { UnixNames, UnixSocket } from "./unix_socket.ts";
 * const cred = { pid: 1, uid: 0, gid: 0 };
 * const [a, b] = UnixSocket.pair(new UnixNames(), 5, 0, cred);
 * a.send(new Uint8Array(3), null, null);
 * console.log(b.recv(new Uint8Array(8), false).full); // 3
 * ```
 */
export class UnixSocket implements OpenFile {
  isTty = false;
  /** its address (family and name) once bound */
  address: Uint8Array | null = null;
  /** the key of its name in the world's {@linkcode UnixNames} */
  key: string | null = null;
  /** a stream or seqpacket's other end; a datagram socket's default destination */
  peer: UnixSocket | null = null;
  /** the peer's credentials at connect or socketpair time (SO_PEERCRED) */
  peerCred: Cred | null = null;
  listening = false;
  /** connections made and not yet accepted (a listener's) */
  backlog: UnixSocket[] = [];
  inbox: UnixMessage[] = [];
  /** SO_PASSCRED: received messages carry SCM_CREDENTIALS */
  passCred = false;
  /** other SOL_SOCKET options by name, as set (getsockopt reads them back) */
  options = new Map<number, Uint8Array>();
  /** SO_SNDBUF and SO_RCVBUF as getsockopt reports them */
  sndbuf = SOCKET_BUFFER;
  rcvbuf = SOCKET_BUFFER;
  /** what the messages it sent and the peer has not taken yet charge its send buffer */
  sendQueued = 0;
  #shut = 0;
  #closed = false;
  #ino: number | null = null;

  constructor(
    readonly names: UnixNames,
    readonly type: number,
    public statusFlags: number,
    /** the credentials of the process that made it */
    readonly cred: Cred,
  ) {
    this.statusFlags |= O.RDWR;
  }

  /** Two connected sockets (socketpair). */
  static pair(names: UnixNames, type: number, flags: number, cred: Cred): [UnixSocket, UnixSocket] {
    const a = new UnixSocket(names, type, flags, cred),
      b = new UnixSocket(names, type, flags, cred);
    a.#join(b, cred);
    b.#join(a, cred);
    return [a, b];
  }

  #join(peer: UnixSocket, cred: Cred): void {
    this.peer = peer;
    this.peerCred = cred;
  }

  /** Whether data moves on a connection rather than in addressed datagrams. */
  get connectionBased(): boolean {
    return this.type !== UNIX_TYPE.DGRAM;
  }

  /** Binds it to `address` under `key` (`ino`: the socket file's; null: an abstract name). */
  bind(address: Uint8Array, key: string, ino: number | null): void {
    if (this.address) throw new SysError(E.EINVAL);
    this.names.add(key, this, ino);
    this.address = address;
    this.key = key;
    this.#ino = ino;
  }

  /** Binds it to a fresh abstract name (bind with only a family, listen or connect unbound). */
  autobind(): void {
    if (this.address) return;
    const name = this.names.autoName();
    this.bind(unixAddress(name), abstractKey(name), null);
  }

  listen(): void {
    if (!this.connectionBased) throw new SysError(E.EOPNOTSUPP);
    if (this.peer) throw new SysError(E.EINVAL);
    this.autobind();
    this.listening = true;
  }

  /** Connects to `target` (null: nothing bound there) as a process with `cred`. */
  connect(target: UnixSocket | null, cred: Cred): void {
    if (this.listening) throw new SysError(E.EINVAL);
    if (this.connectionBased && this.peer) throw new SysError(E.EISCONN);
    if (!target || target.#closed) throw new SysError(E.ECONNREFUSED);
    if (target.type !== this.type) throw new SysError(E.EPROTOTYPE);
    if (!this.connectionBased) {
      this.peer = target;
      return;
    }
    if (!target.listening) throw new SysError(E.ECONNREFUSED);
    const server = new UnixSocket(this.names, this.type, 0, target.cred);
    server.address = target.address;
    server.#join(this, cred);
    this.#join(server, target.cred);
    target.backlog.push(server);
  }

  /** A connection made to this listener, or EAGAIN. */
  accept(): UnixSocket {
    if (!this.listening) throw new SysError(E.EINVAL);
    const s = this.backlog.shift();
    if (!s) throw new SysError(E.EAGAIN);
    return s;
  }

  /** The socket a datagram to `to` (or to the default peer) goes to. */
  #destination(to: UnixSocket | null | undefined): UnixSocket {
    const dest = to === undefined ? this.peer : to;
    if (to === null) throw new SysError(E.ECONNREFUSED);
    if (!dest) throw new SysError(E.ENOTCONN);
    if (dest.#closed) throw new SysError(E.ECONNREFUSED);
    if (dest.type !== this.type) throw new SysError(E.EPROTOTYPE);
    if (dest.peer && dest.peer !== this && !dest.peer.#closed) throw new SysError(E.EPERM);
    return dest;
  }

  /**
   * Queues `data` (and `rights`) for the peer, or for `to` (a datagram's
   * address: the socket bound there, null when none is) from a process
   * with `cred`; the bytes taken (of a stream, as many as its send buffer
   * had room for), EAGAIN when it has none.
   */
  send(
    data: Uint8Array,
    rights: HeldFile[] | null,
    to?: UnixSocket | null,
    cred = this.cred,
  ): number {
    if (this.listening) throw new SysError(E.ENOTCONN);
    if (this.connectionBased) {
      if (to !== undefined) throw new SysError(this.peer ? E.EISCONN : E.EOPNOTSUPP);
      if (!this.peer) throw new SysError(E.ENOTCONN);
    }
    if (this.#shut & SEND_SHUTDOWN) throw new SysError(E.EPIPE);
    if (this.type === UNIX_TYPE.STREAM) return this.#sendStream(this.peer!, data, rights, cred);
    if (data.length > this.sndbuf - 32) throw new SysError(E.EMSGSIZE);
    if (sendBufferFull(this)) throw new SysError(E.EAGAIN);
    const dest = this.connectionBased ? this.peer! : this.#destination(to);
    if (this.#queueFull(dest)) throw new SysError(E.EAGAIN);
    this.#queue(dest, data, rights, cred);
    return data.length;
  }

  /** Whether a datagram to `dest` waits for room in its queue (it is not connected back to us). */
  #queueFull(dest: UnixSocket): boolean {
    return dest !== this && dest.peer !== this && dest.inbox.length > MAX_DGRAM_QLEN;
  }

  #queue(dest: UnixSocket, data: Uint8Array, rights: HeldFile[] | null, cred: Cred): void {
    const charge = data.length + SKB_OVERHEAD;
    const from = this.address ?? new Uint8Array();
    dest.inbox.push({ data: data.slice(), rights, from, cred, sender: this, charge });
    this.sendQueued += charge;
  }

  /** Stream bytes in skbs while the send buffer has room: how many went (EAGAIN: none). */
  #sendStream(dest: UnixSocket, data: Uint8Array, rights: HeldFile[] | null, cred: Cred): number {
    const most = Math.min(STREAM_SKB_MAX, (this.sndbuf >> 1) - 64);
    let done = 0;
    do {
      if (sendBufferFull(this)) {
        if (done) break;
        throw new SysError(E.EAGAIN);
      }
      const n = Math.min(data.length - done, most);
      this.#queue(dest, data.subarray(done, done + n), done ? null : rights, cred);
      done += n;
    } while (done < data.length);
    return done;
  }

  /**
   * Receives into `buf`: a datagram or seqpacket message (cut to fit), or
   * stream bytes; 0 bytes at end of stream, EAGAIN when nothing is there yet.
   */
  recv(buf: Uint8Array, peek: boolean): Received {
    if (this.listening || (this.connectionBased && !this.peer)) throw new SysError(E.EINVAL);
    const first = this.inbox[0];
    if (!first) {
      if (!(this.#shut & RCV_SHUTDOWN)) throw new SysError(E.EAGAIN);
      return { n: 0, full: 0, from: new Uint8Array(), cred: null, rights: [] };
    }
    if (this.type !== UNIX_TYPE.STREAM) {
      const n = Math.min(buf.length, first.data.length);
      buf.set(first.data.subarray(0, n));
      const rights = peek ? [] : (first.rights ?? []);
      if (!peek) taken(this.inbox.shift()!);
      return { n, full: first.data.length, from: first.from, cred: first.cred, rights };
    }
    return this.#recvStream(buf, peek);
  }

  /** Stream bytes from the chunks of one writer, stopping after a chunk that carried rights. */
  #recvStream(buf: Uint8Array, peek: boolean): Received {
    const first = this.inbox[0];
    let n = 0, rights: HeldFile[] = [];
    for (let i = 0; i < this.inbox.length && n < buf.length; i++) {
      const m = this.inbox[i];
      if (m.cred.pid !== first.cred.pid) break; // never glue two writers' bytes
      const take = Math.min(m.data.length, buf.length - n);
      buf.set(m.data.subarray(0, take), n);
      n += take;
      if (peek) continue;
      const carried = m.rights !== null;
      if (carried) [rights, m.rights] = [m.rights!, null];
      m.data = m.data.subarray(take);
      if (m.data.length) break;
      taken(this.inbox.splice(i--, 1)[0]);
      if (carried) break;
    }
    return { n, full: n, from: first.from, cred: first.cred, rights };
  }

  /** shutdown(how): the peer's opposite bits follow, as Linux mirrors them. */
  shutdown(how: number): void {
    if (this.connectionBased && !this.peer) throw new SysError(E.ENOTCONN);
    const mode = how + 1; // SHUT_RD 0 -> RCV, SHUT_WR 1 -> SEND, SHUT_RDWR 2 -> both
    this.#shut |= mode;
    const peer = this.peer;
    if (!peer || !this.connectionBased) return;
    if (mode & RCV_SHUTDOWN) peer.#shut |= SEND_SHUTDOWN;
    if (mode & SEND_SHUTDOWN) peer.#shut |= RCV_SHUTDOWN;
  }

  read(buf: Uint8Array): number {
    const r = this.recv(buf, false);
    for (const h of r.rights) h.release();
    return r.n;
  }
  write(buf: Uint8Array): number {
    return this.send(buf, null);
  }
  seek(): number {
    throw new SysError(E.ESPIPE);
  }
  stat(): StatInfo {
    return syntheticStat(S_IF.SOCK | 0o777);
  }
  readiness(): number {
    if (this.listening) return this.backlog.length ? POLL.IN : 0;
    let bits = this.#writable() ? POLL.OUT : 0;
    if (this.#shut === SHUTDOWN_MASK) bits |= POLL.HUP;
    if (this.inbox.length || (this.#shut & RCV_SHUTDOWN)) bits |= POLL.IN;
    if (this.connectionBased && !this.peer) bits |= POLL.HUP;
    return bits;
  }
  /** POLLOUT: a quarter of the send buffer free, and room in an unconnected receiver's queue. */
  #writable(): boolean {
    if (this.sendQueued * 4 > this.sndbuf) return false;
    return this.connectionBased || !this.peer || !this.#queueFull(this.peer);
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.key) this.names.remove(this.key, this);
    this.inbox.forEach(dropRights);
    this.inbox.forEach(taken);
    this.inbox = [];
    for (const s of this.backlog) s.close(); // their clients see the connection end
    this.backlog = [];
    if (this.connectionBased && this.peer) this.peer.#shut = SHUTDOWN_MASK;
  }

  /** Saves the queue, the connection state and the name; returns what puts them back. */
  capture(): () => void {
    const fields = { ...this } as Record<string, unknown>;
    const inbox = this.inbox.map((m) => ({ ...m })), backlog = [...this.backlog];
    const options = new Map(this.options), shut = this.#shut, closed = this.#closed;
    return () => {
      Object.assign(this, fields);
      this.inbox = inbox.map((m) => ({ ...m }));
      this.backlog = [...backlog];
      this.options = new Map(options);
      this.#shut = shut;
      this.#closed = closed;
      if (this.key && !closed) this.names.add(this.key, this, this.#ino, true);
    };
  }
}
