// The gdb stub: packet framing, the command handler against a Machine (no
// socket), the TCP server (acks, Ctrl-C), and real gdb-multiarch sessions
// against `emu user -g`, compared with qemu-riscv64 -g when it is installed.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine, type Machine } from "../mod.ts";
import { type GdbAction, GdbHandler } from "../core/gdb/handler.ts";
import { gdbRegisters } from "../core/gdb/registers.ts";
import { GdbServer } from "../core/gdb/server.ts";
import { MachineDebuggee } from "../core/gdb/machine_debuggee.ts";
import { machineDriver } from "../core/machine/machine.ts";
import type { UserDriver } from "../core/machine/user.ts";
import {
  checksum,
  encodePacket,
  escapeBinary,
  fromHex,
  latin1,
  leHex,
  PACKET_SIZE,
  PacketReader,
  parseLeHex,
  toHex,
  unescapeBinary,
} from "../core/gdb/packet.ts";
import { gdbToLinuxSignal, linuxToGdbSignal } from "../core/gdb/signals.ts";
import { installed } from "./util/installed.ts";
import { gdbBatch } from "./util/gdb_batch.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;
const HELLO = `${BIN}hello.static.O2`;
const text = (b: string | Uint8Array) => typeof b === "string" ? b : new TextDecoder().decode(b);

Deno.test("packets: checksum, framing, escaping, hex", () => {
  assertEquals(checksum(latin1("OK")), 0x9a);
  assertEquals(text(encodePacket("OK")), "$OK#9a");
  assertEquals(text(encodePacket("")), "$#00");
  assertEquals(text(encodePacket("qSupported")), "$qSupported#37");
  const special = new Uint8Array([0x23, 0x24, 0x7d, 0x2a, 0x00, 0x41]);
  assertEquals([...escapeBinary(special)], [
    0x7d,
    0x03,
    0x7d,
    0x04,
    0x7d,
    0x5d,
    0x7d,
    0x0a,
    0,
    0x41,
  ]);
  assertEquals([...unescapeBinary(escapeBinary(special))], [...special]);
  assertEquals(toHex(new Uint8Array([0, 0xab, 0x10])), "00ab10");
  assertEquals([...fromHex("00ab10")], [0, 0xab, 0x10]);
  assertEquals(leHex(0x1122334455667788n, 64), "8877665544332211");
  assertEquals(leHex(-1n, 32), "ffffffff");
  assertEquals(parseLeHex("8877665544332211"), 0x1122334455667788n);
  assert.throws(() => fromHex("zz"), RangeError);
});

Deno.test("packets: the reader handles any chunking, acks, bad checksums and Ctrl-C", () => {
  // as in QEMU's stub, "#XX" is no checksum: the body goes on (Ctrl-C and `$` in it are data)
  // up to "#00", a bad checksum
  const stream = latin1("+$g#67-$m10,4#XX\x03$X1,2:}\x03a#00junk\x03$vCont;c#a8");
  const r = new PacketReader();
  const items = [];
  for (const b of stream) items.push(...r.feed(new Uint8Array([b]))); // one byte at a time
  assertEquals(items.map((i) => i.kind), [
    "ack",
    "packet",
    "nack",
    "bad",
    "interrupt",
    "packet",
  ]);
  assertEquals(text((items[1] as { data: Uint8Array }).data), "g");
  assertEquals(text((items[5] as { data: Uint8Array }).data), "vCont;c");
  // the escaped `}\x03` inside a binary body does not end it; the reader unescapes it, expands
  // `*` runs, and the body ends at a NUL (QEMU reads it as a C string)
  const data = (s: string) =>
    new PacketReader().feed(encodePacket(latin1(s))).map((i) =>
      i.kind === "packet" ? text(i.data) : i.kind
    );
  assertEquals(data("X1,2:}\x03a"), ["X1,2:#a"]);
  assertEquals(data("m10* ,4"), ["m10000,4"]);
  assertEquals(data("*!m1"), ["bad"]); // nothing to repeat: the count is dropped, the sum is not
  assertEquals(data("m1\x00zz"), ["m1"]);
});

