// The gdb stub's framing and packet replies on hostile input, byte for byte against
// qemu-riscv64 -g (QEMU 7.2) in the same run: bad checksums, garbage, `$` inside a packet,
// escapes, run-length encoding, over-long packets, split writes, lone Ctrl-C and acks, bad
// lengths and ids. QEMU 7.2 has no no-ack mode: in ours, a session must read as QEMU's with the
// `+` acks taken out (the `-` stays). Not compared: Z2-Z4, which qemu-riscv64 7.2 answers empty
// (so gdb's `watch` fails there, "Could not insert hardware watchpoint") and ours serves.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { checksum, latin1 } from "../core/gdb/packet.ts";
import { frame, rawSession, type RawStep } from "./util/gdb_raw.ts";
import { installed } from "./util/installed.ts";
import { emuSystemArgs } from "./util/emu_system.ts";

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

/** A line of a host stack trace (hostile packets must never get one). */
const STACK_TRACE = /^\s+at .*$/m;

/** QEMU's thread ids are its host TIDs, ours 1000: the same reply with either. */
const normal = (s: string) => s.replace(/\$QC[0-9a-f.p]+#[0-9a-f]{2}/g, "$QC");

Deno.test({
  name: `gdb stub framing and packet replies on hostile input, as qemu-riscv64 -g's${skipped}`,
  ignore: !QEMU,
  async fn() {
    const ours = [Deno.execPath(), "run", "-A", `${ROOT}mod.ts`, "user", "-g", "PORT", HELLO];
    const theirs =
      (await rawSession({ argv: ["qemu-riscv64", "-g", "PORT", HELLO] }, STEPS)).replies;
    const [ack, noAck] = await Promise.all([
      rawSession({ argv: ours }, STEPS),
      rawSession({ argv: ours }, STEPS, { noAck: true }),
    ]);
    for (const { stderr } of [ack, noAck]) assertEquals(stderr.match(STACK_TRACE), null);
    const rows = (t: string[]) =>
      t.map((r, i) => `${JSON.stringify(STEPS[i].send.slice(0, 24))} ${normal(r)}`);
    assertEquals(rows(ack.replies), rows(theirs));
    assertEquals(rows(noAck.replies), rows(theirs.map((r) => r.replaceAll("+", ""))));
  },
});

// ---- system mode, several harts ----

const SMP_ELF = `${ROOT}tests/baremetal/bin/gdb_smp.elf`;
const QEMU_SYSTEM = installed("qemu-system-riscv64");
const systemSkipped = QEMU_SYSTEM ? "" : " (skipped: qemu-system-riscv64 is not installed)";
if (!QEMU_SYSTEM) console.log(`gdb_raw_peer_test: qemu-system-riscv64 is not installed: skipping`);

/**
 * Thread ids, register numbers, memory and breakpoints, good and hostile, with every hart
 * stopped. Not compared, where QEMU differs on purpose or by accident: qThreadExtraInfo and a
 * bare vCont with a bad id (QEMU does not reply), p of a 64-bit register number (QEMU
 * truncates it), P with non-hex digits (QEMU writes them somewhere: OK).
 */
const SYSTEM_PACKETS = [
  "qSupported:multiprocess+;swbreak+",
  "qXfer:features:read:target.xml:0,1",
  "qfThreadInfo",
  "qsThreadInfo",
  "qsThreadInfo",
  "qsThreadInfo",
  "qsThreadInfo",
  "qsThreadInfo",
  "?",
  ...["1", "2", "3", "4", "5", "0", "-1", "p1.2", "p1.5", "p2.1", "p1.-1", "zz"].map((t) =>
    `Hg${t}`
  ),
  ...["1", "2", "5", "-1", "0", "p1.9"].map((t) => `Hc${t}`),
  ...["1", "2", "4", "5", "p1.2", "p1.5", "0", "-1", "zz"].map((t) => `T${t}`),
  "qThreadExtraInfo,1",
  "qThreadExtraInfo,p1.2",
  "qXfer:threads:read::0,fff",
  ..."0 20 41 42 1000 7fffffff zz".split(" ").map((r) => `p${r}`),
  "p",
  "P1000=00",
  "P41=0300000000000000",
  "m80000000,4",
  "m80000000,800",
  "m80000000,801",
  "m80000000,ffffffffffff",
  "mffffffffffffffff,4",
  "m0,4",
  "m88000000,4",
  "m87fffffe,4",
  "M80000000,0:",
  "X80000000,0:",
  "X80000000,1:\x01",
  "Z0,80000000,4",
  "Z1,80000000,4",
  "Z2,80001000,4",
  "Z3,80001000,4",
  "Z4,80001000,4",
  "z2,80001000,4",
  "z2,80001000,4",
  "z0,80000000,4",
  "z0,80000000,4",
  "z1,80000000,4",
  "Z5,0,0",
  "vCont?",
  "vCont;x",
  "vCont;c:5",
  "vCont;s:5",
  "vCont;c:zz",
  "vCont;s:p1.5",
  "qOffsets",
  "qSymbol::",
  "qTStatus",
  "qqemu.PhyMemMode",
  "Qqemu.PhyMemMode:zz",
  "qRcmd,",
  "vMustReplyEmpty",
  "vKill;1",
];

for (const smp of ["2", "4"]) {
  Deno.test({
    name: `gdb -smp ${smp}: thread, register, memory and breakpoint packets, good and hostile, ` +
      `as qemu-system-riscv64's${systemSkipped}`,
    ignore: !QEMU_SYSTEM,
    async fn() {
      const stub = ["-gdb", "tcp::PORT", "-S", "-smp", smp];
      const qemu = ["qemu-system-riscv64", "-M", "virt", "-m", "128M", "-bios", "none"];
      qemu.push("-icount", "shift=0", "-kernel", SMP_ELF, "-nographic", ...stub);
      const steps = SYSTEM_PACKETS.map((p) => ({ send: frame(p) }));
      const [theirs, ours] = await Promise.all([
        rawSession({ argv: qemu }, steps),
        rawSession({ argv: [Deno.execPath(), ...emuSystemArgs(SMP_ELF, stub)] }, steps),
      ]);
      const rows = (t: string[]) => t.map((r, i) => `${SYSTEM_PACKETS[i]} ${qemuFeatures(r)}`);
      assertEquals(ours.stderr.match(STACK_TRACE), null);
      assertEquals(rows(ours.replies), rows(theirs.replies));
    },
  });
}

/** A qSupported reply without the features QEMU 7.2 lacks (ours are last; reverse runs in replay). */
const qemuFeatures = (reply: string) =>
  reply.replace(
    /;(ReverseStep\+;ReverseContinue\+|qXfer:exec-file:read\+|QStartNoAckMode\+|swbreak\+)/g,
    "",
  ).replace(/#[0-9a-f]{2}(\+\$QC)/, "#..$1"); // its checksum changes with them

/**
 * QEMU's packets for the target description, single-step flags and debugger writes, in either
 * mode: `where` is an address in RAM (or a mapped page), `readOnly` memory the guest cannot
 * write (user mode: E14 from both; system mode: ROM, written), `nothing` an address where
 * nothing is (user mode: unmapped; system mode: past RAM, where a write is dropped: OK).
 */
function stubPackets(where: string, readOnly: string, nothing: string): string[] {
  const xfer = (annex: string, range: string) => `qXfer:features:read:${annex}:${range}`;
  return [
    "qSupported:multiprocess+;swbreak+",
    "qSupported", // multiprocess+ stays
    ...["0,fff", "0,10", "d5,10", "114,10", "115,10", "0,0", "114,0", "10000,1", "zz,1", "0", ""]
      .map((r) => xfer("target.xml", r)),
    xfer("target", "0,10"),
    xfer("", "0,10"),
    xfer("nope.xml", "0,ffb"),
    xfer("nope.xml", "0"),
    "qAttached",
    "qAttached:1",
    "qqemu.sstepbits",
    "Qqemu.sstepbits",
    "qqemu.sstep",
    "Qqemu.sstep=1",
    "Qqemu.sstep",
    "Qqemu.sstep=8",
    "Qqemu.sstep=1ffffffffffffffff",
    "qqemu.sstep=3",
    "qqemu.sstep",
    "Qqemu.sstep=0",
    "Qqemu.sstepx",
    "Qqemu.sstep=7",
    ...[where, readOnly, nothing].flatMap((a) => [`M${a},4:01020304`, `m${a},4`, `X${a},1:a`]),
    `M${where},4:0102030`,
    `M${where},1:00zz`,
  ];
}

Deno.test({
  name: `gdb user mode: target.xml, qqemu.sstep, qAttached, M and X as qemu-riscv64 -g's${skipped}`,
  ignore: !QEMU,
  async fn() {
    const packets = [...stubPackets("72000", "10000", "0"), xferOf("riscv-csr.xml")];
    const steps = packets.map((p) => ({ send: frame(p) }));
    const ours = [Deno.execPath(), "run", "-A", `${ROOT}mod.ts`, "user", "-g", "PORT", HELLO];
    const [theirs, mine] = await Promise.all([
      rawSession({ argv: ["qemu-riscv64", "-g", "PORT", HELLO] }, steps),
      rawSession({ argv: ours }, steps),
    ]);
    const rows = (t: string[]) => t.map((r, i) => `${packets[i]} ${normal(qemuFeatures(r))}`);
    assertEquals(rows(mine.replies), rows(theirs.replies));
  },
});

Deno.test({
  name: `gdb system mode: target.xml, qqemu.sstep, qAttached, M and X as qemu-system-riscv64's` +
    systemSkipped,
  ignore: !QEMU_SYSTEM,
  async fn() {
    const packets = stubPackets("80000000", "1000", "88000000");
    packets.push("M87fffffe,4:01020304", "m87fffffe,4", "M0,4:01020304", "m0,4");
    // riscv-csr.xml as QEMU's rv64,h=false makes it (before: fflags, frm, fcsr, cycle, time,
    // instret and stimecmp listed, mhpmevent3-31, mhpmcounter3-18, pmpcfg1 and pmpcfg3 not), and
    // reads by number: mhpmevent3 (written back), mhpmcounter3 and 18 (before the counting QEMU's
    // host time makes), mhpmcounter19 (none), hpmcounter3, RV64's pmpcfg1 (E14), fflags, stimecmp
    const csrXml = ["0,7fd", "7fd,7fd", "ffa,7fd", "17f7,7fd"];
    packets.push(...csrXml.map((range) => `qXfer:features:read:riscv-csr.xml:${range}`));
    packets.push("p365", "P365=0500000000000000", "p365", "pb45", "pb54", "pb55", "pc45", "p3e3");
    packets.push("P3e3=0100000000000000", "p43", "p18f");
    const stub = ["-gdb", "tcp::PORT", "-S"];
    const qemu = ["qemu-system-riscv64", "-M", "virt", "-m", "128M", "-bios", "none"];
    qemu.push("-kernel", SMP_ELF, "-nographic", "-cpu", "rv64,h=false", ...stub); // Denemu: no H
    const steps = packets.map((p) => ({ send: frame(p) }));
    const [theirs, ours] = await Promise.all([
      rawSession({ argv: qemu }, steps),
      rawSession({ argv: [Deno.execPath(), ...emuSystemArgs(SMP_ELF, stub)] }, steps),
    ]);
    const rows = (t: string[]) => t.map((r, i) => `${packets[i]} ${qemuFeatures(r)}`);
    assertEquals(rows(ours.replies), rows(theirs.replies));
  },
});

/** The whole of a small target description document, as one reply. */
const xferOf = (annex: string) => `qXfer:features:read:${annex}:0,7fd`;

/** `count` packets built at random (seeded) from commands and hostile arguments. */
function hostilePackets(count: number, seed: number): string[] {
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const args = "|0|1|-1|zz|ffffffffffffffff|10000000000000000|88000000|7fffffff|p1.2|p2.1|41"
    .split("|");
  const heads = ("m M X p P g G Z0, Z1, Z2, z0, z2, Hg Hc T vCont;s: vCont;S05: qC ? " +
    "qXfer:features:read:target.xml: qXfer:auxv:read:: qThreadExtraInfo, qRcmd, " +
    "Qqemu.PhyMemMode: qfThreadInfo qsThreadInfo bs vFile:open:").split(" ");
  return Array.from({ length: count }, () => {
    let s = heads[next(heads.length)];
    for (let j = next(4); j > 0; j--) s += args[next(args.length)] + ",:=;"[next(4)];
    return s;
  });
}

Deno.test("gdb -smp 2: 200 random hostile packets get a reply each, no hang and no stack trace", async () => {
  const stub = ["-gdb", "tcp::PORT", "-S", "-smp", "2"];
  const packets = hostilePackets(200, 7);
  const steps = packets.map((p) => ({ send: frame(p) }));
  const run = await rawSession({ argv: [Deno.execPath(), ...emuSystemArgs(SMP_ELF, stub)] }, steps);
  assertEquals(run.stderr.match(STACK_TRACE), null);
  const unanswered = run.replies.filter((r) =>
    !/^\+\$[^]*#[0-9a-f]{2}\+\$QC[^#]*#[0-9a-f]{2}$/.test(r)
  );
  assertEquals(unanswered, []);
});
