// Raw GDB remote-protocol sessions against a stub run in a subprocess (Denemu's or QEMU's): the
// bytes each step sends and every byte the stub sends back, so that two stubs can be compared
// byte for byte on hostile input (bad checksums, garbage, over-long packets, split writes).

import { checksum, latin1 } from "../../core/gdb/packet.ts";
import { freePort } from "./gdb_batch.ts";

/**
 * One step: `send` (latin1 bytes, raw: frame packets with {@linkcode frame}), written in the
 * chunks `split` gives (else at once); then wait for `replies` packets (default: 1 when `send`
 * starts with `$`, else 0) before the sentinel, as gdb waits for each reply before it sends on
 * (qemu-user's stub reads the bytes after a reply as its ack).
 */
export interface RawStep {
  send: string;
  split?: number[];
  replies?: number;
}

/** `$body#cs`, with a correct checksum unless `sum` is given. */
export function frame(body: string, sum?: number): string {
  const cs = sum ?? checksum(latin1(body));
  return `$${body}#${cs.toString(16).padStart(2, "0")}`;
}

/** The stub's command line (a final "PORT" in an argument becomes the port) and when it listens. */
export interface RawStub {
  argv: string[];
  /** how long to retry connecting (default 30 s: a loaded machine starts Deno slowly) */
  connectMs?: number;
}

const SENTINEL = "qC";
const encoder = new TextEncoder();

/**
 * Runs `stub`, connects, and for each step sends its bytes then a `qC` packet (the sentinel),
 * and records what came back up to the sentinel's reply (`QC...`); in ack mode it acks every
 * packet it reads, as gdb does. A step that ends the session records what came until the close.
 * Every read has a timeout (`stepMs`): a stub that stays silent is recorded as "<timeout>".
 * The result has one line per step (what the stub sent, as printable text) and what the stub
 * printed on stderr.
 */
export async function rawSession(
  stub: RawStub,
  steps: RawStep[],
  { noAck = false, stepMs = 20_000 } = {},
): Promise<{ replies: string[]; stderr: string }> {
  const port = freePort();
  const child = new Deno.Command(stub.argv[0], {
    args: stub.argv.slice(1).map((a) => a.replace(/PORT$/, `${port}`)),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const conn = await connect(port, stub.connectMs ?? 30_000);
  const wire = new Wire(conn, stepMs);
  const out: string[] = [];
  try {
    if (noAck) {
      await wire.write(frame("QStartNoAckMode"));
      await wire.untilPacket(true, () => true);
    }
    for (const step of steps) {
      await wire.write(step.send, step.split);
      let seen = "";
      for (let n = step.replies ?? (step.send.startsWith("$") ? 1 : 0); n > 0; n--) {
        seen += await wire.untilPacket(!noAck, () => true);
      }
      if (!wire.closed) await wire.write(frame(SENTINEL));
      out.push(seen + await wire.untilPacket(!noAck, (body) => body.startsWith("QC")));
    }
  } finally {
    conn.close();
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
  }
  return { replies: out, stderr: await stderr };
}

async function connect(port: number, limitMs: number): Promise<Deno.Conn> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The connection: writes, and reads with a timeout, text as it arrived. */
class Wire {
  #pending = "";
  closed = false;
  constructor(readonly conn: Deno.Conn, readonly stepMs: number) {}

  async write(s: string, split?: number[]): Promise<void> {
    const bytes = latin1(s);
    let at = 0;
    for (const n of [...split ?? [], bytes.length]) {
      if (at >= bytes.length) break;
      await this.#writeAll(bytes.subarray(at, at + n));
      at += n;
      if (at < bytes.length) await new Promise((r) => setTimeout(r, 50)); // separate TCP writes
    }
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    try {
      for (let done = 0; done < bytes.length;) done += await this.conn.write(bytes.subarray(done));
    } catch {
      this.closed = true;
    }
  }

  /**
   * Reads until a packet whose body satisfies `last`, acking each packet when `ack`; returns
   * everything read, with "<closed>" or "<timeout>" when it ends otherwise.
   */
  async untilPacket(ack: boolean, last: (body: string) => boolean): Promise<string> {
    const deadline = Date.now() + this.stepMs;
    let seen = "";
    for (;;) {
      const m = /\$([^#$]*)#[0-9a-fA-F]{2}/.exec(this.#pending);
      if (m) {
        const end = m.index + m[0].length;
        seen += this.#pending.slice(0, end);
        this.#pending = this.#pending.slice(end);
        if (ack) await this.#writeAll(encoder.encode("+"));
        if (last(m[1])) return seen;
        continue;
      }
      const chunk = this.closed ? null : await this.#read(deadline - Date.now());
      if (chunk === null) return seen + this.#pending + (this.closed ? "<closed>" : "<timeout>");
      this.#pending += chunk;
    }
  }

  async #read(leftMs: number): Promise<string | null> {
    if (leftMs <= 0) return null;
    const buf = new Uint8Array(65536);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      this.conn.read(buf).catch(() => null),
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), leftMs)),
    ]);
    clearTimeout(timer);
    if (n === "timeout") return null;
    if (n === null) {
      this.closed = true;
      return null;
    }
    let s = "";
    for (const b of buf.subarray(0, n)) s += String.fromCharCode(b);
    return s;
  }
}