Deno.test("signals: Linux numbers map to GDB's and back", () => {
  assertEquals(linuxToGdbSignal(5), 5); // TRAP
  assertEquals(linuxToGdbSignal(7), 10); // BUS
  assertEquals(linuxToGdbSignal(10), 30); // USR1
  assertEquals(linuxToGdbSignal(11), 11); // SEGV
  assertEquals(linuxToGdbSignal(17), 20); // CHLD
  for (let s = 1; s < 64; s++) {
    if (s !== 16 && s !== 32 && s !== 33) assertEquals(gdbToLinuxSignal(linuxToGdbSignal(s)), s);
  }
});

Deno.test("packets: a packet longer than PacketSize is dropped, not buffered (selffuzz gdb)", () => {
  // Before: the reader kept every byte of an unterminated packet, so a client
  // could make the stub buffer without bound. As QEMU's, it drops it without a reply.
  const r = new PacketReader();
  const huge = r.feed(latin1("$" + "m".repeat(PACKET_SIZE + 10)));
  assertEquals(huge, []);
  // the rest of the over-long body is noise; the next packet reads normally
  const next = r.feed(latin1("mmm#00$g#67"));
  assertEquals(next.map((i) => i.kind), ["packet"]);
});

/** A handler on a fresh machine, past qSupported (gdb advertises swbreak+). */
async function session(program = HELLO, args: string[] = []) {
  const m = await createMachine({ program, args });
  const h = new GdbHandler(new MachineDebuggee(m));
  const reply = (p: string) => {
    const a = h.handle(p);
    assert(a.kind === "reply", `${p}: expected a reply, got ${JSON.stringify(a)}`);
    return text(a.body);
  };
  reply("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+");
  reply("qXfer:features:read:target.xml:0,1"); // as gdb does: QEMU answers p and P only after it
  /** Runs a resume action to its stop and returns the stop reply. */
  const resume = (a: GdbAction) => {
    assert(a.kind === "resume", JSON.stringify(a));
    let first = true;
    for (let i = 0; i < 1000; i++) {
      const stop = h.debuggee.resume({
        step: a.step,
        signal: first ? a.signal : 0,
        budget: 100_000,
      });
      first = false;
      if (stop) return h.stopReply(stop);
    }
    throw new Error("guest did not stop");
  };
  return { m, h, reply, resume };
}

function regnum(h: GdbHandler, name: string): string {
  const r = h.registers.find((r) => r.name === name);
  assert(r, name);
  return r.regnum.toString(16);
}

Deno.test("handler: qSupported, no-ack mode, threads, unknown packets", async () => {
  const { h, reply } = await session();
  const sup = reply("qSupported:swbreak+");
  for (const f of ["PacketSize=1000", "qXfer:features:read+", "QStartNoAckMode+", "swbreak+"]) {
    assert(sup.split(";").includes(f), `${f} in ${sup}`);
  }
  assertEquals(h.noAck, false);
  assertEquals(reply("QStartNoAckMode"), "OK");
  assertEquals(h.noAck, true);
  // multiprocess+ stays on from the session's first qSupported, as in QEMU
  assert(
    sup.endsWith(";vContSupported+;multiprocess+;qXfer:exec-file:read+;QStartNoAckMode+;swbreak+"),
    sup,
  );
  assertEquals(reply("?"), "T05thread:p01.3e8;");
  assertEquals(reply("qAttached"), "0");
  assertEquals(reply("qC"), "QCp01.3e8");
  assertEquals(reply("qfThreadInfo"), "mp01.3e8");
  assertEquals(reply("qsThreadInfo"), "l");
  assertEquals(reply("Hg0"), "OK");
  assertEquals(reply("Hc-1"), "OK");
  assertEquals(reply("T3e8"), "OK");
  assertEquals(reply("T01"), "E22"); // no such thread: ids are TIDs, as qemu-user gives them
  assertEquals(reply("vCont?"), "vCont;c;C;s;S");
  assertEquals(reply("vMustReplyEmpty"), "");
  // QEMU's single-step flags: without ENABLE, `s` runs on as `c`
  assertEquals(h.handle("s"), { kind: "resume", step: true, signal: 0 });
  assertEquals([reply("Qqemu.sstep=0"), reply("qqemu.sstep")], ["OK", "0x0"]);
  assertEquals(h.handle("s"), { kind: "resume", step: false, signal: 0 });
  assertEquals([reply("Qqemu.sstep=7"), reply("Qqemu.sstep=8")], ["OK", "E22"]);
  assertEquals(reply("qFooBar"), "");
  assertEquals(reply("!"), "");
  assertEquals(h.handle("k"), { kind: "kill" });
  assertEquals(h.handle("vKill;1"), { kind: "kill", reply: "OK" });
  assertEquals(h.handle("D"), { kind: "detach" });
  assertEquals(h.handle("vCont;s:3e8;c"), { kind: "resume", step: true, signal: 0 });
  assertEquals(h.handle("vCont;C0b"), { kind: "resume", step: false, signal: 11 });
  assertEquals(h.handle("S05"), { kind: "resume", step: true, signal: 5 });
});

