/**
 * The gdb stub's TCP side: listens on 127.0.0.1, serves one gdb connection
 * (acks, no-ack mode, retransmission on `-`), runs the guest in slices while
 * it is running so a Ctrl-C from gdb can interrupt it.
 *
 * @module
 */

import type { Debuggee, DebugStop } from "./debuggee.ts";
import { GdbHandler } from "./handler.ts";
import { encodePacket, type Incoming, PACKET_SIZE, PacketReader, toHex } from "./packet.ts";
import { GdbSignal } from "./signals.ts";

/** Options of {@linkcode GdbServer.listen}. */
export interface GdbServerOptions {
  /** TCP port (0 picks a free one: read {@linkcode GdbServer.port}) */
  port: number;
  /** interface to listen on (default 127.0.0.1) */
  hostname?: string;
  /** instructions per run slice between socket polls (default 200,000) */
  slice?: number;
  /** receives a line per packet in and out (protocol trace) */
  trace?: (line: string) => void;
  /**
   * Runs a monitor command (gdb's `monitor CMD`) and returns what it printed;
   * absent: gdb is told the stub has no monitor.
   */
  monitor?: (command: string) => Promise<string>;
}

/** How a session ended. */
export type SessionEnd = "exit" | "detach" | "kill" | "disconnect";

const ACK = new Uint8Array([0x2b]), NACK = new Uint8Array([0x2d]);
/** host ms the guest may run between turns of the event loop (socket polls) */
const YIELD_MS = 20;

/** One gdb connection: incoming items queue up; interrupts are also flagged. */
class Link {
  #reader = new PacketReader();
  #queue: Incoming[] = [];
  #wake: (() => void) | null = null;
  #closed = false;
  #lastSent: Uint8Array | null = null;
  interrupted = false;

  constructor(readonly conn: Deno.Conn, readonly trace?: (line: string) => void) {
    this.#pump();
  }

