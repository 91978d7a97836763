/**
 * The worker that owns the guest's host sockets (`-net host`). Deno's
 * sockets are asynchronous and the emulator runs guest code synchronously,
 * so the emulator thread posts one request at a time and waits on a shared
 * buffer (`net_link.ts`); this worker does the request with
 * `Deno.connect`/`Deno.listen` (TCP) and `node:dgram` (UDP, which Deno only
 * has behind `--unstable-net`) and writes the reply into that buffer.
 *
 * Every socket reads ahead in the background: received bytes, accepted
 * connections and datagrams queue here, so the emulator's calls never wait
 * for the network but a connect. Each arrival bumps the activity counter,
 * on which the emulator sleeps when every guest thread waits for the network.
 * Writes are queued in order and reported sent at once; a write error shows
 * at the socket's next call, as a send buffer's does.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import dgram from "node:dgram";
import { type NetAddr, type NetReply, type NetRequest, REPLY } from "./net_protocol.ts";

interface Stream {
  kind: "tcp";
  conn: Deno.TcpConn;
  rx: Uint8Array[];
  eof: boolean;
  error?: unknown;
  writes: Promise<void>;
}
interface Listener {
  kind: "listener";
  listener: Deno.TcpListener;
  queue: number[];
  error?: unknown;
}
interface Datagrams {
  kind: "udp";
  socket: dgram.Socket;
  rx: { data: Uint8Array; from: NetAddr }[];
  /** The last send: each waits for the one before, so datagrams leave in the guest's order. */
  sends: Promise<void>;
  error?: unknown;
}
/** A non-blocking connect still under way, or failed (`error`). */
interface Pending {
  kind: "pending";
  failed: boolean;
  error?: unknown;
}
type HostSocket = Stream | Listener | Datagrams | Pending;

const sockets = new Map<number, HostSocket>();
let nextId = 1;
let ctrl: Int32Array<SharedArrayBuffer>;
let data: Uint8Array<SharedArrayBuffer>;
const CONNECT_TIMEOUT_MS = 20_000;

/** Something arrived: wakes an emulator asleep on the activity counter. */
function activity(): void {
  Atomics.add(ctrl, REPLY.ACTIVITY, 1);
  Atomics.notify(ctrl, REPLY.ACTIVITY);
}

function reply(r: NetReply, payload: Uint8Array = new Uint8Array()): void {
  const json = new TextEncoder().encode(JSON.stringify(r));
  const head = REPLY.DATA_OFFSET;
  data.set(json, head);
  data.set(payload.subarray(0, data.length - head - json.length), head + json.length);
  ctrl[REPLY.JSON_LEN] = json.length;
  ctrl[REPLY.PAYLOAD_LEN] = Math.min(payload.length, data.length - head - json.length);
  Atomics.store(ctrl, REPLY.READY, 1);
  Atomics.notify(ctrl, REPLY.READY);
}

function errorReply(e: unknown): NetReply {
  const name = (e as Error)?.name ?? "Error";
  const code = (e as { code?: string })?.code;
  return { error: typeof code === "string" ? code : name };
}

function addrOf(a: Deno.Addr): NetAddr {
  const n = a as Deno.NetAddr;
  return { host: n.hostname, port: n.port };
}

function addStream(conn: Deno.TcpConn, id = nextId++): number {
  const s: Stream = { kind: "tcp", conn, rx: [], eof: false, writes: Promise.resolve() };
  sockets.set(id, s);
  (async () => {
    try {
      for await (const chunk of conn.readable) {
        s.rx.push(chunk);
        activity();
      }
    } catch (e) {
      s.error = e;
    }
    s.eof = true;
    activity();
  })();
  return id;
}

function streamInfo(id: number, conn: Deno.TcpConn): NetReply {
  return { id, local: addrOf(conn.localAddr), remote: addrOf(conn.remoteAddr) };
}

/** A non-blocking connect: its id now, the connection (or its error) when the host has it. */
function connectStart(r: Extract<NetRequest, { op: "connect" }>): NetReply {
  const id = nextId++, pending: Pending = { kind: "pending", failed: false };
  sockets.set(id, pending);
  connect(r).then((done) => {
    const conn = done.id !== undefined ? (sockets.get(done.id) as Stream) : undefined;
    if (done.id !== undefined) sockets.delete(done.id);
    if (sockets.get(id) !== pending) conn?.conn.close(); // closed meanwhile
    else if (conn) sockets.set(id, conn);
    else {
      pending.failed = true;
      pending.error = Object.assign(new Error(done.error), { code: done.error });
    }
    activity();
  });
  return { id };
}

async function connect(r: Extract<NetRequest, { op: "connect" }>): Promise<NetReply> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Deno.errors.TimedOut()), CONNECT_TIMEOUT_MS);
  });
  const pending = Deno.connect({ hostname: r.to.host, port: r.to.port });
  try {
    const conn = await Promise.race([pending, late]);
    return streamInfo(addStream(conn), conn);
  } catch (e) {
    pending.then((c) => c.close(), () => {});
    return errorReply(e);
  } finally {
    clearTimeout(timer);
  }
}

function listen(r: Extract<NetRequest, { op: "listen" }>): NetReply {
  const listener = Deno.listen({ hostname: r.at.host, port: r.at.port });
  const l: Listener = { kind: "listener", listener, queue: [] };
  const id = nextId++;
  sockets.set(id, l);
  (async () => {
    try {
      for await (const conn of listener) {
        l.queue.push(addStream(conn));
        activity();
      }
    } catch (e) {
      l.error = e;
      activity();
    }
  })();
  return { id, local: addrOf(listener.addr) };
}