/** A document of the target description, read as gdb reads it: in chunks of up to `0x64` bytes. */
function readDocument(reply: (p: string) => string, annex: string): string {
  let doc = "";
  for (;;) {
    const r = reply(`qXfer:features:read:${annex}:${doc.length.toString(16)},64`);
    assert(r[0] === "m" || r[0] === "l", r);
    const chunk = new TextDecoder().decode(unescapeBinary(latin1(r.slice(1))));
    assert(chunk.length <= 0x64, r);
    doc += chunk;
    if (r[0] === "l") return doc;
  }
}

Deno.test("handler: target.xml from the target's registers, its features included, read in chunks", async () => {
  const { m, reply } = await session();
  const target = readDocument(reply, "target.xml");
  const includes = [...target.matchAll(/<xi:include href="([^"]+)"\/>/g)].map((i) => i[1]);
  const files = ["riscv-64bit-cpu.xml", "riscv-64bit-fpu.xml", "riscv-64bit-virtual.xml"];
  assertEquals(includes, [...files, "riscv-csr.xml"]); // as QEMU's
  const xml = target + includes.map((f) => readDocument(reply, f)).join("");
  assert(xml.includes("<architecture>riscv:rv64</architecture>"), xml);
  assert(xml.includes('<feature name="org.gnu.gdb.riscv.cpu">'), xml);
  assert(xml.includes('<feature name="org.gnu.gdb.riscv.fpu">'), xml);
  const regs = [...xml.matchAll(/<reg name="([^"]+)" bitsize="(\d+)"[^>]*regnum="(\d+)"/g)];
  const names = regs.map((r) => r[1]);
  assertEquals(names.slice(0, 4), ["zero", "ra", "sp", "gp"]);
  assertEquals(names.slice(30, 33), ["t5", "t6", "pc"]);
  assertEquals(names.slice(33, 35), ["ft0", "ft1"]);
  // then, as QEMU numbers them, priv and the CSRs a user-mode program has (66 + the CSR number)
  assertEquals(names.slice(65), ["priv", "fflags", "frm", "fcsr", "cycle", "time", "instret"]);
  const numbers = regs.map((r) => Number(r[3]));
  assertEquals(numbers.slice(0, 66), names.slice(0, 66).map((_, i) => i));
  assertEquals(numbers.slice(66), [67, 68, 69, 3138, 3139, 3140]);
  assertEquals(regs.length, machineDriver(m).target.state.registers.length - 1 + 7);
  assert(xml.includes('name="sp" bitsize="64" type="data_ptr"'), xml);
  assert(xml.includes('name="ft0" bitsize="64" type="ieee_double"'), xml);
  assertEquals(reply("qXfer:features:read:other.xml:0,100"), "E00");
});

