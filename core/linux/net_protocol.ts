/**
 * What the emulator and the network worker (`net_worker.ts`) say to each
 * other for `-net host`: one request at a time, one reply in a shared
 * buffer. A reply is JSON (and bytes, for received data); the same bytes
 * are what record/replay logs, so a replay needs no network.
 *
 * @module
 */

/** A host address as Deno names it: an IPv4 or IPv6 address text and a port. */
export interface NetAddr {
  host: string;
  port: number;
}

/**
 * A request to the network worker. `id` is the worker's socket id; `wait`
 * is answered by the link itself (a sleep until something arrives). A
 * connect with `start` answers at once with the socket's id, and the
 * connection completes (or fails, for `soerror` to tell) in the background.
 */
export type NetRequest =
  | { op: "connect"; to: NetAddr; start?: boolean }
  | { op: "listen"; at: NetAddr }
  | { op: "udp"; family: 4 | 6; at: NetAddr }
  | { op: "accept"; id: number }
  | { op: "recv"; id: number; max: number; peek: boolean }
  | { op: "send"; id: number; to?: NetAddr }
  | { op: "status"; id: number }
  | { op: "soerror"; id: number }
  | { op: "shutdown"; id: number }
  | { op: "close"; id: number }
  | { op: "wait"; ms: number };

/**
 * A reply: `error` (an errno name such as "ECONNREFUSED", or a Deno error
 * class name) or what the request gives.
 */
export interface NetReply {
  error?: string;
  /** the new socket (connect, listen, udp, accept) */
  id?: number;
  local?: NetAddr;
  remote?: NetAddr;
  /** recv on a datagram socket: the sender */
  from?: NetAddr;
  /** send: bytes taken; recv on a datagram socket: the datagram's whole size */
  size?: number;
  /** recv: the peer closed its side and everything was read */
  eof?: boolean;
  /** status: poll bits (and `local`, once a TCP connection is made) */
  bits?: number;
  /** wait: whether something arrived */
  woken?: boolean;
}

/**
 * The shared buffer's layout: Int32 control words, then the reply's JSON
 * and payload bytes from `DATA_OFFSET`.
 */
export const REPLY = {
  /** 1 when the reply is written */
  READY: 0,
  JSON_LEN: 1,
  PAYLOAD_LEN: 2,
  /** bumped by the worker whenever data, a connection or a datagram arrives */
  ACTIVITY: 3,
  CTRL_WORDS: 4,
  DATA_OFFSET: 16,
  /** the whole buffer: replies carry at most this much data */
  BYTES: 1 << 20,
} as const;