function bindUdp(r: Extract<NetRequest, { op: "udp" }>): Promise<NetReply> {
  const socket = dgram.createSocket(r.family === 6 ? "udp6" : "udp4");
  const d: Datagrams = { kind: "udp", socket, rx: [], sends: Promise.resolve() };
  return new Promise((resolve) => {
    socket.once("error", (e) => resolve(errorReply(e)));
    socket.bind(r.at.port, r.at.host, () => {
      const id = nextId++;
      sockets.set(id, d);
      socket.on("message", (msg, from) => {
        d.rx.push({ data: new Uint8Array(msg), from: { host: from.address, port: from.port } });
        activity();
      });
      socket.on("error", (e) => d.error = e);
      const a = socket.address();
      resolve({ id, local: { host: a.address, port: a.port } });
    });
  });
}

/** Takes a pending error of `s` (reported once, as SO_ERROR is). */
function takeError(s: HostSocket): NetReply | undefined {
  if (s.error === undefined) return undefined;
  const r = errorReply(s.error);
  s.error = undefined;
  return r;
}

function recv(s: HostSocket, max: number, peek: boolean): [NetReply, Uint8Array?] {
  if (s.kind === "listener") return [{ error: "EINVAL" }];
  if (s.kind === "pending") return [takeError(s) ?? { error: "EAGAIN" }];
  if (s.kind === "udp") {
    const d = s.rx[0];
    if (!d) return [takeError(s) ?? { error: "EAGAIN" }];
    if (!peek) s.rx.shift();
    return [{ from: d.from, size: d.data.length }, d.data.subarray(0, max)];
  }
  if (!s.rx.length) return [s.eof ? takeError(s) ?? { eof: true } : { error: "EAGAIN" }];
  const out = new Uint8Array(Math.min(max, s.rx.reduce((n, c) => n + c.length, 0)));
  let done = 0, i = 0;
  while (done < out.length) {
    const c = s.rx[i];
    const n = Math.min(c.length, out.length - done);
    out.set(c.subarray(0, n), done);
    done += n;
    if (peek) i++;
    else if (n === c.length) s.rx.shift();
    else s.rx[0] = c.subarray(n);
  }
  return [{}, out];
}

function send(s: HostSocket, bytes: Uint8Array, to?: NetAddr): NetReply {
  const err = takeError(s);
  if (err) return err;
  if (s.kind === "listener") return { error: "ENOTCONN" };
  if (s.kind === "pending") return { error: "EAGAIN" };
  if (s.kind === "udp") {
    if (!to) return { error: "EDESTADDRREQ" };
    s.sends = s.sends.then(() =>
      new Promise<void>((sent) =>
        s.socket.send(bytes, to.port, to.host, (e) => {
          if (e) s.error = e;
          sent();
        })
      )
    );
    return { size: bytes.length };
  }
  s.writes = s.writes.then(async () => {
    let done = 0;
    while (done < bytes.length) done += await s.conn.write(bytes.subarray(done));
  }).catch((e) => {
    s.error = e;
    activity();
  });
  return { size: bytes.length };
}

/**
 * poll bits: 1 readable, 4 writable, 8 error, 16 hung up. A connect under
 * way has none; a failed one all four, as Linux's tcp_poll gives them.
 */
function status(s: HostSocket): NetReply {
  if (s.kind === "listener") return { bits: s.queue.length ? 1 : 0 };
  if (s.kind === "pending") return { bits: s.failed ? 1 | 4 | 8 | 16 : 0 };
  const err = s.error !== undefined ? 8 : 0;
  if (s.kind === "udp") return { bits: (s.rx.length ? 1 : 0) | 4 | err };
  const bits = (s.rx.length || s.eof ? 1 : 0) | 4 | err | (s.eof ? 16 : 0);
  return { bits, local: addrOf(s.conn.localAddr) };
}

function close(s: HostSocket, how: "both" | "write"): NetReply {
  if (s.kind === "listener") s.listener.close();
  else if (s.kind === "udp") s.socket.close();
  else if (s.kind === "pending") return {};
  else {
    s.writes = s.writes.then(() => how === "write" ? s.conn.closeWrite() : s.conn.close())
      .catch(() => {});
  }
  return {};
}

async function handle(r: NetRequest, payload?: Uint8Array): Promise<[NetReply, Uint8Array?]> {
  if (r.op === "connect") return [r.start ? connectStart(r) : await connect(r)];
  if (r.op === "listen") return [listen(r)];
  if (r.op === "udp") return [await bindUdp(r)];
  if (r.op === "wait") return [{ error: "EINVAL" }]; // the link answers it
  const s = sockets.get(r.id);
  if (!s) return [{ error: "EBADF" }];
  switch (r.op) {
    case "accept": {
      if (s.kind !== "listener") return [{ error: "EINVAL" }];
      const id = s.queue.shift();
      if (id === undefined) return [takeError(s) ?? { error: "EAGAIN" }];
      return [streamInfo(id, (sockets.get(id) as Stream).conn)];
    }
    case "recv":
      return recv(s, r.max, r.peek);
    case "send":
      return [send(s, payload ?? new Uint8Array(), r.to)];
    case "status":
      return [status(s)];
    case "soerror":
      return [takeError(s) ?? {}];
    case "shutdown":
      return [close(s, "write")];
    case "close":
      sockets.delete(r.id);
      return [close(s, "both")];
  }
}

self.onmessage = async (e: MessageEvent) => {
  const m = e.data as { shared?: SharedArrayBuffer; request?: NetRequest; payload?: Uint8Array };
  if (m.shared) {
    ctrl = new Int32Array(m.shared, 0, REPLY.CTRL_WORDS);
    data = new Uint8Array(m.shared);
    return;
  }
  try {
    const [r, payload] = await handle(m.request!, m.payload);
    reply(r, payload);
  } catch (err) {
    reply(errorReply(err));
  }
};