Deno.test("handler: g/G, p/P, and QEMU's virtual and csr features (priv, fflags, frm, fcsr)", async () => {
  const { m, h, reply } = await session();
  const g = reply("g");
  assertEquals(g.length, (33 * 64 + 32 * 64) / 4); // the CSRs are read with p, as QEMU's
  assertEquals(g.slice(32 * 16, 33 * 16), leHex(m.pc, 64));
  assertEquals(g.slice(2 * 16, 3 * 16), leHex(m.readReg("sp"), 64));
  assertEquals(reply(`p${regnum(h, "pc")}`), leHex(m.pc, 64));
  assertEquals(reply(`P${regnum(h, "a0")}=${leHex(0x1234n, 64)}`), "OK");
  assertEquals(m.readReg("a0"), 0x1234n);
  assertEquals(reply(`P${regnum(h, "zero")}=${leHex(5n, 64)}`), "OK");
  assertEquals(m.readReg("x0"), 0n);
  // QEMU's numbers: priv 65, then 66 + the CSR number
  const numbers = ["priv", "fflags", "frm", "fcsr", "cycle", "instret"].map((n) => regnum(h, n));
  assertEquals(numbers, ["41", "43", "44", "45", "c42", "c44"]);
  assertEquals(reply(`p${regnum(h, "priv")}`), leHex(0n, 64));
  assertEquals(reply(`P${regnum(h, "fcsr")}=${leHex(0xffn, 64)}`), "OK");
  assertEquals(reply(`p${regnum(h, "fflags")}`), leHex(0x1fn, 64));
  assertEquals(reply(`p${regnum(h, "frm")}`), leHex(0x7n, 64));
  assertEquals(reply(`P${regnum(h, "frm")}=${leHex(2n, 64)}`), "OK");
  assertEquals(m.readReg("fcsr"), 0x5fn);
  assertEquals(reply("p1ff"), "E14"); // QEMU's replies
  assertEquals(reply("P1ff=00"), "OK");
  assertEquals(reply(`P${regnum(h, "a0")}=12`), "E22");
  // G writes everything back; change a1 in the image
  const a1 = 11 * 16;
  assertEquals(reply(`G${g.slice(0, a1)}${leHex(77n, 64)}${g.slice(a1 + 16)}`), "OK");
  assertEquals(m.readReg("a1"), 77n);
  assertEquals(m.readReg("a0"), parseLeHex(g.slice(10 * 16, 11 * 16)));
  // user mode has none of a hart's CSRs
  assertEquals(h.registers.length, 33 + 32 + 1 + 6);
  assert(gdbRegisters(machineDriver(m).target).some((r) => r.name === "mhartid"));
});

Deno.test("handler: m/M memory, with QEMU's errors for unmapped memory and bad lengths", async () => {
  const { m, reply } = await session();
  const pc = m.pc.toString(16);
  assertEquals(reply(`m${pc},8`), toHex(m.readMemory(m.pc, 8)));
  assertEquals(reply("m0,4"), "E14");
  assertEquals(reply("mzz,4"), "");
  assertEquals(reply(`m${pc}`), "E22");
  assertEquals(reply(`m${pc},801`), "E22"); // 0x801 bytes of hex do not fit PacketSize
  const sp = m.readReg("sp") - 64n;
  assertEquals(reply(`M${sp.toString(16)},3:a1b2c3`), "OK");
  assertEquals([...m.readMemory(sp, 3)], [0xa1, 0xb2, 0xc3]);
  assertEquals(reply(`M${sp.toString(16)},3:a1b2`), "E22");
  assertEquals(reply(`X${sp.toString(16)},0:`), ""); // no X, as QEMU 7.2: gdb falls back to M
  assertEquals(reply("M0,1:00"), "E14");
});

Deno.test("handler: Z0 breakpoint at main, s steps one instruction, c runs to W00", async () => {
  const { m, h, reply, resume } = await session();
  const main = m.symbol("main")!;
  assertEquals(reply(`Z0,${main.toString(16)},2`), "OK");
  assertEquals(resume(h.handle("c")), "T05swbreak:;thread:p01.3e8;");
  assertEquals(m.pc, main);
  assertEquals(reply("?"), "T05swbreak:;thread:p01.3e8;");
  const before = m.icount;
  assertEquals(resume(h.handle("s")), "T05thread:p01.3e8;");
  assertEquals(m.icount, before + 1);
  assertEquals(m.pc, main + 2n); // add sp,sp,-16 is compressed
  assertEquals(resume(h.handle("vCont;s:3e8")), "T05thread:p01.3e8;");
  assertEquals(m.icount, before + 2);
  assertEquals(reply(`z0,${main.toString(16)},2`), "OK");
  assertEquals(resume(h.handle("c")), "W00");
  assertEquals(m.stdout, "Hello, world!\n");
});

Deno.test("handler: stepping over an ecall runs the syscall as one step", async () => {
  const { m, h, resume } = await session(`${BIN}exit42.static.O2`);
  for (let i = 0; i < 200; i++) {
    const insn = m.readMemory(m.pc, 4);
    const isEcall = insn[0] === 0x73 && insn[1] === 0 && insn[2] === 0 && insn[3] === 0;
    const pc = m.pc;
    const r = resume(h.handle("s"));
    if (r.startsWith("W")) {
      assert(isEcall, "exit from a non-ecall step");
      assertEquals(r, "W2a");
      return;
    }
    if (isEcall) assertEquals(m.pc, pc + 4n);
  }
  throw new Error("exit42 did not exit within 200 steps");
});

