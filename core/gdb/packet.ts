/**
 * GDB remote serial protocol framing: `$data#cs` packets with a modulo-256
 * checksum, `+`/`-` acknowledgements, `}`-escaping of binary data, `*`
 * run-length encoding and the out-of-band interrupt byte (0x03). The reader
 * follows the state machine of QEMU 7.2's gdbstub (`gdb_read_byte`), so that
 * malformed input gets the replies qemu-user and qemu-system give.
 *
 * @module
 */

const DOLLAR = 0x24, HASH = 0x23, ESCAPE = 0x7d, STAR = 0x2a, PLUS = 0x2b, MINUS = 0x2d;
/** The byte gdb sends to interrupt a running target (Ctrl-C). */
export const INTERRUPT = 0x03;
/**
 * The largest packet the stub accepts (advertised as PacketSize: QEMU's MAX_PACKET_LENGTH); a
 * body of PACKET_SIZE - 1 bytes or more is dropped without a reply, as QEMU drops it.
 */
export const PACKET_SIZE = 0x1000;

const encoder = new TextEncoder();

/**
 * Bytes of a string where each char is one byte (latin1).
 *
 * @example
 * ```ts
 * import { latin1 } from "./packet.ts";
 * console.log(latin1("$")); // Uint8Array [ 36 ]
 * ```
 */
export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/**
 * The string with one char per byte (inverse of {@linkcode latin1}).
 *
 * @example
 * ```ts
 * import { fromLatin1 } from "./packet.ts";
 * console.log(fromLatin1(new Uint8Array([79, 75]))); // "OK"
 * ```
 */
export function fromLatin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}

/**
 * The modulo-256 sum of `data`.
 *
 * @example
 * ```ts
 * import { checksum } from "./packet.ts";
 * console.log(checksum(new TextEncoder().encode("OK"))); // 154 (0x9a)
 * ```
 */
export function checksum(data: Uint8Array): number {
  let sum = 0;
  for (const b of data) sum = (sum + b) & 0xff;
  return sum;
}

/**
 * Escapes binary data for a packet body: `#`, `$`, `}` and `*` become `}`
 * followed by the byte xor 0x20.
 *
 * @example
 * ```ts
 * import { escapeBinary } from "./packet.ts";
 * console.log(escapeBinary(new Uint8Array([0x23, 0x41]))); // Uint8Array [ 0x7d, 0x03, 0x41 ]
 * ```
 */
export function escapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const b of data) {
    if (b === HASH || b === DOLLAR || b === ESCAPE || b === STAR) out.push(ESCAPE, b ^ 0x20);
    else out.push(b);
  }
  return new Uint8Array(out);
}

/**
 * Undoes {@linkcode escapeBinary} (what gdb does to a qXfer reply).
 *
 * @example
 * ```ts
 * import { unescapeBinary } from "./packet.ts";
 * console.log(unescapeBinary(new Uint8Array([0x7d, 0x03, 0x41]))); // Uint8Array [ 0x23, 0x41 ]
 * ```
 */
export function unescapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] === ESCAPE && i + 1 < data.length) out.push(data[++i] ^ 0x20);
    else out.push(data[i]);
  }
  return new Uint8Array(out);
}

/**
 * Frames a packet body (already escaped if binary) as `$body#cs`.
 *
 * @example
 * ```ts
 * import { encodePacket } from "./packet.ts";
 * console.log(new TextDecoder().decode(encodePacket("OK"))); // "$OK#9a"
 * ```
 */
export function encodePacket(body: string | Uint8Array): Uint8Array {
  const data = typeof body === "string" ? latin1(body) : body;
  const out = new Uint8Array(data.length + 4);
  out[0] = DOLLAR;
  out.set(data, 1);
  out[data.length + 1] = HASH;
  out.set(encoder.encode(checksum(data).toString(16).padStart(2, "0")), data.length + 2);
  return out;
}

/** What {@linkcode PacketReader.feed} finds in the byte stream. */
export type Incoming =
  /** a packet, unescaped and expanded, up to its first NUL (QEMU reads it as a C string) */
  | { kind: "packet"; data: Uint8Array }
  /** a packet whose checksum did not match (the reader's owner sends `-`) */
  | { kind: "bad" }
  | { kind: "ack" }
  | { kind: "nack" }
  | { kind: "interrupt" };

/** Where the reader is: between packets, in a body (after `}`, after `*`), in the checksum. */
type ReadState = "idle" | "body" | "escape" | "repeat" | "sum1" | "sum2";

/**
 * Splits the byte stream from gdb into packets, acks and interrupts. Bytes
 * may arrive in any chunking; incomplete packets wait for more input. As in
 * QEMU's stub: a `$` inside a body is data, a non-hex checksum digit is
 * dropped and the body goes on, an invalid run-length count is dropped, and
 * a body that outgrows {@linkcode PACKET_SIZE} is dropped silently.
 *
 * @example
 * ```ts
 * import { PacketReader } from "./packet.ts";
 * const r = new PacketReader();
 * const got = r.feed(new TextEncoder().encode("+$g#67\x03"));
 * console.log(got.map((m) => m.kind)); // ["ack", "packet", "interrupt"]
 * ```
 */
