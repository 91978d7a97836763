// In-memory snapshots of a user-mode process: snapshot, run to the end,
// restore, run again: the event stream, the output and the final state are
// identical, on every engine. The guests change what a snapshot must carry
// after it was taken: self-modifying code (smc), mmap/munmap/mprotect/brk
// (smc, malloc_stress), close/dup/lseek (fileio), signal handlers (signals),
// interval timers (itimer), POSIX timers (posix_timer).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { Accel } from "../core/accel.ts";
import { LinuxProcess } from "../core/linux/process.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;

interface Run {
  events: string[];
  out: string;
  regs: bigint[];
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => typeof x === "bigint" ? `${x}n` : x);
}

async function start(prog: string, accel: Accel, args: string[] = []) {
  const out: number[] = [];
  const p = await LinuxProcess.create({
    program: BIN + prog,
    args,
    accel,
    stdout: (b) => out.push(...b),
    stderr: (b) => out.push(...b),
  });
  return { p, out };
}

/** Runs to the exit, recording events, output since now and the final registers. */
function finish(p: LinuxProcess, out: number[]): Run {
  const from = out.length, events: string[] = [];
  for (;;) {
    const ev = p.step();
    events.push(show({ ...ev, icount: p.cpu.icount }));
    if (ev.kind === "exit") break;
  }
  const regs = p.cpu.target.state.globals.map((_, i) => p.cpu.getGlobal(i));
  return { events, out: new TextDecoder().decode(new Uint8Array(out.slice(from))), regs };
}

/** Steps to the `n`th syscall event. */
function toSyscall(p: LinuxProcess, n: number): void {
  let seen = 0;
  while (seen < n) if (p.step().kind === "syscall") seen++;
}

const CASES: { prog: string; points: number[]; jitOnly?: boolean; args?: string[] }[] = [
  { prog: "smc.static.O2", points: [1, 6, 12] },
  { prog: "malloc_stress.static.O2", points: [1, 20], jitOnly: true }, // slow elsewhere
  { prog: "signals.static.O2", points: [1, 15, 40] },
  { prog: "hello.dynamic.O2", points: [1, 30] },
  // interval timers armed at the snapshot (alarm, pause, a periodic timer while computing)
  { prog: "itimer.static.O2", points: [16, 5, 12], jitOnly: true },
  // POSIX timers armed (a one-shot awaited, a periodic one whose signal waits, one in sigsuspend)
  { prog: "posix_timer.static.O2", points: [49, 6, 46], jitOnly: true, args: ["single"] },
];

for (const accel of ["interp", "jit", "lockstep"] as const) {
  for (const c of CASES.filter((c) => accel === "jit" || !c.jitOnly)) {
    Deno.test(`${accel}: ${c.prog}: snapshot, run, restore, run again is identical`, async () => {
      const { p, out } = await start(c.prog, accel, c.args);
      for (const point of c.points) {
        toSyscall(p, point);
        const s = p.snapshot();
        const first = finish(p, out);
        p.restore(s);
        const second = finish(p, out);
        assertEquals(second, first);
        // Restoring the same snapshot again takes the dirty-pages-only path.
        p.restore(s);
        assertEquals(finish(p, out), first);
        p.restore(s);
      }
    });
  }

  Deno.test(`${accel}: fileio: files, offsets and dup'ed descriptors come back`, async () => {
    const dir = Deno.makeTempDirSync();
    try {
      const { p, out } = await start("fileio.static.O2", accel, [dir]);
      toSyscall(p, 1);
      const s = p.snapshot();
      const first = finish(p, out);
      p.restore(s);
      assertEquals(finish(p, out), first);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("jit: two snapshots (the second shares clean pages with the first) restore in any order", async () => {
  const { p, out } = await start("signals.static.O2", "jit");
  toSyscall(p, 5);
  const s1 = p.snapshot();
  toSyscall(p, 20);
  const s2 = p.snapshot();
  const fromS2 = finish(p, out);
  p.restore(s1);
  toSyscall(p, 15);
  const s1Run = finish(p, out);
  p.restore(s2);
  assertEquals(finish(p, out), fromS2);
  p.restore(s1);
  toSyscall(p, 15);
  assertEquals(finish(p, out), s1Run);
  p.restore(s2);
  assertEquals(finish(p, out), fromS2);
});

/**
 * Counts the blocks `p` translates from now on. Parts of blocks (a budget's cut, the rest of a
 * TB that the JIT leaves to the interpreter after a TLB miss) are made on demand and not counted.
 */
function countTranslations(p: LinuxProcess): { n: number } {
  const count = { n: 0 };
  p.cpu.tbs.observers.push({ onBlock: (tb) => tb.part || count.n++ });
  return count;
}

/**
 * Older snapshots: one at the first syscall, one at syscall `later`; restoring
 * the first must redo the run exactly, translating again only code whose
 * bytes changed in between (`retranslates`: whether the guest changes any).
 */
const OLDER_CASES = [
  { prog: "hello.static.O2", later: 3, retranslates: false, what: "keeps the translated code" },
  { prog: "smc.static.O2", later: 12, retranslates: true, what: "drops code whose bytes changed" },
];

for (const accel of ["interp", "jit", "lockstep"] as const) {
  for (const c of OLDER_CASES) {
    Deno.test(`${accel}: ${c.prog}: restoring an older snapshot ${c.what}`, async () => {
      const { p, out } = await start(c.prog, accel);
      toSyscall(p, 1);
      const older = p.snapshot();
      const first = finish(p, out);
      p.restore(older);
      toSyscall(p, c.later);
      p.snapshot();
      finish(p, out);
      const translations = countTranslations(p);
      p.restore(older);
      assertEquals(finish(p, out), first);
      assertEquals(translations.n > 0, c.retranslates);
    });
  }
}