Deno.test("handler: watchpoints Z2 (write) and Z4 (access) report the watched address", async () => {
  const { m, h, reply, resume } = await session();
  const main = m.symbol("main")!;
  reply(`Z0,${main.toString(16)},2`);
  resume(h.handle("c"));
  reply(`z0,${main.toString(16)},2`);
  // main: add sp,sp,-16 ... sd ra,8(sp): the return address is stored at sp-8
  const slot = m.readReg("sp") - 8n;
  assertEquals(reply(`Z2,${slot.toString(16)},8`), "OK");
  assertEquals(resume(h.handle("c")), `T05watch:${slot.toString(16)};thread:p01.3e8;`);
  assertEquals(m.readMemory(slot, 8).some((b) => b !== 0), true);
  assertEquals(reply(`z2,${slot.toString(16)},8`), "OK");
  // the epilogue reads ra back
  assertEquals(reply(`Z4,${slot.toString(16)},8`), "OK");
  assertEquals(resume(h.handle("c")), `T05awatch:${slot.toString(16)};thread:p01.3e8;`);
  assertEquals(reply(`z4,${slot.toString(16)},8`), "OK");
  assertEquals(reply("Z9,0,0"), "");
  // as QEMU: removing what is not there is EINVAL; a missing kind too; a bad number is unknown
  assertEquals(reply(`z4,${slot.toString(16)},8`), "E22");
  assertEquals(reply(`z0,${main.toString(16)},2`), "E22");
  assertEquals(reply(`Z0,${main.toString(16)}`), "E22");
  assertEquals(reply("Z0,zz,2"), "");
  assertEquals(resume(h.handle("c")), "W00");
});

Deno.test("handler: a fault stops with its signal; C passes it, c drops it (qemu-user)", async () => {
  const { m, h, resume } = await session(`${BIN}crash.static.O2`, ["segv"]);
  assertEquals(resume(h.handle("c")), "T0bthread:p01.3e8;");
  const pc = m.pc;
  assertEquals(resume(h.handle("c")), "T0bthread:p01.3e8;"); // dropped: the store runs again
  assertEquals(m.pc, pc);
  assertEquals(resume(h.handle("C0b")), "X0b");
  assertEquals((machineDriver(m) as UserDriver).process.exitSignal, 11);

  const ill = await session(`${BIN}crash.static.O2`, ["ill"]);
  assertEquals(ill.resume(ill.h.handle("c")), "T04thread:p01.3e8;");
  assertEquals(ill.resume(ill.h.handle("C04")), "X04");
});

// ---- over TCP ----

/** A minimal gdb client: sends packets, collects replies (acks checked). */
class Client {
  #reader = new PacketReader();
  #items: ReturnType<PacketReader["feed"]> = [];
  noAck = false;
  constructor(readonly conn: Deno.Conn) {}
  static async connect(port: number): Promise<Client> {
    return new Client(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  async sendRaw(s: string | Uint8Array): Promise<void> {
    await this.conn.write(typeof s === "string" ? latin1(s) : s);
  }
  async next(timeoutMs = 10_000): Promise<ReturnType<PacketReader["feed"]>[number]> {
    const deadline = Date.now() + timeoutMs;
    const buf = new Uint8Array(65536);
    while (!this.#items.length) {
      const left = deadline - Date.now();
      assert(left > 0, "no reply from the stub in time");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.conn.read(buf),
        new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left)),
      ]);
      clearTimeout(timer);
      assert(n !== "timeout", "no reply from the stub in time");
      assert(n !== null, "the stub closed the connection");
      this.#items.push(...this.#reader.feed(buf.subarray(0, n)));
    }
    return this.#items.shift()!;
  }
  async request(body: string): Promise<string> {
    await this.sendRaw(encodePacket(body));
    if (!this.noAck) assertEquals((await this.next()).kind, "ack");
    const r = await this.next();
    assert(r.kind === "packet", `reply to ${body}: ${r.kind}`);
    if (!this.noAck) await this.sendRaw("+");
    return text(r.data);
  }
  /** Waits (bounded) until the stub closes the connection. */
  async closedByStub(): Promise<void> {
    await assert.rejects(() => this.next(5000), /closed the connection/);
  }
  close(): void {
    try {
      this.conn.close();
    } catch {
      // closed by the stub
    }
  }
}

async function withServer(
  m: Machine,
  body: (c: Client, port: number) => Promise<void>,
): Promise<string> {
  const server = GdbServer.listen(new MachineDebuggee(m), { port: 0 });
  const served = server.serve();
  const c = await Client.connect(server.port);
  try {
    await body(c, server.port);
  } finally {
    c.close();
    server.close();
  }
  return await served;
}

