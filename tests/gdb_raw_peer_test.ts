// The gdb stub's framing and packet replies on hostile input, byte for byte against
// qemu-riscv64 -g (QEMU 7.2) in the same run: bad checksums, garbage, `$` inside a packet,
// escapes, run-length encoding, over-long packets, split writes, lone Ctrl-C and acks, bad
// lengths and ids, watchpoints (none in user mode). QEMU 7.2 has no no-ack mode: in ours, a
// session must read as QEMU's with the `+` acks taken out (the `-` stays).
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { checksum, latin1 } from "../core/gdb/packet.ts";
import { frame, rawSession, type RawStep } from "./util/gdb_raw.ts";
import { installed } from "./util/installed.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const HELLO = `${ROOT}tests/guests/bin/hello.static.O2`;
const QEMU = installed("qemu-riscv64");
const skipped = QEMU ? "" : " (skipped: qemu-riscv64 is not installed)";
if (!QEMU) console.log(`gdb_raw_peer_test: qemu-riscv64 is not installed: skipping`);

/** `$body#cs` where the checksum is of `summed` (QEMU's sum skips what it drops). */
const framed = (body: string, summed: string) =>
  `$${body}#${checksum(latin1(summed)).toString(16).padStart(2, "0")}`;
const TEXT = "10000"; // hello.static's ELF header: mapped, read-only

/** Steps that leave both stubs between packets, each with the replies it waits for. */
const STEPS: RawStep[] = [
  { send: frame("g", 0), replies: 0 }, // bad checksum: `-`
  { send: "$qZ#zz#" + checksum(latin1("qZz")).toString(16) }, // not a checksum: the body goes on
  { send: "xyz" + frame(`m${TEXT},4`), replies: 1 }, // garbage between packets
  { send: "$abc" + frame(`m${TEXT},4`), replies: 0 }, // `$` inside a packet is data
  { send: framed(`m1}\x10000,4`, `m1}\x10000,4`) }, // `}` escape
  { send: frame("m10* ,4") }, // run-length: 3 more
  { send: frame("m10*!,4") }, // 4 more: m100000 is unmapped
  { send: framed("m10*\x1f,4", "m10*,4") }, // a count gdb never sends is dropped
  { send: framed("*!m10000,4", "*m10000,4"), replies: 0 }, // nothing to repeat
  { send: frame("qZ" + "a".repeat(4093)) }, // the longest body
  { send: frame("qZ" + "a".repeat(4094)), replies: 0 }, // one more: dropped without a reply
  { send: frame("qZ" + "a".repeat(20000)), replies: 0 },
  { send: frame(`m${TEXT},4`), split: [3, 4] }, // across TCP writes
  { send: "\x03", replies: 0 }, // Ctrl-C while stopped
  { send: "-", replies: 0 }, // a nack after an acked reply
  { send: "+", replies: 0 },
  { send: frame(`m${TEXT},4\x00zz`) }, // the body ends at a NUL
  ...[
    "m0,4",
    `m${TEXT},800`,
    `m${TEXT},801`,
    `m${TEXT},0`,
    "m",
    `m${TEXT}`,
    "mzz,4",
    "m1ffffffffffffffff,4",
    `M${TEXT},3:0102`,
    "M",
    `X${TEXT},0:`,
    `Z2,${TEXT},4`,
    `Z3,${TEXT},4`,
    `Z4,${TEXT},4`,
    `z2,${TEXT},4`,
    `Z1,${TEXT},4`,
    `z1,${TEXT},4`,
    `z1,${TEXT},4`,
    `z0,${TEXT},4`,
    `Z5,${TEXT},4`,
    `Z0,${TEXT}`,
    "Z0,zz,4",
    "p20",
    "Hg5",
    "Hgzz",
    "Hx1",
    "T5",
    "vCont;c:5",
    "vCont;x",
  ].map((p) => ({ send: frame(p) })),
];

/** QEMU's thread ids are its host TIDs, ours 1000: the same reply with either. */
const normal = (s: string) => s.replace(/\$QC[0-9a-f.p]+#[0-9a-f]{2}/g, "$QC");

Deno.test({
  name: `gdb stub framing and packet replies on hostile input, as qemu-riscv64 -g's${skipped}`,
  ignore: !QEMU,
  async fn() {
    const ours = [Deno.execPath(), "run", "-A", `${ROOT}mod.ts`, "user", "-g", "PORT", HELLO];
    const theirs = await rawSession({ argv: ["qemu-riscv64", "-g", "PORT", HELLO] }, STEPS);
    const [ack, noAck] = await Promise.all([
      rawSession({ argv: ours }, STEPS),
      rawSession({ argv: ours }, STEPS, { noAck: true }),
    ]);
    const rows = (t: string[]) =>
      t.map((r, i) => `${JSON.stringify(STEPS[i].send.slice(0, 24))} ${normal(r)}`);
    assertEquals(rows(ack), rows(theirs));
    assertEquals(rows(noAck), rows(theirs.map((r) => r.replaceAll("+", ""))));
  },
});
