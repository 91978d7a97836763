/**
 * `gdb`: malformed gdb remote protocol traffic against the stub's packet
 * reader and handler on a live machine: bad checksums, unterminated and huge
 * packets, binary garbage, out-of-range register numbers and memory
 * addresses, absurd lengths, resumes to random addresses. Every packet must
 * get a reply (an error packet is fine), a resume or a session end; no host
 * exception may escape, no reply may exceed the advertised packet size, and
 * the reader must not buffer more than a packet's worth of garbage.
 *
 * @module
 */

import { createMachine } from "../../mod.ts";
import { GdbHandler } from "../../core/gdb/handler.ts";
import { MachineDebuggee } from "../../core/gdb/machine_debuggee.ts";
import { PacketReader } from "../../core/gdb/packet.ts";
import { PACKET_SIZE } from "../../core/gdb/handler.ts";
import { prng, type Rnd } from "../../tests/riscv/random_programs.ts";
import { describeError, type SelfFuzzer } from "./runner.ts";

const PROGRAM = new URL("../../tests/guests/bin/hello.static.O2", import.meta.url).pathname;
const PACKETS = 40;
const RESUME_SLICES = 4, SLICE = 20_000;

const ADDRESSES = ["0", "10000", "ffffffffffffffff", "8000000000000000", "fffffffffffff000", "7f"];
const LENGTHS = ["0", "1", "8", "1000", "4000", "ffffffff", "7fffffffffffffff", "-1", ""];

function hexNum(rnd: Rnd): string {
  const pick = rnd(4);
  if (pick === 0) return ADDRESSES[rnd(ADDRESSES.length)];
  if (pick === 1) return LENGTHS[rnd(LENGTHS.length)];
  return rnd(1 << 30).toString(16).repeat(1 + rnd(3));
}

function hexBytes(rnd: Rnd, n: number): string {
  return Array.from({ length: n }, () => rnd(256).toString(16).padStart(2, "0")).join("");
}

function garbage(rnd: Rnd, n: number): string {
  return String.fromCharCode(...Array.from({ length: n }, () => rnd(256)));
}

/** A packet body: a real command with hostile arguments, or noise. */
function body(rnd: Rnd): string {
  const a = () => hexNum(rnd);
  const forms: (() => string)[] = [
    () => "g",
    () => `G${hexBytes(rnd, rnd(600))}`,
    () => `p${a()}`,
    () => `P${a()}=${hexBytes(rnd, [0, 4, 8, 9][rnd(4)])}`,
    () => `m${a()},${a()}`,
    () => `M${a()},${a()}:${hexBytes(rnd, rnd(32))}`,
    () => `X${a()},${a()}:${garbage(rnd, rnd(32))}`,
    () => `${"Zz"[rnd(2)]}${rnd(6)},${a()},${a()}`,
    () => `${"cs"[rnd(2)]}${rnd(2) ? a() : ""}`,
    () => `${"CS"[rnd(2)]}${a()}${rnd(2) ? `;${a()}` : ""}`,
    () => `qXfer:features:read:${rnd(2) ? "target.xml" : garbage(rnd, 5)}:${a()},${a()}`,
    () => ["qSupported:swbreak+", "qAttached", "qfThreadInfo", "qC", "qOffsets", "?"][rnd(6)],
    () => `vCont;${["c", "s", "C", "S", "t"][rnd(5)]}${rnd(2) ? a() : ""}:${a()}`,
    () => ["vCont?", "vMustReplyEmpty", "QStartNoAckMode", "Hg0", "Hc-1", "T1"][rnd(6)],
    () => `${garbage(rnd, 1)}${garbage(rnd, rnd(64))}`,
  ];
  return forms[rnd(forms.length)]();
}

function checksum(s: string): string {
  let sum = 0;
  for (let k = 0; k < s.length; k++) sum = (sum + s.charCodeAt(k)) & 0xff;
  return sum.toString(16).padStart(2, "0");
}

/** The bytes gdb would send for `b`, sometimes broken in framing. */
function frame(rnd: Rnd): string {
  const b = body(rnd);
  switch (rnd(12)) {
    case 0:
      return `$${b}#${checksum(b + "x")}`; // bad checksum
    case 1:
      return `$${b}#z${rnd(2) ? "" : "$"}`; // checksum not hex
    case 2:
      return `$${b}`; // unterminated: the next packet's `$` is body
    case 3:
      return `$${"m".repeat(PACKET_SIZE + rnd(4 * PACKET_SIZE))}`; // huge, unterminated
    case 4:
      return garbage(rnd, rnd(40)); // noise between packets, acks, interrupts
    default:
      return `${rnd(4) ? "" : "+"}$${b}#${checksum(b)}`;
  }
}

/** Feeds `stream` in random chunks; null when every packet was handled cleanly. */
async function check(stream: Uint8Array, chunkSeed: number): Promise<string | null> {
  const rnd = prng(chunkSeed);
  let h = new GdbHandler(new MachineDebuggee(await createMachine({ program: PROGRAM })));
  const reader = new PacketReader();
  let at = 0;
  try {
    while (at < stream.length) {
      const n = 1 + rnd(rnd(2) ? 64 : 4 * PACKET_SIZE);
      for (const item of reader.feed(stream.subarray(at, at + n))) {
        if ("data" in item && item.data.length > PACKET_SIZE) {
          return `at stream byte ${at}: reader buffered a ${item.data.length}-byte packet`;
        }
        if (item.kind !== "packet") continue;
        const failure = await handleOne(h, item.data);
        if (failure === "session end") {
          h = new GdbHandler(new MachineDebuggee(await createMachine({ program: PROGRAM })));
        } else if (failure) return `at stream byte ${at}: ${failure}`;
      }
      at += n;
    }
  } catch (e) {
    return `at stream byte ${at}: ${describeError(e)}`;
  }
  return null;
}

/** Handles one packet; a failure text, "session end", or null. */
async function handleOne(h: GdbHandler, packet: Uint8Array): Promise<string | null> {
  const shown = new TextDecoder().decode(packet.subarray(0, 40));
  const action = h.handle(packet);
  if (action.kind === "reply") {
    return action.body.length > PACKET_SIZE ? `reply of ${action.body.length} to "${shown}"` : null;
  }
  if (action.kind !== "resume") return "session end";
  for (let k = 0; k < RESUME_SLICES; k++) {
    const stop = h.debuggee.resume({
      step: action.step,
      signal: k ? 0 : action.signal,
      budget: SLICE,
    });
    if (stop) {
      h.stopReply(stop);
      return stop.kind === "exited" || stop.kind === "killed" ? "session end" : null;
    }
  }
  await Promise.resolve();
  return null;
}

/** The `gdb` self-fuzzer. */
export const gdbFuzzer: SelfFuzzer = {
  name: "gdb",
  ciCases: 20,
  extension: "bin",
  description: "malformed gdb remote protocol packets against the stub",
  async runCase(seed) {
    const rnd = prng(seed);
    const text = Array.from({ length: PACKETS }, () => frame(rnd)).join("");
    const stream = Uint8Array.from(text, (c) => c.charCodeAt(0));
    return { input: stream, failure: await check(stream, seed) };
  },
  replay: (input) => check(input, 1),
};
