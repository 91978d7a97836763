/**
 * The guest's way to the host network (`-net host`), as synchronous calls.
 *
 * Why a worker: Deno has no synchronous sockets, and guest code runs
 * synchronously on the emulator's thread. {@linkcode hostNetwork} starts
 * `net_worker.ts` on first use, posts it one request at a time and sleeps on
 * a SharedArrayBuffer (`Atomics.wait`) until the reply is there. The worker
 * reads ahead, so only a connect waits for the network; a guest thread that
 * must wait for data is parked by the scheduler, which polls again at every
 * switch and, when every thread waits, sleeps until something arrives
 * (the `wait` request).
 *
 * Record/replay: with an input log every reply (the wait's too) goes
 * through it as a `net` entry, so a replay gets the same replies at the same
 * instructions without starting the worker or touching the network.
 *
 * What the guest may reach is what Deno's `--allow-net` permits: the worker
 * inherits the permissions, and a refusal is EACCES.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import type { InputLog } from "../replay/input_log.ts";
import { type NetReply, type NetRequest, REPLY } from "./net_protocol.ts";

/** A reply and its bytes. */
export interface NetAnswer {
  reply: NetReply;
  payload: Uint8Array;
}

/**
 * The host network as the guest's sockets use it: one synchronous call per
 * request.
 *
 * @example
 * ```ts ignore
 * const net = hostNetwork();
 * const { reply } = net.call({ op: "connect", to: { host: "127.0.0.1", port: 7 } });
 * ```
 */
export interface HostNetwork {
  /** Does `request` and returns its reply (`payload`: the bytes a send sends). */
  call(request: NetRequest, payload?: Uint8Array): NetAnswer;
  /** Closes every socket and stops the worker. */
  close(): void;
  /** whether the answers come from a log (a replay), not from the network */
  readonly replaying: boolean;
}

/** How long the emulator waits for one reply before it gives up on the worker. */
const REPLY_TIMEOUT_MS = 60_000;
const EMPTY = new Uint8Array();

/** The live network: the worker, started on the first call. */
class WorkerNetwork implements HostNetwork {
  readonly replaying = false;
  #worker?: Worker;
  #ctrl = new Int32Array(new SharedArrayBuffer(16));
  #bytes = new Uint8Array(new SharedArrayBuffer(0));
  #seenActivity = 0;

  #start(): void {
    if (this.#worker) return;
    const shared = new SharedArrayBuffer(REPLY.BYTES);
    this.#ctrl = new Int32Array(shared, 0, REPLY.CTRL_WORDS);
    this.#bytes = new Uint8Array(shared);
    this.#worker = new Worker(new URL("./net_worker.ts", import.meta.url), { type: "module" });
    this.#worker.postMessage({ shared });
  }

  call(request: NetRequest, payload?: Uint8Array): NetAnswer {
    this.#start();
    if (request.op === "wait") return { reply: { woken: this.#wait(request.ms) }, payload: EMPTY };
    Atomics.store(this.#ctrl, REPLY.READY, 0);
    this.#worker!.postMessage({ request, payload });
    if (Atomics.wait(this.#ctrl, REPLY.READY, 0, REPLY_TIMEOUT_MS) === "timed-out") {
      throw new EmuError(
        `-net host: the network worker did not answer ${request.op} in ${REPLY_TIMEOUT_MS} ms`,
        "check the host's network, or run without -net host",
      );
    }
    const at = REPLY.DATA_OFFSET, jsonLen = this.#ctrl[REPLY.JSON_LEN];
    const json = new TextDecoder().decode(this.#bytes.slice(at, at + jsonLen));
    const bytes = this.#bytes.slice(at + jsonLen, at + jsonLen + this.#ctrl[REPLY.PAYLOAD_LEN]);
    return { reply: JSON.parse(json), payload: bytes };
  }

  /** Sleeps up to `ms` until something arrives; whether something did (since the last wait). */
  #wait(ms: number): boolean {
    const now = Atomics.load(this.#ctrl, REPLY.ACTIVITY);
    let woken = now !== this.#seenActivity;
    if (!woken) woken = Atomics.wait(this.#ctrl, REPLY.ACTIVITY, now, ms) !== "timed-out";
    this.#seenActivity = Atomics.load(this.#ctrl, REPLY.ACTIVITY);
    return woken;
  }

  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}

/**
 * Encodes an answer as the log keeps it: the JSON's length (u32), the JSON,
 * the payload.
 *
 * @example
 * ```ts
 * import { decodeAnswer, encodeAnswer } from "./net_link.ts";
 * const a = decodeAnswer(encodeAnswer({ reply: { size: 2 }, payload: new Uint8Array([1, 2]) }));
 * console.log(a.reply.size, a.payload.length); // 2 2
 * ```
 */
export function encodeAnswer(a: NetAnswer): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(a.reply));
  const out = new Uint8Array(4 + json.length + a.payload.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(a.payload, 4 + json.length);
  return out;
}

/** The inverse of {@linkcode encodeAnswer}. */
export function decodeAnswer(bytes: Uint8Array): NetAnswer {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const reply = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n))) as NetReply;
  return { reply, payload: bytes.slice(4 + n) };
}

/** The network through an input log: record logs each answer, replay gives it back. */
class LoggedNetwork implements HostNetwork {
  #live?: WorkerNetwork;
  constructor(readonly log: InputLog) {}
  get replaying(): boolean {
    return this.log.mode === "replay";
  }
  call(request: NetRequest, payload?: Uint8Array): NetAnswer {
    const live = () => {
      this.#live ??= new WorkerNetwork();
      return encodeAnswer(this.#live.call(request, payload));
    };
    return decodeAnswer(this.log.take("net", live));
  }
  close(): void {
    this.#live?.close();
  }
}

/**
 * The host network for one run: live, or through `log` when the run records
 * or replays (a replay never starts the worker).
 *
 * @example
 * ```ts
 * import { hostNetwork } from "./net_link.ts";
 * const net = hostNetwork();
 * net.close(); // nothing was started
 * ```
 */
export function hostNetwork(log?: InputLog): HostNetwork {
  return log ? new LoggedNetwork(log) : new WorkerNetwork();
}
