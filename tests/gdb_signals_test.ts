// The gdb stub stops on every signal the guest is about to act on, not only
// on faults, as QEMU's user-mode stub does (gdb_handlesig): gdb then passes
// the signal (C), changes it, or drops it (c). Checked on the command
// handler alone, then with gdb-multiarch against qemu-riscv64 -g in the same run.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { GdbHandler } from "../core/gdb/handler.ts";
import { MachineDebuggee } from "../core/gdb/machine_debuggee.ts";
import { installed } from "./util/installed.ts";
import { gdbBatch } from "./util/gdb_batch.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;
const SIGNALS = `${BIN}signals.static.O2`;

/** Sends `packet`, runs the resume it asks for to its stop, returns the stop reply. */
function resume(h: GdbHandler, packet: string): string {
  const a = h.handle(packet);
  assert(a.kind === "resume", `${packet}: ${JSON.stringify(a)}`);
  for (let i = 0; i < 1000; i++) {
    const stop = h.debuggee.resume({ step: a.step, signal: i ? 0 : a.signal, budget: 100_000 });
    if (stop) return h.stopReply(stop);
  }
  throw new Error("the guest did not stop");
}

/** The stop replies of `signals` resumed with `answer(stop)` each time, and its output. */
async function signalStops(answer: (stop: string) => string) {
  const m = await createMachine({ program: SIGNALS });
  const h = new GdbHandler(new MachineDebuggee(m));
  const stops = [resume(h, "c")];
  while (/^T/.test(stops.at(-1)!) && stops.length < 20) {
    stops.push(resume(h, answer(stops.at(-1)!)));
  }
  return { stops, stdout: m.stdout };
}

Deno.test("handler: a signal with a handler stops before delivery; C passes it, c drops it", async () => {
  // Before: only faults stopped; raise(SIGUSR1) ran its handler unseen by gdb.
  const pass = (stop: string) => `C${stop.slice(1, 3)}`;
  const passed = await signalStops(pass);
  // USR1 (gdb 30), USR2 raised in its handler, the same after an unblock, USR2 with
  // SA_RESETHAND, WINCH (gdb 28) with a handler; not the SIG_IGN'd USR2; the 3 faults
  assertEquals(passed.stops.map((s) => s.slice(0, 3)), [
    "T1e",
    "T1f",
    "T1e",
    "T1f",
    "T1f",
    "T1c",
    "T0b",
    "T0b",
    "T0b",
    "W00",
  ]);
  const plain = await createMachine({ program: SIGNALS });
  await plain.runToExit();
  assertEquals(passed.stdout, plain.stdout); // passing every signal changes nothing
  // dropping SIGUSR1 (c): its handler never runs, so neither does the USR2 it raises
  const dropped = await signalStops((stop) => stop.startsWith("T1e") ? "c" : pass(stop));
  assertEquals(dropped.stops.map((s) => s.slice(0, 3)), [
    "T1e",
    "T1e",
    "T1f",
    "T1c",
    ...passed.stops.slice(6).map((s) => s.slice(0, 3)),
  ]);
  assert(dropped.stdout.includes("order:\n"), dropped.stdout);
  // another signal in its place: gdb's `signal SIGUSR2` at the SIGUSR1 stop
  const swapped = await signalStops((stop) => stop.startsWith("T1e") ? "C1f" : pass(stop));
  assert(swapped.stdout.includes("order: 120\n"), swapped.stdout);
  assertEquals(swapped.stops.filter((s) => s.startsWith("T1f")).length, 1); // USR2 sent by gdb: no stop
});

const GDB = installed("gdb-multiarch");
const QEMU = installed("qemu-riscv64");
const EMU = [Deno.execPath(), "run", "-A", `${ROOT}mod.ts`, "user", "-g", "PORT"];

/** gdb's stop lines with `cmds` then continues, against Denemu and qemu-riscv64. */
async function bothStubs(program: string, args: string[], cmds: string[]) {
  const all = [...cmds, ...Array(11).fill("continue")];
  const ours = await gdbBatch([...EMU, program, ...args], program, all);
  const qemu = await gdbBatch(["qemu-riscv64", "-g", "PORT", program, ...args], program, all);
  const stops = (s: string) => s.split("\n").filter((l) => /^Program |^\[Inferior/.test(l));
  return { ours, qemu, stops };
}

Deno.test({
  name:
    "gdb-multiarch: signals stop, pass and drop as with qemu-riscv64 -g (handle SIG stop/nopass)",
  ignore: !GDB || !QEMU,
  async fn() {
    // default handling (USR1, USR2, SEGV stop; WINCH shown here), every signal passed
    const shown = await bothStubs(SIGNALS, [], ["handle SIGWINCH stop print"]);
    const { stops } = shown;
    assert(
      stops(shown.ours.gdb).includes("Program received signal SIGWINCH, Window size changed."),
    );
    assertEquals(stops(shown.ours.gdb), stops(shown.qemu.gdb));
    // SIGUSR1 dropped without a stop: the same stops, places and output as qemu's
    const nopass = await bothStubs(SIGNALS, [], ["handle SIGUSR1 nostop noprint nopass"]);
    const where = (s: string) => s.split("\n").filter((l) => /^Program |^0x|^\[Inferior/.test(l));
    assertEquals(where(nopass.ours.gdb), where(nopass.qemu.gdb));
    assertEquals(nopass.ours.emuOut, nopass.qemu.emuOut);
    assert(nopass.ours.emuOut.includes("order:\n"), nopass.ours.emuOut);
    // a default-fatal signal: stop, then the program dies of it when passed
    const abort = await bothStubs(`${BIN}crash.static.O2`, ["abort"], []);
    assertEquals(where(abort.ours.gdb), where(abort.qemu.gdb));
    assert(abort.ours.gdb.includes("Program terminated with signal SIGABRT, Aborted."));
    assertEquals(abort.ours.emuStatus, abort.qemu.emuStatus);
  },
});
