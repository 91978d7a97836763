/**
 * GDB remote serial protocol framing: `$data#cs` packets with a modulo-256
 * checksum, `+`/`-` acknowledgements, `}`-escaping of binary data and the
 * out-of-band interrupt byte (0x03).
 *
 * @module
 */

const DOLLAR = 0x24, HASH = 0x23, ESCAPE = 0x7d, STAR = 0x2a, PLUS = 0x2b, MINUS = 0x2d;
/** The byte gdb sends to interrupt a running target (Ctrl-C). */
export const INTERRUPT = 0x03;
/** The largest packet the stub accepts (advertised as PacketSize); longer ones are dropped. */
export const PACKET_SIZE = 0x4000;

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
 * Undoes {@linkcode escapeBinary} (the body of an `X` packet).
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
  | { kind: "packet"; data: Uint8Array }
  /** a packet whose checksum did not match (the reader's owner sends `-`) */
  | { kind: "bad"; data: Uint8Array }
  | { kind: "ack" }
  | { kind: "nack" }
  | { kind: "interrupt" };

/**
 * Splits the byte stream from gdb into packets, acks and interrupts. Bytes
 * may arrive in any chunking; incomplete packets wait for more input.
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
  #inPacket = false;
  #hashAt = -1;

  /** Consumes `bytes`; returns the complete items in order. */
  feed(bytes: Uint8Array): Incoming[] {
    const out: Incoming[] = [];
    for (const b of bytes) {
      if (!this.#inPacket) {
        if (b === DOLLAR) {
          this.#inPacket = true;
          this.#buf = [];
          this.#hashAt = -1;
        } else if (b === PLUS) out.push({ kind: "ack" });
        else if (b === MINUS) out.push({ kind: "nack" });
        else if (b === INTERRUPT) out.push({ kind: "interrupt" });
        continue; // anything else between packets is noise
      }
      this.#buf.push(b);
      if (this.#buf.length > PACKET_SIZE) {
        // longer than gdb may send: drop it (gdb retransmits on the `-`), buffer nothing more
        this.#inPacket = false;
        this.#buf = [];
        out.push({ kind: "bad", data: new Uint8Array() });
        continue;
      }
      if (this.#hashAt < 0) {
        // `#` inside escaped binary is always escaped, so the first one ends the body
        if (b === HASH) this.#hashAt = this.#buf.length - 1;
        continue;
      }
      if (this.#buf.length < this.#hashAt + 3) continue;
      const data = new Uint8Array(this.#buf.slice(0, this.#hashAt));
      const sent = parseInt(fromLatin1(new Uint8Array(this.#buf.slice(this.#hashAt + 1))), 16);
      this.#inPacket = false;
      out.push({ kind: sent === checksum(data) ? "packet" : "bad", data });
    }
    return out;
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