  async #pump(): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        for (const item of this.#reader.feed(buf.subarray(0, n))) {
          if (item.kind === "interrupt") this.interrupted = true;
          else this.#queue.push(item);
        }
        this.#notify();
      }
    } catch {
      // connection reset or closed by us
    }
    this.#closed = true;
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /** The next packet (acks handled here), or null once the connection is closed. */
  async nextPacket(noAck: () => boolean): Promise<Uint8Array | null> {
    for (;;) {
      const item = this.#queue.shift();
      if (item?.kind === "packet") {
        this.#lastSent = null; // gdb got it: a later `-` asks for nothing (as in QEMU)
        if (!noAck()) await this.#write(ACK);
        return item.data;
      }
      if (item?.kind === "bad") {
        await this.#write(NACK); // in no-ack mode too, as QEMU's stub
        continue;
      }
      if (item?.kind === "nack" && this.#lastSent && !noAck()) {
        await this.#write(this.#lastSent);
        continue;
      }
      if (item?.kind === "ack") this.#lastSent = null;
      if (item) continue; // an ack, or a `-` with nothing to send again
      if (this.#closed) return null;
      await new Promise<void>((r) => this.#wake = r);
    }
  }

  /** Sends a packet with body `body`. */
  async send(body: string | Uint8Array): Promise<void> {
    this.trace?.(`<- ${typeof body === "string" ? body : new TextDecoder().decode(body)}`);
    this.#lastSent = encodePacket(body);
    await this.#write(this.#lastSent);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    try {
      while (done < bytes.length) done += await this.conn.write(bytes.subarray(done));
    } catch {
      this.#closed = true;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * A gdb remote stub for one {@linkcode Debuggee}, on a localhost TCP port.
 *
 * @example
 * ```ts ignore
 * const server = GdbServer.listen(new MachineDebuggee(machine), { port: 1234 });
 * const end = await server.serve(); // waits for gdb, returns when it detaches or the guest exits
 * if (end !== "kill") machine.runToExit();
 * ```
 */
export class GdbServer {
  readonly #listener: Deno.TcpListener;
  readonly #slice: number;
  #link: Link | null = null;

  private constructor(
    readonly debuggee: Debuggee,
    listener: Deno.TcpListener,
    readonly options: GdbServerOptions,
  ) {
    this.#listener = listener;
    this.#slice = options.slice ?? 200_000;
  }

  /** Starts listening (throws if the port is taken). */
  static listen(debuggee: Debuggee, options: GdbServerOptions): GdbServer {
    const listener = Deno.listen({ hostname: options.hostname ?? "127.0.0.1", port: options.port });
    return new GdbServer(debuggee, listener, options);
  }

  /** The port it listens on. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Waits for gdb, serves the session, then stops listening. */
  async serve(): Promise<SessionEnd> {
    let conn: Deno.Conn;
    try {
      conn = await this.#listener.accept();
    } catch {
      return "disconnect"; // closed before gdb came
    } finally {
      this.#closeListener();
    }
    (conn as Deno.TcpConn).setNoDelay(true);
    const link = this.#link = new Link(conn, this.options.trace);
    try {
      return await this.#session(link, new GdbHandler(this.debuggee));
    } finally {
      link.close();
      this.#link = null;
    }
  }

  /** Stops listening and drops the connection (the session ends as a disconnect). */
  close(): void {
    this.#closeListener();
    this.#link?.close();
  }

  #closeListener(): void {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
  }

  async #session(link: Link, h: GdbHandler): Promise<SessionEnd> {
    const trace = this.options.trace;
    for (;;) {
      const packet = await link.nextPacket(() => h.noAck);
      if (!packet) return "disconnect";
      trace?.(`-> ${new TextDecoder().decode(packet)}`);
      const action = h.handle(packet);
      switch (action.kind) {
        case "reply":
          await link.send(action.body);
          break;
        case "detach":
          this.debuggee.detach();
          await link.send("OK");
          return "detach";
        case "kill":
          this.debuggee.kill();
          if (action.reply) await link.send(action.reply);
          await link.send("W00"); // the exit it ends with, as QEMU's stub reports it
          return "kill";
        case "monitor":
          await this.#monitor(link, action.command);
          break;
        case "resume": {
          const stop = action.reverse
            ? this.debuggee.reverse!({ step: action.step })
            : await this.#run(link, action);
          await link.send(h.stopReply(stop));
          if (stop.kind === "exited" || stop.kind === "killed") {
            await this.#drain(link, h);
            return "exit";
          }
        }
      }
    }
  }

  /** Sends a monitor command's output in `O` packets, then OK (the empty reply: no monitor). */
  async #monitor(link: Link, command: string): Promise<void> {
    if (!this.options.monitor) return await link.send("");
    const out = new TextEncoder().encode(await this.options.monitor(command));
    const chunk = (PACKET_SIZE - 2) >> 1;
    for (let i = 0; i < out.length; i += chunk) {
      await link.send("O" + toHex(out.subarray(i, i + chunk)));
    }
    await link.send("OK");
  }

  /** Runs the guest in slices until it stops, gdb interrupts, or gdb goes away. */
  async #run(
    link: Link,
    { step, signal, thread }: { step: boolean; signal: number; thread?: number },
  ): Promise<DebugStop> {
    link.interrupted = false;
    let last = performance.now();
    for (let first = true;; first = false) {
      const budget = this.#slice, sig = first ? signal : 0;
      const stop = this.debuggee.resume({ step, signal: sig, budget, thread });
      if (stop) return stop;
      if (performance.now() - last >= YIELD_MS) {
        await new Promise((r) => setTimeout(r, 0)); // lets the socket deliver a Ctrl-C
        last = performance.now();
      }
      if (link.interrupted || link.closed) {
        link.interrupted = false;
        return { kind: "signal", signal: GdbSignal.INT };
      }
    }
  }

  /** After the guest is gone: answer what gdb still asks until it hangs up (bounded). */
  async #drain(link: Link, h: GdbHandler): Promise<void> {
    const deadline = setTimeout(() => link.close(), 2000);
    try {
      for (;;) {
        const packet = await link.nextPacket(() => h.noAck);
        if (!packet) return;
        const action = h.handle(packet);
        if (action.kind !== "reply") return;
        await link.send(action.body);
      }
    } finally {
      clearTimeout(deadline);
    }
  }
}