export class PacketReader {
  #buf: number[] = [];
  #state: ReadState = "idle";
  #sum = 0;
  #sent = 0;

  /** Consumes `bytes`; returns the complete items in order. */
  feed(bytes: Uint8Array): Incoming[] {
    const out: Incoming[] = [];
    for (const b of bytes) {
      const item = this.#byte(b);
      if (item) out.push(item);
    }
    return out;
  }

  #byte(b: number): Incoming | undefined {
    switch (this.#state) {
      case "idle":
        return this.#between(b);
      case "body":
        if (b === ESCAPE || b === STAR) this.#state = b === ESCAPE ? "escape" : "repeat";
        else if (b === HASH) this.#state = "sum1";
        else if (this.#full(0)) return;
        else this.#buf.push(b);
        if (b !== HASH) this.#sum += b;
        return;
      case "escape":
        if (b === HASH) this.#state = "sum1"; // the escape is cut short
        else if (!this.#full(0)) {
          this.#buf.push(b ^ 0x20);
          this.#sum += b;
          this.#state = "body";
        }
        return;
      case "repeat":
        return this.#repeat(b);
      case "sum1":
      case "sum2":
        return this.#checksum(b);
    }
  }

  /** A byte between packets: `$` starts one; acks and Ctrl-C count; anything else is noise. */
  #between(b: number): Incoming | undefined {
    if (b === DOLLAR) {
      this.#state = "body";
      this.#buf = [];
      this.#sum = 0;
    } else if (b === PLUS) return { kind: "ack" };
    else if (b === MINUS) return { kind: "nack" };
    else if (b === INTERRUPT) return { kind: "interrupt" };
  }

  /** Whether `extra` more bytes overrun the body (then it is dropped: back to idle). */
  #full(extra: number): boolean {
    if (this.#buf.length + extra < PACKET_SIZE - 1) return false;
    this.#state = "idle";
    return true;
  }

  /** The count byte after `*`: the last byte `count - 29` more times (a count gdb never sends is dropped). */
  #repeat(b: number): undefined {
    this.#state = "body";
    if (b < 0x20 || b === HASH || b === DOLLAR || b > 126) return;
    const n = b - 0x20 + 3;
    if (this.#full(n) || !this.#buf.length) return;
    this.#buf.push(...new Array(n).fill(this.#buf[this.#buf.length - 1]));
    this.#sum += b;
  }

  #checksum(b: number): Incoming | undefined {
    const digit = parseInt(String.fromCharCode(b), 16);
    if (Number.isNaN(digit)) {
      this.#state = "body"; // not a checksum after all: the body goes on
      return;
    }
    if (this.#state === "sum1") {
      this.#sent = digit << 4;
      this.#state = "sum2";
      return;
    }
    this.#state = "idle";
    if ((this.#sent | digit) !== (this.#sum & 0xff)) return { kind: "bad" };
    const nul = this.#buf.indexOf(0);
    return { kind: "packet", data: new Uint8Array(nul < 0 ? this.#buf : this.#buf.slice(0, nul)) };
  }
}

/**
 * Hex digits of `bytes` (gdb's encoding of memory and register values).
 *
 * @example
 * ```ts
 * import { toHex } from "./packet.ts";
 * console.log(toHex(new Uint8Array([1, 0xab]))); // "01ab"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * Bytes of a hex string (an odd trailing digit is ignored).
 *
 * @example
 * ```ts
 * import { fromHex } from "./packet.ts";
 * console.log(fromHex("01ab")); // Uint8Array [ 1, 171 ]
 * ```
 */
export function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const v = parseInt(s.slice(2 * i, 2 * i + 2), 16);
    if (Number.isNaN(v)) throw new RangeError(`bad hex "${s}"`);
    out[i] = v;
  }
  return out;
}

/**
 * A little-endian value of `bits` as hex bytes (register transfer order).
 *
 * @example
 * ```ts
 * import { leHex } from "./packet.ts";
 * console.log(leHex(0x1234n, 32)); // "34120000"
 * ```
 */
export function leHex(v: bigint, bits: number): string {
  const bytes = new Uint8Array(bits / 8);
  let x = BigInt.asUintN(bits, v);
  for (let i = 0; i < bytes.length; i++, x >>= 8n) bytes[i] = Number(x & 0xffn);
  return toHex(bytes);
}

/**
 * Reads a little-endian value from hex bytes.
 *
 * @example
 * ```ts
 * import { parseLeHex } from "./packet.ts";
 * console.log(parseLeHex("34120000")); // 4660n
 * ```
 */
export function parseLeHex(s: string): bigint {
  const bytes = fromHex(s);
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}