Deno.test("server: acks, a bad checksum gets '-', no-ack mode, Ctrl-C interrupts a running guest", async () => {
  const m = await createMachine({ program: `${BIN}compute.static.O2`, args: ["100000"] });
  const end = await withServer(m, async (c) => {
    await c.sendRaw("$g#00");
    assertEquals((await c.next()).kind, "nack");
    assertEquals(
      await c.request("qSupported:swbreak+"),
      "PacketSize=1000;qXfer:features:read+;ReverseStep+;ReverseContinue+;qXfer:auxv:read+;" +
        "vContSupported+;multiprocess+;qXfer:exec-file:read+;QStartNoAckMode+;swbreak+",
    );
    assertEquals(await c.request("QStartNoAckMode"), "OK");
    c.noAck = true;
    await c.sendRaw("$g#00"); // no-ack mode too: `-`, as QEMU's stub sends it
    assertEquals((await c.next()).kind, "nack");
    assertEquals(await c.request("?"), "T05thread:3e8;");
    await c.sendRaw(encodePacket("c"));
    await new Promise((r) => setTimeout(r, 300));
    const before = m.icount;
    assert(before > 0, "the guest runs while gdb waits");
    await c.sendRaw(new Uint8Array([3]));
    const stop = await c.next(5000);
    assert(stop.kind === "packet");
    assertEquals(text(stop.data), "T02thread:3e8;");
    assert(!machineDriver(m).exited);
    await c.request("qXfer:features:read:target.xml:0,1"); // QEMU answers p after it
    const pc = await c.request("p20");
    assertEquals(pc, leHex(m.pc, 64));
    await c.sendRaw(encodePacket("k"));
    const exit = await c.next(); // as QEMU's stub: the exit the kill ends with, then it closes
    assertEquals(exit.kind === "packet" && text(exit.data), "W00");
    await c.closedByStub();
  });
  assertEquals(end, "kill");
  // as QEMU's "Terminated via GDBstub": status 0, no signal
  const { exitStatus, exitSignal } = (machineDriver(m) as UserDriver).process;
  assertEquals([exitStatus, exitSignal], [0, null]);
});

Deno.test("server: detach lets the guest run on; a closed listener ends serve()", async () => {
  const m = await createMachine({ program: HELLO });
  const end = await withServer(m, async (c) => {
    const main = m.symbol("main")!;
    assertEquals(await c.request(`Z0,${main.toString(16)},2`), "OK");
    assertEquals(await c.request("c"), "T05thread:3e8;");
    assertEquals(await c.request("D;1"), "OK");
  });
  assertEquals(end, "detach");
  assertEquals(await m.runToExit(), 0);
  assertEquals(m.stdout, "Hello, world!\n");

  const idle = GdbServer.listen(new MachineDebuggee(await createMachine({ program: HELLO })), {
    port: 0,
  });
  const pending = idle.serve();
  idle.close();
  assertEquals(await pending, "disconnect");
});

// ---- real gdb ----

const GDB = installed("gdb-multiarch");
const QEMU = installed("qemu-riscv64");
if (!GDB) console.log("gdb_test: gdb-multiarch is not installed: skipping the real-gdb tests");

/** Runs `emu` (argv with PORT) on `program` and gdb-multiarch -batch with `cmds` against it. */
function gdbSession(emu: string[], program: string, cmds: string[], args: string[] = []) {
  return gdbBatch([...emu, program, ...args], program, cmds);
}

const EMU = [Deno.execPath(), "run", "-A", `${ROOT}mod.ts`, "user", "-g", "PORT"];

Deno.test({
  name: "gdb-multiarch: break main, x/4i, stepi, continue to exit against emu user -g",
  ignore: !GDB,
  async fn() {
    const m = await createMachine({ program: HELLO });
    const main = m.symbol("main")!;
    const hex = (v: bigint) => `0x${v.toString(16)}`;
    const r = await gdbSession(EMU, HELLO, [
      "break main",
      "continue",
      "info registers pc",
      "x/4i $pc",
      "stepi",
      "info registers pc",
      "continue",
    ]);
    assert(r.gdb.includes(`Breakpoint 1 at ${hex(main)}`), r.gdb);
    assert(r.gdb.includes("Breakpoint 1, main ()"), r.gdb);
    const pcs = [...r.gdb.matchAll(/^pc\s+(0x[0-9a-f]+)/gm)].map((x) => BigInt(x[1]));
    assertEquals(pcs, [main, main + 2n]);
    assert(new RegExp(`=> ${hex(main)} <main>:\\s+add\\s+sp,sp,-16`).test(r.gdb), r.gdb);
    assert(r.gdb.includes("[Inferior 1 (process 1) exited normally]"), r.gdb); // as qemu's
    assertEquals(r.emuOut, "Hello, world!\n");
    assertEquals(r.emuStatus, 0);
  },
});

Deno.test({
  name: "gdb-multiarch: registers and a fault look the same as with qemu-riscv64 -g",
  ignore: !GDB || !QEMU,
  async fn() {
    const names = (s: string) =>
      s.split("\n").map((l) => /^([a-z][a-z0-9]*)\s+(0x|\{)/.exec(l)?.[1]).filter((x) => x);
    const cmds = ["info all-registers", "continue", "info registers pc", "continue"];
    const crash = `${BIN}crash.static.O2`;
    const ours = await gdbSession(EMU, crash, cmds, ["segv"]);
    const qemu = await gdbSession(["qemu-riscv64", "-g", "PORT"], crash, cmds, ["segv"]);
    assertEquals(names(ours.gdb), names(qemu.gdb));
    assertEquals(names(ours.gdb).length, 72 + 1); // + the pc of "info registers pc"
    const stops = (s: string) => s.split("\n").filter((l) => /signal|exited/.test(l));
    assertEquals(stops(ours.gdb), stops(qemu.gdb));
    assert(ours.gdb.includes("Program terminated with signal SIGSEGV"), ours.gdb);
  },
});

Deno.test({
  name:
    "gdb-multiarch: a dynamic PIE program: break in main and in libc, bt, info sharedlibrary, as with qemu-riscv64 -g",
  ignore: !GDB || !QEMU,
  async fn() {
    const sysroot = "/usr/riscv64-linux-gnu";
    const cmds = [
      `set sysroot ${sysroot}`,
      "break main",
      "continue",
      "bt",
      "info sharedlibrary",
      "break puts",
      "continue",
      "bt",
      "continue",
    ];
    const prog = `${BIN}hello.dynamic.O2`;
    const ours = await gdbSession(EMU, prog, cmds);
    const qemu = await gdbSession(["qemu-riscv64", "-L", sysroot, "-g", "PORT"], prog, cmds);
    const lines = (s: string) =>
      s.split("\n").filter((l) => /^(Breakpoint|#\d|0x|\[Inferior)/.test(l));
    assert(ours.gdb.includes("Breakpoint 1, main ()"), ours.gdb);
    assert(/in puts \(\) from .*libc\.so\.6/.test(ours.gdb), ours.gdb);
    assert(/libc\.so\.6$/m.test(ours.gdb), ours.gdb);
    assertEquals(lines(ours.gdb), lines(qemu.gdb));
    assertEquals(ours.emuOut, "Hello, world!\n");
  },
});

Deno.test({
  name: "gdb-multiarch: kill ends the program with status 0 and one line, as qemu-riscv64 -g does",
  ignore: !GDB,
  async fn() {
    const runners = [EMU, ...(QEMU ? [["qemu-riscv64", "-g", "PORT"]] : [])];
    for (const run of runners) {
      const r = await gdbSession(run, HELLO, ["break main", "continue", "kill"]);
      assert(r.gdb.includes("[Inferior 1 (process 1) killed]"), r.gdb);
      assertEquals(r.emuStatus, 0, run[0]);
      assert(
        /^\S+: QEMU: Terminated via GDBstub$|^emu: Terminated via GDBstub$/m.test(r.emuErr),
        r.emuErr,
      );
      assertEquals(r.emuOut, "");
    }
  },
});

Deno.test("cli: emu user -g PORT is parsed and checked", async () => {
  const { parseUserArgs } = await import("../cli/user.ts");
  assertEquals(parseUserArgs(["-g", "1234", "prog"]).gdbPort, 1234);
  assertEquals(parseUserArgs(["prog"]).gdbPort, undefined);
  assert.throws(() => parseUserArgs(["-g", "x", "prog"]), /not a TCP port/);
  assert.throws(() => parseUserArgs(["-g", "70000", "prog"]), /not a TCP port/);
});
